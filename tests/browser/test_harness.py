"""Smoke test of the browser harness itself, on a tiny app of its own (app.py may not exist yet).

It proves: the server fixture starts and stops Streamlit; a folium map built by
ui.offline_map draws a polygon, a circle and a default marker with no request leaving the
machine; Chinese renders from the app's own webfont even in a browser with no CJK font.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import IN_CI, PROJECT_ROOT, external_requests, launch_chromium, screenshot, wait_for_app
from .helpers import module_server

pytestmark = pytest.mark.browser

VENDOR_DIR = PROJECT_ROOT / "static" / "vendor"
FONT_FILE = VENDOR_DIR / "fonts" / "NotoSansSC-GB2312-Regular.woff"
FONT_FAMILY = "Noto Sans SC Web"
MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"
TITLE = "花街镇基层治理微中心"
LATIN_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))

HARNESS_APP = f'''
import folium
import streamlit as st
from streamlit_folium import st_folium

from ui.offline_map import offline_map

st.set_page_config(page_title="花街镇 · 测试", layout="wide")
st.title("{TITLE}")
st.write("测试页：离线地图与中文字体。村（社区）、网格、隐患、预警，①②③。Latin text 123.")

fmap = offline_map(location=[29.300, 120.100], zoom_start=14)
folium.Polygon(
    [[29.295, 120.090], [29.305, 120.092], [29.306, 120.108], [29.296, 120.110]],
    color="#1f5fa8", fill=True, fill_opacity=0.2, tooltip="示例村",
).add_to(fmap)
folium.CircleMarker([29.302, 120.104], radius=8, color="#c8161d", fill=True, popup="隐患点").add_to(fmap)
folium.Marker([29.300, 120.100], popup="村委会", tooltip="村委会").add_to(fmap)
folium.Marker(
    [29.297, 120.093],
    icon=folium.DivIcon(html='<div class="village-label" style="font-size:14px">示例村</div>'),
).add_to(fmap)
st_folium(fmap, height=420, use_container_width=True, returned_objects=[], key="harness_map")
'''


@pytest.fixture(scope="module")
def harness_app_dir(tmp_path_factory) -> Path:
    """A directory holding the harness app, a copy of the project's config and its static/."""
    if not (VENDOR_DIR / "leaflet" / "leaflet.js").is_file():
        subprocess.run(
            [sys.executable, str(PROJECT_ROOT / "scripts" / "vendor_static.py"), "--skip-font"], check=True
        )
    app_dir = tmp_path_factory.mktemp("harness_app")
    (app_dir / "app.py").write_text(textwrap.dedent(HARNESS_APP), encoding="utf-8")
    (app_dir / ".streamlit").mkdir()
    shutil.copy(PROJECT_ROOT / ".streamlit" / "config.toml", app_dir / ".streamlit" / "config.toml")
    (app_dir / "static").symlink_to(PROJECT_ROOT / "static", target_is_directory=True)
    return app_dir


def _require_font() -> None:
    if not FONT_FILE.is_file():
        message = f"{FONT_FILE.relative_to(PROJECT_ROOT)} missing: run scripts/vendor_static.py"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="module")
def base_url(harness_app_dir, tmp_path_factory) -> Iterator[str]:
    """One server of the harness app for the module's tests."""
    where = tmp_path_factory.mktemp("harness_server")
    database = f"sqlite:///{where / 'harness.db'}"
    with module_server(database, where, "test_harness", cwd=harness_app_dir) as url:
        yield url


def test_offline_map_and_chinese_title(page, base_url):
    page.open_app(base_url)

    assert TITLE in page.locator("h1").first.inner_text()
    assert page.locator("[data-testid='stException']").count() == 0

    frame = page.frame_locator(MAP_IFRAME)
    shapes = frame.locator("path.leaflet-interactive")
    shapes.first.wait_for(timeout=30_000)
    assert shapes.count() == 2  # the village polygon and the circle marker
    assert frame.locator(".village-label").inner_text() == "示例村"
    marker = frame.locator("img.leaflet-marker-icon")
    marker.wait_for(timeout=30_000)
    # The default icon came from our own static files, and its image really loaded.
    assert marker.get_attribute("src").endswith("/app/static/vendor/leaflet/images/marker-icon.png")
    frame.locator("img.leaflet-marker-icon[src$='marker-icon.png']").evaluate(
        "img => img.complete || new Promise(resolve => img.addEventListener('load', resolve))"
    )
    assert marker.evaluate("img => img.naturalWidth") > 0
    wait_for_app(page)

    assert any(url.endswith("/app/static/vendor/leaflet/leaflet.js") for url in page.requests)
    page.assert_no_external_requests(allow_tile_hosts=False)
    assert not page.failed_requests, page.failed_requests
    assert not page.bad_responses, page.bad_responses
    page.assert_no_console_errors()

    if FONT_FILE.is_file():
        statuses = page.evaluate(
            """async (family) => {
                await document.fonts.ready;
                return [...document.fonts]
                    .filter(f => f.family.replaceAll('"', '') === family)
                    .map(f => f.status);
            }""",
            FONT_FAMILY,
        )
        assert "loaded" in statuses, f"webfont {FONT_FAMILY!r} not used: {statuses}"
    screenshot(page, "harness-offline-map")


# Draws two different characters with the given font on a canvas: the same bitmap for both
# means both are the missing-glyph box.
_GLYPHS_DIFFER_JS = """
async (font) => {
    await document.fonts.load(font, "花街");
    const draw = (ch) => {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 64;
        const g = canvas.getContext("2d");
        g.font = font;
        g.fillText(ch, 8, 48);
        return canvas.toDataURL();
    };
    return draw("花") !== draw("街");
}
"""


def test_chinese_renders_without_a_system_cjk_font(playwright, base_url, tmp_path):
    _require_font()
    # A fontconfig that sees Latin fonts only, like a wall screen with no CJK font. (With no
    # font at all Chromium refuses every webfont too, so that would prove nothing.)
    latin_dirs = [d for d in LATIN_FONT_DIRS if d.is_dir()]
    if not latin_dirs:
        pytest.fail(f"none of {[str(d) for d in LATIN_FONT_DIRS]} exists (fonts-dejavu-core)")
    fonts_conf = tmp_path / "fonts.conf"
    fonts_conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
        + "".join(f"<dir>{d}</dir>" for d in latin_dirs)
        + f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    chromium = launch_chromium(playwright, env={**os.environ, "FONTCONFIG_FILE": str(fonts_conf)})
    try:
        context = chromium.new_context(viewport={"width": 1200, "height": 800}, locale="zh-CN")
        bare = context.new_page()
        requests: list[str] = []
        context.on("request", lambda r: requests.append(r.url))
        bare.goto(base_url)
        wait_for_app(bare)
        assert TITLE in bare.locator("h1").first.inner_text()
        # Without the webfont this browser has no Chinese glyphs; with it, it has.
        assert not bare.evaluate(_GLYPHS_DIFFER_JS, "32px sans-serif"), "a system CJK font is visible"
        assert bare.evaluate(_GLYPHS_DIFFER_JS, f'32px "{FONT_FAMILY}"'), "the webfont has no Chinese glyphs"
        # The map's iframe does not see the theme fonts; its labels need map-fonts.css.
        bare.frame_locator(MAP_IFRAME).locator(".village-label").wait_for(timeout=30_000)
        map_frame = bare.locator(MAP_IFRAME).element_handle().content_frame()
        assert map_frame.locator(".village-label").inner_text() == "示例村"
        assert map_frame.evaluate(_GLYPHS_DIFFER_JS, f'14px "{FONT_FAMILY}"'), "no webfont in the map"
        assert not external_requests(requests, allow_tile_hosts=False), requests
        screenshot(bare, "harness-no-system-cjk-font")
    finally:
        chromium.close()


def test_external_request_check_catches_outside_hosts():
    urls = [
        "http://127.0.0.1:8501/app/static/vendor/leaflet/leaflet.js",
        "http://localhost:8501/_stcore/health",
        "data:image/png;base64,AAAA",
        "https://a.tile.openstreetmap.org/14/1/2.png",
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
    ]
    assert external_requests(urls) == ["https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"]
    assert external_requests(urls, allow_tile_hosts=False) == [
        "https://a.tile.openstreetmap.org/14/1/2.png",
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
    ]
