# ruff: noqa: E501  (the JavaScript snippets read better unwrapped)
"""What the wall-screen browser tests share: the screens and the wall's address, reading
its board and tiles and what it is sent, waiting for it, writing events behind its back, a TCP
proxy that cuts PostgreSQL off, and the outage check. test_wall.py looks at the wall on one
server of its module; test_wall_refresh.py waits for it on servers of their own."""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import Engine, insert, select

from data_access.filters import local_now
from data_access.models import GridEvent, Village

VILLAGES = ("倪宅村", "凤凰村", "桃源村", "上京岭村")  # the micro-centre's four
VILLAGE_QUERY = "&".join(f"village={quote(v)}" for v in VILLAGES)
MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"
MAP_VIEWS = ("overview", "hazards", "population", "alerts", "ranking", "projects", "stability")
# Issue 16's table (1080p, 4K at 1:1, two 1080p panels side by side, a 3×3 wall of 1080p panels),
# the smallest screen, and a portrait one.
# 3840×2160 has 5760×3240's aspect and layout at two thirds of its unit (tests/ui/test_wall_layout.py
# checks both): the larger one stands for it in the browser, for the suite's time.
SCREENS = ((1920, 1080), (3840, 1080), (5760, 3240), (1280, 720), (1080, 1920))
FULL_HD = {"width": 1920, "height": 1080}
# The boards of issue 18 (the ranking, the key projects) cost 4-17 s each per screen in Chromium
# (measured: 40-50 s each over the six screens, all passing): for the suite's 7-minute budget they
# are checked on the smallest screen and on the wide one whose map sits beside the tiles only.
MIN_FONT_PX = 18  # at 1080p; in proportion to the screen's shorter side elsewhere (36 px at 4K)
MIN_SHARE_USED = 0.85  # of the screen's height and width, by the tiles, map and charts
BASE_ENV = {"BASEMAP": "none"}  # no tile server: nothing leaves the machine
INTERVAL_S = 2  # WALL_REFRESH_S and CACHE_TTL_S of the refresh and outage tests
FAST_ENV = BASE_ENV | {"WALL_REFRESH_S": str(INTERVAL_S), "CACHE_TTL_S": str(INTERVAL_S)}
PG_CONNECT_TIMEOUT_S = 5  # data_access.db: connect_timeout
NEW_EVENTS = "新增事件"
STALE = re.compile(r"^数据更新中断，最后更新 (\d{2}):(\d{2})$")
CHROME_TEST_IDS = (
    "stSidebar",
    "stSidebarCollapsedControl",
    "stSidebarNav",
    "stToolbar",
    "stHeader",
    "stDecoration",
    "stMainMenu",
    "stMainMenuButton",
    "stStatusWidget",
    "stAppDeployButton",
)


def wall_url(view: str | None = None, extra: str = "") -> str:
    return "/?mode=wall" + (f"&playlist={view}" if view else "") + f"&{VILLAGE_QUERY}" + extra


# --- writing behind the wall's back ---------------------------------------------------------------


def add_events(engine: Engine, n: int) -> None:
    """n grid events reported a minute ago in 倪宅村 (demo records, so the database stays demo-only)."""
    with engine.begin() as conn:
        village_id = conn.execute(select(Village.id).where(Village.name == VILLAGES[0])).scalar_one()
        conn.execute(
            insert(GridEvent),
            [
                {
                    "source_id": f"wall-test-{uuid.uuid4().hex}",
                    "category": "矛盾纠纷",
                    "village_id": village_id,
                    "reported_at": local_now().replace(microsecond=0) - dt.timedelta(minutes=1),
                    "is_demo": True,
                }
                for _ in range(n)
            ],
        )


# --- personal data -------------------------------------------------------------------------------


# --- reading the screen --------------------------------------------------------------------------

_VISIBLE_JS = """
const visible = (e) => {
  const r = e.getBoundingClientRect();
  if (r.width < 1 || r.height < 1) return false;
  const s = getComputedStyle(e);
  if (s.visibility === 'hidden' || s.display === 'none') return false;
  for (let a = e; a && a.nodeType === 1; a = a.parentElement) {
    if (parseFloat(getComputedStyle(a).opacity) === 0) return false;
  }
  return true;
};
const name = (e) => (e.dataset && e.dataset.testid) || (e.className && (e.className.baseVal ?? e.className)) || e.tagName;
"""
CHROME_JS = (
    "(ids) => {"
    + _VISIBLE_JS
    + """
  const found = [];
  for (const id of ids) for (const e of document.querySelectorAll(`[data-testid='${id}']`)) if (visible(e)) found.push(id);
  for (const e of document.querySelectorAll('#MainMenu')) if (visible(e)) found.push('#MainMenu');
  for (const e of document.querySelectorAll('body *')) {
    const own = [...e.childNodes].some(n => n.nodeType === 3 && /deploy/i.test(n.textContent));
    if (own && visible(e)) found.push('Deploy: ' + e.tagName);
  }
  return found;
}"""
)
OVERFLOW_JS = (
    "() => {"
    + _VISIBLE_JS
    + """
  const problems = [];
  const root = document.documentElement;
  if (root.scrollHeight > innerHeight) problems.push(`document ${root.scrollHeight} > ${innerHeight}`);
  const named = ['stApp', 'stAppViewContainer', 'stMain', 'stMainBlockContainer'];
  const containers = [root, document.body, ...named.flatMap(id => [...document.querySelectorAll(`[data-testid='${id}']`)])];
  for (const e of document.querySelectorAll('*')) {
    if (['auto', 'scroll', 'overlay'].includes(getComputedStyle(e).overflowY)) containers.push(e);
  }
  for (const e of new Set(containers)) {
    if (e.clientHeight > 0 && e.scrollHeight > e.clientHeight + 1) problems.push(`${name(e)} scrolls: ${e.scrollHeight} > ${e.clientHeight}`);
  }
  for (const e of document.querySelectorAll('body *')) {
    if (!visible(e)) continue;
    const r = e.getBoundingClientRect();
    if (r.bottom > innerHeight + 0.5) problems.push(`${name(e)} ends at y=${r.bottom.toFixed(0)} > ${innerHeight}`);
    if (r.right > innerWidth + 0.5) problems.push(`${name(e)} ends at x=${r.right.toFixed(0)} > ${innerWidth}`);
  }
  return problems;
}"""
)
FONTS_JS = (
    "() => {"
    + _VISIBLE_JS
    + """
  const sizes = [];
  for (const e of document.querySelectorAll('body *')) {
    if (!['SCRIPT', 'STYLE', 'NOSCRIPT', 'TITLE'].includes(e.tagName)
        && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) && visible(e)) {
      sizes.push([parseFloat(getComputedStyle(e).fontSize), name(e).toString().slice(0, 40), e.textContent.trim().slice(0, 30)]);
    }
  }
  return sizes;
}"""
)
# The box around the tiles, the map and the charts, as shares of the screen's height and width.
USED_JS = """() => {
  const boxes = [...document.querySelectorAll(".wall-tile, [data-testid='stVegaLiteChart'], iframe[title='streamlit_folium.st_folium']")]
    .map(e => e.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
  const top = Math.min(...boxes.map(r => r.top)), bottom = Math.max(...boxes.map(r => r.bottom));
  const left = Math.min(...boxes.map(r => r.left)), right = Math.max(...boxes.map(r => r.right));
  return {height: (bottom - top) / innerHeight, width: (right - left) / innerWidth, top: top};
}"""
# Text cut short inside its box (an ellipsis, or hidden overflow).
CLIPPED_JS = """() => [...document.querySelectorAll('.wall-tile > div, .wall-view, .wall-status, .wall-stale, .wall-title, .wall-clock, .wall-warn, .wall-ticker-item')]
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => `${e.className}: ${e.textContent.trim().slice(0, 30)}`)"""
TILES_JS = """() => Object.fromEntries([...document.querySelectorAll('.wall-tile')].map(
  t => [t.querySelector('.label').textContent, t.querySelector('.value').textContent]))"""
# Records in the page each view that comes on screen (window.wallViews: [view, ms]): the rotation
# is timed by the page's clock, whatever the test does meanwhile.
RECORD_VIEWS_JS = """() => { window.wallViews = [];
  setInterval(() => {
    const views = [...document.querySelectorAll("[class*='st-key-wall-view-']")].map(
      e => [...e.classList].find(c => c.startsWith('st-key-wall-view-')).slice('st-key-wall-view-'.length));
    const last = window.wallViews[window.wallViews.length - 1];
    if (views.length === 1 && (!last || last[0] !== views[0])) window.wallViews.push([views[0], performance.now()]);
  }, 100); }"""
# In the map's iframe: the Leaflet map, settled (no zoom animation), with its village labels.
MAP_JS = """() => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] && window[k].latLngToContainerPoint);
  if (!key) return null;
  const m = window[key];
  let labels = 0, misplaced = [];
  m.eachLayer(l => {
    const t = l.getTooltip && l.getTooltip();
    if (!t || !l.getCenter || !t.getElement()) return;
    labels++;
    const r = t.getElement().getBoundingClientRect(), c = m.latLngToContainerPoint(l.getCenter());
    if (Math.abs(r.x + r.width / 2 - c.x) > 3 || Math.abs(r.y + r.height / 2 - c.y) > 3) misplaced.push(t.getElement().textContent);
  });
  return {animating: !!m._animatingZoom, labels, misplaced};
}"""


def map_frame(page):
    frames = [f for f in page.frames if "streamlit_folium" in f.url]
    return frames[0] if frames else None


# The wall's unit (ui/wall_layout.py): the page's root font size, and the one the map was built for.
UNIT_JS = "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
MAP_UNIT_JS = "() => parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--wall-unit'))"


def wait_for_board(page, view: str, timeout_s: float = 60) -> None:
    """The board `view` drawn: script idle, no skeleton, charts drawn, web fonts in, map settled."""
    page.locator(f".st-key-wall-view-{view}").first.wait_for(timeout=timeout_s * 1000)
    page.wait_for_app()
    page.wait_for_function(
        """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
        .every(c => c.querySelector('svg, canvas'))""",
        timeout=timeout_s * 1000,
    )
    page.evaluate("async () => { await document.fonts.ready; }")
    if view in MAP_VIEWS:
        page.locator(MAP_IFRAME).wait_for(timeout=timeout_s * 1000)
        deadline = time.monotonic() + timeout_s
        state = None
        unit = page.evaluate(UNIT_JS)
        while time.monotonic() < deadline:
            frame = map_frame(page)
            try:
                state = frame.evaluate(MAP_JS) if frame else None
                # The map drawn is the one built for this screen (after a resize, the one built
                # before it stays a moment, until the new run's replaces it).
                current = frame is not None and abs(frame.evaluate(MAP_UNIT_JS) - unit) < 0.11
            except PlaywrightError:  # the frame was replaced while it was read
                state, current = None, False
            if current and state and not state["animating"] and state["labels"] and not state["misplaced"]:
                break
            page.wait_for_timeout(200)  # (not time.sleep: Playwright must keep taking events)
        assert state and state["labels"] and not state["animating"], f"{view}: map not drawn: {state}"
        assert not state["misplaced"], f"{view}: village labels off their polygons: {state['misplaced']}"
        frame.evaluate("async () => { await document.fonts.ready; }")
    page.wait_for_timeout(300)


def map_text_sizes(page, view: str, tries: int = 3) -> list:
    """FONTS_JS in the board's map, once the map drawn is the one its last run sent. After a
    resize the wall's map is built for the new unit, and its iframe is replaced a moment after
    the run has finished: one read meanwhile finds no text, or a frame going away. Then the board
    is waited for again."""
    for _ in range(tries):
        frame = map_frame(page)
        try:
            sizes = frame.evaluate(FONTS_JS) if frame else []
        except PlaywrightError:  # the frame was replaced while it was read
            sizes = []
        if sizes:
            return sizes
        wait_for_board(page, view)
    return []


def tiles(page) -> dict[str, str]:
    return page.evaluate(TILES_JS)


def count(text: str) -> int:
    return int(text.replace(",", ""))


def assert_intact(page, before: dict[str, str]) -> None:
    """The last figures are on screen: same tiles, same values, no exception, not blank."""
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("数据库暂时无法连接").count() == 0, "the board went blank (data_unavailable)"
    assert tiles(page) == before


# --- outage ---------------------------------------------------------------------------------------

# The document's identity: a marker set in it, its time origin, its navigations (a reload changes all).
DOCUMENT_JS = """() => { window.__wallMarker = window.__wallMarker || Math.random();
  return [window.__wallMarker, performance.timeOrigin, performance.getEntriesByType('navigation').length]; }"""


@dataclass
class OutageWall:
    """A wall on a server of its own (FAST_ENV), and how its database goes away and comes back."""

    page: Any
    engine: Engine
    base_url: str
    go_down: Callable[[], None]
    come_back: Callable[[], None]
    document: list = field(default_factory=list)  # DOCUMENT_JS once drawn
    before: dict[str, str] = field(default_factory=dict)  # its figures when the outage began
    went_down: dt.datetime | None = None

    @property
    def name(self) -> str:
        return self.engine.dialect.name

    def new_events(self) -> int:
        return count(tiles(self.page)[NEW_EVENTS])


def wait_for_each(walls: list[OutageWall], condition, timeout_s: float, message) -> list[float]:
    """Poll `condition(wall)` on every wall until it has been true on each; the seconds each took."""
    start = time.monotonic()
    took: list[float | None] = [None] * len(walls)
    while True:
        for i, wall in enumerate(walls):
            if took[i] is None and condition(wall):
                took[i] = time.monotonic() - start
        if None not in took:
            return took
        if time.monotonic() - start > timeout_s:
            pytest.fail("; ".join(f"{wall.name}: {message(wall)}" for wall, t in zip(walls, took) if t is None))
        walls[0].page.wait_for_timeout(250)  # (Playwright takes every page's events meanwhile)


def check_outage(walls: list[OutageWall]) -> None:
    """Before: a new record shows without a reload. Down: the last figures stay under the stale
    banner. Back: the banner goes, new data show; the page was never reloaded.
    The walls go through it together, each on its own server and database, so that the ticks of
    WALL_REFRESH_S and CACHE_TTL_S the steps wait for are waited once for all.
    (An outage that spans a change of minute, when the events board asks for its backlog at a new
    time, is tests/ui/test_data_door.py's: there the clock need not be waited for.)"""
    for wall in walls:
        wall.page.set_viewport_size(FULL_HD)
        wall.page.open_app(wall.base_url, wall_url("events"), wait=False)
    for wall in walls:
        wait_for_board(wall.page, "events")
        wall.document = wall.page.evaluate(DOCUMENT_JS)

    # A new record shows within a few ticks, drawn in place.
    expected = {wall.name: wall.new_events() + 3 for wall in walls}
    for wall in walls:
        add_events(wall.engine, 3)
    took = wait_for_each(walls, lambda wall: wall.new_events() == expected[wall.name], 5 * INTERVAL_S,
                         lambda wall: f"{NEW_EVENTS} still {wall.new_events()}, expected {expected[wall.name]}")
    assert all(t <= 4 * INTERVAL_S for t in took), took
    for wall in walls:
        assert wall.page.evaluate(DOCUMENT_JS) == wall.document, f"{wall.name}: the page was reloaded"
        assert wall.page.locator("[data-testid='stException']").count() == 0

    for wall in walls:
        wall.before = tiles(wall.page)
        assert len(wall.before) >= 6 and any(re.search(r"[1-9]", v) for v in wall.before.values()), wall.before
        wall.went_down = local_now()
        wall.go_down()
    # Cached answers may still be served for one TTL, then a tick finds the database gone;
    # a PostgreSQL connect may wait its timeout.
    limit = 3 * INTERVAL_S + PG_CONNECT_TIMEOUT_S + 2
    took = wait_for_each(walls, lambda wall: wall.page.locator(".wall-stale").count() > 0, limit,
                         lambda wall: "no stale banner")
    for wall in walls:
        banner = wall.page.locator(".wall-stale").inner_text().strip()
        match = STALE.match(banner)
        assert match, banner
        shown = wall.went_down.replace(hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0)
        # The time of the last good answer: before the outage (or a cached answer within a TTL after it).
        assert -dt.timedelta(seconds=INTERVAL_S + 1) <= wall.went_down - shown < dt.timedelta(minutes=2), (
            wall.name, banner, wall.went_down)
        assert_intact(wall.page, wall.before)
    # It stays so, tick after tick.
    hold_until = time.monotonic() + 2 * INTERVAL_S
    while time.monotonic() < hold_until:
        walls[0].page.wait_for_timeout(500)
        for wall in walls:
            assert wall.page.locator(".wall-stale").count() == 1, f"{wall.name}: the banner went while the database is down"
            assert_intact(wall.page, wall.before)
    for wall in walls:
        wall.page.screenshot_to(f"wall-outage-{wall.name}", full_page=False)

    for wall in walls:
        wall.come_back()
    wait_for_each(walls, lambda wall: wall.page.locator(".wall-stale").count() == 0, limit,
                  lambda wall: "the stale banner stays")
    for wall in walls:
        assert wall.page.locator(".wall-status").count() == 1
        assert_intact(wall.page, wall.before)
        add_events(wall.engine, 2)
    wait_for_each(walls, lambda wall: wall.new_events() == count(wall.before[NEW_EVENTS]) + 2, 5 * INTERVAL_S,
                  lambda wall: f"after the outage {NEW_EVENTS} is {wall.new_events()}, "
                               f"expected {count(wall.before[NEW_EVENTS]) + 2}")
    for wall in walls:
        assert wall.page.locator("[data-testid='stException']").count() == 0
        assert wall.page.evaluate(DOCUMENT_JS) == wall.document, f"{wall.name}: the page was reloaded"
    print(", ".join(f"{wall.name}: stale banner {t:.1f} s after the outage began" for wall, t in zip(walls, took)))


class TcpProxy:
    """127.0.0.1:<port> forwarded to a target; stop() closes the listener and every connection."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = _free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            _close(self._listener)
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            _close(sock)
            with self._lock:
                self._sockets.discard(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


