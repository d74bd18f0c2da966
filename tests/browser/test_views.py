"""Every view in Chromium on the town demo (SQLite, as of 2026-11-23): it renders in Chinese with
no exception or console error, the map draws its villages and markers from local files only,
English labels, shared and hostile links, a click on the map, a deep link on a fresh server (the
sign-in form first, then the view), and no clear ID number anywhere in the browser.

One demo database and one server for the module; the fresh-server test (with BASEMAP=none) starts
its own server (conftest's `streamlit_server`) on the same database. A view's own checks (the
maps, a click, the masked ID numbers) run on the page load that renders it, for the suite's time.
Screenshots go to test-artifacts/screenshots/views-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from data_access.accounts import DEMO_PASSWORDS
from data_access.db import get_engine
from data_access.models import Alert, PopulationStay, Village

from ..leak_check import LeakCheck
from . import helpers
from .helpers import EXCEPTION, MAP_IFRAME, SIDEBAR

AS_OF = dt.date(2026, 11, 23)
TITLE = "倪宅区域基层治理微中心"
# Staff see the record lists (masked); a viewer only aggregates, a leader may unmask one stay.
STAFF = ("staff", DEMO_PASSWORDS["staff"])
# view: (path, a heading or label of its own that must be in the DOM, in Chinese)
VIEWS = {
    "overview": ("", "地图着色"),
    "hazards": ("hazards", "隐患清单"),
    "population": ("population", "异常待处置"),
    "alerts": ("alerts", "智能终端在线情况"),
    "events": ("events", "未办结事件"),
    "ranking": ("ranking", "排名榜"),
    "projects": ("projects", "工程进度榜"),
    "stability": ("stability", "各村涉稳、信访、调解"),
}
NAV_ZH = ("总览", "风险隐患", "流动人口", "警情", "网格事件", "村级擂台", "重点工程", "涉稳与信访调解")
SHARED = "hazards?village=倪宅村&from=2026-01-01&to=2026-03-31"
HOSTILE = "?village=%27%3B%20DROP%20TABLE%20alerts%3B--&from=2026-99-01"


# --- the demo database and the module's server -------------------------------------------------


@pytest.fixture(scope="module")
def demo_url(databases) -> str:
    return databases.demo_copy("sqlite", AS_OF).url.render_as_string(hide_password=False)  # signing in writes


@pytest.fixture(scope="module")
def base_url(demo_url, tmp_path_factory) -> str:
    with helpers.module_server(demo_url, tmp_path_factory.mktemp("views_server"), "test_views") as url:
        yield url


def _count(url: str, column) -> int:
    with get_engine(url).connect() as conn:
        return conn.execute(select(func.count(column))).scalar_one()


def _assert_clean(page, base_url: str, *paths: str) -> None:
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()
    page.assert_no_console_errors(ignore=helpers.ignored_console_errors(base_url, paths))


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


# --- every view renders, in Chinese, and sends no clear ID number ----------------------------


def _overview_map_has_every_village_stays_local_and_a_click_filters(page, base_url, demo_url, sent):
    frame = helpers.map_frame(page)
    shapes = helpers.map_shapes(frame)
    villages = _count(demo_url, Village.id)
    assert villages == 26
    assert shapes["polygons"] == villages, shapes
    assert shapes["all"] >= villages
    # Leaflet came from the app's own static files, and nothing left the machine but tiles.
    assert any(url.endswith("/app/static/vendor/leaflet/leaflet.js") for url in page.requests)
    page.assert_no_external_requests(allow_tile_hosts=True)
    assert not [r for r in page.bad_responses if "/app/static/" in r], page.bad_responses

    # A click on a village filters to it.
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    candidates = helpers.clickable_villages(frame)
    assert candidates, "no village polygon can be clicked"
    target = candidates[0]
    polygon = frame.locator("path.leaflet-interactive").nth(target["index"])
    position = {"x": target["dx"], "y": target["dy"]}
    polygon.hover(position=position)
    tooltip = frame.locator(".leaflet-tooltip").last
    tooltip.wait_for(timeout=10_000)
    tooltip_text = tooltip.inner_text()
    polygon.click(position=position)
    helpers.url_has(page, r"[?&]village=")
    helpers.wait_for_app(page)
    (village,) = _query(page)["village"]
    assert village in tooltip_text, (village, tooltip_text)
    tags = helpers.sidebar_villages(page)
    assert len(tags) == 1 and tags[0].endswith(village), tags
    # The clicked village is outlined as selected and the map redrawn without an error.
    assert helpers.map_shapes(helpers.map_frame(page))["polygons"] == 26


def _hazard_map_has_markers(page, base_url, demo_url, sent):
    shapes = helpers.map_shapes(helpers.map_frame(page))
    assert shapes["polygons"] == 26, shapes
    assert shapes["circles"] > 0, shapes
    open_hazards = dict(helpers.metrics(page))["未化解"]
    # Every hazard found in the period is drawn: at least the open ones.
    assert shapes["circles"] >= int(open_hazards.replace(",", "")), (shapes, open_hazards)
    page.assert_no_external_requests(allow_tile_hosts=True)


def _population_shows_masked_id_numbers(page, base_url, demo_url, sent):
    # The tables draw on a canvas; their accessible copy in the DOM exists once they are in view.
    tables = page.locator("[data-testid='stMain'] [data-testid='stDataFrame']")
    assert tables.count() >= 2
    shown = [table for table in tables.all() if table.is_visible()]  # the others are in hidden tabs
    for table in shown:
        table.scroll_into_view_if_needed()
    shown[0].scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    assert helpers.digits_masked(page.content()), "no masked ID number in the page"
    # The tables travel as Arrow bytes over the websocket.
    assert len(b"".join(sent)) > 10_000
    assert re.search(rb"\d{4}\*{6,}[\dX]{4}", b"".join(sent))


# What a view checks beyond what every view does, on the same page load.
VIEW_CHECKS = {
    "overview": _overview_map_has_every_village_stays_local_and_a_click_filters,
    "hazards": _hazard_map_has_markers,
    "population": _population_shows_masked_id_numbers,
}


@pytest.fixture(scope="module")
def id_numbers(demo_url) -> LeakCheck:
    with get_engine(demo_url).connect() as conn:
        ids = LeakCheck(row[0] for row in conn.execute(select(PopulationStay.id_number)))
    assert len(ids) > 100
    return ids


@pytest.mark.parametrize("view", list(VIEWS))
def test_view_renders_in_chinese_and_shows_no_clear_id_number(page, base_url, demo_url, id_numbers, view):
    path, heading = VIEWS[view]
    sent = helpers.record_websocket(page)
    helpers.open_view(page, base_url, path, STAFF)

    assert urlsplit(page.url).path == f"/{path}", "the view's own address, kept"
    assert page.get_by_text("Page not found").count() == 0 and page.locator("[role='dialog']").count() == 0
    assert page.title() == TITLE
    main = page.locator("[data-testid='stMain']").inner_text()
    assert heading in main
    assert "演示数据" in main  # the demo banner
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert all(label in nav for label in NAV_ZH), nav
    assert page.locator("[data-testid='stMetric']").count() >= 4
    # Every chart drew something (a "no data" chart is a caption, not a vega-embed).
    assert page.locator("[data-testid='stVegaLiteChart'], .vega-embed").count() >= 1
    # Chinese is drawn with glyphs: the app's CJK webfont is loaded and used.
    fonts = page.evaluate(
        """async () => { await document.fonts.ready;
            return [...document.fonts].filter(f => f.family.replaceAll('"', '') === 'Noto Sans SC Web')
                                      .map(f => f.status); }"""
    )
    assert "loaded" in fonts, fonts
    helpers.tall_screenshot(page, f"views-{view}")
    if view in VIEW_CHECKS:
        VIEW_CHECKS[view](page, base_url, demo_url, sent)
    # Staff see ID numbers masked, in the page and in everything the server sent.
    assert not id_numbers.found_in(page.content(), *sent)[:5], "a clear ID number reached the browser"
    _assert_clean(page, base_url, path)


# --- English -----------------------------------------------------------------------------------


def test_english_labels(page, base_url):
    helpers.open_view(page, base_url, "?lang=en", STAFF)
    nav = page.locator("[data-testid='stSidebarNav']")
    text = nav.inner_text()
    assert "Overview" in text and "Risk hazards" in text, text
    assert "风险隐患" not in text
    assert "lang=en" in page.url
    # Same session, through the navigation: the language stays.
    nav.get_by_text("Grid events").click()
    helpers.url_has(page, r"/events")
    helpers.wait_for_app(page)
    main = page.locator("[data-testid='stMain']").inner_text()
    assert "Closure rate" in main and "办结率" not in main
    helpers.tall_screenshot(page, "views-events-en")
    _assert_clean(page, base_url)


# --- a shared link opens filtered; a change goes back into the URL --------------------------


def test_shared_link_opens_filtered_and_changes_update_the_url(page, base_url):
    helpers.open_view(page, base_url, SHARED, STAFF)
    tags = helpers.sidebar_villages(page)
    assert len(tags) == 1 and tags[0].endswith("倪宅村"), tags
    query = _query(page)
    assert (query.get("village"), query.get("from"), query.get("to")) == (
        ["倪宅村"],
        ["2026-01-01"],
        ["2026-03-31"],
    ), page.url
    start = page.locator(f"{SIDEBAR} [data-testid='stDateInput']").inner_text()
    assert "01" in start and "2026" in start
    _assert_clean(page, base_url, "hazards")

    page.evaluate("window.__no_reload = 'still here'")
    page.locator(f"{SIDEBAR} [data-testid='stSelectbox']").click()
    page.locator("[role='option']", has_text="近30天").click()
    helpers.url_has(page, r"[?&]period=30d")
    helpers.wait_for_app(page)
    query = _query(page)
    assert query.get("period") == ["30d"] and "from" not in query and "to" not in query, page.url
    assert query.get("village") == ["倪宅村"], page.url
    assert page.evaluate("window.__no_reload") == "still here", "the page was reloaded"


# --- a hostile URL -----------------------------------------------------------------------------


def test_hostile_url_is_refused_with_a_warning(page, base_url, demo_url):
    alerts_before = _count(demo_url, Alert.id)
    helpers.open_view(page, base_url, HOSTILE, STAFF)
    warnings = page.locator("[data-testid='stAlert']").filter(
        has=page.locator("[data-testid='stAlertContentWarning']")
    )
    assert warnings.count() >= 1
    text = " ".join(w.inner_text() for w in warnings.all())
    assert "村名" in text and "日期" in text, text
    assert page.locator(EXCEPTION).count() == 0
    assert "DROP" not in page.url and "2026-99" not in page.url, page.url
    assert helpers.sidebar_villages(page) == []
    assert _count(demo_url, Alert.id) == alerts_before
    helpers.tall_screenshot(page, "views-hostile-url")
    _assert_clean(page, base_url)


# --- a deep link on a fresh server with no basemap ------------------------------------------------


def test_deep_link_on_a_fresh_server_with_no_basemap(page, browser, base_url, streamlit_server, demo_url):
    """The server's very first session, signed out, on a hand-typed deep link: the sign-in form and
    no data, then the view; with BASEMAP=none the map draws its villages and no request at all
    leaves the machine. The same view reached through the navigation shows the same figures."""
    fresh = streamlit_server(demo_url, extra_env={"BASEMAP": "none"})
    page.open_app(fresh, "hazards")
    helpers.assert_sign_in_form_and_no_data(page)
    assert "排查隐患" not in page.content()
    page.screenshot_to("views-hazards-fresh-server-signed-out")
    helpers.sign_in_if_asked(page, *STAFF)
    assert urlsplit(page.url).path == "/hazards"
    assert page.get_by_label("密码").count() == 0 and "stMetric" in helpers.shown_data(page)
    assert page.title() == TITLE
    assert page.locator(f"{SIDEBAR} [data-testid='stMultiSelect']").count() >= 1, "no filter bar"
    assert page.locator(f"{SIDEBAR} [data-testid='stSelectbox']").count() == 1
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert all(label in nav for label in NAV_ZH), nav
    assert "隐患清单" in page.locator("[data-testid='stMain']").inner_text()
    shapes = helpers.map_shapes(helpers.map_frame(page))
    assert shapes["polygons"] == 26, shapes
    helpers.wait_for_app(page)
    page.assert_no_external_requests(allow_tile_hosts=False)
    assert not page.failed_requests, page.failed_requests
    assert not any("tile" in r for r in page.requests if "127.0.0.1" not in r)
    _assert_clean(page, fresh, "hazards")
    deep = helpers.metrics(page)
    helpers.tall_screenshot(page, "views-hazards-fresh-server")

    routed_context = browser.new_context(viewport=page.viewport_size, locale="zh-CN")
    try:
        routed = routed_context.new_page()
        routed.goto(base_url)
        helpers.wait_for_app(routed)
        helpers.sign_in_if_asked(routed, *STAFF)
        routed.locator("[data-testid='stSidebarNav']").get_by_text("风险隐患").click()
        routed.wait_for_function("() => location.pathname === '/hazards'")
        helpers.wait_for_app(routed)
        assert helpers.metrics(routed) == deep
    finally:
        routed_context.close()
