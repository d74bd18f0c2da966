"""The demo scenario: deterministic, plausible data for Huajie town, or a whole city.

`generate` replaces earlier demo rows with a new scenario ending on an as-of day, in one
transaction. The town scenario reproduces the figures of DOMAIN.md exactly (see
demo/town.py); the city scenario is for volume and speed. Every row it writes is marked
is_demo, and it refuses to run beside real records unless forced. The same seed and as-of
day give the same data; the wall clock is never read.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import numpy as np
from sqlalchemy import Engine
from tqdm import tqdm

from .. import accounts, notify, summaries
from . import city, town
from .load import (
    BulkWriter,
    after_load,
    allow_long_statements,
    bulk_mode,
    delete_demo,
    has_non_demo,
    written_tables,
)
from .scenario import Span

DEFAULT_SEED = 20261123
SCALES = ("town", "city")


class DemoRefused(Exception):
    """The database holds records that are not demo data, and force was not given."""


def has_non_demo_records(engine: Engine) -> bool:
    """Whether the database holds any village, grid or record that is not demo data."""
    with engine.connect() as conn:
        return has_non_demo(conn)


def generate(
    engine: Engine,
    *,
    scale: str = "town",
    seed: int = DEFAULT_SEED,
    as_of: dt.date,
    force: bool = False,
    progress: bool = False,
    city_fraction: float = 1.0,
    timings: dict[str, float] | None = None,
) -> dict[str, int]:
    """Replace the demo data with the `scale` scenario ending on `as_of`; rows written per table.

    city_fraction scales the city's record counts (1.0: two million alerts and so on);
    `timings`, when given, receives the seconds spent writing each table and rebuilding the
    summaries (for benchmarks).
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    if city_fraction <= 0:
        raise ValueError("city_fraction must be positive")
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    rng = np.random.default_rng(seed)
    span = Span(as_of)
    with engine.begin() as conn:
        allow_long_statements(conn)
        if not force and has_non_demo(conn):
            raise DemoRefused(
                "the database holds records that are not demo data; "
                "generate demo data only into an empty or demo-only database, or pass force=True"
            )
        # The summary triggers would add up every row one by one: off for this transaction, and
        # the summaries rebuilt from all the records at the end, before it commits.
        with summaries.pause(conn):
            delete_demo(conn)
            planned = town.planned_rows() if scale == "town" else city.planned_rows(city_fraction)
            with tqdm(
                total=planned, unit="rows", desc=f"demo {scale}", file=sys.stderr, disable=not progress
            ) as bar:
                writer = BulkWriter(conn, bar)
                with bulk_mode(conn, written_tables()):
                    if scale == "town":
                        town.build(rng, span, writer)
                    else:
                        city.build(rng, span, writer, city_fraction)
                bar.total = bar.n  # the plan was an estimate
            started = time.perf_counter()
            summaries.rebuild(conn)
            summarising = time.perf_counter() - started
        after_load(conn)
        accounts.create_demo_accounts(conn)
        notify.ensure_rules(conn, reset=True, by="demo")  # the default warning rules, enabled
    if timings is not None:
        timings.update({table.name: writer.seconds[table.name] for table in written_tables()})
        timings["summaries (rebuilt)"] = summarising
    return {table.name: writer.counts[table.name] for table in written_tables()}
