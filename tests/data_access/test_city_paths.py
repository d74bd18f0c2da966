"""The whole area's fast paths (summary tables, index-shaped queries) return exactly what the
straightforward queries over the records return, on both engines.

The straightforward answer for the whole area is the same function asked for every village by
name: that takes the record path (summaries.covers is False), and every record has a village.
The data: the town demo, the city demo at a small fraction, and records written one by one
(factories, the importer, updates and deletes) so that the triggers are exercised. The limits
of lists and maps are lowered so that their cut-offs and tie-breaks are exercised too.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, delete, func, select, text, update

from data_access import accounts, alerts, areas, demo, events, hazards, population, review, rules, summaries
from data_access.filters import Filters, Period
from data_access.models import (
    Alert,
    AlertDay,
    EventDay,
    GridEvent,
    Hazard,
    House,
    PopulationStay,
    StayOpenProvince,
    StayOpenVillage,
)

from .. import factories as f
from ..import_support import base_row, load_sample_villages, run

D = dt.date
T = dt.datetime
AS_OF = D(2026, 11, 23)
NOW = T(2026, 11, 23, 10, 30)
PERIODS = {
    "year to date": Period(D(2026, 1, 1), AS_OF),  # the views' default
    "last quarter": Period.last_full_quarter(AS_OF),
    "past, month edges": Period(D(2025, 2, 14), D(2025, 6, 9)),  # residents on a past day
    "one day": Period(D(2026, 10, 8), D(2026, 10, 8)),
    "no whole month": Period(D(2026, 4, 3), D(2026, 4, 27)),
}
SMALL_LIMIT = 40  # lists and maps cut at this many rows here, so that cuts and ties matter


def calls(today: dt.date) -> dict[str, Callable[[Connection, Filters], object]]:
    """Every query the views ask for with a whole-area fast path, as name → call(conn, filters)."""
    found = {
        "alerts.kpis": lambda c, fl: alerts.kpis(c, fl),
        "alerts.zero_days": lambda c, fl: alerts.zero_days(c, fl, today),
        "alerts.trend week": lambda c, fl: alerts.trend(c, fl, "week"),
        "alerts.trend month": lambda c, fl: alerts.trend(c, fl, "month"),
        "alerts.hour_weekday": lambda c, fl: alerts.hour_weekday(c, fl),
        "alerts.hotspots": lambda c, fl: alerts.hotspots(c, fl),
        "events.kpis": lambda c, fl: events.kpis(c, fl),
        "events.trend week": lambda c, fl: events.trend(c, fl, "week"),
        "events.by_category": lambda c, fl: events.by_category(c, fl),
        "events.backlog": lambda c, fl: events.backlog(c, fl, NOW),
        "hazards.kpis": lambda c, fl: hazards.kpis(c, fl, today),
        "hazards.map_points": lambda c, fl: hazards.map_points(c, fl, today),
        "hazards.map_points open": lambda c, fl: hazards.map_points(c, fl, today, closed=False),
        "hazards.counts_by": lambda c, fl: hazards.counts_by(c, fl),
        "hazards.new_vs_resolved week": lambda c, fl: hazards.new_vs_resolved(c, fl, "week"),
        "hazards.new_vs_resolved month": lambda c, fl: hazards.new_vs_resolved(c, fl, "month"),
        "population.kpis": lambda c, fl: population.kpis(c, fl, today),
        "population.anomaly_counts": lambda c, fl: population.anomaly_counts(c, fl, today),
        "population.flows day": lambda c, fl: population.flows(c, fl, "day"),
        "population.flows week": lambda c, fl: population.flows(c, fl, "week"),
        "population.by_village": lambda c, fl: population.by_village(c, fl, today),
        "population.origins": lambda c, fl: population.origins(c, fl, today),
        "population.age_gender": lambda c, fl: population.age_gender(c, fl, today),
        "population.by_house": lambda c, fl: population.by_house(c, fl, today),
        "population.by_employer": lambda c, fl: population.by_employer(c, fl, today),
    }
    for which in events.BEHIND_RATE:
        found[f"events.behind_rate {which}"] = lambda c, fl, w=which: events.behind_rate(c, fl, w)
    for kind in population.ANOMALIES:
        found[f"population.anomaly_list {kind}"] = (
            lambda c, fl, k=kind: population.anomaly_list(c, fl, today, k)
        )
    return found


# Results whose row order the function does not define: compared as sets of rows.
UNORDERED = {"alerts.hour_weekday", "population.by_village", "population.age_gender"}


@pytest.fixture
def small_limits(monkeypatch):
    for module, name in ((alerts, "MAX_MAP_FEATURES"), (hazards, "MAX_MAP_FEATURES"),
                         (population, "LIST_LIMIT"), (events, "RECORD_LIMIT")):
        monkeypatch.setattr(module, name, SMALL_LIMIT)


def every_village(conn: Connection, filters: Filters) -> Filters:
    """The same filter with every village named: the straightforward, record-reading path."""
    return Filters(filters.period, villages=tuple(areas.village_names(conn)), categories=filters.categories)


def same(a, b) -> bool:
    """Equal, floats to 1e-9 (a mean of sums differs from a mean in the last bits)."""
    if isinstance(a, pd.DataFrame):
        if list(a.columns) != list(b.columns) or len(a) != len(b):
            return False
        return all(same(x, y) for x, y in zip(a.itertuples(index=False), b.itertuples(index=False)))
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or (pd.isna(a) and pd.isna(b)):
            return (a is None and b is None) or (pd.isna(a) and pd.isna(b))
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if pd.isna(a) is True and pd.isna(b) is True:
        return True
    return a == b


def in_order(name: str, value):
    if name in UNORDERED and isinstance(value, pd.DataFrame):
        return value.sort_values(list(value.columns), ignore_index=True)
    return value


def mismatches(engine: Engine, today: dt.date, categories: dict[str, tuple] | None = None) -> list[str]:
    """The calls and periods where the whole area's answer differs from the records' answer."""
    wrong = []
    with engine.connect() as conn:
        assert summaries.differences(conn) == {}
        for label, period in PERIODS.items():
            for name, call in calls(today).items():
                domain = name.split(".")[0]
                chosen = (categories or {}).get(domain, ())
                whole = Filters(period, categories=chosen)
                fast, slow = call(conn, whole), call(conn, every_village(conn, whole))
                if not same(in_order(name, fast), in_order(name, slow)):
                    wrong.append(f"{name} / {label} / categories {chosen}:\nfast {fast}\nrecords {slow}")
    return wrong


# ---------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def town_demo(databases, backend) -> Engine:
    return databases.demo(backend, AS_OF)  # read only


@pytest.fixture(scope="module")
def city_demo(databases, backend) -> Engine:
    engine = databases.new_engine(backend)
    demo.generate(engine, scale="city", city_fraction=0.002, as_of=AS_OF)
    return engine


def test_town_demo_fast_paths_match_the_records(town_demo, small_limits):
    assert mismatches(town_demo, AS_OF) == []


def test_city_demo_fast_paths_match_the_records(city_demo, small_limits):
    assert mismatches(city_demo, AS_OF) == []


def test_city_demo_with_categories_chosen(city_demo, small_limits):
    chosen = {"alerts": ("治安", "电信网络诈骗"), "events": ("矛盾纠纷",), "hazards": ("消防",)}
    assert mismatches(city_demo, AS_OF, chosen) == []


def test_city_demo_on_a_later_day(city_demo, small_limits):
    """'Today' after the data's last day: residents and zero counters move on."""
    assert mismatches(city_demo, AS_OF + dt.timedelta(days=40)) == []


def test_full_limits_on_the_city_demo(city_demo):
    """The views' own limits (the city demo's year has more alerts than the map draws)."""
    with city_demo.connect() as conn:
        whole = Filters(PERIODS["year to date"])
        for name in ("alerts.hotspots", "hazards.map_points", "population.by_house",
                     "population.by_employer"):
            call = calls(AS_OF)[name]
            assert same(call(conn, whole), call(conn, every_village(conn, whole))), name


# ---------------------------------------------------------------- records written one by one


def _records(conn: Connection) -> dict[str, int]:
    """A small area written through the triggers: two villages, houses, stays, alerts, events."""
    ni, fh = f.village(conn, "倪宅村"), f.village(conn, "凤凰村")
    small, big = f.house(conn, ni, 2), f.house(conn, fh, 5)
    for k in range(4):  # the small house is overcrowded
        f.stay(conn, ni, D(2025, 6, 1) + dt.timedelta(days=k), house_id=small, employer="花街织造",
               verified_at=D(2025, 6, 20) if k else None)
    f.stay(conn, fh, D(2026, 2, 1), house_id=big, left_at=D(2026, 9, 30), employer="花街织造",
           employer_left_at=D(2026, 9, 1), permit_expiry=D(2026, 12, 1))
    f.stay(conn, fh, D(2026, 11, 20), house_id=big, permit_expiry=D(2026, 12, 10))
    f.stay(conn, fh, D(2026, 12, 5))  # recorded ahead of its day
    for k, day in enumerate((T(2025, 5, 3, 8), T(2026, 3, 9, 23), T(2026, 3, 31, 23, 59), T(2026, 11, 2, 1))):
        f.alert(conn, ni if k % 2 else fh, day, lat=28.92 + k / 1000, lon=119.97, became_case=k == 1,
                category="电信网络诈骗" if k == 1 else "治安", civil_to_criminal=k == 2)
    f.event(conn, ni, T(2026, 3, 30, 9), closed_at=T(2026, 4, 2, 9), due_at=T(2026, 4, 1, 9))
    f.event(conn, fh, T(2026, 6, 30, 9), dispatched_at=T(2026, 7, 1, 9))
    f.event(conn, fh, T(2026, 11, 1, 9), category="治安巡查")
    hazard = f.hazard(conn, ni, T(2026, 5, 1, 9), level="重大", deadline=D(2026, 6, 1), lat=28.93, lon=119.97)
    f.hazard(conn, fh, T(2025, 12, 30, 9), status="已化解", resolved_at=T(2026, 1, 2, 9))
    return {"ni": ni, "fh": fh, "small": small, "big": big, "hazard": hazard}


def test_triggers_keep_the_summaries_through_inserts_updates_and_deletes(engine, small_limits):
    with engine.begin() as conn:
        ids = _records(conn)
    assert mismatches(engine, AS_OF) == []
    with engine.begin() as conn:
        first_stay = select(PopulationStay.id).order_by(PopulationStay.id).limit(1).scalar_subquery()
        conn.execute(update(PopulationStay).where(PopulationStay.id == first_stay)
                     .values(left_at=D(2026, 10, 1)))
        conn.execute(update(PopulationStay).where(PopulationStay.left_at.is_(None))
                     .values(origin_province=None, gender="女"))
        conn.execute(update(House).where(House.id == ids["big"]).values(capacity=1))  # now overcrowded
        conn.execute(update(Alert).where(Alert.category == "治安").values(category="纠纷", lat=None))
        conn.execute(update(GridEvent).values(closed_at=T(2026, 11, 22, 8)))
        conn.execute(delete(Alert).where(Alert.received_at < T(2026, 1, 1)))
        conn.execute(delete(PopulationStay).where(PopulationStay.arrived_at > D(2026, 11, 1)))
        conn.execute(update(Hazard).where(Hazard.status == "已化解").values(category="防汛"))
        # To another village and month (hazard_village_months), then one gone.
        moved = update(Hazard).where(Hazard.id == ids["hazard"])
        conn.execute(moved.values(village_id=ids["fh"]))
        conn.execute(moved.values(found_at=T(2026, 4, 30, 23)))
        conn.execute(delete(Hazard).where(Hazard.found_at < T(2026, 1, 1)))
    assert mismatches(engine, AS_OF) == []


def test_the_triggers_count_by_the_rules_at_their_edges(engine):
    """The triggers' SQL (a frozen copy in migration 0003) agrees with data_access.rules where a
    rule has an edge: closed exactly at the due time, no due time, closed a minute late; fraud
    with and without a case, a case of another category; a stay with no province."""
    due = T(2026, 3, 10, 17)
    with engine.begin() as conn:
        ni = f.village(conn, "倪宅村")
        for closed_at, due_at in ((due, due), (T(2026, 3, 9), None), (due + dt.timedelta(minutes=1), due),
                                  (None, due)):
            f.event(conn, ni, T(2026, 3, 1, 9), closed_at=closed_at, due_at=due_at)
        for category, case in (("电信网络诈骗", True), ("电信网络诈骗", False), ("刑事", True)):
            f.alert(conn, ni, T(2026, 3, 2, 9), category=category, became_case=case)
        f.stay(conn, ni, D(2026, 3, 3), origin_province=None)
    with engine.connect() as conn:
        assert summaries.differences(conn) == {}
        day = conn.execute(select(EventDay.new, EventDay.closed, EventDay.on_time)).one()
        assert tuple(day) == (4, 3, 2), "on time: exactly at the due time, and with no due time"
        fraud = conn.execute(select(func.sum(AlertDay.telecom_fraud), func.sum(AlertDay.cases))).one()
        assert tuple(fraud) == (1, 2)
        assert conn.execute(select(StayOpenProvince.province)).scalars().all() == [rules.UNKNOWN_PROVINCE]


def test_review_actions_keep_the_hazard_summary(engine):
    with engine.begin() as conn:
        ids = _records(conn)
        accounts.create_user(conn, "leader", "s3cret-pass", "leader", by="test")
    with engine.begin() as conn:  # an instruction changes nothing counted; a status does
        review.add_instruction(conn, "leader", ids["hazard"], 1, "限期整改", now=NOW)
        review.change_status(conn, "leader", ids["hazard"], 2, "已化解", now=NOW)
    assert mismatches(engine, AS_OF) == []
    with engine.connect() as conn:
        kpis = hazards.kpis(conn, Filters(PERIODS["year to date"]), AS_OF)
    assert (kpis["found"], kpis["resolved"], kpis["open"]) == (1, 2, 0)


def test_the_importer_keeps_the_summaries(engine):
    load_sample_villages(engine)
    rows = [{**base_row("alerts", n), "received_at": f"2026-0{1 + n % 9}-1{n % 10} 0{n % 10}:00:00"}
            for n in range(60)]
    assert run(engine, "alerts", rows).ok
    people = [{**base_row("population", n), "arrived_at": f"2026-0{1 + n % 9}-0{1 + n % 9}"}
              for n in range(30)]
    assert run(engine, "population", people).ok
    with engine.connect() as conn:
        assert summaries.differences(conn) == {}
    # Again, changed: updates subtract the old shares and add the new ones.
    rows = [{**row, "category": "交通"} for row in rows[:20]]
    people = [{**row, "left_at": "2026-10-01"} for row in people[:10]]
    assert run(engine, "alerts", rows).ok
    assert run(engine, "population", people).ok
    assert mismatches(engine, AS_OF) == []


def test_rebuild_puts_right_what_bypassed_the_triggers(engine):
    with engine.begin() as conn:
        ids = _records(conn)
    with engine.begin() as conn, summaries.pause(conn):  # writes the triggers do not see
        f.alert(conn, ids["ni"], T(2026, 7, 1, 12))  # no position: not on the map
        conn.execute(delete(StayOpenVillage))
    with engine.connect() as conn:
        assert set(summaries.differences(conn)) == {"alert_days", "alert_hours", "stay_open_villages"}
    with engine.begin() as conn:
        summaries.rebuild(conn)
    assert mismatches(engine, AS_OF) == []


def test_a_pause_lasts_only_for_its_transaction(engine):
    with engine.connect() as conn:
        with conn.begin():
            with summaries.pause(conn):
                pass
            assert conn.execute(text("SELECT count(*) FROM summary_pauses")).scalar_one() == 0
        with conn.begin():
            f.alert(conn, f.village(conn, "倪宅村"), T(2026, 7, 1, 12))
        assert conn.execute(select(AlertDay.alerts)).scalars().all() == [1]


def test_rebuild_summaries_command(engine, monkeypatch, capsys):
    from data_access import cli
    from data_access.cli.shared import EXIT_BAD_INPUT, EXIT_OK

    with engine.begin() as conn:
        _records(conn)
        conn.execute(delete(AlertDay))
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert cli.main(["rebuild-summaries", "--check"]) == EXIT_BAD_INPUT
    assert "alert_days" in capsys.readouterr().out
    assert cli.main(["rebuild-summaries"]) == EXIT_OK
    assert "summaries rebuilt" in capsys.readouterr().out
    assert cli.main(["rebuild-summaries", "--check"]) == EXIT_OK
