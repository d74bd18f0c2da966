"""Summary tables: counts of hazards, alerts, grid events and stays that the whole area's figures read
instead of millions of records (the tables are in models.py, from migrations 0003 and 0004).

Who keeps them right: database triggers on hazards, alerts, grid_events, population_stays and houses
(created by migrations 0003 and 0004, SQLite and PostgreSQL alike) add and subtract each written row's
share in the same transaction as the write, whoever writes: importers, the app, tests, other
systems. A bulk writer may `pause()` them for its own transaction and `rebuild()` before it
commits (the demo generator does). A database written around the triggers (a restore, a bulk
load with triggers disabled) is put right with `python -m data_access rebuild-summaries` (cli/database.py).

Only the whole area (no village or grid chosen) reads the summaries; a village's figures come
from the records through their indexes, which is fast at that size.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import (
    Connection,
    Float,
    Integer,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
)

from . import rules
from .models import (
    SUMMARY_TABLES,
    Alert,
    AlertCell,
    AlertDay,
    AlertHour,
    EventDay,
    GridEvent,
    Hazard,
    HazardDay,
    HazardDayTotal,
    HazardMonth,
    HazardVillageMonth,
    House,
    PopulationStay,
    StayDay,
    StayOpenAge,
    StayOpenEmployer,
    StayOpenHouse,
    StayOpenProvince,
    StayOpenVillage,
    SummaryPause,
)
from .sql import cell_of, count_if, day_of, hour_of, month_of

COPIED = ("capacity",)  # summary columns that copy a record's value instead of counting
# Records a summary statement reads while it rebuilds: PostgreSQL writers wait meanwhile.
SUMMARISED = ("hazards", "alerts", "grid_events", "population_stays", "houses")


# ---------------------------------------------------------------- what each summary holds


def _hazard_counts(conn: Connection, period_of):
    """Hazards found (and of those, open now) and resolved per day or month (`period_of`),
    category and level."""
    zero, one = literal(0, Integer), literal(1, Integer)
    still_open = case((rules.hazard_open(), 1), else_=0)
    found = select(
        period_of(conn.dialect.name, Hazard.found_at).label("period"), Hazard.category, Hazard.level, one.label("found"),
        still_open.label("found_open"), zero.label("resolved"),
    )
    resolved = select(period_of(conn.dialect.name, Hazard.resolved_at), Hazard.category, Hazard.level, zero, zero, one).where(
        Hazard.resolved_at.is_not(None)
    )
    rows = union_all(found, resolved).subquery()
    keys = (rows.c.period, rows.c.category, rows.c.level)
    counts = (func.sum(rows.c.found), func.sum(rows.c.found_open), func.sum(rows.c.resolved))
    return select(*keys, *counts).group_by(*keys)


def _hazard_days(conn: Connection):
    return _hazard_counts(conn, day_of)


def _hazard_months(conn: Connection):
    return _hazard_counts(conn, month_of)


def _hazard_day_totals(conn: Connection):
    zero, one = literal(0, Integer), literal(1, Integer)
    found = select(day_of(conn.dialect.name, Hazard.found_at).label("day"), one.label("found"), zero.label("resolved"))
    resolved = select(day_of(conn.dialect.name, Hazard.resolved_at), zero, one).where(Hazard.resolved_at.is_not(None))
    rows = union_all(found, resolved).subquery()
    return select(rows.c.day, func.sum(rows.c.found), func.sum(rows.c.resolved)).group_by(rows.c.day)


def _hazard_village_months(conn: Connection):
    month = month_of(conn.dialect.name, Hazard.found_at)
    return select(month, Hazard.village_id, func.count(), count_if(rules.hazard_open())).group_by(
        month, Hazard.village_id
    )


def _alert_days(conn: Connection):
    day = day_of(conn.dialect.name, Alert.received_at)
    return select(
        day, Alert.category, func.count(), count_if(rules.alert_effective()), count_if(rules.alert_case()),
        *(count_if(condition) for condition in rules.ZERO_COUNTERS.values()),
    ).group_by(day, Alert.category)  # fmt: skip


def _alert_hours(conn: Connection):
    day, hour = day_of(conn.dialect.name, Alert.received_at), hour_of(conn.dialect.name, Alert.received_at)
    return select(day, hour, func.count()).group_by(day, hour)


def _alert_cells(conn: Connection):
    month, lat, lon = month_of(conn.dialect.name, Alert.received_at), cell_of(Alert.lat), cell_of(Alert.lon)
    return (
        select(month, lat, lon, func.count(), func.sum(Alert.lat), func.sum(Alert.lon))
        .where(Alert.lat.is_not(None) & Alert.lon.is_not(None))
        .group_by(month, lat, lon)
    )


def _event_days(conn: Connection):
    day = day_of(conn.dialect.name, GridEvent.reported_at)
    counts = (func.count(), *(count_if(rule()) for rule in (rules.event_closed, rules.event_on_time,
                                                           rules.event_dispatched)))
    return select(day, GridEvent.category, *counts).group_by(day, GridEvent.category)


def _stay_days(conn: Connection):
    moves = select(PopulationStay.arrived_at.label("day"), func.count().label("arrivals"),
                   (func.count() * 0).label("departures")).group_by(PopulationStay.arrived_at).union_all(
        select(PopulationStay.left_at, func.count() * 0, func.count())
        .where(PopulationStay.left_at.is_not(None)).group_by(PopulationStay.left_at)
    ).subquery()  # fmt: skip
    return select(moves.c.day, func.sum(moves.c.arrivals), func.sum(moves.c.departures)).group_by(moves.c.day)


def _open_villages(conn: Connection):
    village = PopulationStay.village_id
    return select(village, func.count()).where(rules.stay_open()).group_by(village)


def _open_provinces(conn: Connection):
    province = rules.stay_province()  # one expression: PostgreSQL groups by it only with the same parameter
    return select(province, func.count()).where(rules.stay_open()).group_by(province)


def _open_ages(conn: Connection):
    return (
        select(PopulationStay.gender, PopulationStay.birth_date, func.count())
        .where(rules.stay_open())
        .group_by(PopulationStay.gender, PopulationStay.birth_date)
    )


def _open_employers(conn: Connection):
    return (
        select(PopulationStay.employer, func.count(), count_if(PopulationStay.employer_left_at.is_not(None)))
        .where(rules.stay_open() & PopulationStay.employer.is_not(None))
        .group_by(PopulationStay.employer)
    )


def _open_houses(conn: Connection):
    return (
        select(PopulationStay.house_id, func.count(), func.max(House.capacity))
        .join(House, House.id == PopulationStay.house_id)
        .where(rules.stay_open())
        .group_by(PopulationStay.house_id)
    )


# Each summary table and the statement that computes all its rows from the records, in the
# table's column order.
CONTENTS = {
    HazardDay: _hazard_days,
    HazardMonth: _hazard_months,
    HazardDayTotal: _hazard_day_totals,
    HazardVillageMonth: _hazard_village_months,
    AlertDay: _alert_days,
    AlertHour: _alert_hours,
    AlertCell: _alert_cells,
    EventDay: _event_days,
    StayDay: _stay_days,
    StayOpenVillage: _open_villages,
    StayOpenProvince: _open_provinces,
    StayOpenAge: _open_ages,
    StayOpenEmployer: _open_employers,
    StayOpenHouse: _open_houses,
}
assert set(CONTENTS) == set(SUMMARY_TABLES)


# ---------------------------------------------------------------- keeping and checking


@contextmanager
def pause(conn: Connection) -> Iterator[None]:
    """Switch the summary triggers off for the caller's transaction only; the caller must
    rebuild() before it commits. Other transactions never see the switch (it is not committed)."""
    conn.execute(insert(SummaryPause).values(id=1))
    yield  # on an error the caller's transaction rolls back, and the row with it
    conn.execute(delete(SummaryPause))


def _lock_records(conn: Connection) -> None:
    """PostgreSQL: make writers of the records wait until this transaction ends (readers go on),
    so that no trigger adds to a summary between its deletion and its rebuilding."""
    if conn.dialect.name == "postgresql":
        for name in SUMMARISED:
            # Names from our own constant list, never from input.
            conn.execute(text(f'LOCK TABLE "{name}" IN SHARE MODE'))


def rebuild(conn: Connection) -> dict[str, int]:
    """Recompute every summary from the records, in the caller's transaction; rows per table."""
    _lock_records(conn)
    counts = {}
    for model, contents in CONTENTS.items():
        table = model.__table__
        conn.execute(delete(table))
        columns = [c.name for c in table.columns]
        conn.execute(insert(table).from_select(columns, contents(conn)))
        counts[table.name] = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    return counts


def differences(conn: Connection) -> dict[str, int]:
    """Per summary table, how many keys disagree with the records (empty when all agree).

    Rows whose counts are all zero count as absent; float sums are compared to 1e-9."""
    found = {}
    for model, contents in CONTENTS.items():
        table = model.__table__
        stored = _as_dict(conn.execute(select(table)).all(), table)
        expected = _as_dict(conn.execute(contents(conn)).all(), table)
        wrong = sum(
            1
            for key in stored.keys() | expected.keys()
            if not _same(stored.get(key), expected.get(key), table)
        )
        if wrong:
            found[table.name] = wrong
    return found


def _as_dict(rows, table) -> dict:
    n_keys = len(table.primary_key.columns)
    counts = [i for i, c in enumerate(table.columns) if not c.primary_key and c.name not in COPIED]
    return {
        tuple(row[:n_keys]): tuple(row[n_keys:])
        for row in rows
        if any(row[i] for i in counts)  # a row whose counts are all zero is as good as none
    }


def _same(a, b, table) -> bool:
    if a is None or b is None:
        return a is b
    measures = [c for c in table.columns if not c.primary_key]
    for x, y, column in zip(a, b, measures, strict=True):
        if isinstance(column.type, Float):
            if not math.isclose(float(x or 0), float(y or 0), rel_tol=1e-9, abs_tol=1e-9):
                return False
        elif column.name in COPIED:
            if x != y:
                return False
        elif int(x or 0) != int(y or 0):
            return False
    return True
