"""Hazard queries the views use beyond the KPIs: open hazards per village."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access import hazards
from data_access.filters import Filters, Period

from .. import factories as f

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


def test_warning_counts_narrow_like_the_review_list(conn):
    ni = f.village(conn, "倪宅村")
    f.hazard(conn, ni, T(2026, 3, 1), level="重大", deadline=TODAY - dt.timedelta(days=2),
             responsible_person="赵六六")  # red
    f.hazard(conn, ni, T(2026, 3, 2), level="一般", status="整改中", deadline=TODAY + dt.timedelta(days=2),
             responsible_person="李四")  # yellow
    f.hazard(conn, ni, T(2026, 3, 3), level="一般", deadline=TODAY + dt.timedelta(days=30))  # green, nobody
    f.hazard(conn, ni, T(2026, 3, 4), level="重大", status="已化解", resolved_at=T(2026, 4, 1),
             deadline=TODAY - dt.timedelta(days=9), responsible_person="赵六六")  # resolved: no colour

    assert hazards.warning_counts(conn, YEAR, TODAY) == {"red": 1, "yellow": 1, "green": 1}
    assert hazards.warning_counts(conn, YEAR, TODAY, levels=("重大",)) == {"red": 1, "yellow": 0, "green": 0}
    assert hazards.warning_counts(conn, YEAR, TODAY, statuses=("整改中",)) == {"red": 0, "yellow": 1, "green": 0}
    people = {label: choice for choice, label in hazards.responsible_choices(conn, YEAR, clear=True).items()}
    assert hazards.warning_counts(conn, YEAR, TODAY, statuses=(), responsible=people["赵六六"]) == {
        "red": 1, "yellow": 0, "green": 0}
    for narrow in ({"levels": ("一般",)}, {"responsible": people["李四"]}, {"statuses": ()}):
        listed, total = hazards.worst_first(conn, YEAR, TODAY, **narrow)
        colours = hazards.warning_counts(conn, YEAR, TODAY, **narrow)
        assert sum(colours.values()) == listed["warning"].notna().sum(), narrow


def test_responsible_people_of_the_place_by_name(conn):
    ni, fh = f.village(conn, "倪宅村"), f.village(conn, "凤凰村")
    f.hazard(conn, ni, T(2026, 3, 1), responsible_person="赵六六")
    f.hazard(conn, ni, T(2026, 3, 2), responsible_person="李四")
    f.hazard(conn, ni, T(2026, 3, 3), responsible_person="李四")
    f.hazard(conn, ni, T(2026, 3, 4))
    f.hazard(conn, fh, T(2026, 3, 5), responsible_person="王五")
    f.hazard(conn, ni, T(2026, 12, 5), responsible_person="钱七")  # found after the period
    ni_only = Filters(YEAR.period, villages=("倪宅村",))
    assert list(hazards.responsible_choices(conn, ni_only, clear=True).values()) == sorted(["李四", "赵六六"])
    assert set(hazards.responsible_choices(conn, YEAR, clear=True).values()) == {"李四", "赵六六", "王五"}
    assert set(hazards.responsible_choices(conn, YEAR, clear=False).values()) == {"李*", "赵*六", "王*"}


def test_two_people_alike_when_masked_are_told_apart_and_each_choice_narrows_to_its_own(conn):
    ni = f.village(conn, "倪宅村")
    mine = f.hazard(conn, ni, T(2026, 3, 1), responsible_person="王小明", responsible_unit="花街镇应急办")
    theirs = f.hazard(conn, ni, T(2026, 3, 2), responsible_person="王大明", responsible_unit="花街镇应急办")
    f.hazard(conn, ni, T(2026, 3, 3), responsible_person="王大明", responsible_unit="花街镇应急办")
    masked = hazards.responsible_choices(conn, YEAR, clear=False)
    assert len(set(masked.values())) == 2 and all("王*明 · 花街镇应急办" in label for label in masked.values())
    listed = {choice: set(hazards.worst_first(conn, YEAR, TODAY, responsible=choice)[0]["id"]) for choice in masked}
    assert sorted(map(len, listed.values())) == [1, 2]
    assert {mine} in listed.values() and theirs in set().union(*listed.values())


def test_found_and_open_per_village_and_found_vs_resolved_per_week(conn):
    ni, fh, xb = f.village(conn, "倪宅村"), f.village(conn, "凤凰村"), f.village(conn, "下柏村")
    f.hazard(conn, ni, T(2026, 3, 2, 9))  # Monday: open
    f.hazard(conn, ni, T(2026, 3, 4), status="已化解", resolved_at=T(2026, 3, 10))  # found and resolved
    f.hazard(conn, fh, T(2026, 3, 8, 23, 59), status="整改中")  # Sunday: still the week of 2 March
    f.hazard(conn, fh, T(2025, 12, 30), status="已化解", resolved_at=T(2026, 3, 3))  # found before, resolved in
    f.hazard(conn, xb, T(2026, 12, 1))  # after the period: nowhere

    df = hazards.counts_by(conn, YEAR, ("village",))["village"]
    assert list(df.itertuples(index=False, name=None)) == [("倪宅村", 2, 1), ("凤凰村", 1, 1)]
    assert hazards.counts_by(conn, Filters(YEAR.period, villages=("凤凰村",)), ("village",))["village"].values.tolist() == [
        ["凤凰村", 1, 1]]

    weeks = hazards.new_vs_resolved(conn, YEAR, "week")
    assert [(d.isoformat(), found, resolved) for d, found, resolved in weeks.itertuples(index=False, name=None)] == [
        ("2026-03-02", 3, 1), ("2026-03-09", 0, 1)]
    one = hazards.new_vs_resolved(conn, Filters(YEAR.period, villages=("倪宅村",)), "week")
    assert one[["found", "resolved"]].values.tolist() == [[2, 0], [0, 1]]


def test_the_three_breakdowns_come_in_one_call_most_found_first(conn):
    ni, fh = f.village(conn, "倪宅村"), f.village(conn, "凤凰村")
    f.hazard(conn, ni, T(2026, 3, 1), category="消防安全", level="重大")
    f.hazard(conn, ni, T(2026, 3, 2), category="消防安全", level="一般", status="已化解", resolved_at=T(2026, 3, 9))
    f.hazard(conn, fh, T(2026, 3, 3), category="道路交通", level="一般")
    f.hazard(conn, fh, T(2025, 3, 3), category="道路交通", level="一般")  # found last year: in none

    for filters in (YEAR, Filters(YEAR.period, villages=("倪宅村", "凤凰村"))):  # the summaries' path and the records'
        counts = {d: df.values.tolist() for d, df in hazards.counts_by(conn, filters).items()}
        assert counts == {
            "category": [["消防安全", 2, 1], ["道路交通", 1, 1]],
            "level": [["一般", 2, 1], ["重大", 1, 1]],
            "village": [["倪宅村", 2, 1], ["凤凰村", 1, 1]],
        }, filters
    assert list(hazards.counts_by(conn, YEAR, ("level",))) == ["level"]
    with pytest.raises(ValueError):
        hazards.counts_by(conn, YEAR, ("grid",))


def test_the_kpis_carry_the_three_colours_and_no_deadline_is_green(conn):
    ni = f.village(conn, "倪宅村")
    f.hazard(conn, ni, T(2026, 3, 1), deadline=TODAY - dt.timedelta(days=1))  # red
    f.hazard(conn, ni, T(2026, 3, 2), deadline=TODAY + dt.timedelta(days=hazards.DUE_SOON_DAYS))  # yellow, the last day
    f.hazard(conn, ni, T(2026, 3, 3), deadline=TODAY + dt.timedelta(days=hazards.DUE_SOON_DAYS + 1))  # green
    f.hazard(conn, ni, T(2026, 3, 4), deadline=None)  # green: nothing is due
    k = hazards.kpis(conn, YEAR, TODAY)
    assert (k["open"], k["overdue"], k["due_soon"]) == (4, 1, 1)
    assert hazards.warning_colours(k) == hazards.warning_counts(conn, YEAR, TODAY) == {"red": 1, "yellow": 1, "green": 2}


@pytest.mark.parametrize("limit", [1, 2, 3, 4])
def test_worst_first_says_how_many_match_whatever_the_limit(conn, limit):
    ni = f.village(conn, "倪宅村")
    for day in (1, 2, 3):
        f.hazard(conn, ni, T(2026, 3, day))
    f.hazard(conn, ni, T(2026, 3, 4), status="已化解", resolved_at=T(2026, 4, 1))  # not listed
    listed, total = hazards.worst_first(conn, YEAR, TODAY, limit=limit)
    assert (len(listed), total) == (min(limit, 3), 3)


def test_statements_kept_per_filter_shape_take_each_filters_own_values(conn):
    """The hazard statements are built once per shape and reused: nothing of one filter's
    values (villages, period, person, limit) may stay in them for the next filter."""
    ni, fh = f.village(conn, "倪宅村"), f.village(conn, "凤凰村")
    at = {"lat": 29.0, "lon": 120.0}
    li = f.hazard(conn, ni, T(2026, 3, 1), responsible_person="李四", deadline=TODAY - dt.timedelta(days=1), **at)
    f.hazard(conn, ni, T(2026, 3, 2), responsible_person="李四", **at)
    wang = f.hazard(conn, fh, T(2026, 6, 1), responsible_person="王五", deadline=TODAY + dt.timedelta(days=1), **at)
    march = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))

    def village(name, period=YEAR.period):
        return Filters(period, villages=(name,))

    assert [hazards.kpis(conn, village(v), TODAY)["found"] for v in ("倪宅村", "凤凰村", "倪宅村")] == [2, 1, 2]
    assert hazards.kpis(conn, village("凤凰村", march), TODAY)["found"] == 0
    assert [hazards.warning_counts(conn, YEAR, TODAY, responsible=p)["red"] for p in (li, wang)] == [1, 0]
    assert [len(hazards.worst_first(conn, YEAR, TODAY, limit=n)[0]) for n in (1, 3, 2)] == [1, 3, 2]
    assert [len(hazards.map_points(conn, village(v), TODAY)) for v in ("凤凰村", "倪宅村")] == [1, 2]
    assert [hazards.counts_by(conn, village(v), ("village",))["village"].values.tolist()
            for v in ("倪宅村", "凤凰村")] == [[["倪宅村", 2, 2]], [["凤凰村", 1, 1]]]


def test_the_map_draws_closed_hazards_only_when_asked_and_open_ones_first(conn, monkeypatch):
    ni = f.village(conn, "倪宅村")
    at = {"lat": 29.0, "lon": 120.0}
    old_open = f.hazard(conn, ni, T(2025, 6, 1), level="一般", **at)  # found last year, still open
    major = f.hazard(conn, ni, T(2026, 3, 1), level="重大", status="整改中", **at)
    closed = f.hazard(conn, ni, T(2026, 3, 2), level="重大", status="已化解", resolved_at=T(2026, 4, 1), **at)
    f.hazard(conn, ni, T(2025, 3, 2), status="已化解", resolved_at=T(2025, 4, 1), **at)  # closed, found before
    f.hazard(conn, ni, T(2026, 5, 1))  # open but with no place: not drawn

    every = hazards.map_points(conn, YEAR, TODAY)
    assert every["id"].tolist() == [major, old_open, closed]
    assert every["is_open"].tolist() == [True, True, False]
    assert hazards.map_points(conn, YEAR, TODAY, closed=False)["id"].tolist() == [major, old_open]

    monkeypatch.setattr(hazards, "MAX_MAP_FEATURES", 2)  # the cut keeps the worst
    assert hazards.map_points(conn, YEAR, TODAY)["id"].tolist() == [major, old_open]


@pytest.mark.parametrize(("found", "fits"), [(1_600, True), (1_601, False)])
def test_closed_hazards_fit_the_map_while_open_and_found_stay_within_its_limit(found, fits):
    assert hazards.MAX_MAP_FEATURES == 2_000
    assert hazards.closed_hazards_fit({"open": 400, "found": found, "overdue": 3}) is fits


def test_a_shut_hazard_with_no_enterprise_named_counts_as_one_enterprise(engine):
    """Distinct names where the file gives them; each shut hazard without a name is one more."""
    with engine.begin() as conn:
        ni = f.village(conn, "倪宅村")
        for enterprise in (None, None, None, "永康市某五金厂", "永康市某五金厂", "花街某塑料厂"):
            f.hazard(conn, ni, T(2026, 3, 1, 9), enterprise=enterprise, enterprise_shut=True)
        f.hazard(conn, ni, T(2026, 3, 1, 9), enterprise="未关停的厂", enterprise_shut=False)
    with engine.connect() as conn:
        for villages in ((), ("倪宅村",)):  # the whole area and one village
            figures = hazards.kpis(conn, Filters(Period(dt.date(2026, 1, 1), dt.date(2026, 6, 30)), villages=villages), TODAY)
            assert figures["enterprises_shut"] == 5, villages


def test_map_points_for_the_wall_and_viewers_name_no_record(conn):
    ni = f.village(conn, "倪宅村")
    f.hazard(conn, ni, T(2026, 3, 1), title="厂房消防通道堵塞", level="重大", lat=29.0, lon=120.0)
    counted = hazards.map_points(conn, YEAR, TODAY, records=False)
    assert list(counted.columns) == ["level", "status", "is_open", "lat", "lon"]
    assert counted[["level", "is_open"]].values.tolist() == [["重大", True]]
    assert {"id", "title"} <= set(hazards.map_points(conn, YEAR, TODAY).columns)
