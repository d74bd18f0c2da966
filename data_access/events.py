"""Grid events (网格事件): the three rates of DOMAIN.md, their trend, and the records behind them.

For a period P: new = reported in P; closed = reported in P and closed before P ends;
on time = of those closed, closed no later than the due time (an event with no due time
cannot be late); dispatched = reported in P and dispatched before P ends.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, func, select

from .filters import Filters, category_clause, in_period, place_clause, resolve
from .models import Grid, GridEvent, Village
from .sql import count_if, day_bucket, frame, rate, to_dates

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
    bucket = day_bucket(conn, GridEvent.reported_at, unit).label("bucket")
    stmt = select(bucket, *_counts(filters)).where(_where(filters)).group_by(bucket).order_by(bucket)
    return to_dates(frame(conn, stmt), "bucket")


def by_category(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Counts per category, biggest first."""
    filters = resolve(conn, filters)
    stmt = (
        select(GridEvent.category, *_counts(filters))
        .where(_where(filters))
        .group_by(GridEvent.category)
        .order_by(func.count().desc())
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


def _records(conn: Connection, where, order) -> tuple[pd.DataFrame, int]:
    total = conn.execute(select(func.count()).select_from(GridEvent).where(where)).scalar_one()
    stmt = (
        select(*_record_columns())
        .join(Village, Village.id == GridEvent.village_id)
        .outerjoin(Grid, Grid.id == GridEvent.grid_id)
        .where(where)
        .order_by(*order)
        .limit(RECORD_LIMIT)
    )
    return frame(conn, stmt), int(total)


def behind_rate(conn: Connection, filters: Filters, which: str) -> tuple[pd.DataFrame, int]:
    """The records that keep a rate below 100%: not closed, closed late, or not dispatched.

    Returns the first RECORD_LIMIT rows and how many there are in all.
    """
    if which not in BEHIND_RATE:
        raise ValueError(f"unknown rate {which!r}")
    filters = resolve(conn, filters)
    gap = {
        "closure": ~_closed(filters),
        "on_time": _closed(filters) & ~_on_time(filters),
        "transfer": ~_dispatched(filters),
    }[which]
    return _records(conn, _where(filters) & gap, (GridEvent.reported_at,))


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
    overdue = GridEvent.due_at < now
    n_open, n_overdue = conn.execute(
        select(func.count(), count_if(overdue)).select_from(GridEvent).where(where)
    ).one()
    df, _ = _records(conn, where, (GridEvent.due_at.is_(None), GridEvent.due_at, GridEvent.reported_at))
    df["overdue"] = df["due_at"].notna() & (pd.to_datetime(df["due_at"]) < now)
    return df, int(n_open), int(n_overdue)


def categories(conn: Connection) -> tuple[str, ...]:
    """Every event category on record, alphabetically (events have no fixed list)."""
    stmt = select(GridEvent.category).distinct().order_by(GridEvent.category)
    return tuple(conn.execute(stmt).scalars())
