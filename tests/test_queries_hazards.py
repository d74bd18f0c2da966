"""Hazard queries the views use beyond the KPIs: open hazards per village."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access import hazards
from data_access.filters import Filters, Period

from . import factories as f

T = dt.datetime
TODAY = dt.date(2026, 11, 23)
YEAR = Filters(Period(dt.date(2026, 1, 1), TODAY))


@pytest.fixture
def conn(engine):
    with engine.begin() as conn:
        yield conn


def test_hazards_by_village_counts_open_hazards_found_up_to_the_period_end(conn):
    ni, fh = f.village(conn, "倪宅村"), f.village(conn, "凤凰村")
    f.hazard(conn, ni, T(2025, 6, 1))  # found last year, still open: counts
    f.hazard(conn, ni, T(2026, 3, 1), status="整改中")
    f.hazard(conn, ni, T(2026, 3, 2), status="已化解", resolved_at=T(2026, 4, 1))  # resolved: not open
    f.hazard(conn, fh, T(2026, 5, 1))
    f.hazard(conn, fh, T(2026, 12, 1))  # after the period

    df = hazards.by_village(conn, YEAR)
    assert dict(zip(df["village"], df["value"])) == {"倪宅村": 2, "凤凰村": 1}
    only = hazards.by_village(conn, Filters(YEAR.period, villages=("倪宅村",)))
    assert dict(zip(only["village"], only["value"])) == {"倪宅村": 2}
