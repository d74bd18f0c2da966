"""Grid events (网格事件): the three rates of DOMAIN.md, their trend, and the records behind them.

For a period P: new = reported in P; closed = reported in P and closed before P ends;
on time = of those closed, closed no later than the due time (an event with no due time
cannot be late); dispatched = reported in P and dispatched before P ends.

For the whole area the counts come from event_days (summaries.py), which counts what was ever
closed, closed on time and dispatched; the few events of P closed or dispatched only after P
ended are then subtracted, found through the closed_at and dispatched_at indexes.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, func, select, true, union_all

from . import summaries
from .filters import Filters, category_clause, in_period, place_clause, resolve
from .models import EventDay, Grid, GridEvent, Village
from .sql import count_if, day_bucket, frame, rate, to_dates, using_index

COUNTS = ("new", "closed", "on_time", "dispatched")
# Indexes the whole area's queries read grid_events through (SQLite is told: see sql.using_index).
BY_CLOSED = "ix_grid_events_closed_at_reported_at"
BY_DISPATCHED = "ix_grid_events_dispatched_at_reported_at"
CLOSED_LATE = "ix_grid_events_closed_late"  # closed after the due time

RECORD_LIMIT = 500  # rows a list sends to the page; the count says how many there are in all

# The records behind each rate: the ones that keep it below 100%.
BEHIND_RATE = ("closure", "on_time", "transfer")


def _where(filters: Filters):
    return (
        in_period(GridEvent.reported_at, filters.period)
        & place_clause(filters, GridEvent.village_id, GridEvent.grid_id)
        & category_clause(filters, GridEvent.category)
    )


def _closed(filters: Filters):
    return GridEvent.closed_at.is_not(None) & (GridEvent.closed_at < filters.period.ends)


def _on_time(filters: Filters):
    return _closed(filters) & (GridEvent.due_at.is_(None) | (GridEvent.closed_at <= GridEvent.due_at))


def _dispatched(filters: Filters):
    return GridEvent.dispatched_at.is_not(None) & (GridEvent.dispatched_at < filters.period.ends)


# The records behind each rate, written so that an index can find them: not closed by the
# period's end, closed by then but after the due time, not dispatched by then.
def _not_closed(filters: Filters):
    return GridEvent.closed_at.is_(None) | (GridEvent.closed_at >= filters.period.ends)


def _closed_late(filters: Filters):
    return (
        (GridEvent.closed_at < filters.period.ends)
        & GridEvent.due_at.is_not(None)
        & (GridEvent.closed_at > GridEvent.due_at)
    )


def _not_dispatched(filters: Filters):
    return GridEvent.dispatched_at.is_(None) | (GridEvent.dispatched_at >= filters.period.ends)


def _summed(conn: Connection, filters: Filters, day_key=None, record_key=None) -> dict:
    """The whole area's new, closed, on-time and dispatched counts, from event_days less the
    events of the period done only after it ended: {group: [new, closed, on_time, dispatched]}.

    The groups are `day_key` (an expression over event_days, e.g. the week of its day) and the
    same `record_key` over grid_events; without them, one group, None."""
    period, ends = filters.period, filters.period.ends
    days = () if day_key is None else (day_key,)
    stmt = select(*days, *(func.sum(getattr(EventDay, c)) for c in COUNTS)).where(
        EventDay.day.between(period.start, period.end) & category_clause(filters, EventDay.category)
    )
    totals = {
        (row[0] if days else None): [int(v or 0) for v in row[len(days) :]]
        for row in conn.execute(stmt.group_by(*days) if days else stmt)
    }
    in_period_ = _where(filters)
    late = () if record_key is None else (record_key,)
    closed_after = using_index(select(
        *late, func.count(), count_if(GridEvent.due_at.is_(None) | (GridEvent.closed_at <= GridEvent.due_at))
    ).where(in_period_ & (GridEvent.closed_at >= ends)), GridEvent, BY_CLOSED)
    dispatched_after = select(*late, func.count()).where(in_period_ & (GridEvent.dispatched_at >= ends))
    dispatched_after = using_index(dispatched_after, GridEvent, BY_DISPATCHED)
    for stmt, columns in ((closed_after, (1, 2)), (dispatched_after, (3,))):
        for row in conn.execute(stmt.group_by(*late) if late else stmt):
            counts = totals[row[0] if late else None]
            for column, n in zip(columns, row[len(late):]):
                counts[column] -= int(n)
    return {k: v for k, v in totals.items() if v[0] > 0}


def _counts(filters: Filters):
    return (
        func.count().label("new"),
        count_if(_closed(filters)).label("closed"),
        count_if(_on_time(filters)).label("on_time"),
        count_if(_dispatched(filters)).label("dispatched"),
    )


def kpis(conn: Connection, filters: Filters) -> dict:
    """New, closed, on-time and dispatched counts and the three rates (None when undefined)."""
    filters = resolve(conn, filters)
    if summaries.covers(filters):
        new, closed, on_time, dispatched = _summed(conn, filters).get(None, [0, 0, 0, 0])
    else:
        row = conn.execute(select(*_counts(filters)).where(_where(filters))).one()
        new, closed, on_time, dispatched = (int(v) for v in row)
    return {
        "new": new,
        "closed": closed,
        "on_time": on_time,
        "dispatched": dispatched,
        "closure_rate": rate(closed, new),
        "on_time_rate": rate(on_time, closed),
        "transfer_rate": rate(dispatched, new),
    }


def trend(conn: Connection, filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Counts per day, week or month of reporting: bucket, new, closed, on_time, dispatched."""
    filters = resolve(conn, filters)
    if summaries.covers(filters):
        summed = _summed(
            conn, filters, day_bucket(conn, EventDay.day, unit), day_bucket(conn, GridEvent.reported_at, unit)
        )
        df = pd.DataFrame([(k, *v) for k, v in sorted(summed.items())], columns=["bucket", *COUNTS])
        return to_dates(df, "bucket")
    bucket = day_bucket(conn, GridEvent.reported_at, unit).label("bucket")
    stmt = select(bucket, *_counts(filters)).where(_where(filters)).group_by(bucket).order_by(bucket)
    return to_dates(frame(conn, stmt), "bucket")


def by_category(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Counts per category, biggest first (then by name)."""
    filters = resolve(conn, filters)
    if summaries.covers(filters):
        summed = _summed(conn, filters, EventDay.category, GridEvent.category)
        rows = sorted(summed.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return pd.DataFrame([(k, *v) for k, v in rows], columns=["category", *COUNTS])
    stmt = (
        select(GridEvent.category, *_counts(filters))
        .where(_where(filters))
        .group_by(GridEvent.category)
        .order_by(func.count().desc(), GridEvent.category)
    )
    return frame(conn, stmt)


def by_village(conn: Connection, filters: Filters) -> pd.DataFrame:
    """New events per village: village, value."""
    filters = resolve(conn, filters)
    stmt = (
        select(Village.name.label("village"), func.count().label("value"))
        .select_from(GridEvent)
        .join(Village, Village.id == GridEvent.village_id)
        .where(_where(filters))
        .group_by(Village.name)
    )
    return frame(conn, stmt)


def _record_columns():
    return (
        GridEvent.source_id,
        GridEvent.reported_at,
        GridEvent.category,
        Village.name.label("village"),
        Grid.name.label("grid"),
        GridEvent.reporter,  # personal: pages mask it (masking.mask_frame)
        GridEvent.dispatched_at,
        GridEvent.due_at,
        GridEvent.closed_at,
        GridEvent.summary,
    )


def _record_rows():
    return (
        select(*_record_columns())
        .join(Village, Village.id == GridEvent.village_id)
        .outerjoin(Grid, Grid.id == GridEvent.grid_id)
    )


def _records(conn: Connection, where, order) -> tuple[pd.DataFrame, int]:
    """The first RECORD_LIMIT rows, and how many there are in all (counted only when cut)."""
    df = frame(conn, _record_rows().where(where).order_by(*order).limit(RECORD_LIMIT))
    if len(df) < RECORD_LIMIT:
        return df, len(df)
    return df, int(conn.execute(select(func.count()).select_from(GridEvent).where(where)).scalar_one())


def behind_rate(conn: Connection, filters: Filters, which: str) -> tuple[pd.DataFrame, int]:
    """The records that keep a rate below 100%: not closed, closed late, or not dispatched.

    Returns the first RECORD_LIMIT rows and how many there are in all.
    """
    if which not in BEHIND_RATE:
        raise ValueError(f"unknown rate {which!r}")
    filters = resolve(conn, filters)
    gap = {"closure": _not_closed, "on_time": _closed_late, "transfer": _not_dispatched}[which](filters)
    order = (GridEvent.reported_at, GridEvent.id)
    if not summaries.covers(filters):
        return _records(conn, _where(filters) & gap, order)
    # The count from the rates' own figures; the rows in parts that an index finds in order.
    new, closed, on_time, dispatched = _summed(conn, filters).get(None, [0, 0, 0, 0])
    total = {"closure": new - closed, "on_time": closed - on_time, "transfer": new - dispatched}[which]
    ends = filters.period.ends
    late = GridEvent.closed_at > GridEvent.due_at  # CLOSED_LATE: on PostgreSQL an index on this expression
    parts = {
        "closure": ((GridEvent.closed_at.is_(None), BY_CLOSED), (GridEvent.closed_at >= ends, BY_CLOSED)),
        "on_time": ((late == true() if conn.dialect.name == "postgresql" else late, CLOSED_LATE),),
        "transfer": ((GridEvent.dispatched_at.is_(None), BY_DISPATCHED),
                     (GridEvent.dispatched_at >= ends, BY_DISPATCHED)),
    }[which]  # fmt: skip
    firsts = [
        using_index(_record_rows().add_columns(GridEvent.id).where(_where(filters) & gap & part)
                    .order_by(*order).limit(RECORD_LIMIT), GridEvent, index).subquery()
        for part, index in parts
    ]  # fmt: skip
    rows = union_all(*(select(first) for first in firsts)).subquery() if len(firsts) > 1 else firsts[0]
    stmt = select(*(c for c in rows.c if c.name != "id")).order_by(rows.c.reported_at, rows.c.id)
    stmt = stmt.limit(RECORD_LIMIT)
    return frame(conn, stmt), total


def backlog(conn: Connection, filters: Filters, now: dt.datetime) -> tuple[pd.DataFrame, int, int]:
    """Open events reported up to the period's end, overdue first then by due time.

    Returns the rows (with an `overdue` column), the number open and the number overdue.
    """
    filters = resolve(conn, filters)
    where = (
        (GridEvent.reported_at < filters.period.ends)
        & GridEvent.closed_at.is_(None)
        & place_clause(filters, GridEvent.village_id, GridEvent.grid_id)
        & category_clause(filters, GridEvent.category)
    )
    df, n_open = _records(conn, where, (GridEvent.due_at.is_(None), GridEvent.due_at, GridEvent.reported_at))
    df["overdue"] = df["due_at"].notna() & (pd.to_datetime(df["due_at"]) < now)
    if n_open == len(df):  # every open event is listed: count the overdue ones there
        return df, n_open, int(df["overdue"].sum())
    overdue = select(func.count()).select_from(GridEvent).where(where & (GridEvent.due_at < now))
    return df, n_open, int(conn.execute(overdue).scalar_one())


def categories(conn: Connection) -> tuple[str, ...]:
    """Every event category on record, alphabetically (events have no fixed list)."""
    stmt = select(EventDay.category).where(EventDay.new > 0).distinct().order_by(EventDay.category)
    return tuple(conn.execute(stmt).scalars())
