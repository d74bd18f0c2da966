"""Village boundaries from GeoJSON: the real Jinhua counties, their GCJ-02 twin, DataV-style
properties, broken features; and GCJ-02 → WGS-84 against the real data's converted points."""

from __future__ import annotations

import json
import math

import pytest
from sqlalchemy import select

from data_access import coords
from data_access.importing import geo, import_file
from data_access.models import Village

from ..import_support import SAMPLES, base_row, real_file, reasons, run

JINHUA = ("东阳市", "兰溪市", "婺城区", "武义县", "永康市", "浦江县", "磐安县", "金东区", "义乌市")


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two (lon, lat) points a few metres apart."""
    dlat = (a[1] - b[1]) * 110_574
    dlon = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dlat, dlon)


def stored_villages(engine) -> dict[str, Village]:
    with engine.connect() as conn:
        return {r.name: r for r in conn.execute(select(Village))}


def test_the_real_jinhua_file_imports_as_nine_areas_with_their_shapes(engine):
    path = real_file("jinhua_counties_wgs84.geojson")
    report = import_file(engine, "villages", path)
    assert (report.ok, report.inserted) == (True, 9), report.to_text()
    assert report.ignored_columns == ["adcode", "center", "crs_note", "level", "parent_adcode", "parent_name"]
    villages = stored_villages(engine)
    assert sorted(villages) == sorted(JINHUA)
    source = {f["properties"]["name"]: f["geometry"] for f in json.loads(path.read_text())["features"]}
    for name, village in villages.items():
        shape = json.loads(village.boundary)
        assert shape["type"] == source[name]["type"]
        assert shape["coordinates"] == source[name]["coordinates"]  # 6-decimal input survives exactly
    yongkang = villages["永康市"]
    assert metres((yongkang.center_lon, yongkang.center_lat), (120.0969, 28.9372)) < 200  # its centroid
    assert import_file(engine, "villages", path).unchanged == 9


def test_the_gcj02_twin_lands_within_a_metre_of_the_wgs84_file(engine):
    import_file(engine, "villages", real_file("jinhua_counties_wgs84.geojson"))
    wgs = {n: json.loads(v.boundary)["coordinates"][0] for n, v in stored_villages(engine).items()}
    report = import_file(engine, "villages", real_file("jinhua_counties_gcj02.geojson"), crs="gcj02")
    assert report.ok and report.inserted == 0  # the same nine names: updated in place
    gcj = {n: json.loads(v.boundary)["coordinates"][0] for n, v in stored_villages(engine).items()}
    worst = max(metres(a, b) for name in JINHUA for a, b in zip(wgs[name], gcj[name], strict=True))
    assert worst < 1.0


def test_an_unconverted_gcj02_file_is_hundreds_of_metres_off():
    """Why --crs exists: the same outline read as WGS-84 lands 500 m away around Huajie."""
    wgs = json.loads(real_file("yongkang_330784_wgs84.geojson").read_text())["features"][0]["geometry"]
    gcj = json.loads(real_file("yongkang_330784_gcj02.geojson").read_text())["features"][0]["geometry"]
    offsets = [metres(a, b) for a, b in zip(geo.positions(wgs), geo.positions(gcj))]
    assert 450 < min(offsets) and max(offsets) < 650


def test_gcj02_inverse_on_the_real_town_points():
    """yongkang_places_2016.csv has each point in GCJ-02 and converted to WGS-84 (6 decimals)."""
    import csv

    with real_file("yongkang_places_2016.csv").open(encoding="utf-8") as f:
        points = [r for r in csv.DictReader(f) if r["lon_gcj02"]]
    assert len(points) > 10
    for r in points:
        lon, lat = coords.gcj02_to_wgs84(float(r["lon_gcj02"]), float(r["lat_gcj02"]))
        assert metres((lon, lat), (float(r["lon_wgs84"]), float(r["lat_wgs84"]))) < 0.2, r["name"]


def _collection(*features, **extra) -> bytes:
    return json.dumps(
        {"type": "FeatureCollection", "features": list(features), **extra}, ensure_ascii=False
    ).encode()


def _square(name: str | None, lon: float = 119.96, lat: float = 28.92, size: float = 0.01, **props) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    properties = {"name": name, **props} if name is not None else props
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_a_square_gets_its_centre_and_optional_properties(engine):
    data = _collection(_square("倪宅村", work_area="倪宅片区", town="花街镇", in_micro_centre="是"))
    assert import_file(engine, "villages", data, filename="v.geojson").ok
    village = stored_villages(engine)["倪宅村"]
    assert (round(village.center_lon, 6), round(village.center_lat, 6)) == (119.965, 28.925)
    assert (village.work_area, village.town, village.in_micro_centre, village.is_demo) == (
        "倪宅片区",
        "花街镇",
        True,
        False,
    )


def test_a_multipolygon_with_a_hole(engine):
    outer = [[119.9, 28.9], [120.0, 28.9], [120.0, 29.0], [119.9, 29.0], [119.9, 28.9]]
    hole = [[119.9, 28.9], [119.95, 28.9], [119.95, 29.0], [119.9, 29.0], [119.9, 28.9]]  # the west half
    island = [[[119.8, 28.9], [119.81, 28.9], [119.81, 28.91]]]  # an open ring: closed on import
    feature = {
        "type": "Feature",
        "properties": {"NAME": "某村"},
        "geometry": {"type": "MultiPolygon", "coordinates": [[outer, hole], island]},
    }
    report = import_file(engine, "villages", _collection(feature), filename="v.json", name_property="NAME")
    assert report.ok, reasons(report)
    village = stored_villages(engine)["某村"]
    assert village.center_lon == pytest.approx(119.975, abs=0.002)  # the east half dominates
    assert json.loads(village.boundary)["coordinates"][1][0][-1] == [119.8, 28.9]


@pytest.mark.parametrize(
    ("feature", "words"),
    [
        (
            {
                "type": "Feature",
                "properties": {"name": "点"},
                "geometry": {"type": "Point", "coordinates": [120, 29]},
            },
            "Polygon or MultiPolygon, not Point",
        ),
        ({"type": "Feature", "properties": {"name": "空"}, "geometry": None}, "not missing"),
        (_square(""), "is empty"),
        (_square("远方", lon=2.35, lat=48.85), "outside the region"),
        (_square("颠倒", lon=28.92, lat=119.96), "outside the region"),
        (
            {
                "type": "Feature",
                "properties": {"name": "坏"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[120, 29], [120.1, "29"], [120, 29.1], [120, 29]]],
                },
            },
            "valid number",
        ),
        (
            {
                "type": "Feature",
                "properties": {"name": "细"},
                "geometry": {"type": "Polygon", "coordinates": [[[120, 29], [120.1, 29]]]},
            },
            "at least 3",
        ),
        ("not a feature", "not a GeoJSON Feature"),
    ],
)
def test_a_broken_feature_is_reported_by_index_and_the_others_imported(engine, feature, words):
    report = import_file(engine, "villages", _collection(_square("好村"), feature), filename="v.geojson")
    assert report.inserted == 1 and (report.rejected and not report.file_error)
    assert [e.row for e in report.rejected] == [1]
    assert words in report.rejected[0].reason, reasons(report)
    assert report.error_lines()[0].startswith("feature 1")


def test_a_repeated_name_is_reported(engine):
    report = import_file(
        engine, "villages", _collection(_square("甲村"), _square("甲村")), filename="v.geojson"
    )
    assert report.inserted == 1 and "repeats feature 0" in reasons(report)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"type": "Topology"}', "not a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": 3}', "no list of features"),
        (
            _collection(_square(None, adcode=1)),
            "no feature has the name property 'name'; the properties are: adcode",
        ),
        (b"[" * 100_000, "not valid JSON"),
    ],
)
def test_unusable_geojson(engine, data, words):
    report = import_file(engine, "villages", data, filename="v.geojson")
    assert report.file_error and words in report.file_error


def test_records_are_kept_within_2_km_of_the_imported_villages(engine):
    import_file(engine, "villages", SAMPLES / "villages.geojson")
    boundaries = [json.loads(v.boundary) for v in stored_villages(engine).values()]
    north = geo.bounds_of(boundaries).north
    one_km = 1 / 111.2
    rows = [
        {**base_row("alerts", 1), "lon": "119.97", "lat": f"{north + 1.5 * one_km:.6f}"},
        {**base_row("alerts", 2), "lon": "119.97", "lat": f"{north + 2.5 * one_km:.6f}"},
    ]
    report = run(engine, "alerts", rows)
    assert report.inserted == 1 and [e.row for e in report.rejected] == [3], reasons(report)
    assert "outside the area" in report.rejected[0].reason


def test_a_village_file_updates_properties_it_gives_and_keeps_the_others(engine):
    import_file(
        engine,
        "villages",
        _collection(_square("乙村", work_area="甲片", town="花街镇")),
        filename="v.geojson",
    )
    report = import_file(engine, "villages", _collection(_square("乙村", size=0.02)), filename="v.geojson")
    assert report.updated == 1
    village = stored_villages(engine)["乙村"]
    assert (village.work_area, village.town) == ("甲片", "花街镇")
    assert json.loads(village.boundary)["coordinates"][0][2] == [119.98, 28.94]
