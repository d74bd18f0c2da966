"""Grid-event queries the views use beyond the KPIs: the records behind a rate, the backlog,
events per village."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access import events
from data_access.filters import Filters, Period

from .. import factories as f

T = dt.datetime
NOV = Filters(Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30)))


@pytest.fixture
def conn(engine):
    with engine.begin() as conn:
        yield conn


def test_records_behind_a_rate_and_the_backlog_name_the_reporter(conn):
    ni = f.village(conn, "倪宅村")
    f.event(conn, ni, T(2026, 11, 2, 9), reporter="王大明", due_at=T(2026, 11, 3, 17))
    f.event(conn, ni, T(2026, 11, 4, 9), reporter=None, closed_at=T(2026, 11, 4, 10))

    behind, total = events.behind_rate(conn, NOV, "closure")
    assert total == 1 and list(behind["reporter"]) == ["王大明"]  # in clear: the page masks it

    backlog, n_open, n_overdue = events.backlog(conn, NOV, T(2026, 11, 23, 12))
    assert (n_open, n_overdue) == (1, 1)
    assert list(backlog["reporter"]) == ["王大明"] and list(backlog["overdue"]) == [True]


def test_events_by_village_counts_new_events_per_village(conn):
    ni, fh = f.village(conn, "倪宅村"), f.village(conn, "凤凰村")
    f.village(conn, "尚仁村")  # no events: left out, the map counts it as 0
    for day in (2, 3, 4):
        f.event(conn, ni, T(2026, 11, day, 9))
    f.event(conn, fh, T(2026, 11, 5, 9))
    f.event(conn, fh, T(2026, 10, 31, 23))  # before the period

    df = events.by_village(conn, NOV)
    assert dict(zip(df["village"], df["value"])) == {"倪宅村": 3, "凤凰村": 1}
    only = events.by_village(conn, Filters(NOV.period, villages=("凤凰村",)))
    assert dict(zip(only["village"], only["value"])) == {"凤凰村": 1}


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5])
def test_backlog_and_behind_rate_count_all_whatever_the_list_limit(conn, monkeypatch, limit):
    monkeypatch.setattr(events, "RECORD_LIMIT", limit)
    ni = f.village(conn, "倪宅村")
    now = T(2026, 11, 23, 12)
    for day, due in ((2, T(2026, 11, 3)), (5, T(2026, 11, 30)), (6, None), (7, T(2026, 11, 20))):
        f.event(conn, ni, T(2026, 11, day, 9), due_at=due)  # four open, two of them overdue on the 23rd
    f.event(conn, ni, T(2026, 11, 8, 9), due_at=T(2026, 11, 9), closed_at=T(2026, 11, 8, 10))  # closed
    village = Filters(NOV.period, villages=("倪宅村",))

    backlog, n_open, n_overdue = events.backlog(conn, village, now)
    assert (len(backlog), n_open, n_overdue) == (min(limit, 4), 4, 2)
    behind, total = events.behind_rate(conn, village, "closure")
    assert (len(behind), total) == (min(limit, 4), 4)
