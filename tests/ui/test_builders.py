"""Map and chart builders, tested on their rendered HTML and Vega-Lite specs: no browser, no database."""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re

import altair as alt
import pandas as pd
import pytest

from data_access.models import HAZARD_LEVELS
from data_access.population import AGE_BANDS
from data_access.sql import MAX_MAP_FEATURES
from ui import charts, maps, palette
from ui.markdown import WORD_JOINER
from ui.offline_map import external_asset_links

HUAJIE = (28.9226, 119.9686)  # WGS-84 (lat, lon) of the town seat
HUAJIE_GCJ02 = (28.9195, 119.9731)  # the same place on 高德 tiles, about 550 m away
MICRO_CENTRE = ("倪宅村", "凤凰村", "桃源村", "上京岭村")
CDN_MARKERS = ("cdn", "unpkg", "jsdelivr", "bootstrapcdn", "googleapis")
BASEMAPS = ("osm", "tianditu", "amap", "none", "https://tiles.intranet.local/{z}/{x}/{y}.png")
LABELS = {"title": "名称", "level": "等级", "status": "状态"}


# --- fixtures ----------------------------------------------------------------------------------


def ring(lon: float, lat: float, radius: float = 0.006, vertices: int = 60) -> list[list[float]]:
    points = [
        [
            lon + radius * math.cos(2 * math.pi * i / vertices),
            lat + radius * math.sin(2 * math.pi * i / vertices),
        ]
        for i in range(vertices)
    ]
    return points + [points[0]]


def villages(names, vertices: int = 60) -> pd.DataFrame:
    """Round villages on a grid around Huajie, boundaries as GeoJSON text like areas.boundaries()."""
    rows = []
    for i, name in enumerate(names):
        lon, lat = HUAJIE[1] + 0.015 * (i % 20), HUAJIE[0] + 0.015 * (i // 20)
        geometry = {"type": "Polygon", "coordinates": [ring(lon, lat, vertices=vertices)]}
        rows.append(
            {
                "name": name,
                "work_area": "倪宅片区",
                "boundary": json.dumps(geometry),
                "center_lat": lat,
                "center_lon": lon,
            }
        )
    return pd.DataFrame(rows)


def hazards(n: int, title_chars: int = maps.TITLE_MAX_CHARS) -> pd.DataFrame:
    """n hazard points like hazards.map_points(), every level, open and closed."""
    return pd.DataFrame(
        {
            "id": range(1, n + 1),
            "title": [("企业消防通道堵塞" * 5)[:title_chars] for _ in range(n)],
            "level": [HAZARD_LEVELS[i % 3] for i in range(n)],
            "status": ["待处置" if i % 2 else "已销号" for i in range(n)],
            "is_open": [bool(i % 2) for i in range(n)],
            "lat": [HUAJIE[0] + 0.0001 * (i % 100) for i in range(n)],
            "lon": [HUAJIE[1] + 0.0001 * (i // 100) for i in range(n)],
        }
    )


def render(m) -> str:
    return m.get_root().render()


def geojson_layers(page: str) -> list[dict]:
    """The FeatureCollections embedded in a rendered map, in the order they were added."""
    decoder = json.JSONDecoder()
    return [decoder.raw_decode(page, match.end())[0] for match in re.finditer(r"_add\(", page)]


def village_map(basemap: str = "osm", values=None, selected=(), lowest=0):
    m = maps.base_map(HUAJIE, 13, basemap)
    layer = maps.village_layer(
        m, villages(MICRO_CENTRE), values, measure_label="开放隐患", selected=selected, basemap=basemap,
        lowest=lowest,
    )
    return m, layer


# --- maps ----------------------------------------------------------------------------------------


def test_one_feature_per_village_with_its_name():
    m, _ = village_map(values={"倪宅村": 5, "凤凰村": 2})
    page = render(m)
    (layer,) = geojson_layers(page)
    assert len(layer["features"]) == len(MICRO_CENTRE)
    assert [f["properties"]["name"] for f in layer["features"]] == list(MICRO_CENTRE)
    assert {f["properties"]["kind"] for f in layer["features"]} == {"village"}
    assert '"name":"倪宅村"' in page  # written as UTF-8, not \\u escapes


def test_villages_missing_from_values_count_as_zero_and_get_a_legend():
    m, _ = village_map(values={"倪宅村": 12})
    page = render(m)
    values = {f["properties"]["name"]: f["properties"]["value"] for f in geojson_layers(page)[0]["features"]}
    assert values == {"倪宅村": 12, "凤凰村": 0, "桃源村": 0, "上京岭村": 0}
    assert "dashboard-legend" in page and "开放隐患" in page
    # No branca colormap: streamlit-folium would fetch d3 for it. (Element ids are random hex,
    # so look for the script, not the two letters.)
    assert not re.search(r"d3(\.v\d)?(\.min)?\.js", page)


def test_legend_classes_start_at_the_measures_lowest_value():
    """Counts start at 0; ranks at 1, so a ranking map's legend has no class '0–4'."""
    counts = palette.class_breaks([0, 3, 26])
    assert palette.class_labels(counts, whole=True)[0] == "0–4"
    ranks = palette.class_breaks(list(range(1, 27)), lowest=1)
    labels = palette.class_labels(ranks, whole=True)
    assert labels == ["1–5", "6–10", "11–15", "16–20", "21–25", "26"], labels
    assert palette.class_of(1, ranks) == 0 and palette.class_of(26, ranks) == len(labels) - 1
    assert palette.class_breaks([], lowest=1) == [1.0, 2.0]
    _, layer = village_map(values={"倪宅村": 1, "凤凰村": 4}, lowest=1)
    fills = {f["properties"]["name"]: layer.style_function(f)["fillColor"] for f in layer.data["features"]}
    assert fills["倪宅村"] != fills["凤凰村"]


def test_selected_villages_are_outlined_thicker():
    _, layer = village_map(values={"倪宅村": 3}, selected=["倪宅村"])
    styles = {f["properties"]["name"]: layer.style_function(f) for f in layer.data["features"]}
    assert styles["倪宅村"]["weight"] > styles["凤凰村"]["weight"]
    assert styles["倪宅村"]["color"] == palette.SELECTED_OUTLINE_COLOUR


def test_shading_follows_values():
    _, layer = village_map(values={"倪宅村": 10, "凤凰村": 0})
    fills = {f["properties"]["name"]: layer.style_function(f)["fillColor"] for f in layer.data["features"]}
    assert fills["倪宅村"] == palette.SEQUENTIAL[-1]
    assert fills["凤凰村"] == palette.SEQUENTIAL[0]


def test_clicked_village_reads_last_active_drawing():
    m, _ = village_map(values={"倪宅村": 1})
    feature = geojson_layers(render(m))[0]["features"][2]
    assert maps.clicked_village({"last_active_drawing": feature}) == "桃源村"
    hazard = {"type": "Feature", "properties": {"kind": "hazard", "hazard_id": 3}}
    assert maps.clicked_village({"last_active_drawing": hazard}) is None
    assert maps.clicked_village({"last_active_drawing": None}) is None
    assert maps.clicked_village(None) is None


def test_one_feature_per_hazard_and_every_level_colour():
    m = maps.base_map(HUAJIE, 13, "osm")
    maps.hazard_layer(m, hazards(30), basemap="osm", labels=LABELS)
    page = render(m)
    (layer,) = geojson_layers(page)
    assert len(layer["features"]) == 30
    for colour in palette.LEVEL_COLOURS.values():
        assert colour in page
    assert "L.circleMarker" in page or "L.CircleMarker" in page
    assert "L.marker(" not in page


def test_open_hazards_are_bigger_and_outlined():
    m = maps.base_map(HUAJIE, 13, "osm")
    layer = maps.hazard_layer(m, hazards(4), basemap="osm", labels=LABELS)
    styles = [(f["properties"]["status"], layer.style_function(f)) for f in layer.data["features"]]
    open_style = next(s for status, s in styles if status == "待处置")
    closed_style = next(s for status, s in styles if status == "已销号")
    assert open_style["radius"] > closed_style["radius"]
    assert open_style["fillOpacity"] > closed_style["fillOpacity"]
    assert open_style["opacity"] == 1


def test_points_without_records_draw_with_no_id_or_title_anywhere_in_the_map():
    points = hazards(6).drop(columns=["id", "title"])  # hazards.map_points(records=False)
    m = maps.base_map(HUAJIE, 13, "none")
    maps.hazard_layer(m, points, basemap="none", labels=LABELS)
    page = render(m)
    features = geojson_layers(page)[0]["features"]
    assert len(features) == 6 and all(set(f["properties"]) == {"kind", "level", "status"} for f in features)
    assert "企业消防通道堵塞" not in page and "hazard_id" not in page


@pytest.mark.parametrize("text", [
    "{{ 'zz' ~ 'yy' }}", "{% if true %}zzyy{% endif %}", "{# zzyy #}", "{{ ''.__class__.__mro__ }}",
])
def test_a_title_or_a_name_from_a_file_is_never_run_as_a_template(text):
    """branca renders every map element's output once more as a Jinja template: a hazard's title
    or a village's name reaches the browser as written (joiners aside), not run on the server."""
    name = f"{text}村"
    points = hazards(1).assign(title=text)
    m = maps.base_map(HUAJIE, 13, "none")
    maps.hazard_layer(m, points, basemap="none", labels=LABELS)
    villages_layer = maps.village_layer(m, villages([name]), {name: 3}, measure_label="开放隐患", selected=[name],
                                        basemap="none")
    page = render(m)
    hazard_features, village_features = (layer["features"] for layer in geojson_layers(page))
    shown = html.unescape(hazard_features[0]["properties"]["title"]).replace(WORD_JOINER, "")
    assert shown == text and "zzyy" not in page.replace(WORD_JOINER, "").replace(text, "")
    (village,) = village_features
    assert village["properties"]["name"].replace(WORD_JOINER, "") == name
    assert maps.clicked_village({"last_active_drawing": village}) == name, "a click filters by the stored name"
    (drawn,) = villages_layer.data["features"]
    assert villages_layer.style_function(drawn)["color"] == palette.SELECTED_OUTLINE_COLOUR


def test_hazards_beyond_the_limit_are_cut():
    m = maps.base_map(HUAJIE, 13, "none")
    maps.hazard_layer(m, hazards(MAX_MAP_FEATURES + 50, title_chars=4), basemap="none", labels=LABELS)
    assert len(geojson_layers(render(m))[0]["features"]) == MAX_MAP_FEATURES


def test_tooltip_text_is_escaped():
    points = hazards(1).assign(title="<img src=x onerror=alert(1)>")
    m = maps.base_map(HUAJIE, 13, "none")
    maps.hazard_layer(m, points, basemap="none", labels=LABELS)
    page = render(m)
    assert geojson_layers(page)[0]["features"][0]["properties"]["title"].startswith("&lt;img")
    assert "<img src=x" not in page


def test_translate_changes_the_tooltip_not_the_colour():
    m = maps.base_map(HUAJIE, 13, "none")
    english = {"重大": "major", "较大": "serious", "一般": "general", "待处置": "open", "已销号": "closed"}
    layer = maps.hazard_layer(m, hazards(3), basemap="none", labels=LABELS, translate=english.get)
    levels = {f["properties"]["level"]: layer.style_function(f)["fillColor"] for f in layer.data["features"]}
    assert levels == {"major": "#d62728", "serious": "#ff7f0e", "general": "#e6b800"}


@pytest.mark.parametrize("basemap", ["amap", "osm"])
def test_amap_shifts_to_gcj02_and_osm_does_not(basemap):
    point = hazards(1).assign(lat=HUAJIE[0], lon=HUAJIE[1])
    m = maps.base_map(HUAJIE, 13, basemap)
    maps.hazard_layer(m, point, basemap=basemap, labels=LABELS)
    page = render(m)
    lon, lat = geojson_layers(page)[0]["features"][0]["geometry"]["coordinates"]
    expected = HUAJIE_GCJ02 if basemap == "amap" else HUAJIE
    assert lat == pytest.approx(expected[0], abs=2e-4)
    assert lon == pytest.approx(expected[1], abs=2e-4)
    assert ("119.9731" in page) == (basemap == "amap")


def test_amap_shifts_village_polygons_and_fit_bounds():
    osm_ring = geojson_layers(render(village_map("osm")[0]))[0]["features"][0]["geometry"]["coordinates"][0]
    amap_ring = geojson_layers(render(village_map("amap")[0]))[0]["features"][0]["geometry"]["coordinates"][0]
    d_lon, d_lat = amap_ring[0][0] - osm_ring[0][0], amap_ring[0][1] - osm_ring[0][1]
    assert d_lon == pytest.approx(0.0045, abs=5e-4) and d_lat == pytest.approx(-0.0031, abs=5e-4)
    osm_bounds = maps.village_bounds(villages(MICRO_CENTRE), ["倪宅村"], "osm")
    amap_bounds = maps.village_bounds(villages(MICRO_CENTRE), ["倪宅村"], "amap")
    assert amap_bounds[0][1] - osm_bounds[0][1] == pytest.approx(d_lon, abs=1e-4)


@pytest.mark.parametrize("basemap", BASEMAPS)
def test_nothing_loads_from_a_cdn(basemap):
    m = maps.base_map(HUAJIE, 13, basemap, tianditu_key="KEY")
    maps.village_layer(m, villages(MICRO_CENTRE), {"倪宅村": 1}, measure_label="x", basemap=basemap)
    maps.hazard_layer(m, hazards(10), basemap=basemap, labels=LABELS)
    maps.hotspot_layer(
        m, pd.DataFrame({"lat": [28.92], "lon": [119.97], "alerts": [3]}), basemap=basemap, label="警情"
    )
    maps.fit(m, villages(MICRO_CENTRE), [], basemap=basemap)
    page = render(m).lower()
    for marker in CDN_MARKERS:
        assert marker not in page, marker
    assert external_asset_links(m) == []
    assert "/app/static/vendor/leaflet/leaflet.js" in page


@pytest.mark.parametrize(
    ("basemap", "expected"),
    [
        ("osm", ["tile.openstreetmap.org"]),
        ("tianditu", ["vec_w/wmts", "cva_w/wmts", "tk=KEY"]),
        ("amap", ["webrd0{s}.is.autonavi.com", '"subdomains": "1234"']),
        ("https://tiles.intranet.local/{z}/{x}/{y}.png", ["tiles.intranet.local/{z}/{x}/{y}.png"]),
    ],
)
def test_tiles_by_basemap(basemap, expected):
    page = render(maps.base_map(HUAJIE, 13, basemap, tianditu_key="KEY"))
    assert "L.tileLayer" in page
    for text in expected:
        assert text in page
    assert '"attribution"' in page


def test_none_basemap_has_no_tiles_but_a_background():
    page = render(maps.base_map(HUAJIE, 13, "none"))
    assert "L.tileLayer" not in page
    assert palette.NO_TILES_BACKGROUND in page


@pytest.mark.parametrize(("basemap", "key"), [("tianditu", ""), ("no-such-basemap", "")])
def test_bad_basemap_settings_draw_without_tiles(basemap, key):
    with pytest.raises(ValueError):
        maps.tile_layers(basemap, key)
    assert "L.tileLayer" not in render(maps.base_map(HUAJIE, 13, basemap, key))


def test_a_wall_map_draws_its_markers_larger_by_its_scale():
    def radii(layer):
        return sorted(layer.style_function(f)["radius"] for f in layer.data["features"])

    m = maps.base_map(HUAJIE, 13, "none")
    plain = maps.hazard_layer(m, hazards(4), basemap="none", labels=LABELS)
    wall = maps.hazard_layer(m, hazards(4), basemap="none", labels=LABELS, marker_scale=3)
    assert radii(wall) == [3 * r for r in radii(plain)]
    df = pd.DataFrame({"lat": [28.92, 28.93], "lon": [119.96, 119.97], "alerts": [1, 16]})
    plain = maps.hotspot_layer(m, df, basemap="none", label="警情")
    wall = maps.hotspot_layer(m, df, basemap="none", label="警情", marker_scale=2)
    assert radii(wall) == [2 * r for r in radii(plain)]


def test_map_stays_under_a_megabyte_at_full_load():
    m = maps.base_map(HUAJIE, 13, "amap")
    many = villages([f"村{i:03d}" for i in range(300)], vertices=400)
    maps.village_layer(m, many, {f"村{i:03d}": i for i in range(300)}, measure_label="隐患", basemap="amap")
    maps.hazard_layer(m, hazards(2000), basemap="amap", labels=LABELS)
    maps.fit(m, many, [], basemap="amap")
    layers = geojson_layers(render(m))
    assert [len(layer["features"]) for layer in layers] == [300, 2000]
    assert maps.map_html_bytes(m) <= maps.MAP_HTML_BUDGET


def test_hotspots_are_sized_by_the_square_root_of_the_count():
    m = maps.base_map(HUAJIE, 13, "none")
    df = pd.DataFrame({"lat": [28.92, 28.93, 28.94], "lon": [119.96, 119.97, 119.98], "alerts": [1, 4, 16]})
    layer = maps.hotspot_layer(m, df, basemap="none", label="警情")
    radii = {f["properties"]["alerts"]: layer.style_function(f)["radius"] for f in layer.data["features"]}
    assert radii[16] == maps.HOTSPOT_MAX_RADIUS
    grow = maps.HOTSPOT_MAX_RADIUS - maps.HOTSPOT_MIN_RADIUS
    assert radii[4] == pytest.approx(maps.HOTSPOT_MIN_RADIUS + grow / 2, abs=0.1)  # sqrt(4/16) = 1/2
    assert len(geojson_layers(render(m))[0]["features"]) == 3



def test_the_war_map_joins_each_project_to_its_villages_in_its_colour():
    """projects.war_map rows: a project over two villages, overdue; one done over one village."""
    rows = pd.DataFrame({
        "id": [1, 1, 2], "project": ["西北三环<b>", "西北三环<b>", "水表安装"], "status": ["推进中", "推进中", "已完成"],
        "progress": [78.0, 78.0, 100.0], "next_deadline": [dt.date(2026, 11, 18)] * 2 + [None],
        "warning": ["red", "red", None], "village": ["倪宅村", "凤凰村", "尚仁村"], "lat": [28.92, 28.92, 28.96],
        "lon": [119.96, 119.98, 119.94], "project_lat": [28.92, 28.92, 28.96], "project_lon": [119.97, 119.97, 119.94],
        "leader": ["应国华"] * 3, "responsible_person": ["倪建明"] * 3,
    })  # fmt: skip
    m = maps.base_map(HUAJIE, 13, "none")
    layer = maps.project_layer(m, rows, basemap="none", labels={"done": "已完成"})
    features = layer.data["features"]
    kinds = [(f["geometry"]["type"], f["properties"]["kind"]) for f in features]
    assert kinds == [("LineString", "project_village")] * 3 + [("Point", "project_village")] * 3 + [
        ("Point", "project")] * 2, "lines under the villages' dots, the projects' markers on top"
    colours = {(f["properties"]["project"], f["properties"]["kind"]): layer.style_function(f).get(
        "fillColor", layer.style_function(f)["color"]) for f in features}
    assert colours[("西北三环&lt;b&gt;", "project")] == palette.WARNING_COLOURS["red"], "escaped for the tooltip"
    assert colours[("水表安装", "project")] == palette.PROJECT_DONE_COLOUR
    west = [f for f in features if f["properties"]["project"].startswith("西北三环")]
    assert west[0]["geometry"]["coordinates"] == [[119.97, 28.92], [119.96, 28.92]]
    assert {f["properties"]["deadline"] for f in west} == {"2026-11-18"}
    assert {f["properties"]["progress"] for f in west} == {"78%"}
    done = next(f for f in features if f["properties"]["kind"] == "project" and f["properties"]["warning"] == "")
    assert done["properties"]["deadline"] == "已完成"
    html = render(m)
    assert "应国华" not in html and "倪建明" not in html, "no person on the war map"
    assert maps.project_layer(maps.base_map(HUAJIE, 13, "none"), rows.iloc[0:0], basemap="none", labels={}) is None

def test_fit_uses_the_selected_villages():
    all_bounds = maps.village_bounds(villages(MICRO_CENTRE))
    one = maps.village_bounds(villages(MICRO_CENTRE), ["凤凰村"])
    assert all_bounds[0][1] < one[0][1] and one[1][1] <= all_bounds[1][1]
    assert maps.village_bounds(villages(MICRO_CENTRE), ["不存在村"]) == all_bounds
    m = maps.fit(maps.base_map(HUAJIE, 13, "osm"), villages(MICRO_CENTRE), ["凤凰村"])
    assert "fitBounds" in render(m)


def test_empty_frames_draw_an_empty_map():
    m = maps.base_map(HUAJIE, 13, "osm")
    assert maps.village_layer(m, pd.DataFrame(), {}, measure_label="x", basemap="osm") is None
    assert maps.hazard_layer(m, pd.DataFrame(), basemap="osm", labels=LABELS) is None
    assert (
        maps.hotspot_layer(m, pd.DataFrame(columns=["lat", "lon", "alerts"]), basemap="osm", label="x")
        is None
    )
    maps.fit(m, pd.DataFrame(), [])
    assert geojson_layers(render(m)) == []


def test_thinning_keeps_rings_closed():
    geometry = maps.boundary_geometry(
        json.dumps({"type": "Polygon", "coordinates": [ring(120, 29, vertices=1000)]}), "osm", 50
    )
    outer = geometry["coordinates"][0]
    assert len(outer) <= 51 and outer[0] == outer[-1]


def test_other_jinja_environments_keep_their_json_settings():
    import jinja2

    assert jinja2.Environment().policies["json.dumps_kwargs"] == {"sort_keys": True}


# --- charts --------------------------------------------------------------------------------------

WEEKS = [dt.date(2024, 5, 6) + dt.timedelta(weeks=i) for i in range(4)]


def spec(chart) -> dict:
    out = chart.to_dict()
    json.dumps(out)  # what Streamlit sends must be plain JSON
    return out


def rows(out: dict) -> list[dict]:
    (values,) = out["datasets"].values()
    return values


def mark_of(part: dict) -> str:
    return part["mark"]["type"] if isinstance(part["mark"], dict) else part["mark"]


def test_trend_lines_one_line_per_series():
    df = pd.DataFrame({"bucket": WEEKS, "arrivals": [3, 5, 2, 8], "departures": [1, 2, 0, 3]})
    out = spec(charts.trend_lines(df, series={"arrivals": "到达", "departures": "离开"}, title="进出"))
    assert mark_of(out) == "line"
    assert out["encoding"]["x"]["field"] == "bucket" and out["encoding"]["x"]["type"] == "temporal"
    assert out["encoding"]["y"]["field"] == "amount"
    assert out["encoding"]["color"]["field"] == "series"
    assert {r["series"] for r in rows(out)} == {"到达", "离开"} and len(rows(out)) == 8
    assert out["title"]["text"] == "进出"
    area = spec(charts.trend_lines(df, series={"arrivals": "到达"}, title="进出", area=True))
    assert mark_of(area) == "area"


def test_stacked_by_category():
    df = pd.DataFrame({"bucket": WEEKS * 2, "category": ["治安"] * 4 + ["交通"] * 4, "value": range(8)})
    out = spec(charts.stacked_by_category(df, "警情", "起数"))
    assert mark_of(out) == "bar"
    assert out["encoding"]["color"]["field"] == "category"
    assert out["encoding"]["y"]["field"] == "value"
    assert out["encoding"]["x"]["field"] == "bucket"


def test_heat_grid_fills_missing_cells_with_zero():
    df = pd.DataFrame({"hour": [0, 23], "weekday": [0, 6], "alerts": [4, 9]})
    labels = ["一", "二", "三", "四", "五", "六", "日"]
    out = spec(charts.heat_grid(df, labels, "时段"))
    assert mark_of(out) == "rect"
    grid = rows(out)
    assert len(grid) == 24 * 7
    assert sum(r["alerts"] for r in grid) == 13 and sum(r["alerts"] == 0 for r in grid) == 24 * 7 - 2
    assert out["encoding"]["x"]["field"] == "hour" and out["encoding"]["y"]["field"] == "day"
    assert out["encoding"]["y"]["sort"] == labels
    assert out["encoding"]["y"]["axis"]["labelOverlap"] is False, "every weekday labelled, even when short"


def test_bar_counts_with_level_colours_in_level_order():
    df = pd.DataFrame({"level": ["一般", "重大", "较大"], "found": [30, 2, 7]})
    out = spec(
        charts.bar_counts(
            df, "level", "found", "等级", colour_map=palette.LEVEL_COLOURS, sort=list(HAZARD_LEVELS)
        )
    )
    bars, text = out["layer"]
    assert mark_of(bars) == "bar" and mark_of(text) == "text"
    encoding = bars["encoding"]
    assert encoding["y"]["field"] == "level" and encoding["x"]["field"] == "found"
    assert encoding["y"]["sort"] == list(HAZARD_LEVELS)
    scale = encoding["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == palette.LEVEL_COLOURS
    plain = spec(charts.bar_counts(df, "level", "found", "等级"))
    assert plain["layer"][0]["encoding"]["y"]["sort"] == "-x"


def test_new_vs_resolved_grouped_bars():
    df = pd.DataFrame({"bucket": WEEKS, "found": [3, 5, 2, 8], "resolved": [1, 2, 0, 3]})
    out = spec(charts.new_vs_resolved(df, {"found": "发现", "resolved": "化解", "title": "隐患"}))
    assert mark_of(out) == "bar"
    assert out["encoding"]["xOffset"]["field"] == "series"
    assert out["encoding"]["color"]["scale"]["domain"] == ["发现", "化解"]


def test_age_gender_pyramid_men_left_women_right():
    df = pd.DataFrame(
        {
            "age_band": ["18-29", "18-29", "60+", "30-44"],
            "gender": ["男", "女", "女", "未知"],
            "residents": [120, 80, 5, 9],
        }
    )
    out = spec(charts.age_gender_pyramid(df, {"male": "Men", "female": "Women"}))
    signed = {(r["age_band"], r["side"]): r["signed"] for r in rows(out)}
    assert signed == {("18-29", "Men"): -120, ("18-29", "Women"): 80, ("60+", "Women"): 5}
    assert out["encoding"]["y"]["sort"] == [label for _, label in reversed(AGE_BANDS)]
    assert out["encoding"]["x"]["axis"]["labelExpr"] == "abs(datum.value)"


def test_rate_trend_keeps_undefined_rates_null():
    df = pd.DataFrame(
        {
            "bucket": WEEKS,
            "new": [10, 0, 8, 4],
            "closed": [10, 0, 0, 4],
            "on_time": [9, 0, 0, 4],
            "dispatched": [10, 0, 8, 0],
        }
    )
    rates = charts.rates_frame(df)
    assert rates.loc[0, "on_time_rate"] == pytest.approx(90.0)
    assert rates.loc[1, ["closure_rate", "on_time_rate", "transfer_rate"]].isna().all()
    assert pd.isna(rates.loc[2, "on_time_rate"]) and rates.loc[2, "closure_rate"] == 0
    out = spec(
        charts.rate_trend(
            df, {"closure_rate": "办结率", "on_time_rate": "按期办结率", "transfer_rate": "流转率"}
        )
    )
    assert mark_of(out) == "line" and out["mark"]["invalid"] == charts.BREAK_AT_NULL
    second_week = [r for r in rows(out) if r["bucket"].startswith("2024-05-13")]
    assert len(second_week) == 3 and all(r["rate"] is None for r in second_week)


SAMPLES = {
    "trend_lines": lambda df: charts.trend_lines(df, series={"alerts": "警情"}, title="t"),
    "stacked_by_category": lambda df: charts.stacked_by_category(df, "t", "v"),
    "heat_grid": lambda df: charts.heat_grid(df, list("一二三四五六日"), "t"),
    "bar_counts": lambda df: charts.bar_counts(df, "category", "value", "t"),
    "new_vs_resolved": lambda df: charts.new_vs_resolved(df, {"title": "t"}),
    "age_gender_pyramid": lambda df: charts.age_gender_pyramid(df, {"title": "t"}),
    "rate_trend": lambda df: charts.rate_trend(df, {"title": "t"}),
}


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("df", [pd.DataFrame(), pd.DataFrame(columns=["bucket", "category", "value"])])
def test_empty_frames_build(name, df):
    assert isinstance(spec(SAMPLES[name](df)), dict)


def _font_sizes(config: dict) -> list[float]:
    return [config["axis"]["labelFontSize"], config["axis"]["titleFontSize"], config["title"]["fontSize"],
            config["legend"]["labelFontSize"], config["legend"]["titleFontSize"], config["text"]["fontSize"]]


@pytest.mark.parametrize("name", SAMPLES)
def test_for_wall_raises_every_font_to_wall_screen_size(name):
    page = spec(SAMPLES[name](pd.DataFrame()))
    wall = spec(charts.for_wall(SAMPLES[name](pd.DataFrame())))
    assert min(_font_sizes(wall["config"])) >= 18
    assert max(_font_sizes(page["config"])) < 18
    assert wall["config"]["axis"]["labelColor"] == charts.WALL_TEXT and wall["background"] == "transparent"
    look = ("config", "background", "padding")
    assert {k: v for k, v in wall.items() if k not in look} == {
        k: v for k, v in page.items() if k not in look}, "restyling changes the look, not what is drawn"


def test_wall_fonts_grow_with_the_wall():
    assert charts.wall_fonts(20) == charts.WALL_FONTS
    assert charts.wall_fonts(40).label == 2 * charts.WALL_FONTS.label
    assert charts.wall_fonts(60).title == 3 * charts.WALL_FONTS.title


def test_for_wall_gives_an_untitled_chart_the_title_a_page_writes_above_it():
    untitled = charts.trend_lines(pd.DataFrame(), series={"a": "A", "b": "B"})
    assert spec(charts.for_wall(untitled, title="来住与离开"))["title"]["text"] == "来住与离开"
    titled = charts.trend_lines(pd.DataFrame(), series={"a": "A"}, title="自有")
    assert spec(charts.for_wall(titled, title="来住与离开"))["title"]["text"] == "自有"


def test_a_single_series_has_no_legend():
    one = spec(charts.trend_lines(pd.DataFrame(), series={"a": "A"}))
    two = spec(charts.trend_lines(pd.DataFrame(), series={"a": "A", "b": "B"}))
    assert one["encoding"]["color"]["legend"] is None and two["encoding"]["color"]["legend"] is not None


def test_values_written_on_bars_follow_the_style():
    """bar_counts writes its values with a text mark whose size comes from the style (config.text),
    so that for_wall enlarges them too: a size set on the mark itself would win over the style."""
    bars = SAMPLES["bar_counts"](pd.DataFrame(columns=["category", "value"]))
    layers = spec(charts.for_wall(bars))["layer"]
    text = [layer["mark"] for layer in layers if layer["mark"]["type"] == "text"]
    assert text and all("fontSize" not in mark for mark in text)


def test_charts_fetch_no_font():
    out = spec(charts.for_wall(SAMPLES["bar_counts"](pd.DataFrame())))
    out.pop("$schema")
    text = json.dumps(out)
    assert '"font"' not in text and "http" not in text


@pytest.mark.parametrize("dark", [False, True])
def test_a_charts_style_is_set_as_altairs_configure_methods_set_it(dark):
    """charts._styled sets the config's sections in one copy: the same spec as Altair's
    configure_axis(...).configure_legend(...)… chain, for a layered chart, light and dark."""
    df = pd.DataFrame({"category": ["火灾", "交通"], "found": [3, 2]})
    base = alt.Chart(df).encode(y="category:N", x="found:Q")
    layered = alt.layer(base.mark_bar(), base.mark_text())
    sizes = charts.WALL_FONTS if dark else charts.NORMAL_FONTS
    colours = {"labelColor": charts.WALL_TEXT, "titleColor": charts.WALL_TEXT} if dark else {}
    lines = {"gridColor": charts.WALL_GRID, "domainColor": charts.WALL_GRID} if dark else {}
    chained = (
        layered.configure_axis(labelFontSize=sizes.label, titleFontSize=sizes.axis_title,
                               labelLimit=sizes.label_limit, **colours, **lines)
        .configure_legend(labelFontSize=sizes.legend, titleFontSize=sizes.legend, labelLimit=sizes.label_limit,
                          orient="top", columns=charts.LEGEND_COLUMNS, **colours,
                          **(charts._big_legend_marks(sizes) if dark else {}))
        .configure_axisX(labelFlush=True, labelOverlap="greedy", labelSeparation=sizes.label // 2)
        .configure_title(fontSize=sizes.title, **({"color": charts.WALL_TEXT} if dark else {}))
        .configure_text(fontSize=sizes.mark_text, **({"color": charts.WALL_TEXT} if dark else {}))
        .configure_view(stroke=None)
    )
    if dark:
        chained = chained.properties(background="transparent")
    assert spec(charts._styled(layered, sizes, dark=dark)) == spec(chained)
    restyled = charts._styled(charts._styled(layered, charts.NORMAL_FONTS, dark=False), sizes, dark=dark)
    assert spec(restyled) == spec(chained), "a restyled chart replaces its style"
