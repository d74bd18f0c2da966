"""Small SQL helpers shared by the query modules: running a statement into a DataFrame,
conditional counts, rates, and the few expressions SQLite and PostgreSQL spell differently."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, Date, Integer, Select, case, cast, func

# At most this many shapes or markers are sent to a browser map; beyond it, points are
# aggregated into cells in SQL.
MAX_MAP_FEATURES = 2000


def using_index(stmt: Select, table, index: str) -> Select:
    """`stmt` reading `table` through `index` on SQLite (INDEXED BY; PostgreSQL chooses by its
    statistics). For the few whole-area queries where SQLite, with no statistics on skewed
    columns, would take an unselective index; `index` is always one of our constant names."""
    return stmt.with_hint(table, f"INDEXED BY {index}", dialect_name="sqlite")


def read_frame(conn: Connection, stmt: Select, values: dict | None = None) -> pd.DataFrame:
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


# ---------------------------------------------------------------- what the engines spell differently
# Each takes the dialect's name (conn.dialect.name), so that a statement can be built once and kept.


def day_of(dialect: str, column):
    """The local day of a stored time, as a date."""
    return func.date(column, type_=Date) if dialect == "sqlite" else cast(column, Date)


def month_of(dialect: str, column):
    """The first day of the month of a stored time or date, as a date."""
    if dialect == "sqlite":
        return func.date(column, "start of month", type_=Date)
    return cast(func.date_trunc("month", column), Date)


def day_bucket(dialect: str, column, unit: str):
    """The first day of the day/week/month that `column` falls in, as a date (Monday weeks)."""
    if unit not in ("day", "week", "month"):
        raise ValueError(f"unknown bucket unit {unit!r}")
    if dialect == "sqlite":
        modifiers = {"day": (), "week": ("weekday 0", "-6 days"), "month": ("start of month",)}[unit]
        # For weeks: 'weekday 0' moves on to the week's Sunday (or stays), then back to Monday.
        return func.date(column, *modifiers)
    return func.date(func.date_trunc(unit, column))


def hour_of(dialect: str, column):
    """The hour of a stored time, 0-23."""
    if dialect == "sqlite":
        return cast(func.strftime("%H", column), Integer)
    return cast(func.extract("hour", column), Integer)


def weekday_of(dialect: str, column):
    """0 = Monday … 6 = Sunday on both engines."""
    if dialect == "sqlite":
        return (cast(func.strftime("%w", column), Integer) + 6) % 7
    return cast(func.extract("isodow", column), Integer) - 1


# Map cells: 1/CELLS_PER_DEGREE of a degree (about 550 m north-south); alert_cells groups by them.
CELLS_PER_DEGREE = 200


def cell_of(column):
    """The map cell of a latitude or longitude (SQLite truncates the product, PostgreSQL rounds
    it: each engine agrees with itself, which is all the summary needs)."""
    return cast(column * CELLS_PER_DEGREE, Integer)


def to_dates(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Make date columns hold dt.date (NaT where missing), whatever the engine returned: SQLite
    gives text, PostgreSQL dates or datetimes. Value by value: for the few hundred rows a view
    reads, pd.to_datetime costs more than the query."""
    for column in columns:
        if column in df.columns:
            df[column] = pd.Series([as_date(v) for v in df[column]], index=df.index, dtype=object)
    return df


def as_date(value) -> dt.date:
    """A date from what an engine returns for a date or time (SQLite: text); NaT for nothing."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return pd.NaT  # None or NaN: missing
