"""The wall screen (`?mode=wall`): the duty room's display, on all day, read from five metres.

No chrome, a dark high-contrast theme, big type, everything on one screen. Its board runs the
current view's own page script (pages/overview.py, …) with the context's wall flag set, so the
views' widgets draw it: counts only, never a person. The board refreshes in place every
WALL_REFRESH_S seconds (a fragment rerun: no reload, no flicker, the filter kept) and the
playlist rotates every WALL_ROTATE_S seconds; both can be given in the URL too
(`playlist=overview,alerts&rotate=20`). Through a database outage the last figures stay, under
a banner with the time of the last good data.

The board is laid out for the screen the browser reports (ui/screen.py), by ui/wall_layout.py:
type in proportion to the screen, nothing to scroll, from 1280×720 to 7680×4320, 9:16 to 32:9.
Which view is on screen is a pure function of the playlist and the clock (`next_rotation`).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from data_access import areas, formats, notify, settings
from data_access.filters import local_now

from . import assets, data, filter_bar, screen, shell, url, wall_layout, warnings
from .i18n import t

VIEWS = ("overview", "hazards", "population", "alerts", "events", "ranking", "projects", "stability")
MIN_ROTATE_S, MAX_ROTATE_S = 5, 3600
MIN_REFRESH_S, MAX_REFRESH_S = 1, 3600
SECONDS_DIGITS = 4  # rotate=… in a URL: at most 9999, clamped to the bounds above
EARLY_TICK_S = 0.5  # a timer tick may come this much early: the view still moves on
ROTATION_KEY = "_wall_rotation"
DEFAULTS = {setting.name: setting.default for setting in settings.SETTINGS}
# The clock, filled in by the server (the header is drawn again on every refresh: no blank
# second) and then by the browser every second, in the same format.
CLOCK_SCRIPT = """
<div class="wall-clock" id="wall-clock">{now}</div>
<script>
if (!window.wallClock) {
  window.wallClock = setInterval(function () {
    var el = document.getElementById("wall-clock");
    if (el) {
      el.textContent = new Date().toLocaleString("zh-CN", {hour12: false, timeZone: "Asia/Shanghai"});
    }
  }, 1000);
}
</script>
"""


@dataclass(frozen=True)
class Playlist:
    """The views the wall cycles through, how long each stays, and how often the data refresh."""

    views: tuple[str, ...]
    rotate_s: int
    refresh_s: int

    @property
    def tick_s(self) -> int:
        """How often the board reruns: often enough both to rotate and to refresh on time."""
        return min(self.rotate_s, self.refresh_s) if len(self.views) > 1 else self.refresh_s


@dataclass(frozen=True)
class Rotation:
    """Which view of the playlist is on screen (its index), and since when."""

    index: int
    since: dt.datetime


def read_playlist(url_views: Sequence[str], url_rotate: str | None, setting_views: str, setting_rotate: str,
                  setting_refresh: str) -> Playlist:
    """The playlist from the URL (`playlist=a,b`, repeatable; `rotate=N` seconds), else from the
    settings (WALL_PLAYLIST, WALL_ROTATE_S, WALL_REFRESH_S), else their defaults. Unknown views
    are left out; seconds not written in plain ASCII digits fall back; seconds are clamped."""
    names = ",".join(url_views) or setting_views
    views = tuple(name for name in (part.strip() for part in names.split(",")) if name in VIEWS)
    rotate_s = _first_seconds(url_rotate, setting_rotate, DEFAULTS["WALL_ROTATE_S"])
    refresh_s = _first_seconds(setting_refresh, DEFAULTS["WALL_REFRESH_S"])
    return Playlist(views or VIEWS, max(MIN_ROTATE_S, min(MAX_ROTATE_S, rotate_s)),
                    max(MIN_REFRESH_S, min(MAX_REFRESH_S, refresh_s)))


def _first_seconds(*texts: str | None) -> int:
    """The first of `texts` that is a whole number of seconds (the last one always is)."""
    seconds = (url.parse_int(text, max_digits=SECONDS_DIGITS) for text in texts)
    return next(n for n in seconds if n is not None)


def next_rotation(shown: Rotation | None, playlist: Playlist, now: dt.datetime) -> Rotation:
    """What to show at `now`: the first view at the start, then each for rotate_s seconds in turn,
    one step at a time (a late tick delays the next view rather than skipping one)."""
    if shown is None:
        return Rotation(0, now)
    if (now - shown.since).total_seconds() >= playlist.rotate_s - EARLY_TICK_S:
        return Rotation((shown.index + 1) % len(playlist.views), now)
    return Rotation(shown.index % len(playlist.views), shown.since)


def requested() -> bool:
    """Whether the URL asks for the wall screen (`?mode=wall`)."""
    return st.query_params.get("mode") == "wall"


def playlist() -> Playlist:
    """This wall's playlist: read_playlist on the URL and the settings."""
    return read_playlist(st.query_params.get_all("playlist"), st.query_params.get("rotate"),
                         *(settings.get(name) for name in ("WALL_PLAYLIST", "WALL_ROTATE_S",
                                                           "WALL_REFRESH_S")))


def show() -> None:
    """The whole wall screen: theme, and the board that refreshes and rotates under its header
    (clock, open warnings). Everything is sized for the screen its browser reports (a 1080p one
    until it has)."""
    plan = playlist()
    size = screen.size_known() or wall_layout.FULL_HD
    unit = wall_layout.unit_px(size)
    st.html(assets.stylesheet("wall.css") + f"<style>html {{ font-size: {unit:.2f}px; }}</style>")
    screen.report_size()

    @st.fragment(run_every=plan.tick_s)
    def board() -> None:
        data.start_run()
        with st.container(key="wall-header"):  # in the board: refreshed with it
            try:
                header(wall_layout.shape(size))
            except Exception:  # as the board's below: a header that fails must not take the board along
                shell.report_failure("wall header")
        rotation = next_rotation(st.session_state.get(ROTATION_KEY), plan, local_now())
        st.session_state[ROTATION_KEY] = rotation
        view = plan.views[rotation.index]
        filters, _ = filter_bar.render("wall", show=False)
        title, status = st.columns([2, 1], vertical_alignment="bottom")
        period = t("period_label", start=filters.period.start, end=filters.period.end)
        title.html(f'<div class="wall-view">{html.escape(t(view))} · {html.escape(period)}</div>')
        # The status is written into its column only at the end of the run: the last run's banner
        # stays on screen meanwhile (an st.empty() here would blank it for the whole run: a blink
        # of the banner, or of the data time, on every refresh).
        try:
            with st.container(key=f"wall-view-{view}"):
                shell.run_on_wall(view, filters)
        except data.DataUnavailable:
            status.html(f'<div class="wall-stale">{html.escape(t("data_unavailable"))}</div>')
            return
        except Exception:  # the board is a fragment: the frame around the page does not see its reruns
            shell.report_failure(view)
            return
        down, last_ok = data.outage()
        if down:
            shown = last_ok.strftime("%H:%M") if last_ok else formats.NO_VALUE
            status.html(f'<div class="wall-stale">{html.escape(t("stale_banner", time=shown))}</div>')
        else:
            status.html(f'<div class="wall-status" style="text-align:right">'
                        f'{html.escape(t("data_as_of", time=f"{last_ok:%H:%M:%S}"))}</div>')

    board()


def header(form: str) -> None:
    """The title bar: the title, the demo badge, the open warnings' count and a ticker of the
    newest (counts and places, never a person: ui/warnings.py), and the clock. On a tall screen
    the warnings take a second line (wall_layout.header_height)."""
    try:
        demo = data.query(areas.has_demo_records)
        counts, newest = data.query(notify.warning_counts), data.query(notify.ticker)
    except data.DataUnavailable:  # the board below says so; the header keeps its place
        demo, counts, newest = False, None, None
    title_em = wall_layout.text_em(t("app_title"))  # wall.css shrinks a long title to its room
    now = local_now()
    st.html(
        f'<div class="wall-header {form}"><div class="wall-title" style="--em: {title_em:.2f}">'
        f'{html.escape(t("app_title"))}</div>'
        + (f'<div class="wall-demo">{html.escape(t("demo_short"))}</div>' if demo else "")
        + warnings.wall_html(counts, newest)
        + CLOCK_SCRIPT.replace("{now}", f"{now.year}/{now.month}/{now.day} {now:%H:%M:%S}") + "</div>",
        unsafe_allow_javascript=True,
    )
