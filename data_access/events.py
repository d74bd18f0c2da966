"""Grid events (网格事件): the three rates of DOMAIN.md, their trend, and the records behind them.

For a period P: new = reported in P; closed = reported in P and closed before P ends;
on time = of those closed, closed no later than the due time (rules.event_on_time: an event
with no due time cannot be late); dispatched = reported in P and dispatched before P ends.

For the whole area the counts come from event_days (summaries.py), which counts what was ever
closed, closed on time and dispatched; the few events of P closed or dispatched only after P
ended are then subtracted, found through the closed_at and dispatched_at indexes.

Each statement is built once per shape of filter and kept (functools.cache), its values bound
at execution (filters.bound_values), as in hazards.py.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
from sqlalchemy import Connection, DateTime, Integer, bindparam, func, select, true, union_all

from . import rules
from .filters import ENDS, Filters, Shape, bound_period, bound_place, bound_values, resolve, shape_of
from .models import EventDay, Grid, GridEvent, Village
from .sql import count_if, day_bucket, rate, read_frame, to_dates, using_index

COUNTS = ("new", "closed", "on_time", "dispatched")
# Indexes the whole area's queries read grid_events through (SQLite is told: see sql.using_index).
BY_CLOSED = "ix_grid_events_closed_at_reported_at"
BY_DISPATCHED = "ix_grid_events_dispatched_at_reported_at"
CLOSED_LATE = "ix_grid_events_closed_late"  # closed after the due time

RECORD_LIMIT = 500  # rows a list sends to the page; the count says how many there are in all
WANTED = bindparam("wanted", type_=Integer)
NOW = bindparam("now", type_=DateTime)

# The records behind each rate: the ones that keep it below 100%.
BEHIND_RATE = ("closure", "on_time", "transfer")


def _values(filters: Filters, **more) -> dict:
    return bound_values(filters) | {"wanted": RECORD_LIMIT} | more


def _in_place(shape: Shape):
    """Reported in the filter's place and categories (any time)."""
    return bound_place(shape, GridEvent.village_id, GridEvent.grid_id, GridEvent.category)


def _where(shape: Shape):
    """Reported in the filter's period, place and categories."""
    return bound_period(GridEvent.reported_at) & _in_place(shape)


def _closed():
    return rules.event_closed() & (GridEvent.closed_at < ENDS)


def _dispatched():
    return rules.event_dispatched() & (GridEvent.dispatched_at < ENDS)


def _counts():
    return (
        func.count().label("new"),
        count_if(_closed()).label("closed"),
        count_if(_closed() & rules.event_on_time()).label("on_time"),
        count_if(_dispatched()).label("dispatched"),
    )


# The records behind each rate, written so that an index can find them: not closed by the
# period's end, closed by then but after the due time, not dispatched by then.
def _gap(which: str):
    if which == "closure":
        return GridEvent.closed_at.is_(None) | (GridEvent.closed_at >= ENDS)
    if which == "on_time":
        return (GridEvent.closed_at < ENDS) & rules.event_closed_late()
    return GridEvent.dispatched_at.is_(None) | (GridEvent.dispatched_at >= ENDS)


# ---------------------------------------------------------------- the whole area: event_days


@functools.cache
def _summed_statements(dialect: str, shape: Shape, grouping: str | None):
    """The statements _summed runs: event_days' counts per group, and the events of the period
    closed (in all, and on time) or dispatched only after it, per group, to subtract."""
    if grouping is None:
        days, records = (), ()
    elif grouping == "category":
        days, records = (EventDay.category,), (GridEvent.category,)
    else:  # a bucket unit
        days = (day_bucket(dialect, EventDay.day, grouping),)
        records = (day_bucket(dialect, GridEvent.reported_at, grouping),)
    totals = select(*days, *(func.sum(getattr(EventDay, c)) for c in COUNTS)).where(
        bound_period(EventDay.day) & bound_place(shape, None, category_column=EventDay.category)
    ).group_by(*days)
    closed_after = select(*records, func.count(), count_if(rules.event_on_time())).where(
        _where(shape) & (GridEvent.closed_at >= ENDS)).group_by(*records)
    dispatched_after = select(*records, func.count()).where(
        _where(shape) & (GridEvent.dispatched_at >= ENDS)).group_by(*records)
    return (totals, using_index(closed_after, GridEvent, BY_CLOSED),
            using_index(dispatched_after, GridEvent, BY_DISPATCHED))


def _summed(conn: Connection, filters: Filters, grouping: str | None = None) -> dict:
    """The whole area's new, closed, on-time and dispatched counts, from event_days less the
    events of the period done only after it ended: {group: [new, closed, on_time, dispatched]},
    the groups being `grouping`'s ('category', or a bucket unit), or one group, None."""
    statements = _summed_statements(conn.dialect.name, shape_of(filters), grouping)
    values = _values(filters)
    n_keys = 0 if grouping is None else 1
    totals = {(row[0] if n_keys else None): [int(v or 0) for v in row[n_keys:]]
              for row in conn.execute(statements[0], values)}
    for stmt, columns in ((statements[1], (1, 2)), (statements[2], (3,))):
        for row in conn.execute(stmt, values):
            counts = totals[row[0] if n_keys else None]
            for column, n in zip(columns, row[n_keys:]):
                counts[column] -= int(n)
    return {k: v for k, v in totals.items() if v[0] > 0}


# ---------------------------------------------------------------- the figures


def kpis(conn: Connection, filters: Filters) -> dict:
    """New, closed, on-time and dispatched counts and the three rates (None when undefined)."""
    filters = resolve(conn, filters)
    if shape_of(filters).whole_area:
        new, closed, on_time, dispatched = _summed(conn, filters).get(None, [0, 0, 0, 0])
    else:
        row = conn.execute(_kpis_statement(shape_of(filters)), _values(filters)).one()
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


@functools.cache
def _kpis_statement(shape: Shape):
    return select(*_counts()).where(_where(shape))


def trend(conn: Connection, filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Counts per day, week or month of reporting: bucket, new, closed, on_time, dispatched."""
    filters = resolve(conn, filters)
    if shape_of(filters).whole_area:
        summed = _summed(conn, filters, unit)
        df = pd.DataFrame([(k, *v) for k, v in sorted(summed.items())], columns=["bucket", *COUNTS])
        return to_dates(df, "bucket")
    stmt = _trend_statement(conn.dialect.name, shape_of(filters), unit)
    return to_dates(read_frame(conn, stmt, _values(filters)), "bucket")


@functools.cache
def _trend_statement(dialect: str, shape: Shape, unit: str):
    bucket = day_bucket(dialect, GridEvent.reported_at, unit).label("bucket")
    return select(bucket, *_counts()).where(_where(shape)).group_by(bucket).order_by(bucket)


def by_category(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Counts per category, biggest first (then by name)."""
    filters = resolve(conn, filters)
    if shape_of(filters).whole_area:
        summed = _summed(conn, filters, "category")
        rows = sorted(summed.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return pd.DataFrame([(k, *v) for k, v in rows], columns=["category", *COUNTS])
    return read_frame(conn, _by_category_statement(shape_of(filters)), _values(filters))


@functools.cache
def _by_category_statement(shape: Shape):
    return (
        select(GridEvent.category, *_counts())
        .where(_where(shape))
        .group_by(GridEvent.category)
        .order_by(func.count().desc(), GridEvent.category)
    )


def by_village(conn: Connection, filters: Filters) -> pd.DataFrame:
    """New events per village: village, value."""
    filters = resolve(conn, filters)
    return read_frame(conn, _by_village_statement(shape_of(filters)), _values(filters))


@functools.cache
def _by_village_statement(shape: Shape):
    return (
        select(Village.name.label("village"), func.count().label("value"))
        .select_from(GridEvent)
        .join(Village, Village.id == GridEvent.village_id)
        .where(_where(shape))
        .group_by(Village.name)
    )


def _record_rows():
    return (
        select(
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
        .join(Village, Village.id == GridEvent.village_id)
        .outerjoin(Grid, Grid.id == GridEvent.grid_id)
    )


def _records(conn: Connection, statements, values: dict) -> tuple[pd.DataFrame, int]:
    """The first RECORD_LIMIT rows, and how many there are in all (counted only when cut)."""
    rows, count = statements
    df = read_frame(conn, rows, values)
    if len(df) < RECORD_LIMIT:
        return df, len(df)
    return df, int(conn.execute(count, values).scalar_one())


def _listed(where, order):
    """The statements of a record list: its first rows in `order`, and its count."""
    return (_record_rows().where(where).order_by(*order).limit(WANTED),
            select(func.count()).select_from(GridEvent).where(where))


def behind_rate(conn: Connection, filters: Filters, which: str) -> tuple[pd.DataFrame, int]:
    """The records that keep a rate below 100%: not closed, closed late, or not dispatched.

    Returns the first RECORD_LIMIT rows and how many there are in all.
    """
    if which not in BEHIND_RATE:
        raise ValueError(f"unknown rate {which!r}")
    filters = resolve(conn, filters)
    shape = shape_of(filters)
    if not shape.whole_area:
        return _records(conn, _behind_rate_statements(shape, which), _values(filters))
    # The count from the rates' own figures; the rows in parts that an index finds in order.
    new, closed, on_time, dispatched = _summed(conn, filters).get(None, [0, 0, 0, 0])
    total = {"closure": new - closed, "on_time": closed - on_time, "transfer": new - dispatched}[which]
    stmt = _behind_rate_in_parts(conn.dialect.name, shape, which)
    return read_frame(conn, stmt, _values(filters)), total


@functools.cache
def _behind_rate_statements(shape: Shape, which: str):
    return _listed(_where(shape) & _gap(which), (GridEvent.reported_at, GridEvent.id))


@functools.cache
def _behind_rate_in_parts(dialect: str, shape: Shape, which: str):
    order = (GridEvent.reported_at, GridEvent.id)
    late = GridEvent.closed_at > GridEvent.due_at  # CLOSED_LATE: on PostgreSQL an index on this expression
    parts = {
        "closure": ((GridEvent.closed_at.is_(None), BY_CLOSED), (GridEvent.closed_at >= ENDS, BY_CLOSED)),
        "on_time": ((late == true() if dialect == "postgresql" else late, CLOSED_LATE),),
        "transfer": ((GridEvent.dispatched_at.is_(None), BY_DISPATCHED),
                     (GridEvent.dispatched_at >= ENDS, BY_DISPATCHED)),
    }[which]  # fmt: skip
    firsts = [
        using_index(_record_rows().add_columns(GridEvent.id).where(_where(shape) & _gap(which) & part)
                    .order_by(*order).limit(WANTED), GridEvent, index).subquery()
        for part, index in parts
    ]  # fmt: skip
    rows = union_all(*(select(first) for first in firsts)).subquery() if len(firsts) > 1 else firsts[0]
    return select(*(c for c in rows.c if c.name != "id")).order_by(rows.c.reported_at, rows.c.id).limit(WANTED)


def backlog(conn: Connection, filters: Filters, now: dt.datetime) -> tuple[pd.DataFrame, int, int]:
    """Open events reported up to the period's end, overdue first then by due time.

    Returns the rows (with an `overdue` column), the number open and the number overdue.
    """
    filters = resolve(conn, filters)
    listed, overdue = _backlog_statements(shape_of(filters))
    values = _values(filters, now=now)
    df, n_open = _records(conn, listed, values)
    df["overdue"] = df["due_at"].notna() & (pd.to_datetime(df["due_at"]) < now)
    if n_open == len(df):  # every open event is listed: count the overdue ones there
        return df, n_open, int(df["overdue"].sum())
    return df, n_open, int(conn.execute(overdue, values).scalar_one())


@functools.cache
def _backlog_statements(shape: Shape):
    where = (GridEvent.reported_at < ENDS) & GridEvent.closed_at.is_(None) & _in_place(shape)
    listed = _listed(where, (GridEvent.due_at.is_(None), GridEvent.due_at, GridEvent.reported_at))
    overdue = select(func.count()).select_from(GridEvent).where(where & (GridEvent.due_at < NOW))
    return listed, overdue


def categories(conn: Connection) -> tuple[str, ...]:
    """Every event category on record, alphabetically (events have no fixed list)."""
    stmt = select(EventDay.category).where(EventDay.new > 0).distinct().order_by(EventDay.category)
    return tuple(conn.execute(stmt).scalars())
