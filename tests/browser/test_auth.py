"""Sign-in in Chromium: a hand-typed deep link in a new tab shows the sign-in form and no data,
then the page once signed in; no view shows a clear name, ID number or phone of any demo
stay to a viewer or staff (the wall screen, which needs no sign-in, is checked for the same in
test_wall.py); a leader's way to an item and back; text from a file or a link stays text.

A Streamlit session lives as long as its browser tab's connection, so a test signs in once
and moves between views with the sidebar's links (a reload would ask to sign in again).
One server for the module, on its own copy of the demo.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data_access.db import get_engine
from data_access.filters import local_today
from ui.markdown import WORD_JOINER

from ..leak_check import LeakCheck
from .conftest import wait_for_app
from .helpers import (
    FORM,
    assert_sign_in_form_and_no_data,
    demo_people,
    html_of_everything,
    map_frame,
    map_shapes,
    module_server,
    record_websocket,
    shown_data,
)

pytestmark = pytest.mark.browser

ENV = {"BASEMAP": "none"}  # no tile server: nothing leaves the machine
VIEW_TITLES = {"overview": "总览", "hazards": "风险隐患", "review": "风险研判", "population": "流动人口",
               "alerts": "警情", "events": "网格事件", "ranking": "村级擂台", "projects": "重点工程",
               "stability": "涉稳与信访调解", "warnings": "预警", "imports": "数据导入"}
LEDGERS = ("ranking", "projects", "stability")
VIEWS_FOR = {"viewer": ("overview", "hazards", "population", "alerts", "events", *LEDGERS),
             "staff": ("overview", "hazards", "review", "population", "alerts", "events", *LEDGERS, "warnings",
                       "imports")}
# Listed in the navigation, but not opened here, for the suite's time: what the ledger views send
# a viewer and staff is checked against their people with AppTest (tests/pages/).
NOT_OPENED = LEDGERS


@pytest.fixture(scope="module")
def demo_url(databases) -> str:
    return str(databases.demo_copy("sqlite", local_today()).url)  # signing in writes


@pytest.fixture(scope="module")
def base_url(demo_url, tmp_path_factory) -> str:
    """The module's server, for the tests that need no fresh one."""
    with module_server(demo_url, tmp_path_factory.mktemp("auth_server"), "test_auth", extra_env=ENV) as url:
        yield url


@pytest.fixture(scope="module")
def people(demo_url) -> LeakCheck:
    """Every clear name, ID number and phone of the demo's stays and landlords."""
    with get_engine(demo_url).connect() as conn:
        values = LeakCheck(demo_people(conn))
    assert len(values) > 1000
    return values


def sign_in(page, name: str) -> None:
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(f"{name}-demo")
    page.locator(FORM).get_by_role("button", name="登录").click()
    page.locator("[data-testid='stSidebar']").get_by_text(f"{name}", exact=True).wait_for(timeout=60_000)
    wait_for_app(page)


# A new tab is a new session, signed out. The very first session of a fresh server is
# tests/browser/test_views.py's deep link to /hazards, which signs in the same way.
@pytest.mark.parametrize(("path", "heading"), [("/review", "隐患清单（最急优先）")])
def test_a_deep_link_asks_to_sign_in_first(page, base_url, path, heading):
    page.open_app(base_url, f"{path}?village=倪宅村")
    assert_sign_in_form_and_no_data(page)
    html = page.content()
    assert heading not in html and "排查隐患" not in html
    page.screenshot_to(f"auth-deep-link-{path.strip('/')}-signed-out")

    sign_in(page, "staff")
    assert page.url.startswith(f"{base_url}{path}"), page.url
    page.get_by_text(heading, exact=True).first.wait_for(timeout=60_000)
    assert page.locator(FORM).count() == 0 or page.get_by_label("密码").count() == 0
    assert "stMetric" in shown_data(page)
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot_to(f"auth-deep-link-{path.strip('/')}-signed-in")
    page.assert_no_external_requests(allow_tile_hosts=False)


@pytest.mark.parametrize("role", ["viewer", "staff"])
def test_no_view_shows_a_clear_person(page, base_url, people, role):
    received = record_websocket(page)
    page.open_app(base_url)
    sign_in(page, role)
    nav = page.locator("[data-testid='stSidebarNav']")
    listed = [VIEW_TITLES[v] for v in VIEWS_FOR[role]]
    shown = [text.split()[-1] for text in nav.get_by_role("link").all_inner_texts()]  # icon, then title
    assert shown == listed, "the role's views, and only those"
    for view in (view for view in VIEWS_FOR[role] if view not in NOT_OPENED):
        nav.get_by_role("link", name=VIEW_TITLES[view]).click()
        wait_for_app(page)
        assert page.locator("[data-testid='stException']").count() == 0, view
        html = html_of_everything(page)
        assert not people.found_in(html, *received)[:5], view
        if role == "viewer" and view in ("hazards", "population", "events"):
            assert "需要工作人员权限查看明细" in html
        page.screenshot_to(f"auth-{role}-{view}")


def test_a_leader_opens_the_worst_item_and_its_map_says_where_without_tiles(page, base_url):
    page.open_app(base_url, "/review")
    sign_in(page, "leader")
    page.get_by_role("link", name="打开").click()
    page.get_by_text("处置经过", exact=True).wait_for(timeout=60_000)
    wait_for_app(page)
    assert "id=" in page.url
    shapes = map_shapes(map_frame(page))
    assert shapes["circles"] == 1, "the item itself"
    assert shapes["polygons"] >= 26, "inside the village outlines, drawn with no basemap"
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_role("button", name="提交批示").count() == 1
    page.screenshot_to("auth-leader-item")
    page.assert_no_external_requests(allow_tile_hosts=False)


def test_a_tick_on_a_listed_row_opens_the_item_and_the_way_back_keeps_the_narrowing(page, base_url):
    page.open_app(base_url, "/review?level=%E9%87%8D%E5%A4%A7")  # level=重大
    sign_in(page, "leader")
    table = page.locator("[data-testid='stDataFrame']").first
    box = table.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 53)  # the first row's box, under the header row
    page.get_by_text("处置经过", exact=True).wait_for(timeout=60_000)
    wait_for_app(page)
    assert "/hazard?" in page.url and "id=" in page.url
    assert page.locator("[data-testid='stException']").count() == 0
    assert "重大" in page.locator("[data-testid='stMetric']").first.inner_text(), "the first item listed is 重大"

    page.get_by_text("返回风险研判").click()
    page.get_by_text("隐患清单（最急优先）", exact=True).wait_for(timeout=60_000)
    wait_for_app(page)
    assert "/review?" in page.url and "level=%E9%87%8D%E5%A4%A7" in page.url, page.url
    page.wait_for_timeout(1500)  # no tick is left over to open the item again
    assert "/review?" in page.url
    assert page.locator("[data-testid='stException']").count() == 0


# Each view's address and a text only that view shows. "/", /hazards, /population, /alerts and
# /events are opened by their address, signed in, by tests/browser/test_views.py's
# test_view_renders_in_chinese, with the same checks.
VIEW_ADDRESSES = {"/overview": "地图着色", "/review": "导出", "/import": "导入内容"}


def test_every_view_s_own_address_opens_that_view_with_no_page_not_found(page, base_url):
    for path, text in VIEW_ADDRESSES.items():
        page.open_app(base_url, path)
        sign_in(page, "staff")
        page.get_by_text(text, exact=True).first.wait_for(timeout=60_000)
        assert page.get_by_text("Page not found").count() == 0, path
        assert page.locator("[role='dialog']").count() == 0, path
        assert page.url.rstrip("/") == f"{base_url}{path}".rstrip("/"), (path, page.url)
        assert page.locator("[data-testid='stException']").count() == 0, path


HOSTILE_TITLE = "[点此重新登录](http://evil.example/login) 或 www.evil.example **急**"
HOSTILE_LINKS = "a[href*='evil.example'], strong:has-text('急')"  # a live link, or Markdown's bold


def test_text_from_a_file_or_a_link_shows_as_text_not_as_a_link(page, base_url, demo_url):
    """Issue 15 (5): an imported title, and village names in a shared link, are shown as written:
    no live link (Markdown, or a bare address that GitHub-flavoured Markdown would link), no bold."""
    from data_access.db import get_engine
    from data_access.models import Village

    from ..factories import hazard

    with get_engine(demo_url).begin() as conn:
        village_id = conn.execute(select(Village.id).where(Village.name == "倪宅村")).scalar_one()
        hazard_id = hazard(conn, village_id, local_today(), title=HOSTILE_TITLE, is_demo=True)

    page.open_app(base_url, f"/hazard?id={hazard_id}")
    sign_in(page, "staff")
    page.get_by_text("处置经过", exact=True).wait_for(timeout=60_000)
    title = page.locator("h3").filter(has_text="点此重新登录").first.inner_text()
    assert title.replace(WORD_JOINER, "") == HOSTILE_TITLE, "the title as written (joiners are invisible)"
    assert page.locator(HOSTILE_LINKS).count() == 0, page.locator(HOSTILE_LINKS).evaluate_all(
        "els => els.map(e => e.outerHTML + ' IN ' + e.parentElement.outerHTML.slice(0, 300))")

    page.open_app(base_url, "/hazards?village=%5Bx%5D(%2F%2Fevil.example)&village=www.evil.example")
    sign_in(page, "staff")
    warning = page.locator("[data-testid='stAlert']").filter(has_text="evil.example").first
    warning.wait_for(timeout=60_000)
    assert "[x](//evil.example), www.evil.example" in warning.inner_text().replace(WORD_JOINER, "")
    assert page.locator(HOSTILE_LINKS).count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
