"""Two app processes behind nginx on one PostgreSQL (deploy/serve.py, deploy/nginx.conf), in
Chromium: each browser keeps to one process (nginx's route cookie), the sessions are served by
both, a leader's sign-in holds across reruns and page moves, and a leader's write through one
process shows on a wall screen served by the other within CACHE_TTL_S.

Which process served a request is read from nginx's access log (`upstream=… route=…`): the
route key is the browser's cookie, and a websocket's line is written when it closes.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from data_access.filters import local_today
from deploy import serve

from .conftest import ARTIFACTS_DIR, AppPage, wait_for_app
from .helpers import FORM, SIDEBAR, sign_in_if_asked
from .wall_support import BASE_ENV, count, tiles

pytestmark = pytest.mark.browser

CACHE_TTL_S = 3
WALL_REFRESH_S = 1
ENV = BASE_ENV | {"CACHE_TTL_S": str(CACHE_TTL_S), "WALL_REFRESH_S": str(WALL_REFRESH_S)}
OPEN = "未化解"  # the hazards board's tile of open hazards
LOG_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) \S+ \S+ '
                      r"upstream=(?P<upstream>.+) route=(?P<route>\S+)$")


@pytest.fixture(scope="module")
def pg_url(databases) -> str:
    if not os.environ.get("TEST_DATABASE_URL"):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true needs TEST_DATABASE_URL", pytrace=False)
        pytest.skip("TEST_DATABASE_URL not set: the processes share a PostgreSQL")
    return databases.demo_copy("postgresql", local_today()).url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def proxy(pg_url) -> Iterator[serve.Deployment]:
    if shutil.which("nginx") is None and not os.access("/usr/sbin/nginx", os.X_OK):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true: nginx missing (scripts/setup.sh test installs it)", pytrace=False)
        pytest.skip("nginx missing (apt-get install nginx)")
    # In /tmp itself: run as root, nginx is started as `nobody`, who must reach its folder.
    prefix = Path(tempfile.mkdtemp(prefix="huajie-proxy-test-"))
    try:
        with serve.start(2, port=None, prefix=prefix, env=ENV | {"DATABASE_URL": pg_url}, init=False) as deployment:
            yield deployment
    finally:
        logs = ARTIFACTS_DIR / "logs" / "test_proxy"
        shutil.rmtree(logs, ignore_errors=True)
        shutil.copytree(prefix / "logs", logs, dirs_exist_ok=True)
        shutil.rmtree(prefix, ignore_errors=True)


def log_lines(deployment: serve.Deployment) -> list[dict[str, str]]:
    lines = deployment.access_log.read_text(encoding="utf-8").splitlines()
    return [match.groupdict() for line in lines if (match := LOG_LINE.search(line))]


def get(deployment: serve.Deployment, path: str, route: str | None = None):
    request = urllib.request.Request(deployment.url + path, headers={"Cookie": f"huajie_route={route}"} if route else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def served_by(deployment: serve.Deployment, route: str, *, wait_s: float = 5) -> set[str]:
    """The processes nginx's log says served `route` (waiting for a first line: nginx writes it
    just after the response, so a client can read the response before the line is there)."""
    deadline = time.monotonic() + wait_s
    while True:
        found = {line["upstream"] for line in log_lines(deployment) if line["route"] == route}
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.fixture(scope="module")
def routes(proxy) -> dict[str, str]:
    """A route cookie for each process (its address): nginx hashes the cookie, so try a few."""
    found: dict[str, str] = {}
    for i in range(50):
        route = f"test-{i}"
        get(proxy, "/_stcore/health", route)
        (upstream,) = served_by(proxy, route)
        found.setdefault(upstream, route)
        if len(found) == len(proxy.apps):
            return found
    pytest.fail(f"no route cookie found for every process: {found}")


def test_the_proxy_gives_a_browser_one_process_and_nothing_but_the_app(proxy, routes):
    status, headers, body = get(proxy, "/")
    assert status == 200 and b"<div id=\"root\">" in body
    cookie = next(v for v in headers.get_all("Set-Cookie") if v.startswith("huajie_route="))
    assert "HttpOnly" in cookie and "Path=/" in cookie
    route = cookie.split(";")[0].split("=", 1)[1]
    assert headers["Server"] == "nginx", "no version"
    status, headers, _ = get(proxy, "/_stcore/health", route)
    assert status == 200
    assert not [v for v in headers.get_all("Set-Cookie") or [] if v.startswith("huajie_route=")], "set once"

    assert set(routes) == {f"127.0.0.1:{app.port}" for app in proxy.apps}
    for upstream, route in routes.items():
        for path in ("/_stcore/health", "/_stcore/host-config", "/"):
            assert get(proxy, path, route)[0] == 200
        assert served_by(proxy, route) == {upstream}, "a browser keeps to its process"
    assert get(proxy, "/_stcore/metrics")[0] == 404


def test_two_processes_share_the_sessions_a_sign_in_holds_and_a_write_shows_on_the_other(
    proxy, routes, browser, page
):
    (first, leader_route), (second, wall_route) = routes.items()
    page.context.add_cookies([{"name": "huajie_route", "value": leader_route, "url": proxy.url}])
    # The leader signs in through one process and keeps the role across reruns and page moves
    # (the list of items being rectified: the next step of the worst one resolves it).
    page.open_app(proxy.url, "/review?status=%E6%95%B4%E6%94%B9%E4%B8%AD")  # status=整改中
    assert sign_in_if_asked(page, "leader", "leader-demo")
    nav = page.locator("[data-testid='stSidebarNav']")
    for title in ("网格事件", "风险研判"):
        nav.get_by_role("link", name=title).click()
        wait_for_app(page)
        assert page.get_by_label("密码").count() == 0, f"{title}: still signed in"
    page.get_by_role("link", name="打开").click()
    page.get_by_text("处置经过", exact=True).wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.locator(SIDEBAR).get_by_text("leader", exact=True).count() == 1

    # A wall screen on the other process (it refreshes itself every WALL_REFRESH_S).
    wall_context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN",
                                       timezone_id="Asia/Shanghai")
    try:
        wall_context.add_cookies([{"name": "huajie_route", "value": wall_route, "url": proxy.url}])
        wall = AppPage(wall_context.new_page())
        wall.open_app(proxy.url, "/?mode=wall&playlist=hazards", wait=False)
        wall.locator(".wall-tile", has_text=OPEN).wait_for(timeout=60_000)  # (its map need not be drawn)
        wall.wait_for_app()
        open_before = count(tiles(wall)[OPEN])

        # The leader's write, through the first process: the item resolved.
        page.get_by_role("tab", name="状态").click()
        form = page.locator(FORM).filter(has=page.get_by_role("button", name="变更状态"))
        form.get_by_role("button", name="变更状态").click()
        page.get_by_text("状态已保存。").wait_for(timeout=30_000)
        written = time.monotonic()
        wait_for_app(page)
        assert "已化解" in page.locator("[data-testid='stMetric']").nth(1).inner_text(), "the item's status tile"
        assert page.get_by_role("button", name="提交批示").count() == 1, "still a leader after the rerun"

        # The other process shows it once its cached figures expire.
        while count(tiles(wall)[OPEN]) != open_before - 1:
            assert time.monotonic() - written < CACHE_TTL_S + WALL_REFRESH_S + 5, (
                f"{OPEN} still {tiles(wall)[OPEN]} on the other process, expected {open_before - 1}")
            wall.wait_for_timeout(200)
        took = time.monotonic() - written
        assert took <= CACHE_TTL_S + WALL_REFRESH_S + 2, f"seen after {took:.1f} s"
        assert wall.locator("[data-testid='stException']").count() == 0
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        wall_context.close()
    page.context.close()  # the websockets close, and nginx logs them

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        streams = [line for line in log_lines(proxy) if line["path"].startswith("/_stcore/stream")
                   and line["route"] in (leader_route, wall_route)]
        if {line["route"] for line in streams} == {leader_route, wall_route}:
            break
        time.sleep(0.2)
    assert {line["route"]: line["status"] for line in streams} == {leader_route: "101", wall_route: "101"}
    assert served_by(proxy, leader_route) == {first}, "every request of the leader's browser, one process"
    assert served_by(proxy, wall_route) == {second}, "the wall's, the other"
