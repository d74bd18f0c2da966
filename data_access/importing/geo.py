"""Village boundaries from GeoJSON, the area's bounds, and the CRS of incoming coordinates.

Boundaries are stored as GeoJSON geometry text in WGS-84; a file in GCJ-02 (高德/AutoNavi, also
DataV/ECharts outlines) is converted vertex by vertex with data_access.coords.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, Field, Strict, TypeAdapter, ValidationError

from .. import coords
from ..models import Village
from .parsing import BOOL_WORDS
from .readers import FileProblem, decode
from .report import RowError

WGS84, GCJ02 = "wgs84", "gcj02"
CRS_NAMES = (WGS84, GCJ02)
PAD_KM = 2.0  # points this far outside every village boundary are still accepted
KM_PER_DEGREE_LAT = 111.2
MAX_NAME_LENGTH = Village.__table__.c.name.type.length
# A boundary file is read whole (JSON, then shapes): some 20 times its size in memory. A county's
# village outlines take about 1 MB (shared/data/real/).
MAX_GEOJSON_BYTES = 5 * 2**20

# Optional properties of a village feature, with the spellings accepted for each.
VILLAGE_PROPERTIES = {
    "work_area": ("work_area", "工作片", "片区"),
    "town": ("town", "镇", "乡镇"),
    "in_micro_centre": ("in_micro_centre", "微中心"),
}

LonLat = tuple[float, float]


@dataclass(frozen=True)
class Bounds:
    """A lon/lat box."""

    west: float
    south: float
    east: float
    north: float

    def contains(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north

    def padded(self, km: float) -> Bounds:
        """The box grown by `km` on every side."""
        dlat = km / KM_PER_DEGREE_LAT
        # A degree of longitude is shorter away from the equator; Zhejiang is below 32°N.
        dlon = km / (KM_PER_DEGREE_LAT * 0.848)
        return Bounds(self.west - dlon, self.south - dlat, self.east + dlon, self.north + dlat)

    def __str__(self) -> str:
        return f"lon {self.west:.4f}…{self.east:.4f}, lat {self.south:.4f}…{self.north:.4f}"


# Where coordinates may fall when no village has a boundary yet: Zhejiang, generously.
REGION_BOUNDS = Bounds(118.0, 27.0, 123.0, 31.5)


def to_wgs84(crs: str) -> Callable[[float, float], LonLat]:
    """The function that turns a (lon, lat) in `crs` into WGS-84."""
    if crs not in CRS_NAMES:
        raise ValueError(f"unknown CRS {crs!r}: use one of {', '.join(CRS_NAMES)}")
    return coords.gcj02_to_wgs84 if crs == GCJ02 else lambda lon, lat: (lon, lat)


def _polygons(geometry: dict) -> list:
    """A Polygon's or MultiPolygon's polygons, each a list of rings (the outer one first)."""
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


def positions(geometry: dict) -> Iterator[list[float]]:
    """Every position of a Polygon or MultiPolygon."""
    for polygon in _polygons(geometry):
        for ring in polygon:
            yield from ring


def bounds_of(geometries: Iterable[dict]) -> Bounds | None:
    """The box around all `geometries`, None when there are none."""
    lons: list[float] = []
    lats: list[float] = []
    for geometry in geometries:
        for lon, lat, *_ in positions(geometry):
            lons.append(lon)
            lats.append(lat)
    return Bounds(min(lons), min(lats), max(lons), max(lats)) if lons else None


def area_bounds(boundaries: Iterable[str]) -> Bounds:
    """Where records may lie: around the stored village boundaries, or the region when there are none."""
    geometries = []
    for text in boundaries:
        try:
            geometry = json.loads(text)
        except ValueError:
            continue  # a damaged stored boundary is not this file's fault; the others still count
        if isinstance(geometry, dict) and geometry.get("type") in ("Polygon", "MultiPolygon"):
            geometries.append(geometry)
    box = bounds_of(geometries)
    return box.padded(PAD_KM) if box else REGION_BOUNDS


def _ring_moments(ring: list[list[float]]) -> tuple[float, float, float]:
    """Signed area and first moments of a closed ring (shoelace), relative to its first vertex."""
    x0, y0 = ring[0][0], ring[0][1]
    area = mx = my = 0.0
    for (xa, ya, *_), (xb, yb, *_) in zip(ring, ring[1:]):
        xa, ya, xb, yb = xa - x0, ya - y0, xb - x0, yb - y0
        cross = xa * yb - xb * ya
        area += cross
        mx += (xa + xb) * cross
        my += (ya + yb) * cross
    area /= 2
    return area, mx / 6 + x0 * area, my / 6 + y0 * area


def centre(geometry: dict) -> LonLat:
    """The area-weighted centroid (holes subtracted); the vertices' mean for a degenerate shape."""
    total = sx = sy = 0.0
    for polygon in _polygons(geometry):
        for k, ring in enumerate(polygon):
            area, mx, my = _ring_moments(ring)
            sign = (1 if k == 0 else -1) * (1 if area >= 0 else -1)  # outer adds, holes subtract
            total += sign * area
            sx += sign * mx
            sy += sign * my
    if abs(total) < 1e-14:
        points = list(positions(geometry))
        return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
    return sx / total, sy / total


# GeoJSON geometry, validated by pydantic: positions are 2 or 3 finite numbers, rings have
# at least 3 of them (a ring left open is closed here), a polygon has at least its outer ring.
_Coordinate = Annotated[float, Strict(), Field(allow_inf_nan=False)]
_Position = Annotated[list[_Coordinate], Field(min_length=2, max_length=3)]
_Ring = Annotated[list[_Position], Field(min_length=3)]
_Rings = Annotated[list[_Ring], Field(min_length=1)]


class _Polygon(BaseModel):
    type: Literal["Polygon"]
    coordinates: _Rings


class _MultiPolygon(BaseModel):
    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[_Rings], Field(min_length=1)]


_GEOMETRY = TypeAdapter(Annotated[_Polygon | _MultiPolygon, Field(discriminator="type")])


@dataclass
class VillageFeature:
    """One village of a GeoJSON file, ready to store; None for a property the file does not give."""

    index: int
    name: str
    boundary: str
    center_lon: float
    center_lat: float
    work_area: str | None = None
    town: str | None = None
    in_micro_centre: bool | None = None


@dataclass
class VillageFile:
    features: list[VillageFeature]
    rejected: list[RowError]
    ignored: list[str]
    count: int


def _closed(geometry: dict) -> dict:
    """The geometry with every ring ending where it starts; ValueError for a ring too short to close."""
    for polygon in _polygons(geometry):
        for ring in polygon:
            if ring[0][:2] != ring[-1][:2]:
                ring.append(list(ring[0]))
            if len(ring) < 4:
                raise ValueError("geometry has a ring of fewer than 3 distinct points")
    return geometry


def _geometry(raw: object, convert: Callable[[float, float], LonLat]) -> dict:
    """A stored geometry (WGS-84, closed rings, 7 decimals) from a feature's geometry; ValueError why not."""
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"geometry must be a Polygon or MultiPolygon, not {kind or 'missing'}")
    try:
        shape = _GEOMETRY.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:])
        raise ValueError(f"geometry {where}: {first['msg']}") from None
    geometry = _closed({"type": shape.type, "coordinates": shape.coordinates})
    stored = coords.transform_geometry(geometry, convert)
    outside = next(
        ((lon, lat) for lon, lat in positions(stored) if not REGION_BOUNDS.contains(lon, lat)), None
    )
    if outside:
        raise ValueError(
            f"geometry has a point ({outside[0]:.6f}, {outside[1]:.6f}) outside the region "
            f"({REGION_BOUNDS}): lon and lat swapped, or another coordinate system?"
        )
    return stored


class _Refused(ValueError):
    """A feature that breaks a rule: which property (or 'geometry') and why."""

    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column = column


def _property(props: dict, names: tuple[str, ...]) -> tuple[bool, object]:
    for name in names:
        if name in props:
            return True, props[name]
    return False, None


def _optional_text(value: object) -> str | None:
    text = "" if value is None else str(value).strip()
    return text[:MAX_NAME_LENGTH] or None


def _optional_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = BOOL_WORDS.get(str(value).strip().lower())
    if word is None:
        raise _Refused("in_micro_centre", "must be a yes/no value (是/否, true/false, 1/0)")
    return word


def _village(index: int, feature: object, props: dict, name_property: str, convert) -> VillageFeature:
    """One feature as a village to store; _Refused when it breaks a rule."""
    raw_name = props.get(name_property)
    name = "" if raw_name is None else str(raw_name).strip()
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise _Refused("", "not a GeoJSON Feature")
    if not name:
        raise _Refused(name_property, f"the name property {name_property!r} is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise _Refused(name_property, f"the name is longer than {MAX_NAME_LENGTH} characters")
    try:
        geometry = _geometry(feature.get("geometry"), convert)
    except ValueError as exc:
        raise _Refused("geometry", str(exc)) from None
    village = VillageFeature(index, name, json.dumps(geometry, separators=(",", ":")), *centre(geometry))
    given, value = _property(props, VILLAGE_PROPERTIES["work_area"])
    village.work_area = _optional_text(value) if given else None
    given, value = _property(props, VILLAGE_PROPERTIES["town"])
    village.town = _optional_text(value) if given else None
    given, value = _property(props, VILLAGE_PROPERTIES["in_micro_centre"])
    village.in_micro_centre = _optional_bool(value) if given and value is not None else None
    return village


def _features(document: object) -> list:
    if isinstance(document, dict) and document.get("type") == "Feature":
        return [document]
    if not (isinstance(document, dict) and document.get("type") == "FeatureCollection"):
        raise FileProblem("not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise FileProblem("the FeatureCollection has no list of features")
    return features


def read_villages(data: bytes, name_property: str = "name", crs: str = WGS84) -> VillageFile:
    """The villages of a GeoJSON file; a feature that breaks a rule is reported by its index."""
    convert = to_wgs84(crs)
    if len(data) > MAX_GEOJSON_BYTES:
        raise FileProblem(f"a boundary file may be at most {MAX_GEOJSON_BYTES // 2**20} MB: "
                          "simplify the outlines "
                          "or split the villages into several files")
    try:
        document = json.loads(decode(data))
    except (ValueError, RecursionError) as exc:
        raise FileProblem(f"not valid JSON: {str(exc)[:120]}") from None
    features = _features(document)
    properties = [f.get("properties") or {} if isinstance(f, dict) else {} for f in features]
    properties = [p if isinstance(p, dict) else {} for p in properties]
    if features and not any(name_property in p for p in properties):
        found = ", ".join(sorted({str(k) for p in properties for k in p})) or "none"
        raise FileProblem(f"no feature has the name property {name_property!r}; the properties are: {found}")
    known = {name_property, *(n for names in VILLAGE_PROPERTIES.values() for n in names)}
    ignored = sorted({str(k) for p in properties for k in p if k not in known})
    result = VillageFile([], [], ignored, len(features))
    first_index: dict[str, int] = {}
    for index, (feature, props) in enumerate(zip(features, properties)):
        try:
            village = _village(index, feature, props, name_property, convert)
            if village.name in first_index:
                raise _Refused(name_property, f"the name repeats feature {first_index[village.name]}")
        except _Refused as exc:
            value = props.get(name_property) if exc.column == name_property else None
            result.rejected.append(RowError(index, exc.column, "" if value is None else str(value), str(exc)))
            continue
        first_index[village.name] = index
        result.features.append(village)
    return result
