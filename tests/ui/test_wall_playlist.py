"""The wall's playlist, read from the URL and the settings, and which view is on screen at a
given time: pure functions, driven here by a fake clock (no Streamlit, no browser)."""

from __future__ import annotations

import datetime as dt

import pytest

from ui import wall
from ui.wall import Playlist, Rotation, next_rotation, read_playlist

START = dt.datetime(2026, 11, 23, 8, 0, 0)
ALL = wall.VIEWS
SETTINGS = {"setting_views": ",".join(ALL), "setting_rotate": "30", "setting_refresh": "60"}


def read(url_views=(), url_rotate=None, **settings) -> Playlist:
    return read_playlist(list(url_views), url_rotate, **(SETTINGS | settings))


PLAYLISTS = [
    # (url_views, url_rotate, settings, views, rotate_s, refresh_s)
    ((), None, {}, ALL, 30, 60),
    (("alerts,events",), None, {}, ("alerts", "events"), 30, 60),
    (("alerts", "events"), None, {}, ("alerts", "events"), 30, 60),  # playlist=… repeated
    ((" hazards , overview",), None, {}, ("hazards", "overview"), 30, 60),
    (("overview,overview,alerts",), None, {}, ("overview", "overview", "alerts"), 30, 60),
    (("nope,alerts",), None, {}, ("alerts",), 30, 60),  # unknown views are left out
    (("nope",), None, {}, ALL, 30, 60),  # nothing left: every view
    (("../admin",), None, {}, ALL, 30, 60),
    ((), None, {"setting_views": "events"}, ("events",), 30, 60),
    ((), "20", {}, ALL, 20, 60),
    ((), "0020", {}, ALL, 20, 60),
    ((), "1", {}, ALL, wall.MIN_ROTATE_S, 60),  # clamped
    ((), "9999", {}, ALL, wall.MAX_ROTATE_S, 60),
    ((), "99999", {}, ALL, 30, 60),  # too many digits: the setting
    ((), "²", {}, ALL, 30, 60),  # str.isdigit() says yes
    ((), "①", {}, ALL, 30, 60),
    ((), "２０", {}, ALL, 30, 60),  # int() would read full-width digits
    ((), "-20", {}, ALL, 30, 60),
    ((), " 20", {}, ALL, 30, 60),
    ((), "", {}, ALL, 30, 60),
    ((), None, {"setting_rotate": "45"}, ALL, 45, 60),
    ((), "20", {"setting_rotate": "45"}, ALL, 20, 60),  # the URL first
    ((), None, {"setting_rotate": "half a minute"}, ALL, 30, 60),  # a broken setting: its default
    ((), None, {"setting_refresh": "5"}, ALL, 30, 5),
    ((), None, {"setting_refresh": "0"}, ALL, 30, wall.MIN_REFRESH_S),
    ((), None, {"setting_refresh": "soon"}, ALL, 30, 60),
]


@pytest.mark.parametrize(("url_views", "url_rotate", "settings", "views", "rotate_s", "refresh_s"), PLAYLISTS)
def test_read_playlist(url_views, url_rotate, settings, views, rotate_s, refresh_s):
    assert read(url_views, url_rotate, **settings) == Playlist(views, rotate_s, refresh_s)


@pytest.mark.parametrize(("views", "rotate_s", "refresh_s", "tick_s"), [
    (ALL, 30, 60, 30),  # rotating is the sooner
    (ALL, 30, 3, 3),  # refreshing is
    (("events",), 30, 60, 60),  # one view never rotates
])
def test_the_board_ticks_often_enough_for_both(views, rotate_s, refresh_s, tick_s):
    assert Playlist(views, rotate_s, refresh_s).tick_s == tick_s


def run_clock(playlist: Playlist, ticks_at_s: list[float]) -> list[str]:
    """The view on screen at each tick, the board being drawn first at START."""
    shown = None
    seen = []
    for seconds in [0.0, *ticks_at_s]:
        shown = next_rotation(shown, playlist, START + dt.timedelta(seconds=seconds))
        seen.append(playlist.views[shown.index])
    return seen


def test_the_first_view_comes_first():
    assert next_rotation(None, read(), START) == Rotation(0, START)


def test_each_view_in_turn_then_the_first_again():
    playlist = read(url_rotate="30", setting_refresh="60")
    ticks = [30.0 * n for n in range(1, len(ALL) + 1)]
    assert run_clock(playlist, ticks) == [*ALL, ALL[0]]


def test_a_view_stays_its_time_between_refreshes():
    """Refreshing every 3 s, the view moves on at its 30th second, not before."""
    playlist = read(url_rotate="30", setting_refresh="3")
    ticks = [3.0 * n for n in range(1, 21)]  # a minute
    seen = run_clock(playlist, ticks)
    assert seen[:10] == [ALL[0]] * 10 and seen[10:20] == [ALL[1]] * 10 and seen[20] == ALL[2]


def test_a_slightly_early_tick_still_moves_on():
    playlist = read(url_rotate="30")
    assert run_clock(playlist, [29.6]) == [ALL[0], ALL[1]]
    assert run_clock(playlist, [29.4]) == [ALL[0], ALL[0]]


def test_a_late_tick_delays_the_next_view_rather_than_skip_one():
    """A board that could not run for two minutes shows the next view, not the one the clock
    would have reached; and that view then gets its whole time."""
    playlist = read(url_rotate="30")
    assert run_clock(playlist, [30.0, 150.0, 170.0, 180.0]) == [ALL[0], ALL[1], ALL[2], ALL[2], ALL[3]]


def test_one_view_stays():
    playlist = read(("events",))
    assert set(run_clock(playlist, [30.0 * n for n in range(1, 6)])) == {"events"}


def test_a_shorter_playlist_wraps_an_index_from_a_longer_one():
    """The rotation kept in a session outlives a playlist edited in the URL."""
    shown = next_rotation(Rotation(4, START), read(("alerts,events",)), START + dt.timedelta(seconds=1))
    assert shown.index == 0
