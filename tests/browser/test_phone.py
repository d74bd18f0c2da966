# ruff: noqa: E501  (the JavaScript snippets read better unwrapped)
"""Phones in Chromium (390×844, 360×800), signed in as staff (every view staff may open) and
as a leader (the views where a leader sees more): no sideways scrolling of the page (a wide
table scrolls inside itself), its tiles two to a row with their short labels, and the
overview's map within two screens of the top."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data_access import demo
from data_access.db import get_engine
from data_access.filters import local_today
from data_access.models import Hazard

from .helpers import EXCEPTION, MAP_IFRAME, module_server, open_view

pytestmark = pytest.mark.browser

PHONES = ((390, 844), (360, 800))
PATHS = ("/", "/hazards", "/review", "/hazard?id={hazard}", "/population", "/alerts", "/events", "/ranking",
         "/projects", "/stability", "/warnings", "/import")
# A leader's views are staff's, and differ only where a leader may do more: the item's four action
# forms, the list they are opened from, and the stay record shown in clear on 流动人口.
ROLES = {"staff": PATHS, "leader": ("/review", "/hazard?id={hazard}", "/population")}
RELAYOUT_MS = 600  # charts, tables and the map follow a resize a moment later (ResizeObserver)
ENV = {"BASEMAP": "none"}
# Visible elements of the main area past the right edge, unless an ancestor scrolls sideways
# itself (a table); and whether the page or the main area scrolls sideways.
SIDEWAYS_JS = """() => {
  const out = [], W = window.innerWidth, main = document.querySelector("[data-testid='stMain']");
  if (document.documentElement.scrollWidth > W) out.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  if (main.scrollWidth > main.clientWidth) out.push(`the main area scrolls sideways: ${main.scrollWidth} > ${main.clientWidth}`);
  const scrollsItself = (e) => { for (let a = e.parentElement; a && a !== main; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX; if (['auto', 'scroll', 'hidden', 'clip'].includes(o)) return true; } return false; };
  for (const e of main.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && r.right > W + 1 && !scrollsItself(e)) {
      out.push(`${(e.dataset && e.dataset.testid) || e.tagName} ends at x=${Math.round(r.right)}`);
    }
  }
  return out.slice(0, 10);
}"""
# Top of each tile, and of the map, in the main area's scrolled content.
TILES_JS = """() => { const main = document.querySelector("[data-testid='stMain']");
  return [...main.querySelectorAll("[data-testid='stMetric']")].map(e => {
    const r = e.getBoundingClientRect(); return [Math.round(r.top + main.scrollTop), Math.round(r.width)]; }); }"""
MAP_TOP_JS = """(selector) => { const main = document.querySelector("[data-testid='stMain']"), f = document.querySelector(selector);
  return f ? f.getBoundingClientRect().top + main.scrollTop : null; }"""


@pytest.fixture(scope="module")
def server(databases, tmp_path_factory):
    engine = databases.new_engine("sqlite")
    demo.generate(engine, as_of=local_today())
    with engine.connect() as conn:
        hazard = conn.execute(select(Hazard.id).where(Hazard.status == "待处置").limit(1)).scalar_one()
    get_engine(str(engine.url)).dispose()
    where = tmp_path_factory.mktemp("phone")
    with module_server(str(engine.url), where, "test_phone", extra_env=ENV) as base_url:
        yield base_url, hazard


def _problems_at(page, path: str, width: int, height: int) -> list[str]:
    """What is wrong with the open view at this phone size (asserts on the tiles and the map)."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(f"() => window.innerWidth === {width}")
    page.wait_for_timeout(RELAYOUT_MS)
    problems = [f"{path} at {width}x{height}: {p}" for p in page.evaluate(SIDEWAYS_JS)]
    tiles = page.evaluate(TILES_JS)
    if len(tiles) >= 2:
        tops = [top for top, _ in tiles]
        assert any(tops.count(top) == 2 for top in tops), f"{path}: tiles two to a row: {tiles}"
        assert all(w <= width / 2 for _, w in tiles), f"{path}: no tile across the whole row: {tiles}"
    if path == "/":
        page.locator(MAP_IFRAME).wait_for(timeout=60_000)
        top = page.evaluate(MAP_TOP_JS, MAP_IFRAME)
        assert top is not None and top <= 2 * height, f"the overview's map starts {top} px down"
        labels = page.locator("[data-testid='stMetricLabel']").all_inner_texts()
        assert "在住人口" in labels and "在住流动人口" not in labels, "short labels"
    page.screenshot_to(f"phone-{width}x{height}-{path.strip('/').split('?')[0] or 'overview'}")
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_view_fits_a_phone(server, page, role):
    """Each view is opened once, on the narrower phone (where it is tightest), and checked there
    and after a resize to the wider one. Both are under the compact bound, so the resize reruns
    nothing. Narrow first: a table keeps the width it was laid out with until the page reruns
    (Streamlit's), so one laid out on the wider phone overhangs after a resize to the narrower."""
    base_url, hazard = server
    problems = []
    narrow_first = sorted(PHONES)
    for path in ROLES[role]:
        path = path.format(hazard=hazard)
        page.set_viewport_size(dict(zip(("width", "height"), narrow_first[0], strict=True)))
        open_view(page, base_url, path, (role, f"{role}-demo"))
        assert page.locator(EXCEPTION).count() == 0, path
        for width, height in narrow_first:
            problems += _problems_at(page, path, width, height)
        assert page.locator(EXCEPTION).count() == 0, path
    assert not problems, "\n".join(problems)
