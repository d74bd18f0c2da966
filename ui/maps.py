"""Map builders: a basemap by the BASEMAP setting and one GeoJSON layer per kind of thing drawn.

Every map comes from ui.offline_map, so Leaflet and jQuery load from the app's own static files;
tile images are the only external requests, and vector layers (villages, points) draw without them.
Data are stored as WGS-84; on the 高德 (amap) basemap, whose tiles are GCJ-02, every geometry is
shifted first. Points are drawn as circle markers inside one GeoJSON layer, never as single markers
or through folium plugins, which load scripts and fonts from CDNs.
"""

from __future__ import annotations

import html
import itertools
import json
import logging
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import folium
import pandas as pd
from branca.element import MacroElement
from folium.utilities import JsCode
from jinja2 import Template

from data_access.coords import transform_geometry, wgs84_to_gcj02
from data_access.sql import MAX_MAP_FEATURES
from ui import palette
from ui.markdown import WORD_JOINER
from ui.offline_map import offline_map

log = logging.getLogger(__name__)

# folium writes GeoJSON through Jinja's tojson, which escapes every Chinese character as \uXXXX
# (6 bytes instead of 3 in UTF-8) and pads every separator with a space: about 40% of a map's
# size. Folium's templates share one Jinja environment: let it write compact UTF-8 JSON. Its
# policy dict is replaced, not edited, because the inner dict is shared with every other Jinja
# environment. Jinja still escapes <, >, & and ' inside the JSON.
_FOLIUM_JINJA = folium.GeoJson._template.environment
_FOLIUM_JINJA.policies["json.dumps_kwargs"] = {
    **_FOLIUM_JINJA.policies["json.dumps_kwargs"],
    "ensure_ascii": False,
    "separators": (",", ":"),
}

COORD_DECIMALS = 5  # about 1 m: finer adds bytes, not detail
MAX_BOUNDARY_VERTICES = 15_000  # all village rings together; keeps the page under MAP_HTML_BUDGET
MIN_RING_VERTICES = 32  # thinning never cuts a ring below this
TITLE_MAX_CHARS = 30  # hazard titles in tooltips
MAP_HTML_BUDGET = 1_000_000  # bytes of rendered HTML a map may take, whatever the row count
FIT_PADDING_PX = (12, 12)
FIT_MAX_ZOOM = 16

OPEN_RADIUS, CLOSED_RADIUS = 8, 4
HOTSPOT_MIN_RADIUS, HOTSPOT_MAX_RADIUS = 3, 12  # small enough that a town's cells stay apart

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTR = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
TIANDITU_URL = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
TIANDITU_SUBDOMAINS = "01234567"
TIANDITU_ATTR = '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a>'
AMAP_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
AMAP_SUBDOMAINS = "1234"
AMAP_ATTR = "&copy; 高德地图 AutoNavi"
NAMED_BASEMAPS = ("osm", "tianditu", "amap", "none")

# Each village's own always-open label: its name (already HTML-escaped) and its value if any.
PERMANENT_LABEL_JS = JsCode(
    """function (feature, layer) {
        var p = feature.properties;
        var text = p.label + (p.value === undefined ? "" : "<br>" + p.value);
        layer.bindTooltip(text, {permanent: true, direction: "center", opacity: 0.85});
        // A label is placed once, when it opens; streamlit-folium sizes the iframe after that,
        // so place it again whenever the map is resized or moved.
        layer.on("add", function () {
            layer._map.on("resize moveend", function () {
                if (layer.isTooltipOpen()) { layer.closeTooltip(); layer.openTooltip(); }
            });
        });
    }"""
)

NO_FOCUS_BOX_CSS = "<style>.leaflet-interactive:focus { outline: none; }</style>"

Point = tuple[float, float]


class _Legend(MacroElement):
    """A Leaflet control in the map's own script (a colormap would load d3 from a CDN)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "dashboard-legend");
                div.style.cssText = "background:rgba(255,255,255,.9);padding:6px 8px;border-radius:4px;"
                    + "font:12px/1.5 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)";
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, legend_html: str):
        super().__init__()
        self._name = "Legend"
        self.html = legend_html


class _Background(MacroElement):
    """Paints the map container, for the 'none' basemap that has no tiles."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.getContainer().style.background = {{ this.colour|tojson }};
        {% endmacro %}
        """
    )

    def __init__(self, colour: str):
        super().__init__()
        self._name = "Background"
        self.colour = colour


# --- coordinates -----------------------------------------------------------------------------


def _normalise(basemap: str) -> str:
    name = basemap.strip()
    return name.lower() if name.lower() in NAMED_BASEMAPS else name


def needs_gcj02(basemap: str) -> bool:
    """True when the basemap's tiles are GCJ-02 (高德), so WGS-84 data must be shifted."""
    return _normalise(basemap) == "amap"


def _projector(basemap: str) -> Callable[[float, float], Point]:
    """(lon, lat) WGS-84 → the basemap's datum."""
    return wgs84_to_gcj02 if needs_gcj02(basemap) else (lambda lon, lat: (lon, lat))


def project_latlon(lat: float, lon: float, basemap: str) -> Point:
    """A WGS-84 (lat, lon) as (lat, lon) on the basemap, rounded to COORD_DECIMALS."""
    plon, plat = _projector(basemap)(float(lon), float(lat))
    return round(plat, COORD_DECIMALS), round(plon, COORD_DECIMALS)


def _round_positions(coords: Any) -> Any:
    if coords and isinstance(coords[0], (int, float)):
        return [round(coords[0], COORD_DECIMALS), round(coords[1], COORD_DECIMALS)]
    return [_round_positions(c) for c in coords]


def _thin_ring(ring: list, max_vertices: int) -> list:
    """Every k-th vertex of a closed ring, still closed, at most about max_vertices long."""
    if len(ring) <= max_vertices:
        return ring
    step = math.ceil((len(ring) - 1) / (max_vertices - 1))
    kept = ring[:-1:step]
    return kept + [kept[0]]


def _thin(coords: Any, max_vertices: int) -> Any:
    if coords and isinstance(coords[0], (int, float)):
        return coords
    if coords and isinstance(coords[0], list) and coords[0] and isinstance(coords[0][0], (int, float)):
        return _thin_ring(coords, max_vertices)
    return [_thin(c, max_vertices) for c in coords]


def _parse_geometry(text: Any) -> dict | None:
    """A GeoJSON geometry from a boundary column (geometry, Feature or text of either)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    try:
        obj = json.loads(text) if isinstance(text, str) else dict(text)
    except (ValueError, TypeError):
        return None
    if obj.get("type") == "Feature":
        obj = obj.get("geometry") or {}
    return obj if "coordinates" in obj else None


def boundary_geometry(text: Any, basemap: str, max_vertices: int = MAX_BOUNDARY_VERTICES) -> dict | None:
    """A village boundary ready to draw: shifted for the basemap, rounded, rings thinned."""
    geometry = _parse_geometry(text)
    if geometry is None:
        return None
    coords = _thin(geometry["coordinates"], max(max_vertices, MIN_RING_VERTICES))
    thinned = {"type": geometry["type"], "coordinates": coords}
    shifted = transform_geometry(thinned, _projector(basemap))
    return {"type": shifted["type"], "coordinates": _round_positions(shifted["coordinates"])}


def _positions(coords: Any):
    if coords and isinstance(coords[0], (int, float)):
        yield coords
        return
    for c in coords:
        yield from _positions(c)


# --- the basemap -------------------------------------------------------------------------------


def tile_layers(basemap: str, tianditu_key: str = "") -> list[folium.TileLayer]:
    """The tile layers of a BASEMAP value; [] for 'none'. Raises ValueError for a bad value."""
    name = _normalise(basemap or "osm")
    if name == "osm":
        return [folium.TileLayer(OSM_URL, attr=OSM_ATTR, name="OpenStreetMap", max_zoom=19)]
    if name == "none":
        return []
    if name == "tianditu":
        if not tianditu_key:
            raise ValueError("BASEMAP=tianditu needs TIANDITU_KEY")
        return [
            folium.TileLayer(
                TIANDITU_URL.format(layer=layer, key=quote(tianditu_key, safe="")),
                attr=TIANDITU_ATTR,
                name=f"天地图 {layer}",
                subdomains=TIANDITU_SUBDOMAINS,
                max_zoom=18,
                overlay=layer == "cva",
            )
            for layer in ("vec", "cva")  # streets, then the Chinese annotation layer on top
        ]
    if name == "amap":
        return [
            folium.TileLayer(
                AMAP_URL, attr=AMAP_ATTR, name="高德地图", subdomains=AMAP_SUBDOMAINS, max_zoom=18
            )
        ]
    if all(part in name for part in ("{z}", "{x}", "{y}")):
        host = urlsplit(name).hostname or name
        return [folium.TileLayer(name, attr=html.escape(host), name=host, max_zoom=19)]
    raise ValueError(
        f"BASEMAP must be one of {', '.join(NAMED_BASEMAPS)} or a URL with {{z}}/{{x}}/{{y}}: {basemap!r}"
    )


def base_map(center: Point, zoom: int, basemap: str, tianditu_key: str = "") -> folium.Map:
    """An offline-ready map at `center` (WGS-84 lat, lon) with the tiles of BASEMAP.

    'osm', 'tianditu' (needs the key), 'amap' (GCJ-02: layers drawn on it must be shifted, which
    every builder here does when given the same `basemap`), 'none' (no tiles, a plain
    background) or an intranet URL template with {z}/{x}/{y} (taken as WGS-84). A value that
    tile_layers rejects is logged and drawn as 'none': the vector layers still show.
    """
    try:
        layers = tile_layers(basemap, tianditu_key)
    except ValueError as error:
        log.warning("%s; drawing the map without tiles", error)
        layers = []
    location = list(project_latlon(*center, basemap))
    m = offline_map(location=location, zoom_start=zoom, tiles=None, control_scale=True)
    for layer in layers:
        layer.add_to(m)
    if not layers:
        _Background(palette.NO_TILES_BACKGROUND).add_to(m)
    # Chromium draws a focus rectangle around a clicked polygon's bounding box.
    m.get_root().header.add_child(folium.Element(NO_FOCUS_BOX_CSS), name="no_focus_box")
    return m


# --- layers --------------------------------------------------------------------------------------


def _number(value: Any) -> float | int:
    """A measure for a tooltip: ints stay ints, others get two decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else round(as_float, 2)


def _legend_html(title: str, breaks: Sequence[float], whole: bool) -> str:
    colours = palette.class_colours(len(breaks) - 1)
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:10px;margin-right:6px;'
        f'background:{colour};border:1px solid #999"></span>{html.escape(label)}</div>'
        for colour, label in zip(colours, palette.class_labels(breaks, whole), strict=True)
    )
    return f"<div><b>{html.escape(title)}</b></div>{rows}"


def village_features(
    boundaries: pd.DataFrame, values: Mapping[str, float] | None, basemap: str
) -> list[dict]:
    """One GeoJSON Feature per village with a usable boundary: properties kind, name, work_area, value."""
    rows = boundaries.dropna(subset=["boundary"]) if "boundary" in boundaries else boundaries.iloc[0:0]
    per_village = MAX_BOUNDARY_VERTICES // max(len(rows), 1)
    features = []
    for row in rows.itertuples(index=False):
        geometry = boundary_geometry(row.boundary, basemap, per_village)
        if geometry is None:
            log.warning("village %s: boundary is not GeoJSON, not drawn", row.name)
            continue
        properties: dict[str, Any] = {
            "kind": "village",
            "name": row.name,
            "work_area": _text(row.work_area) or None,
            "label": _escaped(row.name),
        }
        if values is not None:
            # The by_village queries leave out villages with nothing to count: absent means 0.
            properties["value"] = _number(values.get(row.name, 0))
        features.append(
            {"type": "Feature", "id": f"v{len(features)}", "properties": properties, "geometry": geometry}
        )
    return features


def village_layer(
    m: folium.Map,
    boundaries: pd.DataFrame,
    values: Mapping[str, float] | None,
    *,
    measure_label: str,
    selected: Sequence[str] = (),
    basemap: str,
    permanent_labels: bool = False,
    lowest: float = 0,
) -> folium.GeoJson | None:
    """All village polygons as one GeoJSON layer, shaded by `values` (village name → number), in
    classes from `lowest`, the smallest value the measure can take (palette.class_breaks).

    boundaries: data_access.areas.boundaries() — name, work_area, boundary, center_lat, center_lon.
    values None draws outlines only; otherwise a village missing from `values` counts as 0 and a
    legend of the classes is added. `selected` villages get a thick outline, the others a lighter
    fill. Each feature carries properties kind='village', name, work_area and value; with
    `permanent_labels` the tooltips stay open (a wall screen where nobody hovers). The tooltip
    shows properties label (the name, HTML-escaped) and value.

    Reading a click back: call st_folium(..., returned_objects=["last_active_drawing"]) and take
    ret["last_active_drawing"]["properties"]["name"] when its properties' kind is "village" (see
    clicked_village). "last_object_clicked_tooltip" only holds the tooltip's text, name and measure
    run together.
    """
    features = village_features(boundaries, values, basemap)
    if not features:
        return None
    chosen = set(selected)
    shaded = values is not None
    numbers = [f["properties"]["value"] for f in features] if shaded else []
    breaks = palette.class_breaks(numbers, lowest=lowest)

    def style(feature: dict) -> dict:
        props = feature["properties"]
        is_selected = props["name"].replace(WORD_JOINER, "") in chosen  # (template_inert's joiners)
        fill = palette.shade(props["value"], breaks) if shaded else "#ffffff"
        dimmed = bool(chosen) and not is_selected
        return {
            "fillColor": fill,
            "fillOpacity": (0.25 if dimmed else 0.65) if shaded else 0.1,
            "color": palette.SELECTED_OUTLINE_COLOUR if is_selected else palette.OUTLINE_COLOUR,
            "weight": 3.5 if is_selected else 1,
        }

    fields, aliases = (["label", "value"], ["", _escaped(measure_label)]) if shaded else (["label"], [""])
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": template_inert(features)},
        name=measure_label or "villages",
        style_function=style,
        highlight_function=lambda feature: {"weight": 3, "fillOpacity": 0.8},
        # A permanent tooltip bound to the whole layer opens on one polygon only: label each one.
        on_each_feature=PERMANENT_LABEL_JS if permanent_labels else None,
        tooltip=None
        if permanent_labels
        else folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=False),
    )
    layer.add_to(m)
    if shaded:
        _Legend(_legend_html(measure_label, breaks, palette.is_whole(numbers))).add_to(m)
    return layer


def freeze_ids(m: folium.Map) -> folium.Map:
    """Give every element of `m` an id from a counter instead of a random one, so the same map
    renders to the same HTML and streamlit-folium does not redraw it on a rerun."""
    counter = itertools.count()

    def walk(element) -> None:
        element._id = f"{next(counter):032x}"
        for child in element._children.values():
            walk(child)

    walk(m.get_root())
    return m


def clicked_village(st_folium_return: Mapping[str, Any] | None) -> str | None:
    """The village name from st_folium's return value after a click on a village, else None
    (as stored: without the joiners template_inert put into it)."""
    drawing = (st_folium_return or {}).get("last_active_drawing") or {}
    props = drawing.get("properties") or {}
    name = props.get("name") if props.get("kind") == "village" else None
    return name.replace(WORD_JOINER, "") if isinstance(name, str) else None


def template_inert(features: list[dict]) -> list[dict]:
    """The features with a word joiner (invisible) after every '{' of their properties' texts.
    branca renders each map element's output a second time as a Jinja template (MacroElement
    wraps it in an Element), so a title or a name from an imported file such as '{{ … }}' or
    '{% … %}' would run as template code on the server; after a '{' a joiner breaks every
    delimiter of Jinja's."""
    def inert(value: Any) -> Any:
        return value.replace("{", "{" + WORD_JOINER) if isinstance(value, str) else value

    return [{**feature, "properties": {key: inert(value) for key, value in feature["properties"].items()}}
            for feature in features]


def _text(value: Any) -> str:
    """A cell as text; '' for None and NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _escaped(value: Any) -> str:
    """Text for a tooltip: folium puts properties and aliases into innerHTML unescaped."""
    return html.escape(_text(value))


def _display(translate: Callable[[Any], Any] | None, value: Any) -> str:
    if not _text(value):
        return ""
    return _escaped(translate(value) if translate else value)


def _hazard_style(level: Any, is_open: bool, scale: float = 1.0) -> dict:
    colour = palette.level_colour(level)
    if is_open:
        return {
            "radius": OPEN_RADIUS * scale,
            "fill": True,
            "fillColor": colour,
            "fillOpacity": 0.9,
            "color": "#222222",
            "weight": 1.5 * scale,
            "opacity": 1,
        }
    return {
        "radius": CLOSED_RADIUS * scale,
        "fill": True,
        "fillColor": colour,
        "fillOpacity": 0.35,
        "color": colour,
        "weight": 0.5 * scale,
        "opacity": 0.4,
    }


def hazard_features(
    points: pd.DataFrame,
    basemap: str,
    translate: Callable[[Any], Any] | None = None,
    marker_scale: float = 1.0,
) -> tuple[list[dict], dict[str, dict]]:
    """Point features of hazards with coordinates and each one's style by feature id.

    Closed ones come first and the worst level last, so that Leaflet draws those on top.
    """
    if points.empty:
        return [], {}
    if len(points) > MAX_MAP_FEATURES:
        log.warning("hazard map: %d points, drawing the first %d", len(points), MAX_MAP_FEATURES)
    rows = points.head(MAX_MAP_FEATURES).dropna(subset=["lat", "lon"])
    rank = {level: i for i, level in enumerate(palette.LEVEL_COLOURS)}
    rows = rows.assign(
        open_now=rows["is_open"].fillna(False).astype(bool),
        level_rank=[-rank.get(level, len(rank)) for level in rows["level"]],
    ).sort_values(["open_now", "level_rank"], kind="stable")
    features, styles = [], {}
    named = "id" in rows.columns  # without: points of the wall or a viewer, which name no record
    for row in rows.itertuples(index=False):
        lat, lon = project_latlon(row.lat, row.lon, basemap)
        fid = f"h{len(features)}"
        properties = {"kind": "hazard"}
        if named:
            properties |= {"hazard_id": _id(row.id), "title": _escaped(_text(row.title)[:TITLE_MAX_CHARS])}
        properties |= {"level": _display(translate, row.level), "status": _display(translate, row.status)}
        features.append(
            {
                "type": "Feature",
                "id": fid,
                "properties": properties,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
        )
        styles[fid] = _hazard_style(row.level, row.open_now, marker_scale)
    return features, styles


def _id(value: Any) -> int | str | None:
    """A record id as plain JSON (numpy and float ids become int)."""
    if not _text(value):
        return None
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return int(value)
    return str(value)


def hazard_layer(
    m: folium.Map,
    points: pd.DataFrame,
    *,
    basemap: str,
    labels: Mapping[str, str],
    translate: Callable[[Any], Any] | None = None,
    marker_scale: float = 1.0,
) -> folium.GeoJson | None:
    """Hazards as one GeoJSON layer of circle markers, coloured by level; open ones large and outlined.

    points: data_access.hazards.map_points() — id, title, level, status, is_open, lat, lon (no id or
    title for the wall and viewers: the tooltip then shows level and status only);
    at most MAX_MAP_FEATURES are drawn. labels: tooltip titles for 'title', 'level', 'status' (and
    'layer', the layer's name). translate: shows stored values (level, status) in the page's
    language; colours are chosen from the stored value. A click's properties carry hazard_id.
    marker_scale enlarges the markers (a wall screen's map is drawn in larger pixels).
    """
    features, styles = hazard_features(points, basemap, translate, marker_scale)
    if not features:
        return None
    fields = ["title", "level", "status"] if "title" in features[0]["properties"] else ["level", "status"]
    return _circle_layer(m, features, lambda feature: styles[feature["id"]], labels.get("layer", "hazards"),
                         fields, [labels.get(f, f) for f in fields])


def _circle_layer(m: folium.Map, features: list[dict], style: Callable[[dict], dict], name: str,
                  fields: list[str], aliases: list[str]) -> folium.GeoJson:
    """One GeoJSON layer of circle markers (and lines) on `m`: one element for any number of
    points, styled per feature, with a tooltip of `fields` under the titles `aliases`."""
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": template_inert(features)},
        name=name,
        marker=folium.CircleMarker(),
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[_escaped(a) for a in aliases], sticky=False),
    )
    layer.add_to(m)
    return layer


def hotspot_radius(alerts: float, most: float) -> float:
    """Circle radius in pixels: area proportional to the count (sqrt scale)."""
    if most <= 0:
        return HOTSPOT_MIN_RADIUS
    share = math.sqrt(max(alerts, 0) / most)
    return round(HOTSPOT_MIN_RADIUS + (HOTSPOT_MAX_RADIUS - HOTSPOT_MIN_RADIUS) * share, 1)


def hotspot_layer(m: folium.Map, df: pd.DataFrame, *, basemap: str, label: str, marker_scale: float = 1.0
                  ) -> folium.GeoJson | None:
    """Alert hotspots (data_access.alerts.hotspots(): lat, lon, alerts) as circles sized by count
    (times marker_scale: a wall screen's map is drawn in larger pixels)."""
    if df.empty:
        return None
    rows = df.head(MAX_MAP_FEATURES).dropna(subset=["lat", "lon"])
    if rows.empty:
        return None
    rows = rows.sort_values("alerts", ascending=False, kind="stable")  # big first, small on top
    most = float(rows["alerts"].max())
    features = []
    for row in rows.itertuples(index=False):
        lat, lon = project_latlon(row.lat, row.lon, basemap)
        features.append(
            {
                "type": "Feature",
                "id": f"a{len(features)}",
                "properties": {"kind": "hotspot", "alerts": _number(row.alerts)},
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
        )

    def style(feature: dict) -> dict:
        radius = hotspot_radius(feature["properties"]["alerts"], most)
        return {
            "radius": radius * marker_scale,
            "fill": True,
            "fillColor": palette.ALERT_COLOUR,
            "fillOpacity": 0.45,
            "color": palette.ALERT_COLOUR,
            "weight": 0.5 * marker_scale,
            "opacity": 0.8,
        }

    return _circle_layer(m, features, style, label or "alerts", ["alerts"], [label])


PROJECT_RADIUS, PROJECT_VILLAGE_RADIUS = 11, 4  # a project's marker, and the dot at each of its villages
PROJECT_LINE_WEIGHT = 2.5


def project_colour(warning: Any) -> str:
    """A key project's colour: its 三色 warning (red, yellow, green); blue once it is done."""
    return palette.WARNING_COLOURS.get(_text(warning), palette.PROJECT_DONE_COLOUR)


def project_features(rows: pd.DataFrame, basemap: str, labels: Mapping[str, str],
                     translate: Callable[[Any], Any] | None = None) -> list[dict]:
    """The war map's features (data_access.projects.war_map: one row per project and village):
    per project, a line from its marker to each of its villages and a dot on each, then its
    marker at the centre of its villages; each with the project's name, status, progress and
    next deadline (no person), and kind 'project' (the marker) or 'project_village'."""
    located = rows.dropna(subset=["lat", "lon", "project_lat", "project_lon"])
    lines, dots, markers = [], [], []
    for _, group in located.groupby("id", sort=False):
        first = group.iloc[0]
        properties = {
            "project": _escaped(first["project"]),
            "status": _display(translate, first["status"]),
            "progress": "" if pd.isna(first["progress"]) else f"{_number(first['progress'])}%",
            "deadline": labels.get("done", "") if first["warning"] is None or pd.isna(first["warning"])
            else _text(first["next_deadline"])[:10],
            "warning": _text(first["warning"]),
        }
        lat, lon = project_latlon(first["project_lat"], first["project_lon"], basemap)
        for row in group.itertuples(index=False):
            v_lat, v_lon = project_latlon(row.lat, row.lon, basemap)
            village = {**properties, "kind": "project_village", "village": _escaped(row.village)}
            lines.append({"type": "Feature", "properties": village,
                          "geometry": {"type": "LineString", "coordinates": [[lon, lat], [v_lon, v_lat]]}})
            dots.append({"type": "Feature", "properties": village,
                         "geometry": {"type": "Point", "coordinates": [v_lon, v_lat]}})
        markers.append({"type": "Feature", "properties": {**properties, "kind": "project", "village": ""},
                        "geometry": {"type": "Point", "coordinates": [lon, lat]}})
    features = [*lines, *dots, *markers]  # drawn in this order: the markers on top
    for i, feature in enumerate(features):
        feature["id"] = f"p{i}"
    return features


def project_layer(
    m: folium.Map,
    rows: pd.DataFrame,
    *,
    basemap: str,
    labels: Mapping[str, str],
    translate: Callable[[Any], Any] | None = None,
    marker_scale: float = 1.0,
) -> folium.GeoJson | None:
    """The key projects' war map (作战图) as one GeoJSON layer: each project a marker at the
    centre of its villages, joined to each of them, all in its 三色 colour against its next
    deadline (blue once done). labels: tooltip titles for 'project', 'village', 'status',
    'progress', 'deadline' (and 'done', the deadline shown for a done project; 'layer')."""
    features = project_features(rows, basemap, labels, translate)
    if not features:
        return None

    def style(feature: dict) -> dict:
        props = feature["properties"]
        colour = project_colour(props["warning"])
        if feature["geometry"]["type"] == "LineString":
            return {"color": colour, "weight": PROJECT_LINE_WEIGHT * marker_scale, "opacity": 0.8,
                    "dashArray": f"{6 * marker_scale:g} {4 * marker_scale:g}"}
        marker = props["kind"] == "project"
        return {
            "radius": (PROJECT_RADIUS if marker else PROJECT_VILLAGE_RADIUS) * marker_scale,
            "fill": True, "fillColor": colour, "fillOpacity": 0.95 if marker else 0.8,
            "color": "#222222" if marker else colour, "weight": (2 if marker else 1) * marker_scale, "opacity": 1,
        }  # fmt: skip

    styles = {feature["id"]: style(feature) for feature in features}
    fields = ["project", "village", "status", "progress", "deadline"]
    return _circle_layer(m, features, lambda feature: styles[feature["id"]], labels.get("layer", "projects"),
                         fields, [labels.get(f, f) for f in fields])


def village_bounds(
    boundaries: pd.DataFrame, selected: Sequence[str] = (), basemap: str = "osm"
) -> list[list[float]] | None:
    """[[south, west], [north, east]] of the selected villages' polygons (all when none match)."""
    rows = boundaries
    if selected and "name" in boundaries:
        chosen = boundaries[boundaries["name"].isin(list(selected))]
        rows = chosen if not chosen.empty else boundaries
    positions = [
        p
        for text in rows.get("boundary", [])
        if (g := _parse_geometry(text)) is not None
        for p in _positions(g["coordinates"])
    ]
    if not positions:
        return None
    lons, lats = [p[0] for p in positions], [p[1] for p in positions]
    # The GCJ-02 offset barely changes across a town, so shifting the corners is enough.
    south_west = project_latlon(min(lats), min(lons), basemap)
    north_east = project_latlon(max(lats), max(lons), basemap)
    return [list(south_west), list(north_east)]


def fit(
    m: folium.Map, boundaries: pd.DataFrame, selected: Sequence[str] = (), *, basemap: str = "osm"
) -> folium.Map:
    """Fit the view to the selected villages (all villages when none is selected or found).

    Pass the map's `basemap` so that on 'amap' the bounds are shifted like the polygons.
    """
    bounds = village_bounds(boundaries, selected, basemap)
    if bounds is not None:
        m.fit_bounds(bounds, padding=FIT_PADDING_PX, max_zoom=FIT_MAX_ZOOM)
    return m


def map_html_bytes(m: folium.Map) -> int:
    """Size in bytes of the map's rendered HTML page (goal: at most MAP_HTML_BUDGET)."""
    return len(m.get_root().render().encode("utf-8"))
