"""Floating-population queries the views use beyond the KPIs: residents per village."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access import population
from data_access.filters import Filters, Period

from .. import factories as f

D = dt.date
TODAY = D(2026, 11, 23)


@pytest.fixture
def conn(engine):
    with engine.begin() as conn:
        yield conn


def test_population_by_village_counts_residents_on_the_reference_day(conn):
    ni, fh = f.village(conn, "倪宅村"), f.village(conn, "凤凰村")
    f.stay(conn, ni, D(2025, 3, 1))  # living here since last year
    f.stay(conn, ni, D(2026, 6, 1), left_at=D(2026, 10, 2))  # left after the period: there on 30 September
    f.stay(conn, fh, D(2026, 9, 1))
    f.stay(conn, fh, D(2026, 10, 5))  # arrives after the period

    september = Filters(Period(D(2026, 9, 1), D(2026, 9, 30)))
    df = population.by_village(conn, september, TODAY)  # reference day: 30 September
    assert dict(zip(df["village"], df["value"])) == {"倪宅村": 2, "凤凰村": 1}
    now = population.by_village(conn, Filters(Period(D(2026, 1, 1), TODAY)), TODAY)
    assert dict(zip(now["village"], now["value"])) == {"倪宅村": 1, "凤凰村": 2}
