"""Colours of the maps and the charts (the levels' and 三色 colours are data_access.formats'), and the
classes of the village shading."""

from __future__ import annotations

import math
from collections.abc import Sequence

from data_access.formats import LEVEL_COLOURS, WARNING_COLOURS  # noqa: F401 (the colours of record, kept here too)

UNKNOWN_COLOUR = "#8c8c8c"

# Village shading and heat grids, light to dark (ColorBrewer PuBu). Blue-purple so that the
# red/orange/gold hazard points drawn on top of the villages never blend into the fill.
SEQUENTIAL: tuple[str, ...] = ("#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d")

GENDER_COLOURS: dict[str, str] = {"男": "#4c78a8", "女": "#e45756"}

# Two-series comparisons: what came in against what was dealt with.
INCOMING_COLOUR = "#ff7f0e"
DONE_COLOUR = "#2ca02c"
ALERT_COLOUR = "#6a3d9a"  # police-alert hotspots: apart from every level colour
SINGLE_COLOUR = "#4c78a8"  # bars with no colour map
PROJECT_DONE_COLOUR = "#4c78a8"  # a key project done: apart from the 三色 of those still under way

OUTLINE_COLOUR = "#555555"
SELECTED_OUTLINE_COLOUR = "#111111"
NO_TILES_BACKGROUND = "#f4f3ee"  # the plain background of the 'none' basemap


def level_colour(level: str | None) -> str:
    """The colour of a hazard level; grey for an unknown one."""
    return LEVEL_COLOURS.get(level or "", UNKNOWN_COLOUR)


def is_whole(values: Sequence[float]) -> bool:
    """True when every value is a whole number (counts), so classes get whole-number edges."""
    return all(float(v).is_integer() for v in values)


def class_breaks(values: Sequence[float], classes: int = len(SEQUENTIAL), lowest: float = 0) -> list[float]:
    """Equal-interval class edges from `lowest` (the smallest value the measure can take: 0 for
    counts, 1 for ranks): ascending, one more than the number of classes.

    Class i holds breaks[i] <= v < breaks[i + 1] (the last class also holds its top edge).
    Whole-number data gets whole-number edges, with the top edge one past the maximum, and no
    more classes than distinct counts, so a maximum of 3 is not split into fractions.
    """
    top = max(values, default=lowest)
    if top <= lowest:
        return [float(lowest), float(lowest) + 1]
    if is_whole(values):
        step = math.ceil((top - lowest + 1) / classes)
        return [float(e) for e in range(int(lowest), int(top) + 1, step)] + [float(top) + 1]
    return [lowest + (top - lowest) * i / classes for i in range(classes + 1)]


def class_colours(n_classes: int) -> list[str]:
    """n_classes colours spread over SEQUENTIAL, light to dark."""
    if n_classes <= 1:
        return [SEQUENTIAL[0]]  # only when every value is 0
    last = len(SEQUENTIAL) - 1
    return [SEQUENTIAL[round(i * last / (n_classes - 1))] for i in range(n_classes)]


def class_of(value: float, breaks: Sequence[float]) -> int:
    """Index of the class that `value` falls in."""
    for i in range(len(breaks) - 2, 0, -1):
        if value >= breaks[i]:
            return i
    return 0


def shade(value: float, breaks: Sequence[float]) -> str:
    """The sequential colour of `value` among the classes given by `breaks`."""
    return class_colours(len(breaks) - 1)[class_of(value, breaks)]


def class_labels(breaks: Sequence[float], whole: bool) -> list[str]:
    """Legend text of each class: '0–4', '5–9', '10' for counts; '0.0–2.5', … otherwise."""
    labels = []
    for lo, hi in zip(breaks[:-1], breaks[1:], strict=True):
        if whole:
            lo_i, hi_i = int(lo), int(hi) - 1
            labels.append(str(lo_i) if lo_i == hi_i else f"{lo_i}–{hi_i}")
        else:
            labels.append(f"{lo:.1f}–{hi:.1f}")
    return labels
