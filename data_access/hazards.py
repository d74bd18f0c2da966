"""Risk hazards (风险隐患): counts, the worst-first list with the 三色 warning, and map points.

found = found in the period; resolved = resolved in the period; open and overdue are the
current state (status 待处置 or 整改中) of hazards found up to the period's end, with
overdue meaning a deadline before the reference day (the period's last day, or today).

For the whole area, found and resolved counts come from hazard_days (summaries.py); the open
ones are few and found through the status index.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd
from sqlalchemy import Connection, case, func, literal, select, union_all

from . import summaries
from .filters import Filters, category_clause, in_period, place_clause, resolve
from .models import HAZARD_LEVELS, HAZARD_OPEN_STATUSES, Grid, Hazard, HazardDay, HazardHistory, Village
from .sql import MAX_MAP_FEATURES, count_if, day_bucket, frame, to_dates

DUE_SOON_DAYS = 3  # 三色预警: yellow when the deadline is this close
LIST_LIMIT = 500

LEVEL_RANK = case(*((Hazard.level == level, rank) for rank, level in enumerate(HAZARD_LEVELS)), else_=9)


def _place(filters: Filters):
    return place_clause(filters, Hazard.village_id, Hazard.grid_id) & category_clause(
        filters, Hazard.category
    )


def _is_open():
    return Hazard.status.in_(HAZARD_OPEN_STATUSES)


def _overdue(ref: dt.date):
    return _is_open() & (Hazard.deadline < ref)


def warning_colour(ref: dt.date):
    """三色预警 of an open hazard: red overdue, yellow due within DUE_SOON_DAYS, else green."""
    return case(
        (~_is_open(), literal(None)),
        (Hazard.deadline < ref, "red"),
        (Hazard.deadline <= ref + dt.timedelta(days=DUE_SOON_DAYS), "yellow"),
        else_="green",
    )


def kpis(conn: Connection, filters: Filters, today: dt.date) -> dict:
    """Found, resolved, open, overdue (red), due soon (yellow), and enterprises shut for
    rectification; `warning_colours(kpis)` gives the 三色 tiles without another query."""
    filters = resolve(conn, filters)
    period = filters.period
    ref = period.reference_day(today)

    def counted(what, where):  # one figure, found through its own index
        return select(what).select_from(Hazard).where(_place(filters) & where).scalar_subquery()

    if summaries.covers(filters):
        days = HazardDay.day.between(period.start, period.end) & category_clause(filters, HazardDay.category)
        found = select(func.coalesce(func.sum(HazardDay.found), 0)).where(days).scalar_subquery()
        resolved = select(func.coalesce(func.sum(HazardDay.resolved), 0)).where(days).scalar_subquery()
    else:
        found = counted(func.count(), in_period(Hazard.found_at, period))
        resolved = counted(func.count(), in_period(Hazard.resolved_at, period))
    colours = _colour_counts(_place(filters) & (Hazard.found_at < period.ends), ref).subquery()
    stmt = select(
        found.label("found"),
        resolved.label("resolved"),
        colours.c.open,
        colours.c.overdue,
        colours.c.due_soon,
        counted(
            func.count(func.distinct(Hazard.enterprise)),
            in_period(Hazard.found_at, period) & Hazard.enterprise_shut.is_(True),
        ).label("enterprises_shut"),
    ).select_from(colours)
    return {k: int(v) for k, v in conn.execute(stmt).one()._mapping.items()}


def _colour_counts(where, ref: dt.date):
    """One row of the open hazards matching `where`: open, overdue (red), due_soon (yellow)."""
    colour = warning_colour(ref)
    return select(
        func.count().label("open"),
        count_if(colour == "red").label("overdue"),
        count_if(colour == "yellow").label("due_soon"),
    ).where(where & _is_open())


def warning_colours(figures: Mapping[str, int]) -> dict[str, int]:
    """The 三色 counts {'red', 'yellow', 'green'} from kpis()' open, overdue and due_soon:
    green is every open hazard neither red nor yellow (one with no deadline included)."""
    red, yellow = int(figures["overdue"]), int(figures["due_soon"])
    return {"red": red, "yellow": yellow, "green": int(figures["open"]) - red - yellow}


def _listed(
    filters: Filters, statuses: tuple[str, ...], levels: tuple[str, ...], responsible: str | None
):
    """The review list's WHERE: place, found by the period's end, statuses, levels, person."""
    where = _place(filters) & (Hazard.found_at < filters.period.ends)
    if statuses:
        where = where & Hazard.status.in_(statuses)
    if levels:
        where = where & Hazard.level.in_(levels)
    if responsible:
        where = where & (Hazard.responsible_person == responsible)
    return where


def warning_counts(
    conn: Connection,
    filters: Filters,
    today: dt.date,
    *,
    statuses: tuple[str, ...] = HAZARD_OPEN_STATUSES,
    levels: tuple[str, ...] = (),
    responsible: str | None = None,
) -> dict[str, int]:
    """Open hazards per 三色 colour: {'red': n, 'yellow': n, 'green': n}; the keywords narrow
    it as they narrow worst_first (only open statuses have a colour). With no narrowing,
    kpis() has the same figures (warning_colours)."""
    filters = resolve(conn, filters)
    ref = filters.period.reference_day(today)
    row = conn.execute(_colour_counts(_listed(filters, statuses, levels, responsible), ref)).one()
    return warning_colours(row._mapping)


def responsible_people(conn: Connection, filters: Filters) -> list[str]:
    """The responsible persons (包案领导) of hazards in the filter's place found by its end, by name."""
    filters = resolve(conn, filters)
    stmt = (
        select(Hazard.responsible_person)
        .where(_place(filters) & (Hazard.found_at < filters.period.ends)
               & Hazard.responsible_person.is_not(None))
        .group_by(Hazard.responsible_person)
        .order_by(Hazard.responsible_person)
    )
    return [name for (name,) in conn.execute(stmt) if name]


def worst_first(
    conn: Connection,
    filters: Filters,
    today: dt.date,
    *,
    statuses: tuple[str, ...] = HAZARD_OPEN_STATUSES,
    levels: tuple[str, ...] = (),
    responsible: str | None = None,
    limit: int = LIST_LIMIT,
) -> tuple[pd.DataFrame, int]:
    """Hazards worst first: overdue, then level, then nearest deadline; with their 三色 colour.

    Returns the first `limit` rows (LIST_LIMIT for a page; exports ask for more) and how
    many match in all.
    """
    filters = resolve(conn, filters)
    ref = filters.period.reference_day(today)
    where = _listed(filters, statuses, levels, responsible)
    stmt = (
        select(
            Hazard.id,
            Hazard.source_id,
            Hazard.title,
            Hazard.category,
            Hazard.level,
            Hazard.status,
            Village.name.label("village"),
            Grid.name.label("grid"),
            Hazard.found_at,
            Hazard.deadline,
            Hazard.responsible_unit,
            Hazard.responsible_person,
            Hazard.enterprise,
            Hazard.lat,
            Hazard.lon,
            warning_colour(ref).label("warning"),
        )
        .join(Village, Village.id == Hazard.village_id)
        .outerjoin(Grid, Grid.id == Hazard.grid_id)
        .where(where)
        .order_by(
            case((_overdue(ref), 0), else_=1),
            LEVEL_RANK,
            Hazard.deadline.is_(None),
            Hazard.deadline,
            Hazard.found_at,
            Hazard.id,
        )
        .limit(limit)
    )
    df = to_dates(frame(conn, stmt), "deadline")
    # A missing deadline comes back as NaT, which is a dt.date too: test for it first.
    df["days_left"] = [None if pd.isna(d) else (d - ref).days for d in df["deadline"]]
    if len(df) < limit:  # all of them: no need to count
        return df, len(df)
    return df, int(conn.execute(select(func.count()).select_from(Hazard).where(where)).scalar_one())


BREAKDOWNS = ("category", "level", "village")


def counts_by(
    conn: Connection, filters: Filters, dimensions: tuple[str, ...] = BREAKDOWNS
) -> dict[str, pd.DataFrame]:
    """Hazards found in the period per category, level and/or village, in one statement:
    {dimension: DataFrame[<dimension>, found, open]}, most found first, then by name."""
    if not dimensions or set(dimensions) - set(BREAKDOWNS):
        raise ValueError(f"dimensions must be some of {BREAKDOWNS}, not {dimensions!r}")
    filters = resolve(conn, filters)
    in_place = _place(filters) & in_period(Hazard.found_at, filters.period)

    def per(dimension: str):  # dimension, key, found, open
        tag = literal(dimension).label("dimension")
        if dimension == "village":  # counted per village id, then named: no sort of joined rows by name
            counts = (
                select(Hazard.village_id, func.count().label("found"), count_if(_is_open()).label("open"))
                .where(in_place)
                .group_by(Hazard.village_id)
                .subquery()
            )
            return select(tag, Village.name.label("key"), counts.c.found, counts.c.open).join(
                Village, Village.id == counts.c.village_id
            )
        if summaries.covers(filters):
            key, found = getattr(HazardDay, dimension), func.sum(HazardDay.found)
            return (
                select(tag, key.label("key"), found.label("found"), func.sum(HazardDay.found_open).label("open"))
                .where(HazardDay.day.between(filters.period.start, filters.period.end)
                       & category_clause(filters, HazardDay.category))
                .group_by(key)
                .having(found > 0)
            )
        key = getattr(Hazard, dimension)
        return select(tag, key.label("key"), func.count().label("found"), count_if(_is_open()).label("open")).where(
            in_place
        ).group_by(key)

    parts = [per(d) for d in dimensions]
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    found = conn.execute(select(rows).order_by(rows.c.found.desc(), rows.c.key)).all()
    # Split as tuples: a mask and a copy per dimension in pandas cost more than the query.
    return {d: pd.DataFrame([row[1:] for row in found if row[0] == d], columns=[d, "found", "open"]) for d in dimensions}


def new_vs_resolved(conn: Connection, filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Hazards found and resolved per bucket: bucket, found, resolved."""
    filters = resolve(conn, filters)
    if summaries.covers(filters):
        bucket = day_bucket(conn, HazardDay.day, unit).label("bucket")
        found, resolved = func.sum(HazardDay.found), func.sum(HazardDay.resolved)
        stmt = (
            select(bucket, found.label("found"), resolved.label("resolved"))
            .where(HazardDay.day.between(filters.period.start, filters.period.end)
                   & category_clause(filters, HazardDay.category))
            .group_by(bucket)
            .having((found > 0) | (resolved > 0))
            .order_by(bucket)
        )
        return to_dates(frame(conn, stmt), "bucket")
    # One row per event (found or resolved in the period), then counted per bucket.
    events = union_all(
        select(day_bucket(conn, Hazard.found_at, unit).label("bucket"), literal(1).label("found"),
               literal(0).label("resolved"))
        .where(_place(filters) & in_period(Hazard.found_at, filters.period)),
        select(day_bucket(conn, Hazard.resolved_at, unit), literal(0), literal(1))
        .where(_place(filters) & in_period(Hazard.resolved_at, filters.period)),
    ).subquery()
    stmt = (
        select(events.c.bucket, func.sum(events.c.found).label("found"), func.sum(events.c.resolved).label("resolved"))
        .group_by(events.c.bucket)
        .order_by(events.c.bucket)
    )
    return to_dates(frame(conn, stmt), "bucket")


def by_village(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Open hazards per village: village, value."""
    filters = resolve(conn, filters)
    stmt = (
        select(Village.name.label("village"), func.count().label("value"))
        .select_from(Hazard)
        .join(Village, Village.id == Hazard.village_id)
        .where(_place(filters) & _is_open() & (Hazard.found_at < filters.period.ends))
        .group_by(Village.name)
    )
    return frame(conn, stmt)


def map_points(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Hazards to draw: open ones (all levels) and those found in the period, worst first (open
    first, then by level, deadline and id), at most MAX_MAP_FEATURES: id, title, level, status,
    is_open, warning, lat, lon."""
    filters = resolve(conn, filters)
    ref = filters.period.reference_day(today)
    located = _place(filters) & Hazard.lat.is_not(None)
    is_open = _is_open() & (Hazard.found_at < filters.period.ends)

    def drawn(flag):
        return select(Hazard.id, Hazard.title, Hazard.level, Hazard.status, flag.label("is_open"),
                      warning_colour(ref).label("warning"), Hazard.lat, Hazard.lon)

    if not summaries.covers(filters):  # a few villages' hazards: sorted in one go
        parts = [
            drawn(case((is_open, True), else_=False))
            .where(located & (is_open | in_period(Hazard.found_at, filters.period)))
            .order_by(case((is_open, 0), else_=1), LEVEL_RANK, Hazard.deadline, Hazard.id)
        ]
    else:
        # The whole area: parts an index finds in order on its own, worst first (the open ones
        # by status, then the others level by level by deadline), until there are enough.
        found_closed = in_period(Hazard.found_at, filters.period) & Hazard.status.not_in(HAZARD_OPEN_STATUSES)
        parts = [
            drawn(literal(flag)).where(located & where).order_by(*order, Hazard.deadline, Hazard.id)
            for flag, where, order in (
                (True, is_open, (LEVEL_RANK,)),
                *((False, (Hazard.level == level) & found_closed, ()) for level in HAZARD_LEVELS),
                (False, Hazard.level.not_in(HAZARD_LEVELS) & found_closed, (LEVEL_RANK,)),
            )
        ]
    frames, wanted = [], MAX_MAP_FEATURES
    for part in parts:
        frames.append(frame(conn, part.limit(wanted)))
        wanted -= len(frames[-1])
        if wanted == 0:
            break
    df = pd.concat(frames, ignore_index=True)
    df["is_open"] = df["is_open"].astype(bool)
    return df


def history(conn: Connection, hazard_id: int) -> pd.DataFrame:
    """One hazard's story, oldest first: at, kind, actor, old_value, new_value, note."""
    stmt = (
        select(
            HazardHistory.at,
            HazardHistory.kind,
            HazardHistory.actor,
            HazardHistory.old_value,
            HazardHistory.new_value,
            HazardHistory.note,
        )
        .where(HazardHistory.hazard_id == hazard_id)
        .order_by(HazardHistory.at, HazardHistory.id)
    )
    return frame(conn, stmt)
