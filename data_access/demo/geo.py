"""Demo geography: villages tiling a jittered lattice, their grids, and points inside them.

Each village is a 2 × 2 block of cells of a fine, jittered lattice, so neighbouring
villages share their boundary vertices exactly and nothing overlaps. A village is a
piecewise-bilinear image of the square [0, 2]², which gives grids (rectangles in that
square) and random points inside a grid for free.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

KM_PER_DEGREE_LAT = 110.9
VERTEX_JITTER = 0.22  # of a fine cell; under 0.25 keeps every cell a simple quadrilateral
POINT_MARGIN = 0.06  # keep generated points this far (in grid parameter units) inside a grid
COORD_DECIMALS = 6

# Row splits of a village's [0, 2]² square into grids: one entry per row, columns per row.
GRID_LAYOUTS = {3: (3,), 4: (2, 2), 5: (2, 3), 6: (3, 3)}


@dataclass(frozen=True)
class Lattice:
    """A jittered lattice of fine vertices, two per coarse cell side, in degrees."""

    points: np.ndarray  # (2 * cols + 1, 2 * rows + 1, 2): lon, lat

    def cell(self, col: int, row: int) -> np.ndarray:
        """The 3 × 3 fine vertices of coarse cell (col, row), indexed [x, y, lon/lat]."""
        return self.points[2 * col : 2 * col + 3, 2 * row : 2 * row + 3]


def lattice(
    rng: np.random.Generator,
    cols: int,
    rows: int,
    south_west: tuple[float, float],
    cell_km: tuple[float, float],
) -> Lattice:
    """A lattice of cols × rows coarse cells starting at `south_west` (lon, lat)."""
    lon0, lat0 = south_west
    step_lat = cell_km[1] / 2 / KM_PER_DEGREE_LAT
    step_lon = cell_km[0] / 2 / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat0)))
    xs, ys = np.meshgrid(np.arange(2 * cols + 1), np.arange(2 * rows + 1), indexing="ij")
    jitter = rng.uniform(-VERTEX_JITTER, VERTEX_JITTER, size=(*xs.shape, 2))
    lon = lon0 + (xs + jitter[..., 0]) * step_lon
    lat = lat0 + (ys + jitter[..., 1]) * step_lat
    return Lattice(np.stack([lon, lat], axis=-1))


def _bilinear(cells: np.ndarray, which: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Points of village squares: cells (k, 3, 3, 2), which (n,) into cells, u and v in [0, 2]."""
    iu = np.clip(np.floor(u), 0, 1).astype(np.int64)
    iv = np.clip(np.floor(v), 0, 1).astype(np.int64)
    s = (u - iu)[:, None]
    t = (v - iv)[:, None]
    p00 = cells[which, iu, iv]
    p10 = cells[which, iu + 1, iv]
    p01 = cells[which, iu, iv + 1]
    p11 = cells[which, iu + 1, iv + 1]
    return (1 - s) * (1 - t) * p00 + s * (1 - t) * p10 + (1 - s) * t * p01 + s * t * p11


def _edge(a: float, b: float) -> list[float]:
    """Parameter values from a to b, with the fine lattice line 1 in between when crossed."""
    inner = [1.0] if min(a, b) < 1.0 < max(a, b) else []
    return [a, *inner, b]


def ring(cell: np.ndarray, u0: float, u1: float, v0: float, v1: float) -> list[list[float]]:
    """The closed, counter-clockwise ring of the parameter rectangle [u0, u1] × [v0, v1]."""
    params = (
        [(u, v0) for u in _edge(u0, u1)[:-1]]
        + [(u1, v) for v in _edge(v0, v1)[:-1]]
        + [(u, v1) for u in _edge(u1, u0)[:-1]]
        + [(u0, v) for v in _edge(v1, v0)[:-1]]
    )
    params.append(params[0])
    uv = np.array(params)
    points = np.round(_bilinear(cell[None], np.zeros(len(uv), np.int64), uv[:, 0], uv[:, 1]), COORD_DECIMALS)
    return points.tolist()


def polygon_json(coordinates: list[list[float]]) -> str:
    """A GeoJSON Polygon geometry with one ring."""
    return json.dumps({"type": "Polygon", "coordinates": [coordinates]}, separators=(",", ":"))


def grid_rects(count: int) -> list[tuple[float, float, float, float]]:
    """`count` (3–6) rectangles (u0, u1, v0, v1) tiling a village's square [0, 2]²."""
    layout = GRID_LAYOUTS[count]
    height = 2 / len(layout)
    rects = []
    for r, columns in enumerate(layout):
        width = 2 / columns
        for c in range(columns):
            rects.append((c * width, (c + 1) * width, r * height, (r + 1) * height))
    return rects


def points_in(
    rng: np.random.Generator, cells: np.ndarray, rects: np.ndarray, grid_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Random (lat, lon) inside grids: cells (n_grids, 3, 3, 2), rects (n_grids, 4)."""
    r = rects[grid_index]
    span_u = r[:, 1] - r[:, 0]
    span_v = r[:, 3] - r[:, 2]
    u = r[:, 0] + span_u * rng.uniform(POINT_MARGIN, 1 - POINT_MARGIN, len(grid_index))
    v = r[:, 2] + span_v * rng.uniform(POINT_MARGIN, 1 - POINT_MARGIN, len(grid_index))
    points = _bilinear(cells, grid_index, u, v)
    return np.round(points[:, 1], COORD_DECIMALS), np.round(points[:, 0], COORD_DECIMALS)
