"""Demo places: Huajie town's villages, work areas and grids, or a city of towns.

The town has 26 villages on a 6 × 5 lattice without its corners; the micro-centre's four
villages form the 2 × 2 block at the town seat. The city has 12 towns of 5 × 5 villages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from . import geo
from .people import names as person_names

TOWN = "花街镇"
SEAT = (119.9686, 28.9226)  # lon, lat of the Huajie town seat, WGS-84
MICRO_AREA = "倪宅片区"
MICRO_VILLAGES = ("倪宅村", "凤凰村", "桃源村", "上京岭村")  # SW, SE, NW, NE of the block
MICRO_WEIGHTS = (1.5, 1.1, 1.0, 0.9)  # relative size, 倪宅村 being the built-up seat
OTHER_AREAS = {
    "八字墙上片": ("八字墙村", "小界岭村", "杨坑村", "下王村", "雅陈村"),
    "八字墙下片": ("塘头应村", "双溪村", "溪边汪村", "潘宅村"),
    "大屋片": ("大屋村", "金杜村", "颜宅村", "项宅村", "下殿村"),
    "花街片": ("花街村", "金丰村", "新川村", "杨公村"),
    "尚仁片": ("尚仁村", "枫树塘村", "寺前村", "黄园村"),
}
GRIDS_PER_VILLAGE = (3, 6)  # inclusive range

TOWN_COLS, TOWN_ROWS = 6, 5
TOWN_CELL_KM = (10 / TOWN_COLS, 8 / TOWN_ROWS)
TOWN_SKIPPED = {(0, 0), (TOWN_COLS - 1, 0), (0, TOWN_ROWS - 1), (TOWN_COLS - 1, TOWN_ROWS - 1)}
# The micro-centre block's centre vertex sits just north-east of the seat, inside 倪宅村.
SEAT_OFFSET_DEG = (0.004, 0.003)
TOWN_MICRO_BLOCK = (2, 2)  # south-west cell of the 2 × 2 block

CITY_CENTRE = (120.0430, 28.8914)  # 永康市, WGS-84
CITY_TOWNS = (
    "东城街道", "西城街道", "江南街道", "石柱镇", "前仓镇", TOWN,
    "舟山镇", "古山镇", "方岩镇", "龙山镇", "西溪镇", "芝英镇",
)  # fmt: skip
CITY_TOWN_BLOCKS = (4, 3)  # towns across, towns down
CITY_TOWN_SIDE = 5  # villages per town side
CITY_MICRO_BLOCK = (1, 1)
SYNTHETIC_PREFIXES = "王李胡应徐吕朱程陈金楼章周杜施俞卢叶潘颜下上前后东西南北新大小高石溪山塘桥岩"
SYNTHETIC_SUFFIXES = (
    "宅",
    "坑",
    "塘",
    "店",
    "园",
    "川",
    "岭",
    "头",
    "溪",
    "山",
    "畈",
    "桥",
    "垅",
    "岩",
    "门",
    "口",
)
SYNTHETIC_AREA_SUFFIXES = ("东片", "北片", "西片", "南片")


@dataclass
class Places:
    """Villages and grids as parallel arrays; ids are filled in when they are written."""

    names: list[str]
    work_areas: list[str]
    towns: list[str]
    micro: np.ndarray  # bool per village
    weights: np.ndarray  # relative size per village, summing to 1
    cells: np.ndarray  # (villages, 3, 3, 2) fine lattice vertices
    grid_village: np.ndarray  # village index per grid
    grid_names: list[str]
    grid_rects: np.ndarray  # (grids, 4): u0, u1, v0, v1
    grid_workers: np.ndarray  # the grid worker's name per grid
    village_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    grid_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def micro_index(self) -> np.ndarray:
        return np.flatnonzero(self.micro)

    def boundary(self, village: int) -> list[list[float]]:
        return geo.ring(self.cells[village], 0, 2, 0, 2)

    def grid_boundary(self, grid: int) -> list[list[float]]:
        return geo.ring(self.cells[self.grid_village[grid]], *self.grid_rects[grid])

    def centre(self, village: int) -> tuple[float, float]:
        """(lat, lon) of the village's middle lattice vertex, always inside it."""
        lon, lat = self.cells[village, 1, 1]
        return round(float(lat), geo.COORD_DECIMALS), round(float(lon), geo.COORD_DECIMALS)

    def random_grids(self, rng: np.random.Generator, villages: np.ndarray) -> np.ndarray:
        """A random grid of each given village."""
        first = np.searchsorted(self.grid_village, villages, side="left")
        last = np.searchsorted(self.grid_village, villages, side="right")
        return first + (rng.random(len(villages)) * (last - first)).astype(np.int64)

    def points(self, rng: np.random.Generator, grids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Random (lat, lon) inside each given grid."""
        return geo.points_in(rng, self.cells[self.grid_village], self.grid_rects, grids)


def _by_angle(cells: list[tuple[int, int]], centre: tuple[float, float]) -> list[tuple[int, int]]:
    """Cells ordered counter-clockwise around `centre`, starting east."""

    def angle(cell: tuple[int, int]) -> float:
        return math.atan2(cell[1] + 0.5 - centre[1], cell[0] + 0.5 - centre[0]) % (2 * math.pi)

    return sorted(cells, key=angle)


def _assign(
    cells: list[tuple[int, int]], micro_sw: tuple[int, int] | None, areas: dict[str, tuple[str, ...]]
) -> dict[tuple[int, int], tuple[str, str, bool]]:
    """Cell → (village, work area, in micro-centre): the micro block first, the rest by sector."""
    named: dict[tuple[int, int], tuple[str, str, bool]] = {}
    rest = list(cells)
    if micro_sw is not None:
        x, y = micro_sw
        block = [(x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)]
        for cell, name in zip(block, MICRO_VILLAGES, strict=True):
            named[cell] = (name, MICRO_AREA, True)
            rest.remove(cell)
        centre = (x + 1.0, y + 1.0)
    else:
        xs, ys = zip(*cells, strict=True)
        centre = ((min(xs) + max(xs) + 1) / 2, (min(ys) + max(ys) + 1) / 2)
    ordered = iter(_by_angle(rest, centre))
    for area, villages in areas.items():
        for name in villages:
            named[next(ordered)] = (name, area, False)
    return named


def _grids(rng: np.random.Generator, village_names: list[str]) -> tuple[np.ndarray, list[str], np.ndarray]:
    low, high = GRIDS_PER_VILLAGE
    counts = rng.integers(low, high + 1, len(village_names))
    grid_village = np.repeat(np.arange(len(village_names)), counts)
    grid_names = [f"{village_names[v]}第{k}网格" for v, n in enumerate(counts) for k in range(1, n + 1)]
    rects = np.array([rect for n in counts for rect in geo.grid_rects(int(n))])
    return grid_village, grid_names, rects


def _places(
    rng: np.random.Generator,
    lattice: geo.Lattice,
    named: dict[tuple[int, int], tuple[str, str, bool]],
    towns: dict[tuple[int, int], str],
) -> Places:
    cells = sorted(named, key=lambda c: (towns[c], named[c][1], named[c][0]))
    village_names = [named[c][0] for c in cells]
    micro = np.array([named[c][2] for c in cells])
    weights = rng.lognormal(0.0, 0.35, len(cells))
    for i, name in enumerate(village_names):
        if name in MICRO_VILLAGES and micro[i]:
            weights[i] = MICRO_WEIGHTS[MICRO_VILLAGES.index(name)]
    grid_village, grid_names, rects = _grids(rng, village_names)
    workers = person_names(rng, rng.random(len(grid_names)) < 0.5)
    return Places(
        names=village_names,
        work_areas=[named[c][1] for c in cells],
        towns=[towns[c] for c in cells],
        micro=micro,
        weights=weights / weights.sum(),
        cells=np.stack([lattice.cell(*c) for c in cells]),
        grid_village=grid_village,
        grid_names=grid_names,
        grid_rects=rects,
        grid_workers=workers,
    )


def town(rng: np.random.Generator) -> Places:
    """Huajie's 26 villages in six work areas around the town seat."""
    lat0 = SEAT[1]
    cell_lat = TOWN_CELL_KM[1] / geo.KM_PER_DEGREE_LAT
    cell_lon = TOWN_CELL_KM[0] / (geo.KM_PER_DEGREE_LAT * math.cos(math.radians(lat0)))
    bx, by = TOWN_MICRO_BLOCK
    south_west = (
        SEAT[0] + SEAT_OFFSET_DEG[0] - (bx + 1) * cell_lon,
        SEAT[1] + SEAT_OFFSET_DEG[1] - (by + 1) * cell_lat,
    )
    lattice = geo.lattice(rng, TOWN_COLS, TOWN_ROWS, south_west, TOWN_CELL_KM)
    cells = [c for c in product(range(TOWN_COLS), range(TOWN_ROWS)) if c not in TOWN_SKIPPED]
    named = _assign(cells, TOWN_MICRO_BLOCK, OTHER_AREAS)
    return _places(rng, lattice, named, {c: TOWN for c in cells})


def _synthetic_village_names(rng: np.random.Generator, count: int) -> list[str]:
    taken = set(MICRO_VILLAGES).union(*OTHER_AREAS.values())
    combos = [f"{p}{s}村" for p, s in product(SYNTHETIC_PREFIXES, SYNTHETIC_SUFFIXES)]
    combos = [c for c in combos if c not in taken]
    return [combos[i] for i in rng.permutation(len(combos))[:count]]


def city(rng: np.random.Generator) -> Places:
    """Twelve towns of 25 villages each, Huajie among them with the micro-centre."""
    across, down = CITY_TOWN_BLOCKS
    cols, rows = across * CITY_TOWN_SIDE, down * CITY_TOWN_SIDE
    cell_lat = TOWN_CELL_KM[1] / geo.KM_PER_DEGREE_LAT
    cell_lon = TOWN_CELL_KM[0] / (geo.KM_PER_DEGREE_LAT * math.cos(math.radians(CITY_CENTRE[1])))
    south_west = (CITY_CENTRE[0] - cols / 2 * cell_lon, CITY_CENTRE[1] - rows / 2 * cell_lat)
    lattice = geo.lattice(rng, cols, rows, south_west, TOWN_CELL_KM)
    synthetic = iter(_synthetic_village_names(rng, (len(CITY_TOWNS) - 1) * CITY_TOWN_SIDE**2))
    named: dict[tuple[int, int], tuple[str, str, bool]] = {}
    towns: dict[tuple[int, int], str] = {}
    for k, town_name in enumerate(CITY_TOWNS):
        tx, ty = (k % across) * CITY_TOWN_SIDE, (k // across) * CITY_TOWN_SIDE
        block = [(tx + x, ty + y) for x, y in product(range(CITY_TOWN_SIDE), range(CITY_TOWN_SIDE))]
        if town_name == TOWN:
            areas = dict(OTHER_AREAS)
            areas["尚仁片"] = areas["尚仁片"][:-1]  # 25 cells, 26 villages: one is left out
            micro_sw = (tx + CITY_MICRO_BLOCK[0], ty + CITY_MICRO_BLOCK[1])
            named.update(_assign(block, micro_sw, areas))
        else:
            sizes = np.array_split(np.arange(len(block)), len(SYNTHETIC_AREA_SUFFIXES))
            short = town_name[:2]
            areas = {
                f"{short}{sfx}": tuple(next(synthetic) for _ in part)
                for sfx, part in zip(SYNTHETIC_AREA_SUFFIXES, sizes, strict=True)
            }
            named.update(_assign(block, None, areas))
        towns.update({c: town_name for c in block})
    return _places(rng, lattice, named, towns)
