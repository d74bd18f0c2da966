"""The city scenario: about 300 villages and millions of records, for load and speed tests.

Records are made in chunks of consecutive days, so memory stays small and every table is
still written in time order. Hazards keep only their 'found' history row.
"""

from __future__ import annotations

import math

import numpy as np

from ..models import Alert, GridEvent, Hazard, HazardHistory, House, PopulationStay, Terminal
from . import geography, records
from .load import BulkWriter
from .scenario import RecordWriter, Span, sort_by, write_places

ALERTS = 2_000_000
STAYS = 1_000_000
EVENTS = 1_000_000
HAZARDS = 100_000
TERMINALS_PER_VILLAGE = 60
CASE_SHARE = 0.15  # of alerts
EFFECTIVE_SHARE = 0.7  # of alerts
CHUNK_ROWS = 250_000
HOUSES_PER_CHUNK = 50_000


def _scaled(count: int, fraction: float) -> int:
    return max(1, round(count * fraction))


def planned_rows(fraction: float) -> int:
    """About how many rows the city scenario writes (for the progress bar)."""
    villages = len(geography.CITY_TOWNS) * geography.CITY_TOWN_SIDE**2
    return (
        villages * 6
        + _scaled(STAYS, fraction) * (1 + 1 / records.STAYS_PER_HOUSE)
        + 2 * _scaled(HAZARDS, fraction)
        + _scaled(ALERTS, fraction)
        + _scaled(EVENTS, fraction)
        + villages * max(1, round(TERMINALS_PER_VILLAGE * fraction))
    )


def _slices(span: Span, count: int) -> list[tuple[np.datetime64, int, int]]:
    """(first day, days, records) for consecutive day ranges sharing `count` records."""
    k = min(max(1, math.ceil(count / CHUNK_ROWS)), span.days)
    day_edges = np.linspace(0, span.days, k + 1).round().astype(np.int64)
    count_edges = np.linspace(0, count, k + 1).round().astype(np.int64)
    return [
        (
            span.first_day + int(day_edges[i]),
            int(day_edges[i + 1] - day_edges[i]),
            int(count_edges[i + 1] - count_edges[i]),
        )
        for i in range(k)
    ]


def build(rng: np.random.Generator, span: Span, writer: BulkWriter, fraction: float) -> None:
    """Write the city scenario ending on span.as_of, with record counts times `fraction`."""
    places = geography.city(rng)
    write_places(writer, places)
    out = RecordWriter(writer, places)
    pools = (records.enterprise_pool(rng, places), records.leader_pool(rng, places))
    villages = np.arange(len(places.names))
    _houses_and_stays(rng, span, out, pools[0], fraction)
    for first, n_days, count in _slices(span, _scaled(HAZARDS, fraction)):
        cols, story = records.hazards(rng, places, pools, villages, first, n_days, count, span.end)
        story = story.take(sort_by(cols, "found_at"))
        ids = out.write(Hazard.__table__, cols, "HZ")
        history = records.hazard_history(rng, ids, cols, story, span.end, full=False)
        out.write(HazardHistory.__table__, history, None)
    for first, n_days, count in _slices(span, _scaled(ALERTS, fraction)):
        cases = rng.binomial(count, CASE_SHARE)
        effective = rng.binomial(count - cases, (EFFECTIVE_SHARE - CASE_SHARE) / (1 - CASE_SHARE))
        cols = records.alerts(
            rng, places, villages, first, n_days, cases, effective, count - cases - effective
        )
        sort_by(cols, "received_at")
        out.write(Alert.__table__, cols, "AL")
    for first, n_days, count in _slices(span, _scaled(EVENTS, fraction)):
        cols = records.events(rng, places, villages, first, n_days, count, span.end)
        sort_by(cols, "reported_at")
        out.write(GridEvent.__table__, cols, "EV")
    per_village = np.full(len(villages), max(1, round(TERMINALS_PER_VILLAGE * fraction)))
    out.write(Terminal.__table__, records.terminals(rng, places, per_village, span.last_day), "TM")


def _houses_and_stays(
    rng: np.random.Generator, span: Span, out: RecordWriter, enterprises: np.ndarray, fraction: float
) -> None:
    n_houses = max(1, round(_scaled(STAYS, fraction) / records.STAYS_PER_HOUSE))
    houses = records.houses(rng, out.places, n_houses)
    out.house_ids = out.write(House.__table__, {k: v for k, v in houses.items() if k != "grid_id"}, "HS")
    for start in range(0, n_houses, HOUSES_PER_CHUNK):
        index = np.arange(start, min(start + HOUSES_PER_CHUNK, n_houses))
        stays = records.stays(rng, houses, index, enterprises, span.first_day, span.last_day)
        out.write(PopulationStay.__table__, stays, "PS")
