"""Floating population (流动人口): residents, arrivals and departures, origins, age and gender,
the four anomaly lists of DOMAIN.md and the three-side view (house, employer, village).

'Now' figures are taken on the reference day: the period's last day, or today if the
period is not over. A resident on day R arrived on or before R and has not left by R.
Rows returned here hold personal data in clear; pages mask them with data_access.masking.

For the whole area, residents on R are counted as the open stays (the stay_open_* summaries,
see summaries.py) less those arrived after R plus those that left after R: both usually
none when R is today, and found through indexes when not.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, Integer, case, func, literal, select, union_all

from . import summaries
from .filters import Filters, in_period, place_clause, resolve
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
from .sql import count_if, day_bucket, frame, to_dates, using_index

VERIFY_WITHIN_DAYS = 30  # a stay should be verified within this many days of arrival
PERMIT_WARNING_DAYS = 30  # a residence permit expiring this soon is an anomaly
LIST_LIMIT = 500

ANOMALIES = ("unverified", "overcrowded", "employer_left", "permit_expiring")

# Age bands (lower bound in whole years, label), youngest first.
AGE_BANDS = ((0, "0-17"), (18, "18-29"), (30, "30-44"), (45, "45-59"), (60, "60+"))


def _place(filters: Filters):
    return place_clause(filters, PopulationStay.village_id, PopulationStay.grid_id)


def _resident_on(day: dt.date):
    return (PopulationStay.arrived_at <= day) & (
        PopulationStay.left_at.is_(None) | (PopulationStay.left_at > day)
    )


def _ref(filters: Filters, today: dt.date) -> dt.date:
    return filters.period.reference_day(today)


# ---------------------------------------------------------------- the whole area: open stays

ONE = literal(1, Integer)

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


def _is_open():
    return PopulationStay.left_at.is_(None)


def _resident_parts(day: dt.date):
    """Residents on `day` as two disjoint sets that indexes find: the open stays arrived by then,
    and the stays that left after it."""
    arrived = PopulationStay.arrived_at <= day
    return _is_open() & arrived, (PopulationStay.left_at > day) & arrived


def _open_differs(conn: Connection, day: dt.date) -> bool:
    """Whether residents on `day` are other than the open stays (some open stay arrived after
    it, or some stay left after it)."""
    arrived_later = select(PopulationStay.id).where(_is_open() & (PopulationStay.arrived_at > day))
    arrived_later = _using(arrived_later, OPEN_STAYS)
    left_later = _using(select(PopulationStay.id).where(_resident_parts(day)[1]), LEFT_STAYS)
    return bool(conn.execute(select(arrived_later.exists() | left_later.exists())).scalar())


def _residents_by(conn: Connection, day: dt.date, summary: tuple, stay: tuple, n_keys: int = 1):
    """Residents on `day` per key for the whole area, as a subquery with the `summary` columns'
    names: a stay_open_* summary's columns (keys first, then counts), less the open stays
    arrived after `day`, plus the stays that left after it (`stay`: the same columns for one stay)."""
    rows = select(*summary)
    if not _open_differs(conn, day):
        return rows.subquery()
    keys, counts = stay[:n_keys], stay[n_keys:]
    arrived_later = _using(
        select(*keys, *(-c for c in counts)).where(_is_open() & (PopulationStay.arrived_at > day)), OPEN_STAYS
    )
    left_later = _using(select(*stay).where(_resident_parts(day)[1]), LEFT_STAYS)
    both = union_all(rows, arrived_later, left_later).subquery()
    names = [c.name for c in rows.selected_columns]
    key_columns = [both.c[n] for n in names[:n_keys]]
    return (
        select(*key_columns, *(func.sum(both.c[n]).label(n) for n in names[n_keys:]))
        .group_by(*key_columns)
        .subquery()
    )


def _count_residents(conn: Connection, day: dt.date, condition, open_index: str) -> int:
    """The whole area's residents on `day` for whom `condition` holds (their open stays counted
    through `open_index`)."""
    open_part, left_part = _resident_parts(day)
    counts = (
        _using(select(func.count()).select_from(PopulationStay).where(part & condition), index)
        .scalar_subquery()
        for part, index in ((open_part, open_index), (left_part, LEFT_STAYS))
    )
    return int(conn.execute(select(sum(counts, literal(0)))).scalar_one())


def _open_houses(conn: Connection, day: dt.date):
    """Residents on `day` per rented house, for the whole area: house_id, residents (rows whose
    count fell to zero included), or None when they are exactly the summary's."""
    if not _open_differs(conn, day):
        return None
    return _residents_by(
        conn, day, (StayOpenHouse.house_id, StayOpenHouse.residents),
        (PopulationStay.house_id.label("house_id"), ONE.label("residents")),
    )  # fmt: skip


def kpis(conn: Connection, filters: Filters, today: dt.date) -> dict:
    """Residents on the reference day, arrivals and departures in the period, open anomalies
    (their sum, and anomaly_counts as anomalies_by_kind)."""
    filters = resolve(conn, filters)
    ref = _ref(filters, today)
    if summaries.covers(filters):
        villages = _residents_by(conn, ref, (StayOpenVillage.village_id, StayOpenVillage.residents),
                                 (PopulationStay.village_id.label("village_id"), ONE.label("residents")))
        period = filters.period
        stmt = select(
            select(func.coalesce(func.sum(villages.c.residents), 0)).scalar_subquery().label("residents"),
            func.coalesce(func.sum(StayDay.arrivals), 0).label("arrivals"),
            func.coalesce(func.sum(StayDay.departures), 0).label("departures"),
        ).where(StayDay.day.between(period.start, period.end))
    else:
        stmt = select(
            count_if(_resident_on(ref)).label("residents"),
            count_if(in_period(PopulationStay.arrived_at, filters.period)).label("arrivals"),
            count_if(in_period(PopulationStay.left_at, filters.period)).label("departures"),
        ).where(_place(filters))
    figures = {k: int(v) for k, v in conn.execute(stmt).one()._mapping.items()}
    by_kind = anomaly_counts(conn, filters, today)  # here, so that a page asks for them once
    return figures | {"anomalies": sum(by_kind.values()), "anomalies_by_kind": by_kind}


def _anomaly_where(kind: str, ref: dt.date):
    """The stays in anomaly `kind` (all but 'overcrowded', which is about houses)."""
    return _resident_on(ref) & _anomaly_condition(kind, ref)


def _house_residents(ref: dt.date, filters: Filters | None = None):
    """Per house: residents on the reference day, as a subquery (house_id, residents); only
    the houses of the filter's villages when it names some."""
    stmt = select(PopulationStay.house_id, func.count().label("residents")).where(
        _resident_on(ref) & PopulationStay.house_id.is_not(None)
    )
    if filters is not None and filters.village_ids is not None:  # from the villages' houses
        stmt = stmt.join(House, House.id == PopulationStay.house_id)
        stmt = stmt.where(place_clause(filters, House.village_id))
    return stmt.group_by(PopulationStay.house_id).subquery()


def _overcrowded_stmt(filters: Filters, ref: dt.date):
    counts = _house_residents(ref, filters)
    return _house_rows(counts).where(place_clause(filters, House.village_id) & (counts.c.residents > House.capacity))


def anomaly_counts(conn: Connection, filters: Filters, today: dt.date) -> dict[str, int]:
    """How many stays (or, for 'overcrowded', houses) are in each anomaly list."""
    filters = resolve(conn, filters)
    ref = _ref(filters, today)
    if summaries.covers(filters):
        return _whole_area_anomaly_counts(conn, ref)
    counts = {}
    for kind in ANOMALIES:
        if kind == "overcrowded":
            stmt = select(func.count()).select_from(_overcrowded_stmt(filters, ref).subquery())
        else:
            stmt = select(func.count()).select_from(PopulationStay).where(
                _place(filters) & _anomaly_where(kind, ref)
            )
        counts[kind] = int(conn.execute(stmt).scalar_one())
    return counts


def _whole_area_anomaly_counts(conn: Connection, ref: dt.date) -> dict[str, int]:
    counts = {}
    for kind in ANOMALIES:
        if kind != "overcrowded":
            condition = _anomaly_condition(kind, ref)
            counts[kind] = _count_residents(conn, ref, condition, ANOMALY_INDEXES[kind][0])
            continue
        houses = _open_houses(conn, ref)
        if houses is None:  # the partial index of overcrowded houses
            stmt = _using(select(func.count()).select_from(StayOpenHouse).where(
                (StayOpenHouse.residents > StayOpenHouse.capacity) & (StayOpenHouse.residents > 0)
            ), HOUSES_OVERCROWDED, StayOpenHouse)
        else:
            stmt = (
                select(func.count())
                .select_from(houses)
                .join(House, House.id == houses.c.house_id)
                .where((houses.c.residents > House.capacity) & (houses.c.residents > 0))
            )
        counts[kind] = int(conn.execute(stmt).scalar_one())
    return counts


def _anomaly_condition(kind: str, ref: dt.date):
    """What makes a resident's stay an anomaly of `kind` (all but 'overcrowded')."""
    if kind == "unverified":
        late = ref - dt.timedelta(days=VERIFY_WITHIN_DAYS)
        return PopulationStay.verified_at.is_(None) & (PopulationStay.arrived_at < late)
    if kind == "employer_left":
        return PopulationStay.employer_left_at.is_not(None)
    if kind == "permit_expiring":
        return PopulationStay.permit_expiry <= ref + dt.timedelta(days=PERMIT_WARNING_DAYS)
    raise ValueError(f"unknown anomaly {kind!r}")


def anomaly_list(conn: Connection, filters: Filters, today: dt.date, kind: str) -> pd.DataFrame:
    """The rows of one anomaly list (personal data in clear: mask before showing); stays carry
    their id, for a leader's audit.unmask_stay."""
    filters = resolve(conn, filters)
    ref = _ref(filters, today)
    whole_area = summaries.covers(filters)
    if kind == "overcrowded":
        houses = _open_houses(conn, ref) if whole_area else None
        if not whole_area:
            stmt = _overcrowded_stmt(filters, ref)
        elif houses is None:  # the partial index of overcrowded houses
            stmt = _using(_house_rows(StayOpenHouse.__table__).where(
                (StayOpenHouse.residents > StayOpenHouse.capacity) & (StayOpenHouse.residents > 0)
            ), HOUSES_OVERCROWDED, StayOpenHouse)
        else:
            stmt = _house_rows(houses).where((houses.c.residents > House.capacity) & (houses.c.residents > 0))
        return frame(conn, stmt.order_by(House.source_id).limit(LIST_LIMIT))
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
    if not whole_area:
        stmt = stmt.where(_place(filters) & _anomaly_where(kind, ref)).order_by(*order).limit(LIST_LIMIT)
    else:  # the first rows of each part of the residents, through their indexes, then together
        condition = _anomaly_condition(kind, ref)
        parts = [
            _using(stmt.where(part & condition).order_by(*order).limit(LIST_LIMIT), index).subquery()
            for part, index in zip(_resident_parts(ref), (ANOMALY_INDEXES[kind][1], LEFT_STAYS))
        ]
        both = union_all(select(parts[0]), select(parts[1])).subquery()
        stmt = select(both).order_by(both.c.arrived_at, both.c.id).limit(LIST_LIMIT)
    return to_dates(frame(conn, stmt), "arrived_at", "verified_at", "employer_left_at", "permit_expiry")


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
    if summaries.covers(filters):
        bucket = day_bucket(conn, StayDay.day, unit).label("bucket")
        arrivals, departures = func.sum(StayDay.arrivals), func.sum(StayDay.departures)
        stmt = (
            select(bucket, arrivals.label("arrivals"), departures.label("departures"))
            .where(StayDay.day.between(filters.period.start, filters.period.end))
            .group_by(bucket)
            .having((arrivals > 0) | (departures > 0))
        )
        return to_dates(frame(conn, stmt), "bucket").sort_values("bucket", ignore_index=True)
    # One row per arrival or departure in the period, then counted per bucket.
    moves = union_all(*(
        select(day_bucket(conn, column, unit).label("bucket"), literal(arrival, Integer).label("arrivals"),
               literal(1 - arrival, Integer).label("departures"))
        .where(_place(filters) & in_period(column, filters.period))
        for column, arrival in ((PopulationStay.arrived_at, 1), (PopulationStay.left_at, 0))
    )).subquery()
    stmt = (
        select(moves.c.bucket, func.sum(moves.c.arrivals).label("arrivals"),
               func.sum(moves.c.departures).label("departures"))
        .group_by(moves.c.bucket)
        .order_by(moves.c.bucket)
    )
    return to_dates(frame(conn, stmt), "bucket")


def by_village(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Residents per village on the reference day: village, value."""
    filters = resolve(conn, filters)
    if summaries.covers(filters):
        villages = _residents_by(
            conn, _ref(filters, today), (StayOpenVillage.village_id, StayOpenVillage.residents),
            (PopulationStay.village_id.label("village_id"), ONE.label("residents")),
        )  # fmt: skip
        stmt = (
            select(Village.name.label("village"), villages.c.residents.label("value"))
            .join(Village, Village.id == villages.c.village_id)
            .where(villages.c.residents > 0)
        )
        return frame(conn, stmt)
    stmt = (
        select(Village.name.label("village"), func.count().label("value"))
        .select_from(PopulationStay)
        .join(Village, Village.id == PopulationStay.village_id)
        .where(_place(filters) & _resident_on(_ref(filters, today)))
        .group_by(Village.name)
    )
    return frame(conn, stmt)


def origins(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Residents per origin province, most first (then by name): province, residents."""
    filters = resolve(conn, filters)
    if summaries.covers(filters):
        provinces = _residents_by(
            conn, _ref(filters, today), (StayOpenProvince.province, StayOpenProvince.residents),
            (summaries.stay_province().label("province"), ONE.label("residents")),
        )  # fmt: skip
        stmt = (
            select(provinces.c.province, provinces.c.residents)
            .where(provinces.c.residents > 0)
            .order_by(provinces.c.residents.desc(), provinces.c.province)
        )
        return frame(conn, stmt)
    province = summaries.stay_province().label("province")
    stmt = (
        select(province, func.count().label("residents"))
        .where(_place(filters) & _resident_on(_ref(filters, today)))
        .group_by(province)
        .order_by(func.count().desc(), province)
    )
    return frame(conn, stmt)


def age_gender(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Residents per age band and gender: age_band, gender, residents."""
    filters = resolve(conn, filters)
    ref = _ref(filters, today)

    def born_before(years: int) -> dt.date:
        try:
            return ref.replace(year=ref.year - years)
        except ValueError:
            return ref.replace(year=ref.year - years, day=28)

    def band_of(birth_date):
        return case(
            *((birth_date <= born_before(lower), label) for lower, label in reversed(AGE_BANDS[1:])),
            else_=AGE_BANDS[0][1],
        ).label("age_band")

    if summaries.covers(filters):
        ages = _residents_by(
            conn, ref, (StayOpenAge.gender, StayOpenAge.birth_date, StayOpenAge.residents),
            (PopulationStay.gender.label("gender"), PopulationStay.birth_date.label("birth_date"),
             ONE.label("residents")), n_keys=2,
        )  # fmt: skip
        band, residents = band_of(ages.c.birth_date), func.sum(ages.c.residents)
        stmt = (
            select(band, ages.c.gender, residents.label("residents"))
            .group_by(band, ages.c.gender)
            .having(residents > 0)
        )
        return frame(conn, stmt)
    band = band_of(PopulationStay.birth_date)
    stmt = (
        select(band, PopulationStay.gender, func.count().label("residents"))
        .where(_place(filters) & _resident_on(ref))
        .group_by(band, PopulationStay.gender)
    )
    return frame(conn, stmt)


def by_house(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Rented houses with residents on the reference day and their capacity, fullest first."""
    filters = resolve(conn, filters)
    if summaries.covers(filters):
        houses = _open_houses(conn, _ref(filters, today))
        fullest = houses.c.residents if houses is not None else StayOpenHouse.residents
        order = (fullest.desc(), House.source_id)
        if houses is None:
            # Only the houses at least as full as the LIST_LIMIT-th fullest (its residents index).
            enough = (
                select(StayOpenHouse.residents)
                .where(StayOpenHouse.residents > 0)
                .order_by(StayOpenHouse.residents.desc())
                .offset(LIST_LIMIT - 1)
                .limit(1)
                .scalar_subquery()
            )
            stmt = _house_rows(StayOpenHouse.__table__).where(
                (StayOpenHouse.residents > 0) & (StayOpenHouse.residents >= func.coalesce(enough, 1))
            )
        else:
            stmt = _house_rows(houses).where(houses.c.residents > 0)
        return frame(conn, stmt.order_by(*order).limit(LIST_LIMIT))
    counts = _house_residents(_ref(filters, today), filters)
    stmt = (
        _house_rows(counts)
        .where(place_clause(filters, House.village_id))
        .order_by(counts.c.residents.desc(), House.source_id)
        .limit(LIST_LIMIT)
    )
    return frame(conn, stmt)


def by_employer(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Residents per employer on the reference day, most first (then by name): employer,
    residents, reported_left."""
    filters = resolve(conn, filters)
    if summaries.covers(filters):
        employers = _residents_by(
            conn, _ref(filters, today),
            (StayOpenEmployer.employer, StayOpenEmployer.residents, StayOpenEmployer.reported_left),
            (PopulationStay.employer.label("employer"), ONE.label("residents"),
             case((PopulationStay.employer_left_at.is_not(None), 1), else_=0).label("reported_left")),
        )  # fmt: skip
        stmt = (
            select(employers.c.employer, employers.c.residents, employers.c.reported_left)
            .where((employers.c.residents > 0) & employers.c.employer.is_not(None))
            .order_by(employers.c.residents.desc(), employers.c.employer)
            .limit(LIST_LIMIT)
        )
        return frame(conn, stmt)
    stmt = (
        select(
            PopulationStay.employer,
            func.count().label("residents"),
            count_if(PopulationStay.employer_left_at.is_not(None)).label("reported_left"),
        )
        .where(_place(filters) & _resident_on(_ref(filters, today)) & PopulationStay.employer.is_not(None))
        .group_by(PopulationStay.employer)
        .order_by(func.count().desc(), PopulationStay.employer)
        .limit(LIST_LIMIT)
    )
    return frame(conn, stmt)
