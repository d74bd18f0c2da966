"""Risk hazards (风险隐患): counts, the worst-first list with the 三色 warning, and map points.

found = found in the period; resolved = resolved in the period; open and overdue are the
current state (status 待处置 or 整改中) of hazards found up to the period's end, with
overdue meaning a deadline before the reference day (the period's last day, or today).

For the whole area, the counts by category, level and village come from the monthly summaries
(hazard_months, hazard_village_months) for a period's whole months and from hazard_days or the
records for the days around them; found and resolved in all and per week from
hazard_day_totals (hazard_days when categories are chosen): summaries.py. The open ones are
few and found through the status index.

Each statement is built once per shape of filter (filters.Shape, and the narrowing asked for:
the functools.cache on each _..._statement) with its values bound at execution (_values): for
one village, building a statement took longer than running it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping

import pandas as pd
from sqlalchemy import Connection, Date, Integer, bindparam, case, func, literal, select, union_all

from . import rules
from .filters import (
    END,
    ENDS,
    START,
    Filters,
    Period,
    Shape,
    bound_period,
    bound_place,
    bound_values,
    outside_whole_months,
    resolve,
    shape_of,
)
from .masking import mask_name
from .models import (
    HAZARD_LEVELS,
    HAZARD_OPEN_STATUSES,
    Grid,
    Hazard,
    HazardDay,
    HazardDayTotal,
    HazardHistory,
    HazardMonth,
    HazardVillageMonth,
    Village,
)
from .rules import DUE_SOON_DAYS  # noqa: F401 (kept importable from here: the 三色 rule is this module's)
from .sql import MAX_MAP_FEATURES, count_if, day_bucket, read_frame, to_dates

LIST_LIMIT = 500

LEVEL_RANK = case(*((Hazard.level == level, rank) for rank, level in enumerate(HAZARD_LEVELS)), else_=9)
IS_OPEN = rules.hazard_open()

# The hazard-specific bound values (the filter's own are in filters.py).
REF, SOON = bindparam("ref", type_=Date), bindparam("soon", type_=Date)  # the reference day, + DUE_SOON_DAYS
STATUSES, LEVELS = bindparam("statuses", expanding=True), bindparam("levels", expanding=True)
RESPONSIBLE, WANTED = bindparam("responsible", type_=Integer), bindparam("wanted", type_=Integer)
# The period's whole months (hazard_months, hazard_village_months), and the instants they
# start and end at (the days around them are read from hazard_days or the records).
FIRST_MONTH, AFTER_MONTHS = bindparam("first_month", type_=Date), bindparam("after_months", type_=Date)


def _values(filters: Filters, today: dt.date | None = None, **narrow) -> dict:
    """Bound values: the filter's (with its whole months), the reference day's and the
    narrowing's (statuses, levels, responsible)."""
    values = bound_values(filters) | _month_values(filters.period)
    values |= {k: list(v) if isinstance(v, tuple) else v for k, v in narrow.items()}
    if today is not None:
        ref = filters.period.reference_day(today)
        values |= {"ref": ref, "soon": ref + dt.timedelta(days=DUE_SOON_DAYS)}
    return values


def _place(shape: Shape):
    return bound_place(shape, Hazard.village_id, Hazard.grid_id, Hazard.category)


def _per_day(shape: Shape):
    """The whole area's hazards found and resolved per day of the filter's period: from
    hazard_day_totals, or hazard_days when categories are chosen."""
    if not shape.categories:
        totals = HazardDayTotal
        return select(totals.day, totals.found, totals.resolved).where(bound_period(totals.day)).subquery()
    return (
        select(HazardDay.day, func.sum(HazardDay.found).label("found"), func.sum(HazardDay.resolved).label("resolved"))
        .where(bound_period(HazardDay.day) & bound_place(shape, None, category_column=HazardDay.category))
        .group_by(HazardDay.day)
        .subquery()
    )


def _counted(shape: Shape):
    """The whole area's counts in the filter's period and categories, as rows of category, level,
    found, found_open and resolved: the whole months from hazard_months, the days around them
    from hazard_days."""
    months, days = HazardMonth.month, HazardDay.day
    around = ((days >= START) & (days < FIRST_MONTH)) | ((days >= AFTER_MONTHS) & (days <= END))
    return union_all(*(
        select(table.category, table.level, table.found, table.found_open, table.resolved)
        .where(when & bound_place(shape, None, category_column=table.category))
        for table, when in ((HazardMonth, (months >= FIRST_MONTH) & (months < AFTER_MONTHS)), (HazardDay, around))
    )).subquery()  # fmt: skip


def _overdue():
    return rules.hazard_overdue(REF)


def warning_colour(on: dt.date | None = None):
    """三色预警 of an open hazard: red overdue, yellow due within DUE_SOON_DAYS, else green; on
    the day given, or on the reference day bound as REF (with SOON)."""
    ref, soon = (REF, SOON) if on is None else (on, on + dt.timedelta(days=DUE_SOON_DAYS))
    return case(
        (~IS_OPEN, literal(None)),
        (Hazard.deadline < ref, "red"),
        (Hazard.deadline <= soon, "yellow"),
        else_="green",
    )


def in_colour(colour: str):
    """The open hazards of one 三色 colour, 'red' or 'yellow', on the reference day bound as REF
    (with SOON): warning_colour's definition as a condition the (status, deadline) index serves."""
    if colour == "red":
        return _overdue()
    if colour == "yellow":
        return IS_OPEN & (Hazard.deadline >= REF) & (Hazard.deadline <= SOON)
    raise ValueError(f"no hazards are listed by the colour {colour!r}: red or yellow")


def colour_values(today: dt.date) -> dict:
    """The values of REF and SOON for the reference day `today`."""
    return {"ref": today, "soon": today + dt.timedelta(days=DUE_SOON_DAYS)}


def kpis(conn: Connection, filters: Filters, today: dt.date) -> dict:
    """Found, resolved, open, overdue (red), due soon (yellow), and enterprises shut for
    rectification; `warning_colours(kpis)` gives the 三色 tiles without another query."""
    filters = resolve(conn, filters)
    stmt = _kpis_statement(shape_of(filters))
    return {k: int(v) for k, v in conn.execute(stmt, _values(filters, today)).one()._mapping.items()}


@functools.cache
def _kpis_statement(shape: Shape):
    def counted(what, where):  # one figure, found through its own index
        return select(what).select_from(Hazard).where(_place(shape) & where).scalar_subquery()

    if shape.whole_area:
        days = _per_day(shape)
        found = select(func.coalesce(func.sum(days.c.found), 0)).scalar_subquery()
        resolved = select(func.coalesce(func.sum(days.c.resolved), 0)).scalar_subquery()
    else:
        found = counted(func.count(), bound_period(Hazard.found_at))
        resolved = counted(func.count(), bound_period(Hazard.resolved_at))
    colours = _colour_counts(_place(shape) & (Hazard.found_at < ENDS)).subquery()
    return select(
        found.label("found"),
        resolved.label("resolved"),
        colours.c.open,
        colours.c.overdue,
        colours.c.due_soon,
        counted(rules.enterprises_counted(), bound_period(Hazard.found_at) & Hazard.enterprise_shut.is_(True))
        .label("enterprises_shut"),
    ).select_from(colours)


def _colour_counts(where):
    """One row of the open hazards matching `where`: open, overdue (red), due_soon (yellow)."""
    colour = warning_colour()
    return select(
        func.count().label("open"),
        count_if(colour == "red").label("overdue"),
        count_if(colour == "yellow").label("due_soon"),
    ).where(where & IS_OPEN)


def warning_colours(figures: Mapping[str, int]) -> dict[str, int]:
    """The 三色 counts {'red', 'yellow', 'green'} from kpis()' open, overdue and due_soon:
    green is every open hazard neither red nor yellow (one with no deadline included)."""
    red, yellow = int(figures["overdue"]), int(figures["due_soon"])
    return {"red": red, "yellow": yellow, "green": int(figures["open"]) - red - yellow}


def _narrowing(statuses: tuple[str, ...], levels: tuple[str, ...], responsible: int | None) -> dict:
    """The review list's narrowing as bound values: only the parts asked for."""
    asked = {"statuses": statuses, "levels": levels, "responsible": responsible}
    return {k: v for k, v in asked.items() if v}


def _listed(shape: Shape, narrowed: frozenset[str]):
    """The review list's WHERE: place, found by the period's end, and the narrowing asked for
    (statuses, levels, responsible person)."""
    where = _place(shape) & (Hazard.found_at < ENDS)
    if "statuses" in narrowed:
        where = where & Hazard.status.in_(STATUSES)
    if "levels" in narrowed:
        where = where & Hazard.level.in_(LEVELS)
    if "responsible" in narrowed:  # the person of the hazard whose id stands for them
        person = select(Hazard.responsible_person).where(Hazard.id == RESPONSIBLE).scalar_subquery()
        where = where & (Hazard.responsible_person == person)
    return where


def warning_counts(
    conn: Connection,
    filters: Filters,
    today: dt.date,
    *,
    statuses: tuple[str, ...] = HAZARD_OPEN_STATUSES,
    levels: tuple[str, ...] = (),
    responsible: int | None = None,
) -> dict[str, int]:
    """Open hazards per 三色 colour: {'red': n, 'yellow': n, 'green': n}; the keywords narrow
    it as they narrow worst_first (only open statuses have a colour). With no narrowing,
    kpis() has the same figures (warning_colours)."""
    filters = resolve(conn, filters)
    narrow = _narrowing(statuses, levels, responsible)
    stmt = _colour_statement(shape_of(filters), frozenset(narrow))
    return warning_colours(conn.execute(stmt, _values(filters, today, **narrow)).one()._mapping)


@functools.cache
def _colour_statement(shape: Shape, narrowed: frozenset[str]):
    return _colour_counts(_listed(shape, narrowed))


def responsible_choices(conn: Connection, filters: Filters, *, clear: bool) -> dict[int, str]:
    """The persons in charge (包案领导) of hazards in the filter's place found by its end, as
    choices {id: label}, by name. The id stands for the person in URLs and calls (the narrowing's
    `responsible`): it is the smallest id of a hazard in that person's charge, anywhere. The label
    is the name (masked unless `clear`) with the unit beside it, and a number where two would
    still read alike (王小明 and 王大明 both mask to 王*明)."""
    filters = resolve(conn, filters)
    rows = conn.execute(_responsible_statement(shape_of(filters)), _values(filters)).all()
    labels: dict[int, str] = {}
    seen: dict[str, int] = {}
    for choice, person, unit in rows:
        label = " · ".join(filter(None, (person if clear else mask_name(person), unit)))
        seen[label] = seen.get(label, 0) + 1
        labels[int(choice)] = label if seen[label] == 1 else f"{label} ({seen[label]})"
    return labels


@functools.cache
def _responsible_statement(shape: Shape):
    in_place = select(Hazard.responsible_person).where(
        _place(shape) & (Hazard.found_at < ENDS) & Hazard.responsible_person.is_not(None))
    return (
        select(func.min(Hazard.id), Hazard.responsible_person, func.min(Hazard.responsible_unit))
        .where(Hazard.responsible_person.in_(in_place))
        .group_by(Hazard.responsible_person)
        .order_by(Hazard.responsible_person)
    )


def responsible_person(conn: Connection, choice: int) -> str | None:
    """The person a responsible_choices id stands for (None for an id that is no hazard)."""
    return conn.execute(select(Hazard.responsible_person).where(Hazard.id == choice)).scalar()


def worst_first(
    conn: Connection,
    filters: Filters,
    today: dt.date,
    *,
    statuses: tuple[str, ...] = HAZARD_OPEN_STATUSES,
    levels: tuple[str, ...] = (),
    responsible: int | None = None,
    limit: int = LIST_LIMIT,
) -> tuple[pd.DataFrame, int]:
    """Hazards worst first: overdue, then level, then nearest deadline; with their 三色 colour.

    Returns the first `limit` rows (LIST_LIMIT for a page; exports ask for more) and how
    many match in all.
    """
    filters = resolve(conn, filters)
    narrow = _narrowing(statuses, levels, responsible)
    values = _values(filters, today, **narrow) | {"wanted": limit}
    shape, narrowed = shape_of(filters), frozenset(narrow)
    df = to_dates(read_frame(conn, _worst_first_statement(shape, narrowed), values), "deadline")
    matching = df.pop("matching")
    ref = values["ref"]
    # A missing deadline comes back as NaT, which is a dt.date too: test for it first.
    df["days_left"] = [None if pd.isna(d) else (d - ref).days for d in df["deadline"]]
    return df, (int(matching.iloc[0]) if len(matching) else 0)


@functools.cache
def _worst_first_statement(shape: Shape, narrowed: frozenset[str]):
    # The order is found on the ids and sort keys alone, then the wanted rows are joined to their
    # details: sorting whole rows cost more than the rest of the query.
    keys = (
        case((_overdue(), 0), else_=1).label("overdue_rank"),
        LEVEL_RANK.label("level_rank"),
        Hazard.deadline.is_(None).label("no_deadline"),
        Hazard.deadline,
        Hazard.found_at,
        Hazard.id,
    )
    matching = func.count().over().label("matching")  # all that match, counted before the limit
    top = select(*keys, matching).where(_listed(shape, narrowed)).order_by(*keys).limit(WANTED).subquery()
    return (
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
            Hazard.address,
            Hazard.responsible_unit,
            Hazard.responsible_person,
            Hazard.enterprise,
            warning_colour().label("warning"),
            top.c.matching,
        )
        .select_from(top)
        .join(Hazard, Hazard.id == top.c.id)
        .join(Village, Village.id == Hazard.village_id)
        .outerjoin(Grid, Grid.id == Hazard.grid_id)
        .order_by(*(top.c[key.name] for key in keys))
    )


BREAKDOWNS = ("category", "level", "village")


def counts_by(
    conn: Connection, filters: Filters, dimensions: tuple[str, ...] = BREAKDOWNS
) -> dict[str, pd.DataFrame]:
    """Hazards found in the period per category, level and/or village, in one statement:
    {dimension: DataFrame[<dimension>, found, open]}, most found first, then by name."""
    if not dimensions or set(dimensions) - set(BREAKDOWNS):
        raise ValueError(f"dimensions must be some of {BREAKDOWNS}, not {dimensions!r}")
    filters = resolve(conn, filters)
    stmt = _counts_by_statement(shape_of(filters), tuple(dimensions))
    found = conn.execute(stmt, _values(filters)).all()
    # Split as tuples: a mask and a copy per dimension in pandas cost more than the query.
    return {d: pd.DataFrame([row[1:] for row in found if row[0] == d], columns=[d, "found", "open"]) for d in dimensions}


@functools.cache
def _counts_by_statement(shape: Shape, dimensions: tuple[str, ...]):
    in_place = _place(shape) & bound_period(Hazard.found_at)

    def per(dimension: str):  # dimension, key, found, open
        tag = literal(dimension).label("dimension")
        if dimension == "village":  # counted per village id, then named: no sort of joined rows by name
            if shape.whole_area and not shape.categories:
                counts = _village_counts_by_month()
            else:
                counts = (
                    select(Hazard.village_id, func.count().label("found"), count_if(IS_OPEN).label("open"))
                    .where(in_place)
                    .group_by(Hazard.village_id)
                    .subquery()
                )
            return select(tag, Village.name.label("key"), counts.c.found, counts.c.open).join(
                Village, Village.id == counts.c.village_id
            )
        if shape.whole_area:
            counted = _counted(shape)
            key, found = counted.c[dimension], func.sum(counted.c.found)
            return (
                select(tag, key.label("key"), found.label("found"), func.sum(counted.c.found_open).label("open"))
                .group_by(key)
                .having(found > 0)
            )
        key = getattr(Hazard, dimension)
        return select(tag, key.label("key"), func.count().label("found"), count_if(IS_OPEN).label("open")).where(
            in_place
        ).group_by(key)

    parts = [per(d) for d in dimensions]
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    return select(rows).order_by(rows.c.found.desc(), rows.c.key)


def _village_counts_by_month():
    """Found and open per village_id for the whole area: the period's whole months from
    hazard_village_months, the days before and after them from the records (MONTHS_*)."""
    months = HazardVillageMonth.month
    around = outside_whole_months(Hazard.found_at)
    parts = union_all(
        select(HazardVillageMonth.village_id, HazardVillageMonth.found, HazardVillageMonth.found_open.label("open"))
        .where((months >= FIRST_MONTH) & (months < AFTER_MONTHS)),
        select(Hazard.village_id, literal(1), case((IS_OPEN, 1), else_=0)).where(around),
    ).subquery()
    found = func.sum(parts.c.found)
    return (
        select(parts.c.village_id, found.label("found"), func.sum(parts.c.open).label("open"))
        .group_by(parts.c.village_id)
        .having(found > 0)  # a month whose hazards all moved away keeps a row of zeros
        .subquery()
    )


def _month_values(period: Period) -> dict:
    """Values of the MONTHS_* parameters: the period's whole months, or none (all from the
    records) when it holds no whole month."""
    first, after = period.whole_months() or (period.end + dt.timedelta(days=1),) * 2
    midnight = dt.time()
    return {"first_month": first, "after_months": after, "months_begin": dt.datetime.combine(first, midnight),
            "months_end": dt.datetime.combine(after, midnight)}


def new_vs_resolved(conn: Connection, filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Hazards found and resolved per bucket: bucket, found, resolved."""
    filters = resolve(conn, filters)
    stmt = _new_vs_resolved_statement(conn.dialect.name, shape_of(filters), unit)
    return to_dates(read_frame(conn, stmt, _values(filters)), "bucket")


@functools.cache
def _new_vs_resolved_statement(dialect: str, shape: Shape, unit: str):
    if shape.whole_area:  # per day first: the bucket is then worked out once a day, not once a row
        per_day = _per_day(shape)
        bucket = day_bucket(dialect, per_day.c.day, unit).label("bucket")
        found, resolved = func.sum(per_day.c.found), func.sum(per_day.c.resolved)
        return (
            select(bucket, found.label("found"), resolved.label("resolved"))
            .group_by(bucket)
            .having((found > 0) | (resolved > 0))
            .order_by(bucket)
        )
    # One row per event (found or resolved in the period), then counted per bucket.
    events = union_all(
        select(day_bucket(dialect, Hazard.found_at, unit).label("bucket"), literal(1).label("found"),
               literal(0).label("resolved"))
        .where(_place(shape) & bound_period(Hazard.found_at)),
        select(day_bucket(dialect, Hazard.resolved_at, unit), literal(0), literal(1))
        .where(_place(shape) & bound_period(Hazard.resolved_at)),
    ).subquery()
    return (
        select(events.c.bucket, func.sum(events.c.found).label("found"), func.sum(events.c.resolved).label("resolved"))
        .group_by(events.c.bucket)
        .order_by(events.c.bucket)
    )


def by_village(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Open hazards per village: village, value."""
    filters = resolve(conn, filters)
    return read_frame(conn, _by_village_statement(shape_of(filters)), _values(filters))


@functools.cache
def _by_village_statement(shape: Shape):
    return (
        select(Village.name.label("village"), func.count().label("value"))
        .select_from(Hazard)
        .join(Village, Village.id == Hazard.village_id)
        .where(_place(shape) & IS_OPEN & (Hazard.found_at < ENDS))
        .group_by(Village.name)
    )


def closed_hazards_fit(figures: Mapping[str, int]) -> bool:
    """Whether the map can draw the closed hazards found in the period one by one beside the
    open ones: kpis()' open + found bounds how many that is, at most MAX_MAP_FEATURES. Beyond
    it the views draw the open ones and shade the villages by hazards found (counts_by)."""
    return int(figures["open"]) + int(figures["found"]) <= MAX_MAP_FEATURES


def map_points(conn: Connection, filters: Filters, today: dt.date, closed: bool = True, *,
               records: bool = True) -> pd.DataFrame:
    """Hazards to draw: the open ones (all levels) and, with `closed`, the others found in the
    period; worst first (open first, then by level, deadline and id), at most MAX_MAP_FEATURES:
    id, title, level, status, is_open, lat, lon. Without `records` (the wall screen, a viewer)
    only level, status, is_open, lat, lon: points to count, with nothing that names a record."""
    filters = resolve(conn, filters)
    stmt = _map_statement(shape_of(filters), closed, records)
    df = read_frame(conn, stmt, _values(filters, today) | {"wanted": MAX_MAP_FEATURES})
    df["is_open"] = df["is_open"].astype(bool)
    return df


@functools.cache
def _map_statement(shape: Shape, closed: bool, records: bool):
    is_open = IS_OPEN & (Hazard.found_at < ENDS)
    if closed:  # the open ones first, then the others found in the period
        shown, flag = is_open | bound_period(Hazard.found_at), case((is_open, True), else_=False)
        order = (case((is_open, 0), else_=1),)
    else:  # all open: no flag or sort key to work out row by row
        shown, flag, order = is_open, literal(True), ()
    named = (Hazard.id, Hazard.title) if records else ()
    return (
        select(*named, Hazard.level, Hazard.status, flag.label("is_open"), Hazard.lat, Hazard.lon)
        .where(_place(shape) & Hazard.lat.is_not(None) & shown)
        .order_by(*order, LEVEL_RANK, Hazard.deadline, Hazard.id)
        .limit(WANTED)
    )


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
    return read_frame(conn, stmt)
