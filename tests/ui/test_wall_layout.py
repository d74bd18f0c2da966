"""ui.wall_layout: where the wall puts a board's parts and how big, for each screen a duty room
may have (1280×720 to 7680×4320, 9:16 to 32:9): pure arithmetic, checked without a browser."""

from __future__ import annotations

import pytest

from ui import wall_layout
from ui.wall_layout import GAP, TILE_HEIGHT, TILE_MIN_WIDTH, VIEW_LINE, Screen, layout

SCREENS = [
    Screen(1280, 720), Screen(1920, 1080), Screen(2560, 1440), Screen(3840, 2160), Screen(7680, 4320),
    Screen(3840, 1080), Screen(2560, 1080), Screen(5760, 3240), Screen(1080, 1920), Screen(1440, 1080),
    Screen(1920, 1920), Screen(5760, 1080),
]
TILE_COUNTS = (6, 8, 10, 11)  # the five boards have 6 to 11 tiles


@pytest.mark.parametrize(("screen", "unit"), [
    (Screen(1920, 1080), 20), (Screen(3840, 2160), 40), (Screen(5760, 3240), 60), (Screen(7680, 4320), 80),
    (Screen(3840, 1080), 20), (Screen(1080, 1920), 20), (Screen(1280, 720), 20 * 720 / 1080),
])
def test_the_unit_follows_the_shorter_side(screen, unit):
    assert wall_layout.unit_px(screen) == pytest.approx(unit)


@pytest.mark.parametrize(("screen", "shape"), [
    (Screen(1920, 1080), "standard"), (Screen(1440, 1080), "standard"), (Screen(3840, 1080), "wide"),
    (Screen(2560, 1080), "wide"), (Screen(1080, 1920), "tall"), (Screen(1920, 1920), "tall"),
])
def test_the_shape_follows_the_aspect(screen, shape):
    assert wall_layout.shape(screen) == shape


@pytest.mark.parametrize("tiles", TILE_COUNTS)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s.width}x{s.height}")
def test_a_board_fills_the_screen_and_no_more(screen, tiles):
    plan = layout(screen, tiles)
    unit = plan.unit
    top = (GAP + wall_layout.header_height(plan.shape) + GAP + VIEW_LINE + GAP) * unit
    tiles_height = (plan.tile_rows * TILE_HEIGHT + (plan.tile_rows - 1) * GAP + GAP) * unit
    assert plan.tile_columns * plan.tile_rows >= tiles > plan.tile_columns * (plan.tile_rows - 1)
    if plan.shape == "wide":  # the main area beside the tiles and the side area
        bottom = [top + plan.main_height, top + tiles_height + plan.side_height]
    elif plan.shape == "tall":  # all stacked
        bottom = [top + tiles_height + plan.main_height + GAP * unit + plan.side_height]
    else:  # the tiles above the main area, beside the side area
        bottom = [top + tiles_height + plan.main_height, top + tiles_height + plan.side_height]
    for end in bottom:
        assert end <= screen.height - GAP * unit + 1, "nothing below the screen"
        assert end >= 0.95 * screen.height, "and hardly anything left empty"


@pytest.mark.parametrize("tiles", TILE_COUNTS)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s.width}x{s.height}")
def test_tiles_are_wide_enough_for_their_text(screen, tiles):
    plan = layout(screen, tiles)
    page_width = screen.width / plan.unit - 2 * GAP
    width = page_width * (1 - plan.main_width_share) - GAP if plan.tiles_beside_main else page_width
    tile_width = (width - (plan.tile_columns - 1) * GAP) / plan.tile_columns
    assert tile_width >= TILE_MIN_WIDTH - 1e-9
    assert plan.tile_columns <= wall_layout.MAX_TILE_COLUMNS


def test_tiles_widen_for_their_longest_label_or_note():
    short = wall_layout.tile_width(["办结率"], ["零发生"])
    long = wall_layout.tile_width(["办结率"], ["已办结 13,795 / 新增事件 13,927"])
    assert short == TILE_MIN_WIDTH < long
    full_hd = Screen(1920, 1080)
    assert layout(full_hd, 6, (1, 1), long).tile_columns < layout(full_hd, 6, (1, 1)).tile_columns
    assert wall_layout.text_em("已连续 70 天") == pytest.approx(4 + 2 * 0.25 + 2 * 0.55)


def test_wide_walls_put_the_map_beside_the_tiles_and_charts():
    plan = layout(Screen(3840, 1080), 11)
    assert plan.tiles_beside_main and plan.side_in_a_row
    assert plan.main_height > plan.side_height  # the map takes the whole height of its column
    assert 0.25 < plan.main_width_share < 0.5


def test_tall_screens_stack_the_map_over_the_charts():
    plan = layout(Screen(1080, 1920), 11)
    assert not plan.tiles_beside_main and not plan.side_in_a_row and plan.main_width_share == 1


def test_a_4k_wall_is_a_1080p_wall_twice_as_large():
    full_hd, four_k = layout(Screen(1920, 1080), 11), layout(Screen(3840, 2160), 11)
    assert (four_k.tile_columns, four_k.tile_rows) == (full_hd.tile_columns, full_hd.tile_rows)
    assert four_k.main_height == pytest.approx(2 * full_hd.main_height, abs=2)


@pytest.mark.parametrize(("width", "height", "believed"), [
    (1920, 1080, True), (390, 844, True), (7680, 4320, True),
    (0, 1080, False), (1920, -1, False), (100_000, 1080, False), (True, 1080, False),
    ("1920", 1080, False), (1920.5, 1080, False), (None, None, False),
])
def test_only_a_sane_reported_size_is_believed(width, height, believed):
    assert (wall_layout.believable(width, height) is not None) is believed


def test_a_tall_screen_gives_the_warnings_ticker_a_line_of_its_own():
    assert wall_layout.header_height("tall") == wall_layout.HEADER + wall_layout.TICKER_ROW
    assert wall_layout.header_height("standard") == wall_layout.header_height("wide") == wall_layout.HEADER
