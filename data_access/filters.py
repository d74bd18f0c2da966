"""The shared filter (villages, grids, period, categories) and how it becomes SQL.

A period `D1..D2` covers whole local days: [D1 00:00, D2+1 00:00). Every value reaches
SQL as a bound parameter; village and grid names are resolved to ids first, so an
unknown name is an error the caller can report instead of an empty result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Date, DateTime, bindparam, select, true

from . import settings
from .models import Grid, Village


class UnknownName(ValueError):
    """A village or grid name that is not in the database."""


def local_now() -> dt.datetime:
    """Now, as a naive local time (the way times are stored)."""
    return dt.datetime.now(ZoneInfo(settings.get("TIMEZONE"))).replace(tzinfo=None)


def local_today() -> dt.date:
    return local_now().date()


def minus_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (29 February → 28)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Period:
    """Whole days `start`..`end`, both included."""

    start: dt.date
    end: dt.date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def begins(self) -> dt.datetime:
        """The first instant of the period."""
        return dt.datetime.combine(self.start, dt.time())

    @property
    def ends(self) -> dt.datetime:
        """The first instant after the period (exclusive bound)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time())

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def year_earlier(self) -> Period:
        """The same dates one year earlier (同比)."""
        return Period(minus_years(self.start, 1), minus_years(self.end, 1))

    def previous(self) -> Period:
        """The period of the same length just before this one (环比)."""
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def whole_months(self) -> tuple[dt.date, dt.date] | None:
        """The first day of the first whole month in the period and the first day after the
        last one, or None when the period holds no whole month (for the monthly summaries)."""
        first = self.start
        if first.day != 1:
            first = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        after = (self.end + dt.timedelta(days=1)).replace(day=1)
        return (first, after) if first < after else None

    def reference_day(self, today: dt.date) -> dt.date:
        """The day 'now' figures are taken at: the period's last day, or today if it is not over."""
        return min(self.end, today)

    @classmethod
    def year_to_date(cls, today: dt.date) -> Period:
        return cls(dt.date(today.year, 1, 1), today)

    @classmethod
    def last_full_quarter(cls, today: dt.date) -> Period:
        """The last calendar quarter that ended before `today`."""
        quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        end = quarter_start - dt.timedelta(days=1)
        return cls(dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end)


@dataclass(frozen=True)
class Filters:
    """What a view is looking at. Empty tuples mean 'all'."""

    period: Period
    villages: tuple[str, ...] = ()
    grids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    # Resolved ids, filled by resolve(); None means "no restriction".
    village_ids: tuple[int, ...] | None = field(default=None, compare=False)
    grid_ids: tuple[int, ...] | None = field(default=None, compare=False)

    def with_period(self, period: Period) -> Filters:
        return replace(self, period=period)


def resolve(conn: Connection, filters: Filters) -> Filters:
    """Filters with village and grid names turned into ids; UnknownName when one is not known."""
    if filters.village_ids is not None or filters.grid_ids is not None:
        return filters  # already resolved
    village_ids = None
    if filters.villages:
        rows = conn.execute(
            select(Village.name, Village.id).where(Village.name.in_(filters.villages))
        ).all()
        found = dict(rows)
        missing = [v for v in filters.villages if v not in found]
        if missing:
            raise UnknownName(f"unknown village: {', '.join(missing)}")
        village_ids = tuple(found[v] for v in filters.villages)
    grid_ids = None
    if filters.grids:
        query = select(Grid.name, Grid.id).where(Grid.name.in_(filters.grids))
        if village_ids is not None:
            query = query.where(Grid.village_id.in_(village_ids))
        rows = conn.execute(query).all()
        names = {name for name, _ in rows}
        missing = [g for g in filters.grids if g not in names]
        if missing:
            raise UnknownName(f"unknown grid: {', '.join(missing)}")
        grid_ids = tuple(gid for _, gid in rows)
    return replace(filters, village_ids=village_ids, grid_ids=grid_ids)


# ---------------------------------------------------------------- one statement per filter shape
# Every query is a statement built with these bound parameters in place of a filter's values,
# kept (functools.cache on its builder) and serving every filter of the same Shape;
# bound_values() gives the values to run it with. For a village, building a SQLAlchemy
# statement took longer than running it.

VILLAGE_IDS = bindparam("village_ids", expanding=True)
GRID_IDS = bindparam("grid_ids", expanding=True)
CATEGORIES = bindparam("categories", expanding=True)
START, END = bindparam("start", type_=Date), bindparam("end", type_=Date)
BEGINS, ENDS = bindparam("begins", type_=DateTime), bindparam("ends", type_=DateTime)
# The first midnight of the period's whole months and the one after them (a summary table holds
# those months; the days around them come from the records: outside_whole_months).
MONTHS_BEGIN, MONTHS_END = bindparam("months_begin", type_=DateTime), bindparam("months_end", type_=DateTime)


@dataclass(frozen=True)
class Shape:
    """Which parts of a resolved filter restrict the rows."""

    villages: bool
    grids: bool
    categories: bool

    @property
    def whole_area(self) -> bool:
        """No village or grid chosen: what the summary tables answer for (categories are in the
        summaries that have a category)."""
        return not self.villages and not self.grids


def shape_of(filters: Filters) -> Shape:
    """Which parts of a resolved filter restrict the rows."""
    return Shape(filters.village_ids is not None, filters.grid_ids is not None, bool(filters.categories))


def bound_values(filters: Filters) -> dict:
    """The values of a resolved filter for the bound parameters above."""
    return {"village_ids": list(filters.village_ids or ()), "grid_ids": list(filters.grid_ids or ()),
            "categories": list(filters.categories)} | period_values(filters.period)


def period_values(period: Period, prefix: str = "") -> dict:
    """The values of bound_period(…, prefix) for `period` (a prefix names another period than the
    filter's own, e.g. 'yoy_' for the same dates a year earlier)."""
    return {f"{prefix}start": period.start, f"{prefix}end": period.end,
            f"{prefix}begins": period.begins, f"{prefix}ends": period.ends}


def bound_place(shape: Shape, village_column, grid_column=None, category_column=None) -> ColumnElement[bool]:
    """place_clause and category_clause of a filter of this shape, values bound."""
    clause: ColumnElement[bool] = true()
    if shape.villages:
        clause = clause & village_column.in_(VILLAGE_IDS)
    if grid_column is not None and shape.grids:
        clause = clause & grid_column.in_(GRID_IDS)
    if category_column is not None and shape.categories:
        clause = clause & category_column.in_(CATEGORIES)
    return clause


def outside_whole_months(column) -> ColumnElement[bool]:
    """`column` (a time) falls on one of the period's days before or after its whole months
    (MONTHS_BEGIN, MONTHS_END bound). Written as two ranges, so that an index on `column` is
    searched twice over a few days, not scanned across the whole period (SQLite did that with
    "in the period and not in its months": 5× slower on the city's alerts)."""
    return ((column >= BEGINS) & (column < MONTHS_BEGIN)) | ((column >= MONTHS_END) & (column < ENDS))


def bound_period(column, prefix: str = "") -> ColumnElement[bool]:
    """`column` falls on one of the period's days (a date between its first and last day, a time
    in [first day 00:00, the day after the last 00:00)), values bound (period_values)."""
    if not prefix:
        start, end, begins, ends = START, END, BEGINS, ENDS
    else:
        start, end = bindparam(f"{prefix}start", type_=Date), bindparam(f"{prefix}end", type_=Date)
        begins, ends = bindparam(f"{prefix}begins", type_=DateTime), bindparam(f"{prefix}ends", type_=DateTime)
    if column.type.python_type is dt.date:
        return column.between(start, end)
    return (column >= begins) & (column < ends)
