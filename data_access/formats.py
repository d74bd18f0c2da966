"""How figures and colours read wherever they are shown: the views, the wall, the exports and the
briefing. Rates with two decimals, signed changes, '—' for no value (DOMAIN.md); the hazard
levels' and the 三色 warning's colours."""

from __future__ import annotations

from .models import HAZARD_LEVELS

NO_VALUE = "—"

# Hazard levels (重大 / 较大 / 一般): red, orange, gold. Gold rather than pure yellow so that
# 一般 points stay visible on a light basemap and a yellow cell stays readable in print.
LEVEL_COLOURS: dict[str, str] = dict(zip(HAZARD_LEVELS, ("#d62728", "#ff7f0e", "#e6b800"), strict=True))
# 三色预警 as returned by data_access.hazards.warning_colour.
WARNING_COLOURS: dict[str, str] = {"red": "#d62728", "yellow": "#f2c200", "green": "#2ca02c"}
WARNING_NAMES = {"red": "红", "yellow": "黄", "green": "绿"}  # in Chinese, for the exports


def rate(value: float | None) -> str:
    """0.99920… → '99.92%'; None (a zero denominator) → '—'."""
    return NO_VALUE if value is None else f"{value * 100:.2f}%"


def change(value: float | None) -> str:
    """-0.1734 → '-17.34%', 0.05 → '+5.00%'; None → '—'."""
    return NO_VALUE if value is None else f"{value * 100:+.2f}%"


def count(value: int | None) -> str:
    """12345 → '12,345'; None → '—'."""
    return NO_VALUE if value is None else f"{value:,}"
