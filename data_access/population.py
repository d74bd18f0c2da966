"""Floating population (流动人口): residents, arrivals and departures, origins, age and gender,
the four anomaly lists of DOMAIN.md and the three-side view (house, employer, village).

'Now' figures are taken on the reference day: the period's last day, or today if the
period is not over. A resident on day R arrived on or before R and has not left by R
(rules.resident_on). Rows returned here hold personal data in clear; pages mask them with
data_access.masking.

For the whole area, residents on R are counted as the open stays (the stay_open_* summaries,
see summaries.py) less those arrived after R plus those that left after R: both usually
none when R is today, and found through indexes when not.

Each statement is built once per shape of filter (filters.Shape, and whether residents on R
differ from the open stays) and run with its values bound (_values), as in hazards.py.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
from sqlalchemy import Connection, Date, Integer, bindparam, case, func, literal, select, union_all

from . import rules
from .filters import Filters, Shape, bound_period, bound_place, bound_values, minus_years, resolve, shape_of
from .models import (
    Grid,
    House,
    PopulationStay,
    StayDay,
    StayOpenAge,
    StayOpenEmployer,
    StayOpenHouse,
    StayOpenProvince,
    StayOpenVillage,
    Village,
)
from .rules import ANOMALIES, PERMIT_WARNING_DAYS, VERIFY_WITHIN_DAYS  # noqa: F401 (part of this module's API)
from .sql import count_if, day_bucket, read_frame, to_dates, using_index

LIST_LIMIT = 500

# Age bands (lower bound in whole years, label), youngest first.
AGE_BANDS = ((0, "0-17"), (18, "18-29"), (30, "30-44"), (45, "45-59"), (60, "60+"))

# The reference day and the days the anomaly rules compare with on it (rules.anomaly_limits).
REF = bindparam("ref", type_=Date)
VERIFY_BY, PERMIT_BY = bindparam("verify_by", type_=Date), bindparam("permit_by", type_=Date)
WANTED = bindparam("wanted", type_=Integer)
ONE = literal(1, Integer)


def _born_by(lower: int):
    """Born on or before the day that makes a resident `lower` years old on the reference day."""
    return bindparam(f"born_by_{lower}", type_=Date)


def _values(filters: Filters, today: dt.date) -> dict:
    """Bound values: the filter's, the reference day's and those derived from it."""
    ref = filters.period.reference_day(today)
    verify_by, permit_by = rules.anomaly_limits(ref)
    return bound_values(filters) | {"ref": ref, "verify_by": verify_by, "permit_by": permit_by,
                                    "wanted": LIST_LIMIT} | {
        f"born_by_{lower}": minus_years(ref, lower) for lower, _ in AGE_BANDS[1:]}


def _place(shape: Shape):
    return bound_place(shape, PopulationStay.village_id, PopulationStay.grid_id)


def _resident():
    return rules.resident_on(REF)


def _anomaly(kind: str):
    return rules.stay_anomaly(kind, unverified_if_arrived_before=VERIFY_BY, permit_expiring_by=PERMIT_BY)


# ---------------------------------------------------------------- the whole area: open stays

# Indexes of population_stays (models.py) that SQLite is told to use: without statistics on
# skewed columns it would take 'left_at IS NULL' (three quarters of the stays) for selective.
OPEN_STAYS = "ix_population_stays_open_arrived_at"  # open stays by arrival, with permit_expiry
LEFT_STAYS = "ix_population_stays_left"  # stays that left, by the day they left
# Per anomaly: the index for its open stays' count, and for their list in order of arrival.
ANOMALY_INDEXES = {
    "unverified": ("ix_population_stays_unverified", "ix_population_stays_unverified"),
    "employer_left": ("ix_population_stays_open_employer_left", "ix_population_stays_open_employer_left"),
    "permit_expiring": ("ix_population_stays_open_permit", OPEN_STAYS),
}
HOUSES_OVERCROWDED = "ix_stay_open_houses_overcrowded"


def _using(stmt, index: str, table=PopulationStay):
    return using_index(stmt, table, index)


def _resident_parts():
    """Residents on the reference day as two disjoint sets that indexes find: the open stays
    arrived by then, and the stays that left after it."""
    arrived = PopulationStay.arrived_at <= REF
    return rules.stay_open() & arrived, (PopulationStay.left_at > REF) & arrived


@functools.cache
def _open_differs_statement():
    arrived_later = _using(select(PopulationStay.id).where(rules.stay_open() & (PopulationStay.arrived_at > REF)),
                           OPEN_STAYS)
    left_later = _using(select(PopulationStay.id).where(_resident_parts()[1]), LEFT_STAYS)
    return select(arrived_later.exists() | left_later.exists())


def _open_differs(conn: Connection, values: dict) -> bool:
    """Whether residents on the reference day are other than the open stays (some open stay
    arrived after it, or some stay left after it)."""
    return bool(conn.execute(_open_differs_statement(), values).scalar())


# Per key of the open-stays summaries: the summary's columns (keys first, then counts) and the
# same columns for one stay, and how many keys.
RESIDENT_SUMMARIES = {
    "village": lambda: ((StayOpenVillage.village_id, StayOpenVillage.residents),
                        (PopulationStay.village_id.label("village_id"), ONE.label("residents")), 1),
    "province": lambda: ((StayOpenProvince.province, StayOpenProvince.residents),
                         (rules.stay_province().label("province"), ONE.label("residents")), 1),
    "age": lambda: ((StayOpenAge.gender, StayOpenAge.birth_date, StayOpenAge.residents),
                    (PopulationStay.gender.label("gender"), PopulationStay.birth_date.label("birth_date"),
                     ONE.label("residents")), 2),
    "employer": lambda: ((StayOpenEmployer.employer, StayOpenEmployer.residents, StayOpenEmployer.reported_left),
                         (PopulationStay.employer.label("employer"), ONE.label("residents"),
                          case((PopulationStay.employer_left_at.is_not(None), 1), else_=0).label("reported_left")),
                         1),
    "house": lambda: ((StayOpenHouse.house_id, StayOpenHouse.residents),
                      (PopulationStay.house_id.label("house_id"), ONE.label("residents")), 1),
}


def _residents_by(key: str, differs: bool):
    """Residents on the reference day per `key` (RESIDENT_SUMMARIES) for the whole area, as a
    subquery with the summary's column names: the summary, less the open stays arrived after the
    day, plus the stays that left after it (only when `differs`)."""
    summary, stay, n_keys = RESIDENT_SUMMARIES[key]()
    rows = select(*summary)
    if not differs:
        return rows.subquery()
    keys, counts = stay[:n_keys], stay[n_keys:]
    arrived_later = _using(
        select(*keys, *(-c for c in counts)).where(rules.stay_open() & (PopulationStay.arrived_at > REF)), OPEN_STAYS
    )
    left_later = _using(select(*stay).where(_resident_parts()[1]), LEFT_STAYS)
    both = union_all(rows, arrived_later, left_later).subquery()
    names = [c.name for c in rows.selected_columns]
    key_columns = [both.c[n] for n in names[:n_keys]]
    return (
        select(*key_columns, *(func.sum(both.c[n]).label(n) for n in names[n_keys:]))
        .group_by(*key_columns)
        .subquery()
    )


def _count_residents(condition, open_index: str):
    """The whole area's residents on the reference day for whom `condition` holds (their open
    stays counted through `open_index`), as a scalar subquery."""
    open_part, left_part = _resident_parts()
    counts = (
        _using(select(func.count()).select_from(PopulationStay).where(part & condition), index)
        .scalar_subquery()
        for part, index in ((open_part, open_index), (left_part, LEFT_STAYS))
    )
    return sum(counts, literal(0))


def _whole_area(conn: Connection, filters: Filters, values: dict) -> tuple[bool, bool]:
    """(whether the summaries answer for the filter, whether residents differ from the open stays)."""
    whole_area = shape_of(filters).whole_area
    return whole_area, whole_area and _open_differs(conn, values)


def _run(conn: Connection, stmt, values: dict) -> pd.DataFrame:
    return read_frame(conn, stmt, values)


# ---------------------------------------------------------------- the figures


def kpis(conn: Connection, filters: Filters, today: dt.date) -> dict:
    """Residents on the reference day, arrivals and departures in the period, open anomalies
    (their sum, and anomaly_counts as anomalies_by_kind)."""
    filters = resolve(conn, filters)
    values = _values(filters, today)
    whole_area, differs = _whole_area(conn, filters, values)
    row = conn.execute(_kpis_statement(shape_of(filters), differs), values).one()
    figures = {k: int(v) for k, v in row._mapping.items()}
    by_kind = _anomaly_counts(conn, filters, values, differs)  # here, so that a page asks for them once
    return figures | {"anomalies": sum(by_kind.values()), "anomalies_by_kind": by_kind}


@functools.cache
def _kpis_statement(shape: Shape, differs: bool):
    if shape.whole_area:
        villages = _residents_by("village", differs)
        return select(
            select(func.coalesce(func.sum(villages.c.residents), 0)).scalar_subquery().label("residents"),
            func.coalesce(func.sum(StayDay.arrivals), 0).label("arrivals"),
            func.coalesce(func.sum(StayDay.departures), 0).label("departures"),
        ).where(bound_period(StayDay.day))
    return select(
        count_if(_resident()).label("residents"),
        count_if(bound_period(PopulationStay.arrived_at)).label("arrivals"),
        count_if(bound_period(PopulationStay.left_at)).label("departures"),
    ).where(_place(shape))


def anomaly_counts(conn: Connection, filters: Filters, today: dt.date) -> dict[str, int]:
    """How many stays (or, for 'overcrowded', houses) are in each anomaly list."""
    filters = resolve(conn, filters)
    values = _values(filters, today)
    _, differs = _whole_area(conn, filters, values)
    return _anomaly_counts(conn, filters, values, differs)


def _anomaly_counts(conn: Connection, filters: Filters, values: dict, differs: bool) -> dict[str, int]:
    row = conn.execute(_anomaly_counts_statement(shape_of(filters), differs), values).one()
    return {kind: int(row._mapping[kind]) for kind in ANOMALIES}


@functools.cache
def _anomaly_counts_statement(shape: Shape, differs: bool):
    counts = []
    for kind in ANOMALIES:
        if kind == "overcrowded":
            count = select(func.count()).select_from(_overcrowded(shape, differs).subquery())
        elif shape.whole_area:
            count = select(_count_residents(_anomaly(kind), ANOMALY_INDEXES[kind][0]))
        else:
            count = select(func.count()).select_from(PopulationStay).where(_place(shape) & _resident() & _anomaly(kind))
        counts.append(count.scalar_subquery().label(kind))
    return select(*counts)


def _house_residents(shape: Shape):
    """Per house: residents on the reference day, as a subquery (house_id, residents); only the
    houses of the filter's villages when it names some."""
    stmt = select(PopulationStay.house_id, func.count().label("residents")).where(
        _resident() & PopulationStay.house_id.is_not(None)
    )
    if shape.villages:  # from the villages' houses
        stmt = stmt.join(House, House.id == PopulationStay.house_id).where(bound_place(shape, House.village_id))
    return stmt.group_by(PopulationStay.house_id).subquery()


def _overcrowded(shape: Shape, differs: bool):
    """The overcrowded houses (群租): more residents on the reference day than their capacity."""
    if not shape.whole_area:
        counts = _house_residents(shape)
        return _house_rows(counts).where(bound_place(shape, House.village_id) & (counts.c.residents > House.capacity))
    if not differs:  # the partial index of overcrowded houses
        return _using(_house_rows(StayOpenHouse.__table__).where(
            (StayOpenHouse.residents > StayOpenHouse.capacity) & (StayOpenHouse.residents > 0)
        ), HOUSES_OVERCROWDED, StayOpenHouse)
    houses = _residents_by("house", differs)
    return _house_rows(houses).where((houses.c.residents > House.capacity) & (houses.c.residents > 0))


def anomaly_list(conn: Connection, filters: Filters, today: dt.date, kind: str) -> pd.DataFrame:
    """The rows of one anomaly list (personal data in clear: mask before showing); stays carry
    their id, for a leader's audit.unmask_stay."""
    if kind not in ANOMALIES:
        raise ValueError(f"unknown anomaly {kind!r}")
    filters = resolve(conn, filters)
    values = _values(filters, today)
    _, differs = _whole_area(conn, filters, values)
    df = _run(conn, _anomaly_list_statement(shape_of(filters), kind, differs), values)
    return to_dates(df, "arrived_at", "verified_at", "employer_left_at", "permit_expiry")


@functools.cache
def _anomaly_list_statement(shape: Shape, kind: str, differs: bool):
    if kind == "overcrowded":
        return _overcrowded(shape, differs).order_by(House.source_id).limit(WANTED)
    stmt = (
        select(
            PopulationStay.id,
            PopulationStay.source_id,
            PopulationStay.name,
            PopulationStay.id_number,
            PopulationStay.phone,
            Village.name.label("village"),
            Grid.name.label("grid"),
            PopulationStay.employer,
            PopulationStay.arrived_at,
            PopulationStay.verified_at,
            PopulationStay.employer_left_at,
            PopulationStay.permit_expiry,
        )
        .join(Village, Village.id == PopulationStay.village_id)
        .outerjoin(Grid, Grid.id == PopulationStay.grid_id)
    )
    order = (PopulationStay.arrived_at, PopulationStay.id)
    if not shape.whole_area:
        return stmt.where(_place(shape) & _resident() & _anomaly(kind)).order_by(*order).limit(WANTED)
    # The first rows of each part of the residents, through their indexes, then together.
    parts = [
        _using(stmt.where(part & _anomaly(kind)).order_by(*order).limit(WANTED), index).subquery()
        for part, index in zip(_resident_parts(), (ANOMALY_INDEXES[kind][1], LEFT_STAYS))
    ]
    both = union_all(select(parts[0]), select(parts[1])).subquery()
    return select(both).order_by(both.c.arrived_at, both.c.id).limit(WANTED)


def _house_rows(counts):
    """A house list's columns: `counts` (a table or subquery of house_id, residents) joined to
    its houses and their villages."""
    return (
        select(
            House.source_id.label("house_id"),
            Village.name.label("village"),
            House.address,
            House.landlord,
            House.landlord_phone,
            House.capacity,
            counts.c.residents,
        )
        .select_from(counts)
        .join(House, House.id == counts.c.house_id)
        .join(Village, Village.id == House.village_id)
    )


def flows(conn: Connection, filters: Filters, unit: str = "day") -> pd.DataFrame:
    """Arrivals and departures per day or week: bucket, arrivals, departures."""
    filters = resolve(conn, filters)
    stmt = _flows_statement(conn.dialect.name, shape_of(filters), unit)
    return to_dates(_run(conn, stmt, bound_values(filters)), "bucket")


@functools.cache
def _flows_statement(dialect: str, shape: Shape, unit: str):
    if shape.whole_area:
        bucket = day_bucket(dialect, StayDay.day, unit).label("bucket")
        arrivals, departures = func.sum(StayDay.arrivals), func.sum(StayDay.departures)
        return (
            select(bucket, arrivals.label("arrivals"), departures.label("departures"))
            .where(bound_period(StayDay.day))
            .group_by(bucket)
            .having((arrivals > 0) | (departures > 0))
            .order_by(bucket)
        )
    # One row per arrival or departure in the period, then counted per bucket.
    moves = union_all(*(
        select(day_bucket(dialect, column, unit).label("bucket"), literal(arrival, Integer).label("arrivals"),
               literal(1 - arrival, Integer).label("departures"))
        .where(_place(shape) & bound_period(column))
        for column, arrival in ((PopulationStay.arrived_at, 1), (PopulationStay.left_at, 0))
    )).subquery()
    return (
        select(moves.c.bucket, func.sum(moves.c.arrivals).label("arrivals"),
               func.sum(moves.c.departures).label("departures"))
        .group_by(moves.c.bucket)
        .order_by(moves.c.bucket)
    )


def _residents_query(conn: Connection, filters: Filters, today: dt.date, build) -> pd.DataFrame:
    """Run `build(shape, differs)`'s statement (a kept builder) for the filter on the reference day."""
    filters = resolve(conn, filters)
    values = _values(filters, today)
    _, differs = _whole_area(conn, filters, values)
    return _run(conn, build(shape_of(filters), differs), values)


def by_village(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Residents per village on the reference day: village, value."""
    return _residents_query(conn, filters, today, _by_village_statement)


@functools.cache
def _by_village_statement(shape: Shape, differs: bool):
    if shape.whole_area:
        villages = _residents_by("village", differs)
        return (
            select(Village.name.label("village"), villages.c.residents.label("value"))
            .join(Village, Village.id == villages.c.village_id)
            .where(villages.c.residents > 0)
        )
    return (
        select(Village.name.label("village"), func.count().label("value"))
        .select_from(PopulationStay)
        .join(Village, Village.id == PopulationStay.village_id)
        .where(_place(shape) & _resident())
        .group_by(Village.name)
    )


def origins(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Residents per origin province, most first (then by name): province, residents."""
    return _residents_query(conn, filters, today, _origins_statement)


@functools.cache
def _origins_statement(shape: Shape, differs: bool):
    if shape.whole_area:
        provinces = _residents_by("province", differs)
        return (
            select(provinces.c.province, provinces.c.residents)
            .where(provinces.c.residents > 0)
            .order_by(provinces.c.residents.desc(), provinces.c.province)
        )
    province = rules.stay_province().label("province")
    return (
        select(province, func.count().label("residents"))
        .where(_place(shape) & _resident())
        .group_by(province)
        .order_by(func.count().desc(), province)
    )


def age_gender(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Residents per age band and gender: age_band, gender, residents."""
    return _residents_query(conn, filters, today, _age_gender_statement)


def _age_band(birth_date):
    return case(
        *((birth_date <= _born_by(lower), label) for lower, label in reversed(AGE_BANDS[1:])),
        else_=AGE_BANDS[0][1],
    ).label("age_band")


@functools.cache
def _age_gender_statement(shape: Shape, differs: bool):
    if shape.whole_area:
        ages = _residents_by("age", differs)
        band, residents = _age_band(ages.c.birth_date), func.sum(ages.c.residents)
        return (
            select(band, ages.c.gender, residents.label("residents"))
            .group_by(band, ages.c.gender)
            .having(residents > 0)
        )
    band = _age_band(PopulationStay.birth_date)
    return (
        select(band, PopulationStay.gender, func.count().label("residents"))
        .where(_place(shape) & _resident())
        .group_by(band, PopulationStay.gender)
    )


def by_house(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Rented houses with residents on the reference day and their capacity, fullest first."""
    return _residents_query(conn, filters, today, _by_house_statement)


@functools.cache
def _by_house_statement(shape: Shape, differs: bool):
    if not shape.whole_area:
        counts = _house_residents(shape)
        return (
            _house_rows(counts)
            .where(bound_place(shape, House.village_id))
            .order_by(counts.c.residents.desc(), House.source_id)
            .limit(WANTED)
        )
    if differs:
        houses = _residents_by("house", differs)
        return (_house_rows(houses).where(houses.c.residents > 0)
                .order_by(houses.c.residents.desc(), House.source_id).limit(WANTED))
    # Only the houses at least as full as the LIST_LIMIT-th fullest (its residents index).
    enough = (
        select(StayOpenHouse.residents)
        .where(StayOpenHouse.residents > 0)
        .order_by(StayOpenHouse.residents.desc())
        .offset(WANTED - 1)
        .limit(1)
        .scalar_subquery()
    )
    return (
        _house_rows(StayOpenHouse.__table__)
        .where((StayOpenHouse.residents > 0) & (StayOpenHouse.residents >= func.coalesce(enough, 1)))
        .order_by(StayOpenHouse.residents.desc(), House.source_id)
        .limit(WANTED)
    )


def by_employer(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Residents per employer on the reference day, most first (then by name): employer,
    residents, reported_left."""
    return _residents_query(conn, filters, today, _by_employer_statement)


@functools.cache
def _by_employer_statement(shape: Shape, differs: bool):
    if shape.whole_area:
        employers = _residents_by("employer", differs)
        return (
            select(employers.c.employer, employers.c.residents, employers.c.reported_left)
            .where((employers.c.residents > 0) & employers.c.employer.is_not(None))
            .order_by(employers.c.residents.desc(), employers.c.employer)
            .limit(WANTED)
        )
    return (
        select(
            PopulationStay.employer,
            func.count().label("residents"),
            count_if(PopulationStay.employer_left_at.is_not(None)).label("reported_left"),
        )
        .where(_place(shape) & _resident() & PopulationStay.employer.is_not(None))
        .group_by(PopulationStay.employer)
        .order_by(func.count().desc(), PopulationStay.employer)
        .limit(WANTED)
    )
