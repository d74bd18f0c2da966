"""The demo scenario on real databases: the figures of DOMAIN.md for several as-of days,
counted here with our own SQL; determinism; valid people; refusal beside real records;
the city code path at a tiny fraction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable

import pytest
from sqlalchemy import Column, Engine, case, distinct, func, insert, inspect, select

from data_access import demo, idcard
from data_access.demo.town import yoy_pair
from data_access.models import (
    ALERT_CATEGORIES,
    HAZARD_CATEGORIES,
    RECORD_TABLES,
    TERMINAL_KINDS,
    Alert,
    Grid,
    GridEvent,
    Hazard,
    HazardHistory,
    House,
    PopulationStay,
    Terminal,
    Village,
)

from ..conftest import BACKENDS

D = dt.date
T = dt.datetime
AS_OF = D(2026, 11, 23)
# as-of day → the last full quarter before it, as [first instant, first instant after)
QUARTERS = {
    AS_OF: (T(2026, 7, 1), T(2026, 10, 1)),
    D(2027, 2, 10): (T(2026, 10, 1), T(2027, 1, 1)),
}
YEAR_FIGURES_AS_OF = (AS_OF, D(2027, 2, 10), D(2027, 1, 5))


def on_engines(days) -> list:
    """(backend, as-of day) pairs: AS_OF on every engine, the other days on SQLite only. Their
    figures come from the same generator through the same writer, which AS_OF checks on each
    engine; what another day changes (the dates) is the engine-free part."""
    pairs = [(backend, AS_OF) for backend in BACKENDS] + [("sqlite", day) for day in days if day != AS_OF]
    return [pytest.param(backend, day, id=f"{backend}-{day}") for backend, day in pairs]
MICRO = ("倪宅村", "凤凰村", "桃源村", "上京岭村")
SEAT = (119.9686, 28.9226)
DEMO_TABLES = (Village, Grid, *RECORD_TABLES)


def n_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def count_distinct_if(condition, column):
    return func.count(distinct(case((condition, column))))


def one(engine: Engine, *columns, where=None, table=None):
    stmt = select(*columns)
    if table is not None:
        stmt = stmt.select_from(table)
    if where is not None:
        stmt = stmt.where(where)
    with engine.connect() as conn:
        return conn.execute(stmt).one()


def day_start(day: D) -> T:
    return T.combine(day, dt.time())


def micro_ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(Village.id).where(Village.in_micro_centre.is_(True))).scalars())


@pytest.fixture(scope="module")
def town(databases, backend) -> Callable[[D], Engine]:
    """The town scenario as of a day, built once per backend and day (read only)."""
    return lambda as_of: databases.demo(backend, as_of)


def content_hash(engine: Engine) -> str:
    """A fingerprint of the alerts, stays and hazards."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for stmt in (
            select(Alert.source_id, Alert.received_at, Alert.category, Alert.effective, Alert.lat).order_by(
                Alert.id
            ),
            select(PopulationStay.source_id, PopulationStay.id_number, PopulationStay.arrived_at).order_by(
                PopulationStay.id
            ),
            select(Hazard.source_id, Hazard.found_at, Hazard.status, Hazard.enterprise).order_by(Hazard.id),
        ):
            for row in conn.execute(stmt):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- the figures


@pytest.mark.parametrize(("backend", "as_of"), on_engines(QUARTERS), indirect=["backend"])
def test_last_full_quarter_has_the_seed_figures(town, as_of):
    engine = town(as_of)
    start, end = QUARTERS[as_of]
    in_quarter = (GridEvent.reported_at >= start) & (GridEvent.reported_at < end)
    closed_in_quarter = GridEvent.closed_at.is_not(None) & (GridEvent.closed_at < end)
    dispatched = GridEvent.dispatched_at.is_not(None)
    row = one(
        engine,
        func.count(),
        n_if(closed_in_quarter),
        n_if(GridEvent.due_at.is_not(None)),
        n_if(GridEvent.closed_at <= GridEvent.due_at),
        n_if(dispatched),
        n_if(
            dispatched & (GridEvent.dispatched_at >= GridEvent.reported_at) & (GridEvent.dispatched_at < end)
        ),
        table=GridEvent,
        where=in_quarter,
    )
    assert tuple(row) == (3755, 3755, 3755, 3752, 3674, 3674)
    assert round(100 * 3752 / 3755, 2) == 99.92 and round(100 * 3674 / 3755, 2) == 97.84
    # The quarter before: similar, not identical.
    before = (GridEvent.reported_at >= T(start.year - (start.month == 1), (start.month - 4) % 12 + 1, 1)) & (
        GridEvent.reported_at < start
    )
    (count,) = one(engine, func.count(), table=GridEvent, where=before)
    assert 3600 <= count <= 3900 and count != 3755


@pytest.mark.parametrize(("backend", "as_of"), on_engines(YEAR_FIGURES_AS_OF), indirect=["backend"])
def test_micro_centre_year_figures(town, as_of):
    engine = town(as_of)
    micro = micro_ids(engine)
    assert len(micro) == 4
    first, end = T(as_of.year, 1, 1), day_start(as_of + dt.timedelta(days=1))
    found = Hazard.village_id.in_(micro) & (Hazard.found_at >= first) & (Hazard.found_at < end)
    shut = Hazard.enterprise_shut.is_(True)
    distinct_shut = count_distinct_if(shut, Hazard.enterprise)
    row = one(
        engine,
        func.count(),
        distinct_shut,
        n_if(shut & Hazard.enterprise.is_(None)),
        table=Hazard,
        where=found,
    )
    assert tuple(row) == (256, 5, 0)

    def alerts_between(a: T, b: T):
        where = Alert.village_id.in_(micro) & (Alert.received_at >= a) & (Alert.received_at < b)
        return one(
            engine,
            n_if(Alert.effective.is_(True)),
            n_if(Alert.became_case.is_(True)),
            n_if(Alert.civil_to_criminal.is_(True)),
            n_if(Alert.major_accident.is_(True)),
            n_if((Alert.category == "电信网络诈骗") & Alert.became_case.is_(True)),
            table=Alert,
            where=where,
        )

    effective, cases, c2c, major, fraud = alerts_between(first, end)
    earlier_end = (
        as_of.replace(year=as_of.year - 1)
        if not (as_of.month == 2 and as_of.day == 29)
        else D(as_of.year - 1, 2, 28)
    )
    effective_then, cases_then, *_ = alerts_between(
        T(as_of.year - 1, 1, 1), day_start(earlier_end + dt.timedelta(days=1))
    )
    assert round(100 * (effective - effective_then) / effective_then) == -17
    assert round(100 * (cases - cases_then) / cases_then) == -42
    assert cases <= effective and cases_then <= effective_then
    assert (c2c, major, fraud) == (0, 0, 0)
    # Before this year, and elsewhere, each zero counter has something to count from.
    for where in (Alert.village_id.in_(micro) & (Alert.received_at < first), Alert.village_id.not_in(micro)):
        c2c, major, fraud = one(
            engine,
            n_if(Alert.civil_to_criminal.is_(True)),
            n_if(Alert.major_accident.is_(True)),
            n_if((Alert.category == "电信网络诈骗") & Alert.became_case.is_(True)),
            table=Alert,
            where=where,
        )
        assert c2c > 0 and major > 0 and fraud > 0


def test_yoy_pairs_hit_the_changes_for_every_window_length():
    for days in range(1, 367):
        target = 500 * days / 365
        for change, minimum in ((-17, 24), (-42, 12)):
            then, now = yoy_pair(target * (1 if change == -17 else 0.2), change, minimum)
            assert then >= minimum and round(100 * (now - then) / then) == change
            assert abs(100 * (now - then) / then - change) < 0.5


def test_nothing_happens_after_the_as_of_day(town):
    engine = town(AS_OF)
    last = T(2026, 11, 23, 23, 59, 59)
    for column in (Alert.received_at, GridEvent.reported_at, GridEvent.dispatched_at, GridEvent.closed_at,
                   Hazard.found_at, Hazard.resolved_at, HazardHistory.at, Terminal.last_seen_at):  # fmt: skip
        (latest,) = one(engine, func.max(column))
        assert latest is not None and latest <= last, column
    for column in (PopulationStay.arrived_at, PopulationStay.left_at, PopulationStay.verified_at,
                   PopulationStay.employer_left_at):  # fmt: skip
        (latest,) = one(engine, func.max(column))
        assert latest <= AS_OF, column
    (earliest,) = one(engine, func.min(Alert.received_at))
    assert T(2023, 11, 24) <= earliest < T(2023, 12, 1)


def test_event_times_are_consistent(town):
    engine = town(AS_OF)
    bad = one(
        engine,
        n_if(GridEvent.closed_at < GridEvent.reported_at),
        n_if(GridEvent.dispatched_at < GridEvent.reported_at),
        n_if(GridEvent.due_at.is_(None)),
        table=GridEvent,
    )
    assert tuple(bad) == (0, 0, 0)
    now = T(2026, 11, 24)
    open_, overdue = one(engine, func.count(), n_if(GridEvent.due_at < now), table=GridEvent,
                         where=GridEvent.closed_at.is_(None))  # fmt: skip
    assert 0 < overdue < open_ < 1000


# ---------------------------------------------------------------- the rest is plausible


def test_hazards_have_states_deadlines_and_stories(town):
    engine = town(AS_OF)
    resolved = Hazard.status.in_(("已化解", "已销号"))
    row = one(
        engine,
        n_if((resolved & Hazard.resolved_at.is_(None)) | (~resolved & Hazard.resolved_at.is_not(None))),
        n_if(Hazard.resolved_at < Hazard.found_at),
        n_if(Hazard.status.in_(("待处置", "整改中")) & (Hazard.deadline < AS_OF)),
        n_if(
            Hazard.status.in_(("待处置", "整改中"))
            & Hazard.deadline.between(AS_OF, AS_OF + dt.timedelta(days=3))
        ),
        n_if(Hazard.enterprise.is_not(None)),
        n_if(Hazard.status.not_in(("待处置", "整改中", "已化解", "已销号"))),
        n_if(Hazard.level.not_in(("重大", "较大", "一般"))),
        table=Hazard,
    )
    mismatched, early, overdue, due_soon, with_enterprise, bad_status, bad_level = row
    assert (mismatched, early, bad_status, bad_level) == (0, 0, 0, 0)
    assert overdue > 0 and due_soon > 0 and with_enterprise > 0
    with engine.connect() as conn:
        kinds = dict(
            conn.execute(select(HazardHistory.kind, func.count()).group_by(HazardHistory.kind)).all()
        )
        n_hazards = conn.execute(select(func.count()).select_from(Hazard)).scalar_one()
        first_found = conn.execute(
            select(func.count()).select_from(HazardHistory).join(Hazard, Hazard.id == HazardHistory.hazard_id)
            .where(HazardHistory.kind == "found", HazardHistory.at == Hazard.found_at)
        ).scalar_one()  # fmt: skip
    assert kinds["found"] == first_found == n_hazards
    assert kinds["status"] > n_hazards and kinds["instruction"] > 0
    per_year = n_hazards / 3 / 6  # three years, six work areas
    assert 150 < per_year < 450


def test_terminals_and_anomalies(town):
    engine = town(AS_OF)
    micro = micro_ids(engine)
    total, offline, stale = one(
        engine, func.count(), n_if(Terminal.online.is_(False)),
        n_if(Terminal.online.is_(False) & (Terminal.last_seen_at < T(2026, 11, 23))),
        table=Terminal, where=Terminal.village_id.in_(micro),
    )  # fmt: skip
    assert total == 230 and 0 < offline == stale < 20
    (elsewhere,) = one(engine, func.count(), table=Terminal, where=Terminal.village_id.not_in(micro))
    assert elsewhere > 0
    here = PopulationStay.left_at.is_(None)
    row = one(
        engine,
        n_if(
            here
            & PopulationStay.verified_at.is_(None)
            & (PopulationStay.arrived_at < AS_OF - dt.timedelta(days=30))
        ),
        n_if(here & PopulationStay.employer_left_at.is_not(None)),
        n_if(here & (PopulationStay.permit_expiry < AS_OF)),
        n_if(here & PopulationStay.permit_expiry.between(AS_OF, AS_OF + dt.timedelta(days=30))),
        n_if(here),
        func.count(),
        table=PopulationStay,
    )
    unverified, employer_gone, expired, expiring, residents, stays = row
    assert min(unverified, employer_gone, expired, expiring) > 0
    assert 2000 < stays < 8000 and 0 < residents < stays
    residents_now = (
        select(PopulationStay.house_id, func.count().label("n"))
        .where(here)
        .group_by(PopulationStay.house_id)
        .subquery()
    )
    with engine.connect() as conn:
        crowded = conn.execute(
            select(func.count()).select_from(House).join(residents_now, residents_now.c.house_id == House.id)
            .where(residents_now.c.n > House.capacity)
        ).scalar_one()  # fmt: skip
    assert crowded > 0


def test_alert_volumes_are_plausible(town):
    engine = town(AS_OF)
    last_year = (Alert.received_at >= T(2025, 11, 24)) & (Alert.received_at < T(2026, 11, 24))
    (per_year,) = one(engine, func.count(), table=Alert, where=last_year)
    assert 2000 < per_year < 9000


def test_villages_tile_the_town(town):
    engine = town(AS_OF)
    with engine.connect() as conn:
        villages = conn.execute(select(Village.__table__)).all()
        grids = dict(conn.execute(select(Grid.village_id, func.count()).group_by(Grid.village_id)).all())
    assert len(villages) == 26 and {v.town for v in villages} == {"花街镇"}
    by_name = {v.name: v for v in villages}
    assert {v.name for v in villages if v.in_micro_centre} == set(MICRO)
    assert {by_name[n].work_area for n in MICRO} == {"倪宅片区"}
    assert {"尚仁村", "小界岭村", "金杜村"} <= set(by_name)
    assert {"八字墙上片", "大屋片"} <= {v.work_area for v in villages}
    assert all(3 <= grids[v.id] <= 6 for v in villages)
    rings = {v.name: json.loads(v.boundary)["coordinates"][0] for v in villages}
    assert all(ring[0] == ring[-1] for ring in rings.values())
    assert inside(rings["倪宅村"], *SEAT)
    for v in villages:  # each centre lies in its own village and no other: no overlaps there
        assert [n for n, ring in rings.items() if inside(ring, v.center_lon, v.center_lat)] == [v.name]
    lons = [p[0] for ring in rings.values() for p in ring]
    lats = [p[1] for ring in rings.values() for p in ring]
    assert 0.08 < max(lons) - min(lons) < 0.13 and 0.06 < max(lats) - min(lats) < 0.1  # about 10 km × 8 km
    corners = [{tuple(p) for p in rings[name]} for name in MICRO]
    assert set.intersection(*corners)  # the four meet at one vertex: a block at the seat


def inside(ring: list[list[float]], lon: float, lat: float) -> bool:
    """Even-odd rule, written here rather than borrowed from the code under test."""
    result = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            result = not result
    return result


def test_records_lie_in_their_villages(town):
    engine = town(AS_OF)
    with engine.connect() as conn:
        rings = {
            vid: json.loads(b)["coordinates"][0]
            for vid, b in conn.execute(select(Village.id, Village.boundary))
        }
        for model in (Hazard, Alert, House, Terminal):
            rows = conn.execute(select(model.village_id, model.lon, model.lat)).all()
            outside = [r for r in rows if not inside(rings[r.village_id], r.lon, r.lat)]
            assert rows and not outside, (model.__tablename__, outside[:3])


def test_people_are_valid_and_consistent(town):
    engine = town(AS_OF)
    with engine.connect() as conn:
        stays = conn.execute(select(PopulationStay.name, PopulationStay.id_number, PopulationStay.gender,
                                    PopulationStay.birth_date, PopulationStay.origin_province,
                                    PopulationStay.phone)).all()  # fmt: skip
    for name, number, gender, birth, province, phone in stays:
        assert idcard.problem(number) is None, number
        assert idcard.gender(number) == gender and idcard.birth_date(number) == birth
        assert idcard.province(number) == province
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", name), name
        assert re.fullmatch(r"1[3-9]\d{9}", phone), phone
    main_origins = sum(s.origin_province in ("云南", "贵州", "四川", "江西") for s in stays)
    assert main_origins / len(stays) > 0.7


def test_every_row_is_demo_and_categories_are_known(town):
    engine = town(AS_OF)
    for model in DEMO_TABLES:
        (real,) = one(engine, func.count(), table=model, where=model.is_demo.is_(False))
        assert real == 0, model.__tablename__
    for column, allowed in ((Alert.category, ALERT_CATEGORIES), (Hazard.category, HAZARD_CATEGORIES),
                            (Terminal.kind, TERMINAL_KINDS)):  # fmt: skip
        (unknown,) = one(engine, func.count(), where=column.not_in(allowed))
        assert unknown == 0


# ---------------------------------------------------------------- determinism and safety


def assert_only(engine: Engine, counts: dict[str, int]) -> None:
    """The database holds exactly the rows the last run reported, all of them demo rows."""
    for model in (*DEMO_TABLES, HazardHistory):
        (n,) = one(engine, func.count(), table=model)
        assert n == counts[model.__tablename__], model.__tablename__


def test_same_seed_same_data(town, engine):
    demo.generate(engine, as_of=AS_OF)
    assert content_hash(engine) == content_hash(town(AS_OF))
    counts = demo.generate(engine, scale="city", city_fraction=0.001, as_of=AS_OF)
    assert_only(engine, counts)  # a rerun replaces the town, never adds to it


def test_refuses_beside_real_records_unless_forced(engine):
    with engine.begin() as conn:
        real = conn.execute(
            insert(Village).values(name="倪宅村", town="花街镇").returning(Village.id)
        ).scalar_one()
        conn.execute(insert(Alert).values(source_id="JQ1", received_at=T(2026, 1, 2, 3), category="治安",
                                          effective=True, village_id=real))  # fmt: skip
    assert demo.has_non_demo_records(engine)
    with pytest.raises(demo.DemoRefused, match="not demo data"):
        demo.generate(engine, scale="city", city_fraction=0.001, as_of=AS_OF)
    (n,) = one(engine, func.count(), table=Alert)
    assert n == 1
    for _ in range(2):  # forced, then again: the real rows stay, demo rows are replaced
        counts = demo.generate(engine, scale="city", city_fraction=0.001, as_of=AS_OF, force=True)
        (real_alerts, demo_alerts) = one(
            engine, n_if(Alert.is_demo.is_(False)), n_if(Alert.is_demo.is_(True)), table=Alert
        )
        assert (real_alerts, demo_alerts) == (1, counts["alerts"])
    (name_reused,) = one(engine, func.count(), table=Alert,
                         where=(Alert.village_id == real) & Alert.is_demo.is_(True))  # fmt: skip
    assert name_reused > 0  # demo records went to the real 倪宅村, not a second one


def test_empty_database_has_no_real_records(engine):
    assert not demo.has_non_demo_records(engine)
    with pytest.raises(ValueError):
        demo.generate(engine, scale="galaxy", as_of=AS_OF)


def test_city_code_path_at_a_tiny_fraction_and_other_seeds(engine):
    demo.generate(engine, scale="city", city_fraction=0.001, as_of=AS_OF)
    first = content_hash(engine)
    counts = demo.generate(engine, scale="city", city_fraction=0.001, as_of=AS_OF, seed=demo.DEFAULT_SEED + 1)
    assert content_hash(engine) != first
    assert_only(engine, counts)
    assert counts["villages"] == 300 and counts["alerts"] == 2000 and counts["grid_events"] == 1000
    assert counts["hazards"] == counts["hazard_history"] == 100
    assert 700 < counts["population_stays"] < 1400
    for model in DEMO_TABLES:
        (real,) = one(engine, func.count(), table=model, where=model.is_demo.is_(False))
        assert real == 0, model.__tablename__
    # Indexes and foreign keys dropped for the bulk load are all back.
    reflected = inspect(engine)
    for model in (*DEMO_TABLES, HazardHistory):
        table = model.__table__
        indexes = {i["name"] for i in reflected.get_indexes(table.name) if not i["unique"]}
        # SQLite's reflection skips indexes on expressions (with a warning); PostgreSQL's does not.
        expected = {i.name for i in table.indexes
                    if engine.dialect.name == "postgresql" or all(isinstance(e, Column) for e in i.expressions)}
        assert indexes == expected, table.name
        foreign_keys = {f["name"] for f in reflected.get_foreign_keys(table.name)}
        assert foreign_keys == {c.name for c in table.foreign_key_constraints}, table.name
    # New records after the demo get fresh ids (PostgreSQL sequences moved past the demo's).
    with engine.begin() as conn:
        village = conn.execute(select(Village.id).limit(1)).scalar_one()
        new_id = conn.execute(
            insert(Alert).values(source_id="JQ-new", received_at=T(2026, 11, 23, 9), category="求助",
                                 effective=False, village_id=village).returning(Alert.id)
        ).scalar_one()  # fmt: skip
    assert new_id > counts["alerts"]


def test_the_demo_sets_up_the_default_warning_rules_enabled(town):
    """Issue 17: the demo creates the default rule set, each enabled with its default thresholds and
    sent to every channel; it opens no warning itself (the watcher's first round does)."""
    from data_access import notify
    from data_access.models import NotifyWarning

    with town(AS_OF).connect() as conn:
        rules = notify.rules_table(conn)
        warnings = conn.execute(select(func.count()).select_from(NotifyWarning)).scalar_one()
    assert list(rules["name"]) == list(notify.CONDITIONS)
    assert rules["enabled"].all() and not any(rules["channels"])
    assert list(rules["thresholds"]) == [dict(c.defaults) for c in notify.CONDITIONS.values()]
    assert warnings == 0
