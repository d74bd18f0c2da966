"""WGS-84 ↔ GCJ-02 (the offset 'Mars' datum of 高德/AutoNavi tiles).

The forward transform is the published one; the inverse is found by fixed-point iteration
on it, which converges to well under a centimetre around Huajie in a few steps.
"""

from __future__ import annotations

import math

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
INVERSE_TOLERANCE_DEG = 1e-9  # about 0.1 mm
INVERSE_MAX_STEPS = 30


def _delta(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """(lon, lat) in WGS-84 → GCJ-02."""
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """(lon, lat) in GCJ-02 → WGS-84, exact to INVERSE_TOLERANCE_DEG."""
    wlon, wlat = lon, lat
    for _ in range(INVERSE_MAX_STEPS):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = glon - lon, glat - lat
        if abs(elon) < INVERSE_TOLERANCE_DEG and abs(elat) < INVERSE_TOLERANCE_DEG:
            break
        wlon, wlat = wlon - elon, wlat - elat
    return wlon, wlat


def transform_geometry(geometry: dict, point_fn) -> dict:
    """A GeoJSON geometry (Point, Polygon, MultiPolygon, …) with every position passed through
    `point_fn(lon, lat) -> (lon, lat)`; extra coordinates (altitude) are dropped."""

    def walk(coords):
        if coords and isinstance(coords[0], (int, float)):
            lon, lat = point_fn(coords[0], coords[1])
            return [round(lon, 7), round(lat, 7)]
        return [walk(c) for c in coords]

    return {**geometry, "coordinates": walk(geometry["coordinates"])}
