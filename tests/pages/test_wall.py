"""The wall screen with AppTest: each board runs its view's own page script with the wall flag
set, so it shows the figures the page shows, through the same widgets; it draws counts only (no
table, no list of records, no control, no person); and it lays itself out for the screen its
browser reports. Pages on a phone get their compact tiles."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import pytest
import streamlit as st
from google.protobuf import text_format
from sqlalchemy import select
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Column, Widget

from data_access import accounts, demo
from data_access.db import forget_engines, get_engine
from data_access.models import GridEvent, Hazard, House, PopulationStay, Project, ProjectVillage
from ui import screen, wall, wall_layout
from ui.wall_layout import Screen

from ..factories import signed_in

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 11, 23)
YEAR = {"from": "2026-01-01", "to": AS_OF.isoformat()}
RUN_TIMEOUT_S = 60
TILE = re.compile(r'<div class="wall-tile[^"]*"><div class="label">(.*?)</div>'
                  r'<div class="value"[^>]*>(.*?)</div>')
NOTE = re.compile(r'<div class="note">(.*?)</div>')
ID_NUMBER, PHONE = re.compile(r"\d{17}[\dX]"), re.compile(r"1\d{10}")
# Tiles a page shows but its wall board leaves out: the overview's row of seed 000's ledgers,
# which have a board of their own (a third row of tiles would flatten the overview's charts).
PAGE_ONLY_TILES = {"overview": ("涉稳风险隐患", "初信初访", "调解矛盾纠纷")}


@pytest.fixture(scope="module")
def demo_url(databases) -> str:
    engine = databases.new_engine("sqlite")
    demo.generate(engine, scale="town", seed=7, as_of=AS_OF)
    return str(engine.url)


@pytest.fixture(scope="module")
def empty_url(databases) -> str:
    engine = databases.new_engine("sqlite")
    with engine.begin() as conn:
        accounts.create_user(conn, "staff", "staff-demo", "staff", by="test")
    return str(engine.url)


@pytest.fixture(scope="module")
def people(demo_url) -> dict[str, set[str]]:
    """The demo's personal data: ID numbers, phones, and the names long enough not to occur by chance."""
    with get_engine(demo_url).connect() as conn:
        stays = conn.execute(
            select(PopulationStay.name, PopulationStay.id_number, PopulationStay.phone)).all()
        houses = conn.execute(select(House.landlord, House.landlord_phone)).all()
        others = conn.execute(select(Hazard.responsible_person)).scalars().all()
        others += conn.execute(select(GridEvent.reporter)).scalars().all()
        others += conn.execute(select(Project.leader)).scalars().all()  # the key projects' (issue 18)
        others += conn.execute(select(ProjectVillage.responsible_person)).scalars().all()
    names = {name for name in [*(s.name for s in stays), *(h.landlord for h in houses), *others]
             if name and len(name) >= 3}
    ids = {s.id_number for s in stays}
    phones = {p for p in [*(s.phone for s in stays), *(h.landlord_phone for h in houses)] if p}
    # The search below finds them by their shape: every one must have it.
    assert ids and all(ID_NUMBER.fullmatch(i) for i in ids)
    assert phones and all(PHONE.fullmatch(p) for p in phones)
    assert len(names) > 100
    return {"ids": ids, "phones": phones, "names": names}


def run(monkeypatch, url: str, **params) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    forget_engines()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=RUN_TIMEOUT_S)
    for name, value in params.items():
        at.query_params[name] = value
    return at


def open_wall(monkeypatch, url: str, view: str, size: Screen | None = None) -> AppTest:
    at = run(monkeypatch, url, mode="wall", playlist=view, **YEAR)
    if size is not None:  # as the browser's report leaves it
        at.session_state[screen.SIZE_KEY] = size
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_page(monkeypatch, url: str, view: str, *, phone: bool = False) -> AppTest:
    at = signed_in(run(monkeypatch, url, **YEAR), "staff")
    if phone:
        at.session_state[screen.COMPACT_KEY] = True
    at.run()
    if view != "overview":
        at.switch_page(f"pages/{view}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def wall_tiles(at: AppTest) -> list[tuple[str, str]]:
    found = [TILE.findall(h.value) for h in at.html]
    return [(html.unescape(label), html.unescape(value)) for tiles in found for label, value in tiles]


def everything_sent(at: AppTest) -> str:
    """Every element of the run as the browser receives it (map HTML and chart data too): as text,
    and as its bytes decoded, since a chart's data travel as Arrow, whose strings the text form
    prints as octal escapes (a name in a chart's data would pass unseen)."""
    protos = [e.proto for e in at.main if getattr(e, "proto", None) is not None]
    return "\n".join(text_format.MessageToString(proto, as_utf8=True) + "\n"
                     + proto.SerializeToString().decode("utf-8", "replace") for proto in protos)


@pytest.mark.parametrize("view", wall.VIEWS)
def test_the_wall_shows_the_figures_of_the_views_own_page(monkeypatch, demo_url, view):
    page = open_page(monkeypatch, demo_url, view)
    board = open_wall(monkeypatch, demo_url, view)
    shown = wall_tiles(board)
    expected = [(m.label, m.value) for m in page.metric if m.label not in PAGE_ONLY_TILES.get(view, ())]
    assert shown == expected, "the same tiles, in the same order"
    assert len(expected) == len(page.metric) - len(PAGE_ONLY_TILES.get(view, ()))
    assert len(shown) >= 6
    assert not board.metric, "drawn as the wall's own big tiles"


@pytest.mark.parametrize("view", wall.VIEWS)
def test_the_wall_draws_no_table_no_record_no_control_and_no_person(monkeypatch, demo_url, people, view):
    board = open_wall(monkeypatch, demo_url, view)
    assert not board.dataframe and not board.table, "no table"
    assert not board.expander and not board.tabs, "no list of records"
    assert not [e for e in board.main if isinstance(e, Widget)], "no control: nobody touches the wall"
    assert not board.sidebar.children, "no sidebar"
    sent = everything_sent(board)
    assert "vega" in sent and (view == "events" or "leaflet" in sent), "the charts and the map are in it"
    assert not set(ID_NUMBER.findall(sent)) & people["ids"]
    assert not set(PHONE.findall(sent)) & people["phones"]
    assert not [name for name in people["names"] if name in sent][:5]


@pytest.mark.parametrize("view", wall.VIEWS)
def test_an_empty_database_gives_each_board_its_empty_state(monkeypatch, empty_url, view):
    board = open_wall(monkeypatch, empty_url, view)
    assert wall_tiles(board), "the tiles, at zero"
    assert "所选条件下暂无数据。" in "".join(h.value for h in board.html)


# --- the screen -----------------------------------------------------------------------------------


def map_heights(at: AppTest) -> list[int]:
    """The heights the folium maps of the run were given."""
    maps = [e.proto for e in at.main if getattr(e, "type", "") == "component_instance"
            and e.proto.component_name == "streamlit_folium.st_folium"]
    return [json.loads(proto.json_args)["height"] for proto in maps]


def expected_layout(board: AppTest, size: Screen) -> wall_layout.Layout:
    """The overview's layout on `size`, from its tiles' labels and notes."""
    notes = [html.unescape(note) for h in board.html for note in NOTE.findall(h.value)]
    width = wall_layout.tile_width([label for label, _ in wall_tiles(board)], notes)
    return wall_layout.layout(size, len(notes), (3, 2), width)


def column_html(at: AppTest) -> list[str]:
    return ["".join(h.value for h in column.html) for column in at.columns]


SIZES = [Screen(1920, 1080), Screen(3840, 2160), Screen(3840, 1080), Screen(1080, 1920)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s.width}x{s.height}")
def test_the_board_is_laid_out_for_the_screen_its_browser_reported(monkeypatch, demo_url, size):
    board = open_wall(monkeypatch, demo_url, "overview", size)
    plan = expected_layout(board, size)
    css = "".join(h.value for h in board.html)
    assert f"html {{ font-size: {plan.unit:.2f}px; }}" in css
    assert map_heights(board) == [plan.main_height - 2]
    assert f"repeat({plan.tile_columns}, minmax(0, 1fr))" in css
    tiles_in_a_column = any("wall-tiles" in text for text in column_html(board))
    assert tiles_in_a_column is (plan.shape == "wide"), "beside the map on a wide wall only"


def test_until_its_browser_reports_the_wall_is_laid_out_for_1080p(monkeypatch, demo_url):
    board = open_wall(monkeypatch, demo_url, "overview")
    assert map_heights(board) == [expected_layout(board, wall_layout.FULL_HD).main_height - 2]
    assert "html { font-size: 20.00px; }" in "".join(h.value for h in board.html)


@pytest.mark.parametrize("view", ["overview", "alerts"])
def test_a_phone_gets_tiles_two_to_a_row_with_short_labels(monkeypatch, demo_url, view):
    desk = open_page(monkeypatch, demo_url, view)
    phone = open_page(monkeypatch, demo_url, view, phone=True)
    assert [m.value for m in phone.metric] == [m.value for m in desk.metric], "the same figures"
    labels = [m.label for m in phone.metric]
    assert sum(len(a) for a in labels) < sum(len(m.label) for m in desk.metric)
    assert {"overview": "在住人口", "alerts": "警情 同比"}[view] in labels
    rows = [block for block in phone.main.children.values() if getattr(block, "type", "") == "flex_container"]
    pairs = [row for row in rows if len(row.children) == 2
             and all(isinstance(c, Column) and c.get("metric") for c in row.children.values())]
    assert len(pairs) >= len(phone.metric) // 2 - 1, "two tiles to a row"
    assert map_heights(phone) == [340] and map_heights(desk) == [460]


@pytest.fixture(scope="module")
def hazard_titles(demo_url) -> set[str]:
    with get_engine(demo_url).connect() as conn:
        return set(conn.execute(select(Hazard.title).where(Hazard.lat.is_not(None))).scalars())


@pytest.mark.parametrize("view", ["overview", "hazards"])
def test_the_walls_and_a_viewers_maps_name_no_hazard(monkeypatch, demo_url, hazard_titles, view):
    """Points by level and status only: no hazard's id or title reaches the wall or a viewer;
    staff get them in the tooltips."""
    board = open_wall(monkeypatch, demo_url, view)
    at = signed_in(run(monkeypatch, demo_url, **YEAR), "viewer")
    at.run()
    if view != "overview":
        at.switch_page(f"pages/{view}.py").run()
    staff = open_page(monkeypatch, demo_url, view)
    for who, sent in (("wall", everything_sent(board)), ("viewer", everything_sent(at))):
        assert "leaflet" in sent and '"kind":"hazard"' in sent.replace("\\", ""), who
        assert "hazard_id" not in sent and not [title for title in hazard_titles if title in sent][:3], who
    assert "hazard_id" in everything_sent(staff)


@pytest.mark.parametrize("rotate", ["²", "①", "9" * 3000])
def test_the_signed_out_wall_reads_a_hostile_rotate_as_the_default(monkeypatch, demo_url, rotate):
    """Issue 15 (2): digits int() refuses, and thousands of digits, crashed the wall signed out."""
    at = run(monkeypatch, demo_url, mode="wall", playlist="overview,alerts", rotate=rotate, **YEAR).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any('<div class="wall-view">总览' in h.value for h in at.html), "the playlist's first board"
    assert any(TILE.findall(h.value) for h in at.html), "with its counts"


def test_a_board_that_fails_shows_a_short_message_on_the_wall(monkeypatch, demo_url, caplog):
    """The board reruns as a fragment, outside the page frame: it reports a failure the same way."""
    from data_access import alerts

    def broken(*args, **kwargs):
        raise RuntimeError(f"cannot read {ROOT}/data_access/secret.py")

    broken.__module__, broken.__qualname__ = alerts.__name__, "kpis"  # the data door takes queries by name
    monkeypatch.setattr(alerts, "kpis", broken)
    at = run(monkeypatch, demo_url, mode="wall", playlist="alerts", **YEAR).run()
    assert not at.exception
    assert any("本页出现错误" in e.value for e in at.error)
    assert str(ROOT) not in "".join(str(e.value) for e in (*at.error, *at.markdown))
    failure = next(r for r in caplog.records if r.name == "ui.shell")
    assert failure.getMessage().startswith("view alerts failed at ") and "secret.py" in str(failure.exc_info[1])


def test_a_header_that_fails_leaves_the_board_on_the_wall(monkeypatch, demo_url, caplog):
    """The header (title, warnings, clock) runs in the board's fragment: its failure is reported
    in its place, and the board's figures stay."""
    from ui import warnings

    def broken(*args, **kwargs):
        raise TypeError(f"cannot join {ROOT}/ui/warnings.py")

    monkeypatch.setattr(warnings, "wall_html", broken)
    at = run(monkeypatch, demo_url, mode="wall", playlist="alerts", **YEAR).run()
    assert not at.exception
    assert any("本页出现错误" in e.value for e in at.error)
    assert sum("wall-tile" in h.value for h in at.html) >= 1, "the board's tiles are still there"
    failure = next(r for r in caplog.records if r.name == "ui.shell")
    assert failure.getMessage().startswith("view wall header failed at ")
