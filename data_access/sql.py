"""Small SQL helpers shared by the query modules: running a statement into a DataFrame,
conditional counts, and the few expressions SQLite and PostgreSQL spell differently."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, Integer, Select, case, cast, func

# At most this many shapes or markers are sent to a browser map; beyond it, points are
# aggregated into cells in SQL.
MAX_MAP_FEATURES = 2000


def using_index(stmt: Select, table, index: str) -> Select:
    """`stmt` reading `table` through `index` on SQLite (INDEXED BY; PostgreSQL chooses by its
    statistics). For the few whole-area queries where SQLite, with no statistics on skewed
    columns, would take an unselective index; `index` is always one of our constant names."""
    return stmt.with_hint(table, f"INDEXED BY {index}", dialect_name="sqlite")


def frame(conn: Connection, stmt: Select, values: dict | None = None) -> pd.DataFrame:
    """Run `stmt` (with bound `values`) and return its rows as a DataFrame (columns named by the statement)."""
    result = conn.execute(stmt, values)
    # All rows in one fetch, as plain tuples: given SQLAlchemy Rows, pandas probes each one as
    # a named tuple, which costs more than running the query (the frame is the same).
    return pd.DataFrame.from_records([tuple(row) for row in result.all()], columns=list(result.keys()))


def count_if(condition) -> object:
    """COUNT of rows where `condition` holds, 0 (not NULL) when there are none."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def rate(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when the denominator is 0 (shown as '—')."""
    return numerator / denominator if denominator else None


def change(current: int, earlier: int) -> float | None:
    """Signed relative change (同比 / 环比) as a fraction, None when the earlier count is 0."""
    return (current - earlier) / earlier if earlier else None


def day_bucket(conn: Connection, column, unit: str):
    """The first day of the day/week/month that `column` falls in, as a date (Monday weeks)."""
    return day_bucket_in(conn.dialect.name, column, unit)


def day_bucket_in(dialect: str, column, unit: str):
    """day_bucket for the dialect named (for a statement built once and kept)."""
    if unit not in ("day", "week", "month"):
        raise ValueError(f"unknown bucket unit {unit!r}")
    if dialect == "sqlite":
        modifiers = {"day": (), "week": ("weekday 0", "-6 days"), "month": ("start of month",)}[unit]
        # For weeks: 'weekday 0' moves on to the week's Sunday (or stays), then back to Monday.
        return func.date(column, *modifiers)
    return func.date(func.date_trunc(unit, column))


def hour_of(conn: Connection, column):
    if conn.dialect.name == "sqlite":
        return cast(func.strftime("%H", column), Integer)
    return cast(func.extract("hour", column), Integer)


def weekday_of(conn: Connection, column):
    """0 = Monday … 6 = Sunday on both engines."""
    if conn.dialect.name == "sqlite":
        return (cast(func.strftime("%w", column), Integer) + 6) % 7
    return cast(func.extract("isodow", column), Integer) - 1


def to_dates(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Make date columns hold dt.date (NaT where missing), whatever the engine returned: SQLite
    gives text, PostgreSQL dates or datetimes. Value by value: for the few hundred rows a view
    reads, pd.to_datetime costs more than the query."""
    for column in columns:
        if column in df.columns:
            df[column] = pd.Series([_as_date(v) for v in df[column]], index=df.index, dtype=object)
    return df


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return pd.NaT  # None or NaN: missing
