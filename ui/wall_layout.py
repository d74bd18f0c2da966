"""Where the wall screen puts a board's parts and how big they are, for the screen it is on: a
pure function of the screen's size in CSS pixels and of the board's tiles (no Streamlit), so
that it is tested without a browser.

Every size is a multiple of the unit, the root font size of assets/wall.css: 20 px on a
1920×1080 screen and in proportion to the screen's shorter side elsewhere (40 px at 3840×2160,
60 px on a 3×3 wall of 1080p panels), so that text keeps its share of the screen and reads from
five metres at any size. Duty-room walls run at 1:1 pixels in whatever aspect their panels
make: wide ones (32:9) put the main area (the map) beside the tiles and charts, tall ones
(9:16) stack everything, the rest have the tiles on top and the map beside the charts.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

BASE_UNIT_PX = 20  # the unit on a 1920×1080 screen
BASE_SHORT_SIDE_PX = 1080
WIDE_ASPECT, TALL_ASPECT = 2.2, 1.1  # width ÷ height: at or above, wide; below, tall
SMALLEST_SCREEN, LARGEST_SCREEN = 240, 16_384  # a reported size outside these is not believed

# Heights and widths in units, as assets/wall.css draws them.
GAP = 0.6  # between blocks, and around the page
HEADER = 2.8  # the title bar with the clock (and, beside the title, the warnings' badge and ticker)
TICKER_ROW = 2.2  # on a tall screen the warnings' badge and ticker take a second line of the header
VIEW_LINE = 2.0  # the view's name and period, the data time or the outage banner
TILE_HEIGHT = 6.5  # label, value and note, with their padding
TILE_MIN_WIDTH = 11.0
TILE_PADDING = 1.7  # left and right, and the border
LABEL_SIZE, NOTE_SIZE = 1.0, 0.95  # a tile's label and note, in units (its value shrinks to fit)
LONGEST_WALL_LABEL = 14.0  # em: a longer label gives way to the tile's short one
MAX_TILE_COLUMNS = 6
TALL_MAIN_SHARE = 0.5  # on a tall screen, the main area's share of the height below the tiles
WIDE_MAIN_SHARE = 0.6  # on a wide one, its share of the width is split[0] / sum(split) of this
MIN_AREA = 4.0  # an area is never lower than this, however small the screen


@dataclass(frozen=True)
class Screen:
    """A browser viewport in CSS pixels."""

    width: int
    height: int

    @property
    def aspect(self) -> float:
        return self.width / self.height


FULL_HD = Screen(1920, 1080)


def believable(width: object, height: object) -> Screen | None:
    """A Screen from what a browser reported, or None for anything but two sane whole numbers."""
    sizes = (width, height)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in sizes):
        return None
    if not all(SMALLEST_SCREEN <= v <= LARGEST_SCREEN for v in sizes):
        return None
    return Screen(width, height)


def unit_px(screen: Screen) -> float:
    """The root font size: 20 px at 1080p, in proportion to the screen's shorter side."""
    return BASE_UNIT_PX * min(screen.width, screen.height) / BASE_SHORT_SIDE_PX


def header_height(form: str) -> float:
    """The header's height in units: one line, or two on a tall screen (too narrow for the title,
    the clock and the warnings' ticker side by side)."""
    return HEADER + (TICKER_ROW if form == "tall" else 0.0)


def shape(screen: Screen) -> str:
    """'wide' (32:9, 21:9: the map beside the rest), 'tall' (9:16, 1:1: stacked) or 'standard'."""
    if screen.aspect >= WIDE_ASPECT:
        return "wide"
    return "tall" if screen.aspect < TALL_ASPECT else "standard"


@dataclass(frozen=True)
class Layout:
    """A board on a screen: sizes in CSS pixels, the unit being the root font size."""

    shape: str
    unit: float
    main_width_share: float  # of the page's width: the main area's column ('tall': the whole width)
    tile_columns: int
    tile_rows: int
    main_height: int  # the main area (a map fills it)
    side_height: int  # the side area, whose charts share it
    side_in_a_row: bool  # the side area's charts side by side (a wide screen's strip), else stacked

    @property
    def tiles_beside_main(self) -> bool:
        """Whether the tiles sit in the column beside the main area rather than above both areas."""
        return self.shape == "wide"


NARROW = {" ": 0.25, ",": 0.28, ".": 0.28, ":": 0.28, "/": 0.35, "·": 0.3, "-": 0.35, "%": 0.85}


def text_em(text: str) -> float:
    """About how wide `text` is in em in the wall's sans-serif face: CJK 1, digits 0.55, Latin 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else NARROW.get(c, 0.55 if c.isdigit() else 0.6)
               for c in text)


def tile_width(labels: Iterable[str], notes: Iterable[str]) -> float:
    """The width in units a tile needs so that the longest label and note fit on their line."""
    widths = [LABEL_SIZE * text_em(text) for text in labels] + [NOTE_SIZE * text_em(text) for text in notes]
    return max(TILE_MIN_WIDTH, max(widths, default=0.0) + TILE_PADDING)


def layout(screen: Screen, tiles: int, split: tuple[int, int] = (3, 2), min_tile_width: float = TILE_MIN_WIDTH
           ) -> Layout:
    """The layout of a board with `tiles` tiles, each at least `min_tile_width` units wide
    (tile_width), whose main and side areas take widths `split` (on a page; the wall fits them
    to its screen)."""
    unit = unit_px(screen)
    form = shape(screen)
    page_width = screen.width / unit - 2 * GAP
    below_header = screen.height / unit - (GAP + header_height(form) + GAP + VIEW_LINE + GAP) - GAP
    main_share = WIDE_MAIN_SHARE * split[0] / sum(split) if form == "wide" else split[0] / sum(split)
    tiles_width = page_width * (1 - main_share) - GAP if form == "wide" else page_width
    columns, rows = _tile_grid(tiles, tiles_width, min_tile_width)
    tiles_height = rows * TILE_HEIGHT + (rows - 1) * GAP + GAP if rows else 0
    if form == "wide":
        main, side = below_header, below_header - tiles_height
    elif form == "tall":
        body = below_header - tiles_height
        main = body * TALL_MAIN_SHARE
        side = body - main - GAP
    else:
        main = side = below_header - tiles_height
    return Layout(
        shape=form,
        unit=unit,
        main_width_share=1.0 if form == "tall" else main_share,
        tile_columns=columns,
        tile_rows=rows,
        main_height=math.floor(max(main, MIN_AREA) * unit),
        side_height=math.floor(max(side, MIN_AREA) * unit),
        side_in_a_row=form == "wide",
    )


def _tile_grid(tiles: int, width: float, min_tile_width: float) -> tuple[int, int]:
    """Columns and rows of `tiles` tiles in `width` units: as many columns as fit (at most
    MAX_TILE_COLUMNS), then as few as keep that number of rows (rows of even length)."""
    if tiles <= 0:
        return 0, 0
    fit = int((width + GAP) // (min_tile_width + GAP))
    rows = math.ceil(tiles / max(1, min(MAX_TILE_COLUMNS, fit)))
    return math.ceil(tiles / rows), rows
