"""folium maps that load nothing from the internet.

folium's default page pulls Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers
from CDNs, and streamlit-folium stops at the first script that fails to load: with no
internet the map stays blank. `offline_map` points folium at the copies that
scripts/vendor_static.py puts in static/vendor/ (served at /app/static/vendor/), keeps
only Leaflet and jQuery (popups need jQuery) and adds a stylesheet that gives the map's
own iframe the CJK webfont. Bootstrap, Font Awesome and awesome-markers are dropped, so
`folium.Icon` (awesome-markers) does not work: draw points with `folium.Marker` (default
icon), `CircleMarker`, `DivIcon` or one `GeoJson` layer. Plugins (MarkerCluster, HeatMap,
...) and branca colour legends still name CDNs: `external_asset_links(m)` lists them, so
a map builder's test can assert it is empty.

The URLs are absolute (/app/static/...): they assume no server.baseUrlPath.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import branca
import branca.colormap
import folium
import folium.elements
from branca.element import MacroElement
from jinja2 import Template

VENDOR_URL = "/app/static/vendor"
LEAFLET_JS = f"{VENDOR_URL}/leaflet/leaflet.js"
LEAFLET_CSS = f"{VENDOR_URL}/leaflet/leaflet.css"
LEAFLET_IMAGES = f"{VENDOR_URL}/leaflet/images/"
JQUERY_JS = f"{VENDOR_URL}/jquery/jquery.min.js"
# The CJK webfont for text inside the map (tooltips, popups): the map's iframe does not
# inherit the app's theme fonts. Written by scripts/vendor_static.py.
MAP_FONT_CSS = f"{VENDOR_URL}/map-fonts.css"

# Same names as folium.folium._default_js / _default_css, so a plugin that names one of
# them finds it; order matters (Leaflet before anything that uses it).
OFFLINE_JS = [("leaflet", LEAFLET_JS), ("jquery", JQUERY_JS)]
OFFLINE_CSS = [("leaflet_css", LEAFLET_CSS), ("map_font_css", MAP_FONT_CSS)]


class _IconImagePath(MacroElement):
    """Sets L.Icon.Default.imagePath; Leaflet's own guess drops the /images/ part."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.Icon.Default.imagePath = {{ this.image_path|tojson }};"
        "{% endmacro %}"
    )

    def __init__(self, image_path: str = LEAFLET_IMAGES):
        super().__init__()
        self._name = "IconImagePath"
        self.image_path = image_path


def offline_map(**folium_kwargs: Any) -> folium.Map:
    """A folium.Map whose scripts and styles come from the app's own static files.

    Takes folium.Map's arguments. `tiles` defaults to None (no basemap, so no request
    leaves the machine); pass a tile URL or TileLayer to add one.
    """
    folium_kwargs.setdefault("tiles", None)
    fmap = folium.Map(**folium_kwargs)
    fmap.default_js = list(OFFLINE_JS)
    fmap.default_css = list(OFFLINE_CSS)
    # Added before any marker, so its script runs before a marker builds its icon.
    fmap.add_child(_IconImagePath())
    return fmap


def asset_links(fmap: folium.Map) -> list[str]:
    """Every script and stylesheet URL streamlit-folium will load for `fmap`, in its order."""
    links: list[str] = []

    def walk(element):
        if isinstance(element, branca.colormap.ColorMap):
            links.append("https://d3js.org/d3.v4.min.js")  # streamlit-folium adds d3 for a legend
        if isinstance(element, folium.elements.JSCSSMixin):
            links.extend(url for _, url in element.default_css)
            links.extend(url for _, url in element.default_js)
        for child in getattr(element, "_children", {}).values():
            walk(child)

    walk(fmap)
    return list(dict.fromkeys(links))


def external_asset_links(fmap: folium.Map) -> list[str]:
    """The asset URLs of `fmap` that are not served by the app itself (should be empty)."""
    return [url for url in asset_links(fmap) if urlsplit(url).netloc or url.startswith("//")]


def component_args(fmap: folium.Map) -> dict[str, Any]:
    """What streamlit-folium's st_folium sends its component for `fmap` (a folium.Map, no
    feature group or layer control added at draw time): the rendered HTML, header and Leaflet
    script, the asset links and the map's bounds and zoom. Building them is most of a map's cost,
    so the caller keeps them (ui/render_cache) and sends them again with `ui.widgets`' map
    helper; a test checks they equal what st_folium sends."""
    import streamlit_folium as sf  # its helpers: the same text st_folium builds

    fmap.get_root().render()
    fmap.render()
    html = sf._get_html(fmap)
    header = sf._get_header(fmap)
    leaflet = sf._get_map_string(fmap)
    try:
        (south, west), (north, east) = fmap.get_bounds()
    except (AttributeError, TypeError, ValueError):
        south = west = north = east = None
    css_links: list[str] = []
    js_links: list[str] = []

    def walk(element):
        if isinstance(element, branca.colormap.ColorMap):
            js_links[:0] = ["https://d3js.org/d3.v4.min.js", "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js"]
        css_links.extend(href for _, href in getattr(element, "default_css", []))
        js_links.extend(src for _, src in getattr(element, "default_js", []))
        for child in getattr(element, "_children", {}).values():
            walk(child)

    walk(fmap)
    return {
        "script": leaflet, "header": header, "html": html, "id": sf.get_full_id(fmap),
        "css_links": list(dict.fromkeys(css_links)), "js_links": list(dict.fromkeys(js_links)),
        "bounds": {"_southWest": {"lat": south, "lng": west}, "_northEast": {"lat": north, "lng": east}},
        "zoom": fmap.options.get("zoom"),
    }
