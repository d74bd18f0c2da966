"""Helpers for the tests in a real browser: a server kept for a whole module, signing in, the map
iframe, what a page shows and was sent (for the personal-data checks), console errors that are
not the app's, and tall screenshots."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from data_access.models import House, PopulationStay

from .conftest import (
    ARTIFACTS_DIR,
    PROJECT_ROOT,
    SCREENSHOTS_ASKED,
    TILE_HOSTS,
    start_streamlit,
    wait_for_app,
)

MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"
SIDEBAR = "[data-testid='stSidebar']"
EXCEPTION = "[data-testid='stException']"
FORM = "[data-testid='stForm']"
# What shows data: tiles, tables, charts, maps and other components.
DATA_TEST_IDS = ("stMetric", "stDataFrame", "stVegaLiteChart", "stIFrame", "stCustomComponentV1")
MAP_TIMEOUT_MS = 30_000

# A village is a polygon (M…L…z); a hazard or hotspot a CircleMarker, whose SVG path has arcs.
_SHAPES_JS = """
() => {
  const paths = [...document.querySelectorAll('path.leaflet-interactive')];
  const circles = paths.filter(p => /a/i.test(p.getAttribute('d') || ''));
  return {all: paths.length, circles: circles.length, polygons: paths.length - circles.length};
}
"""

# Village polygons whose bounding-box centre hits the polygon itself (not a marker over it, not
# a hole), with that point relative to the polygon's box, nearest the map's centre first.
_CLICKABLE_VILLAGES_JS = """
() => {
  const W = window.innerWidth, H = window.innerHeight;
  const out = [];
  document.querySelectorAll('path.leaflet-interactive').forEach((el, index) => {
    if (/a/i.test(el.getAttribute('d') || '')) return;
    const b = el.getBoundingClientRect();
    const x = b.left + b.width / 2, y = b.top + b.height / 2;
    if (x < 0 || y < 0 || x > W || y > H) return;
    if (document.elementFromPoint(x, y) !== el) return;
    out.push({index, dx: b.width / 2, dy: b.height / 2, dist: Math.hypot(x - W / 2, y - H / 2)});
  });
  return out.sort((a, b) => a.dist - b.dist);
}
"""


# --------------------------------------------------------------------------- server


@contextmanager
def module_server(
    database_url: str, tmp_dir: Path, name: str, *, extra_env: Mapping[str, str] | None = None,
    cwd: Path = PROJECT_ROOT,
) -> Iterator[str]:
    """Like conftest's `streamlit_server`, but for a `with` around a whole module; the log is
    copied to test-artifacts/logs/<name>.log at the end."""
    server = start_streamlit(database_url, tmp_dir / "server.log", extra_env=extra_env, cwd=cwd)
    try:
        yield server.base_url
    finally:
        server.stop()
        copy = ARTIFACTS_DIR / "logs" / f"{name}.log"
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(server.log(), encoding="utf-8")


# --------------------------------------------------------------------------- signing in


def sign_in_if_asked(page: Any, name: str, password: str) -> bool:
    """Fill and send the sign-in form when the page shows one; True when it did."""
    form = page.locator("[data-testid='stForm']").filter(has=page.locator("input[type='password']"))
    if form.count() == 0:
        return False
    form.locator("input[type='text']").first.fill(name)
    form.locator("input[type='password']").fill(password)
    form.locator("input[type='password']").press("Tab")
    form.locator("button").last.click()
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stForm'] input[type='password']\")", timeout=30_000
    )
    wait_for_app(page)
    return True


def shown_data(page: Any) -> list[str]:
    """The kinds of data element (DATA_TEST_IDS) the page shows."""
    return [test_id for test_id in DATA_TEST_IDS if page.locator(f"[data-testid='{test_id}']").count()]


def assert_sign_in_form_and_no_data(page: Any) -> None:
    """The sign-in form, and no figure, table, chart, map or filter bar."""
    assert page.locator(FORM).count() == 1, "the sign-in form"
    assert page.get_by_label("密码").count() == 1
    assert not shown_data(page), shown_data(page)
    filter_bar = page.locator(f"{SIDEBAR} [data-testid='stMultiSelect']")
    assert page.locator(SIDEBAR).count() == 0 or filter_bar.count() == 0


def open_view(page: Any, base_url: str, path: str, account: tuple[str, str]) -> Any:
    """Open base_url/path, sign in if the app asks, and wait until the view has run."""
    page.open_app(base_url, path)
    sign_in_if_asked(page, *account)
    return page


# --------------------------------------------------------------------------- map


def map_frame(page: Any, index: int = 0) -> Any:
    """The Frame of the index-th folium map, once Leaflet has drawn a shape in it."""
    iframe = page.locator(MAP_IFRAME).nth(index)
    iframe.wait_for(timeout=MAP_TIMEOUT_MS)
    page.frame_locator(MAP_IFRAME).nth(index).locator("path.leaflet-interactive").first.wait_for(
        state="attached", timeout=MAP_TIMEOUT_MS
    )
    return iframe.element_handle().content_frame()


def map_shapes(frame: Any) -> dict[str, int]:
    """How many interactive paths the map has: all, circles (markers), polygons (villages)."""
    return frame.evaluate(_SHAPES_JS)


def clickable_villages(frame: Any) -> list[dict]:
    return frame.evaluate(_CLICKABLE_VILLAGES_JS)


# --------------------------------------------------------------------------- page state


def demo_people(conn: Connection) -> Iterator[str]:
    """Every clear name, ID number and phone of the demo's stays and landlords (for a LeakCheck)."""
    rows = [*conn.execute(select(PopulationStay.name, PopulationStay.id_number, PopulationStay.phone)),
            *conn.execute(select(House.landlord, House.landlord_phone))]
    return (v for row in rows for v in row)


def record_websocket(page) -> list[bytes]:
    """Every message the server sends the page, from now on: tables and charts travel as Arrow
    bytes (and tables are drawn on a canvas), so what they hold is checked here, not in the HTML."""
    received: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(
        payload if isinstance(payload, bytes) else payload.encode())))
    return received


def html_of_everything(page) -> str:
    """The page's HTML and that of every frame in it (maps, components)."""
    parts = []
    for frame in page.frames:
        try:
            parts.append(frame.content())
        except Exception:  # a frame replaced while being read: the next read has it
            continue
    return "\n".join(parts)



def sidebar_villages(page: Any) -> list[str]:
    """The village tags shown in the sidebar's first multiselect (as displayed, e.g. '倪宅片区 · 倪宅村')."""
    tags = page.locator(f"{SIDEBAR} [data-testid='stMultiSelect']").first.locator("span[data-tag]")
    return [tag.get_attribute("aria-label") or tag.inner_text() for tag in tags.all()]


def metrics(page: Any) -> list[tuple[str, str]]:
    """(label, value) of every KPI tile in the main area, in order."""
    tiles = page.locator("[data-testid='stMain'] [data-testid='stMetric']")
    return [
        (tile.locator("[data-testid='stMetricLabel']").inner_text().strip(),
         tile.locator("[data-testid='stMetricValue']").inner_text().strip())
        for tile in tiles.all()
    ]  # fmt: skip


def ignored_console_errors(base_url: str, view_paths: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Console errors that are not the app's: tiles that cannot load on a machine with no
    internet, and the 404s of Streamlit's health / host-config probe under a page's own path
    when a view's URL is opened directly (streamlit#7074)."""
    probes = tuple(
        f"{base_url}/{path.strip('/')}/_stcore/{name}"
        for path in view_paths
        if path.strip("/")
        for name in ("health", "host-config")
    )
    return (*TILE_HOSTS, *probes)


def tall_screenshot(page: Any, name: str) -> Path | None:
    """A screenshot of the whole main area (with SCREENSHOTS=1): Streamlit scrolls inside its own
    container, so a full-page screenshot would stop at the viewport; the viewport is stretched."""
    if not SCREENSHOTS_ASKED:
        return None
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll(\"[data-testid='stMain'], "
        "[data-testid='stSidebar']\")].map(e => e.scrollHeight), window.innerHeight)"
    )
    try:
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 6000)})
        time.sleep(1.0)  # charts and the map re-lay themselves out
        return page.screenshot_to(name, full_page=True)
    finally:
        page.set_viewport_size(size)


def url_has(page: Any, pattern: str, timeout_ms: float = 30_000) -> None:
    """Wait until the address bar matches the regular expression `pattern` (history updates
    included, which fire no load event)."""
    page.wait_for_function(
        "(p) => new RegExp(p).test(decodeURIComponent(location.href))", arg=pattern, timeout=timeout_ms
    )


def digits_masked(text: str) -> list[str]:
    """The masked ID numbers in `text` (4 digits, stars, 4 digits or X)."""
    return re.findall(r"\d{4}\*{6,}[\dX]{4}", text)
