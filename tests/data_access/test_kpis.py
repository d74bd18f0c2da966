"""KPIs against counts made by hand on small datasets, edge cases included."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access import alerts, events, hazards, kpis, population
from data_access.filters import Filters, Period, UnknownName

from .. import factories as f

D = dt.date
T = dt.datetime
Q3 = Period(D(2026, 7, 1), D(2026, 9, 30))
TODAY = D(2026, 11, 23)


@pytest.fixture
def conn(engine):
    with engine.begin() as conn:
        yield conn


@pytest.fixture
def two_villages(conn):
    return f.village(conn, "倪宅村", in_micro_centre=True), f.village(conn, "尚仁村")


def test_events_empty_period_has_no_rates(conn, two_villages):
    figures = events.kpis(conn, Filters(Q3))
    assert figures == {"new": 0, "closed": 0, "on_time": 0, "dispatched": 0,
                       "closure_rate": None, "on_time_rate": None, "transfer_rate": None}


def test_events_rates_count_what_domain_says(conn, two_villages):
    ni, sh = two_villages
    due = T(2026, 7, 10, 17, 0)
    f.event(conn, ni, T(2026, 7, 1, 0, 0), due_at=due, closed_at=due, dispatched_at=T(2026, 7, 1, 1))  # at due: on time
    f.event(conn, ni, T(2026, 7, 2, 9), due_at=due, closed_at=due + dt.timedelta(seconds=1))  # late
    f.event(conn, ni, T(2026, 9, 30, 23, 59), closed_at=T(2026, 10, 1, 0, 0))  # closed after the quarter
    f.event(conn, ni, T(2026, 8, 1, 9), dispatched_at=T(2026, 8, 1, 10))  # open, no due time
    f.event(conn, sh, T(2026, 8, 1, 9), closed_at=T(2026, 8, 2))  # other village, no due: on time
    f.event(conn, ni, T(2026, 10, 1, 0, 0), closed_at=T(2026, 10, 1, 1))  # after the quarter
    f.event(conn, ni, T(2026, 6, 30, 23, 59, 59), closed_at=T(2026, 7, 1, 1))  # before it

    town = events.kpis(conn, Filters(Q3))
    assert (town["new"], town["closed"], town["on_time"], town["dispatched"]) == (5, 3, 2, 2)
    assert town["closure_rate"] == pytest.approx(3 / 5)
    assert town["on_time_rate"] == pytest.approx(2 / 3)
    assert town["transfer_rate"] == pytest.approx(2 / 5)

    ni_only = events.kpis(conn, Filters(Q3, villages=("倪宅村",)))
    assert (ni_only["new"], ni_only["closed"], ni_only["on_time"]) == (4, 2, 1)

    late, n_late = events.behind_rate(conn, Filters(Q3), "on_time")
    assert n_late == 1 and late["reported_at"].iloc[0] == T(2026, 7, 2, 9)
    _, n_open = events.behind_rate(conn, Filters(Q3), "closure")
    assert n_open == 2


def test_events_period_across_year_boundary(conn, two_villages):
    ni, _ = two_villages
    for day in (D(2025, 12, 30), D(2025, 12, 31), D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 3)):
        f.event(conn, ni, T.combine(day, dt.time(23, 30)), closed_at=T.combine(day, dt.time(23, 45)))
    figures = events.kpis(conn, Filters(Period(D(2025, 12, 31), D(2026, 1, 2))))
    assert figures["new"] == 3 and figures["closure_rate"] == 1.0


def test_events_trend_buckets_by_monday_week(conn, two_villages):
    ni, _ = two_villages
    f.event(conn, ni, T(2026, 11, 15, 23))  # Sunday: week of Monday 9 November
    f.event(conn, ni, T(2026, 11, 16, 0))  # Monday
    f.event(conn, ni, T(2026, 11, 22, 12))  # Sunday
    trend = events.trend(conn, Filters(Period(D(2026, 11, 1), D(2026, 11, 30))), "week")
    assert dict(zip(trend["bucket"], trend["new"])) == {D(2026, 11, 9): 1, D(2026, 11, 16): 2}
    monthly = events.trend(conn, Filters(Period(D(2026, 11, 1), D(2026, 11, 30))), "month")
    assert dict(zip(monthly["bucket"], monthly["new"])) == {D(2026, 11, 1): 3}


def test_alerts_change_year_on_year_and_period_on_period(conn, two_villages):
    ni, _ = two_villages
    period = Period(D(2026, 3, 1), D(2026, 3, 10))
    for _ in range(3):
        f.alert(conn, ni, T(2026, 3, 5, 10), became_case=True)
    f.alert(conn, ni, T(2026, 3, 6, 10), effective=False)
    for _ in range(4):
        f.alert(conn, ni, T(2025, 3, 10, 23, 59), became_case=True)  # a year earlier, last day
    f.alert(conn, ni, T(2025, 3, 11, 0, 0))  # just outside the year-earlier window
    for _ in range(2):
        f.alert(conn, ni, T(2026, 2, 19, 0, 0))  # first day of the 10 days before
    figures = alerts.kpis(conn, Filters(period))
    assert figures["effective"] == 3 and figures["effective_prev_year"] == 4
    assert figures["effective_yoy"] == pytest.approx(-0.25)
    assert figures["cases_yoy"] == pytest.approx(-0.25)
    assert figures["effective_prev_period"] == 2 and figures["effective_mom"] == pytest.approx(0.5)
    assert figures["cases_prev_period"] == 0 and figures["cases_mom"] is None


def test_zero_counters_count_days_to_the_reference_day(conn, two_villages):
    ni, sh = two_villages
    f.alert(conn, ni, T(2026, 11, 1, 8), civil_to_criminal=True)
    f.alert(conn, sh, T(2026, 11, 20, 8), civil_to_criminal=True)
    f.alert(conn, ni, T(2026, 1, 1, 8), category="电信网络诈骗", became_case=True)
    f.alert(conn, ni, T(2026, 11, 22, 8), category="电信网络诈骗", became_case=False)  # no case: not counted
    days = alerts.zero_days(conn, Filters(Period(D(2026, 1, 1), D(2026, 12, 31)), villages=("倪宅村",)), TODAY)
    assert days == {"civil_to_criminal": 22, "major_accident": None, "telecom_fraud": 326}
    in_october = alerts.zero_days(conn, Filters(Period(D(2026, 10, 1), D(2026, 10, 31))), TODAY)
    assert in_october["civil_to_criminal"] is None  # nothing on record by 31 October


def test_hazard_counts_and_worst_first(conn, two_villages):
    ni, _ = two_villages
    period = Period(D(2026, 1, 1), TODAY)
    late_general = f.hazard(conn, ni, T(2026, 2, 1), deadline=D(2026, 11, 1), level="一般")
    soon_major = f.hazard(conn, ni, T(2026, 3, 1), deadline=D(2026, 11, 25), level="重大", status="整改中")
    later_major = f.hazard(conn, ni, T(2026, 3, 1), deadline=D(2026, 12, 25), level="重大")
    f.hazard(conn, ni, T(2026, 4, 1), status="已化解", resolved_at=T(2026, 5, 1),
             enterprise="永康某五金厂", enterprise_shut=True)
    f.hazard(conn, ni, T(2026, 4, 2), status="已销号", resolved_at=T(2026, 5, 2),
             enterprise="永康某五金厂", enterprise_shut=True)  # same enterprise: counted once
    f.hazard(conn, ni, T(2025, 12, 31), status="已化解", resolved_at=T(2026, 1, 5))  # found last year
    figures = hazards.kpis(conn, Filters(period), TODAY)
    assert figures == {"found": 5, "resolved": 3, "open": 3, "overdue": 1, "due_soon": 1, "enterprises_shut": 1}

    listed, total = hazards.worst_first(conn, Filters(period), TODAY)
    assert total == 3
    assert list(listed["id"]) == [late_general, soon_major, later_major]
    assert list(listed["warning"]) == ["red", "yellow", "green"]
    assert list(listed["days_left"]) == [-22, 2, 32]
    assert hazards.warning_counts(conn, Filters(period), TODAY) == {"red": 1, "yellow": 1, "green": 1}
    assert hazards.warning_colours(figures) == {"red": 1, "yellow": 1, "green": 1}


def test_population_residents_flows_and_anomalies(conn, two_villages):
    ni, _ = two_villages
    period = Period(D(2026, 11, 1), D(2026, 11, 30))  # not over on TODAY: 'now' is TODAY
    crowded = f.house(conn, ni, capacity=1)
    f.stay(conn, ni, D(2026, 1, 1), verified_at=D(2026, 1, 5), house_id=crowded)
    f.stay(conn, ni, D(2026, 10, 1), house_id=crowded)  # unverified for > 30 days
    f.stay(conn, ni, D(2026, 11, 20))  # arrived recently: not yet late to verify
    f.stay(conn, ni, D(2026, 3, 1), verified_at=D(2026, 3, 2), left_at=D(2026, 11, 2))  # departed
    f.stay(conn, ni, D(2026, 3, 1), verified_at=D(2026, 3, 2), employer_left_at=D(2026, 11, 10))
    f.stay(conn, ni, D(2026, 3, 1), verified_at=D(2026, 3, 2), permit_expiry=D(2026, 12, 23))  # 30 days
    f.stay(conn, ni, D(2026, 3, 1), verified_at=D(2026, 3, 2), permit_expiry=D(2026, 12, 24))  # 31 days
    f.stay(conn, ni, D(2026, 11, 24))  # arrives tomorrow
    counts = population.anomaly_counts(conn, Filters(period), TODAY)
    assert counts == {"unverified": 1, "overcrowded": 1, "employer_left": 1, "permit_expiring": 1}
    figures = population.kpis(conn, Filters(period), TODAY)
    by_kind = figures.pop("anomalies_by_kind")
    assert figures == {"residents": 6, "arrivals": 2, "departures": 1, "anomalies": 4}
    assert by_kind == population.anomaly_counts(conn, Filters(period), TODAY) and sum(by_kind.values()) == 4
    listed = population.anomaly_list(conn, Filters(period), TODAY, "unverified")
    assert list(listed["arrived_at"]) == [D(2026, 10, 1)]


def test_unknown_village_is_an_error(conn, two_villages):
    with pytest.raises(UnknownName, match="不存在村"):
        events.kpis(conn, Filters(Q3, villages=("不存在村",)))


def test_summary_lists_every_village_when_none_named(conn, two_villages):
    figures = kpis.summary(conn, Filters(Q3), TODAY)
    assert sorted(figures["villages"]) == sorted(["倪宅村", "尚仁村"])
    assert figures["period"] == {"from": "2026-07-01", "to": "2026-09-30"}


@pytest.mark.parametrize(
    ("today", "quarter"),
    [
        (D(2026, 11, 23), (D(2026, 7, 1), D(2026, 9, 30))),
        (D(2026, 1, 1), (D(2025, 10, 1), D(2025, 12, 31))),
        (D(2026, 4, 1), (D(2026, 1, 1), D(2026, 3, 31))),
    ],
)
def test_last_full_quarter(today, quarter):
    period = Period.last_full_quarter(today)
    assert (period.start, period.end) == quarter


def test_periods_year_earlier_and_previous():
    assert Period(D(2024, 2, 29), D(2024, 3, 1)).year_earlier() == Period(D(2023, 2, 28), D(2023, 3, 1))
    assert Period(D(2026, 3, 1), D(2026, 3, 10)).previous() == Period(D(2026, 2, 19), D(2026, 2, 28))
    with pytest.raises(ValueError):
        Period(D(2026, 3, 2), D(2026, 3, 1))
