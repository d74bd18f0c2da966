"""Floating population (流动人口): residents, arrivals and departures, origins, age and gender,
the four anomaly lists of DOMAIN.md and the three-side view (house, employer, village).

'Now' figures are taken on the reference day: the period's last day, or today if the
period is not over. A resident on day R arrived on or before R and has not left by R.
Rows returned here hold personal data in clear; pages mask them with data_access.masking.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, case, func, select

from .filters import Filters, in_period, place_clause, resolve
from .models import Grid, House, PopulationStay, Village
from .sql import count_if, day_bucket, frame, to_dates

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


def kpis(conn: Connection, filters: Filters, today: dt.date) -> dict:
    """Residents on the reference day, arrivals and departures in the period, open anomalies."""
    filters = resolve(conn, filters)
    ref = _ref(filters, today)
    stmt = select(
        count_if(_resident_on(ref)).label("residents"),
        count_if(in_period(PopulationStay.arrived_at, filters.period)).label("arrivals"),
        count_if(in_period(PopulationStay.left_at, filters.period)).label("departures"),
    ).where(_place(filters))
    figures = {k: int(v) for k, v in conn.execute(stmt).one()._mapping.items()}
    figures["anomalies"] = sum(anomaly_counts(conn, filters, today).values())
    return figures


def _anomaly_where(kind: str, ref: dt.date):
    """The stays in anomaly `kind` (all but 'overcrowded', which is about houses)."""
    resident = _resident_on(ref)
    if kind == "unverified":
        late = ref - dt.timedelta(days=VERIFY_WITHIN_DAYS)
        return resident & PopulationStay.verified_at.is_(None) & (PopulationStay.arrived_at < late)
    if kind == "employer_left":
        return resident & PopulationStay.employer_left_at.is_not(None)
    if kind == "permit_expiring":
        soon = ref + dt.timedelta(days=PERMIT_WARNING_DAYS)
        return resident & (PopulationStay.permit_expiry <= soon)
    raise ValueError(f"unknown anomaly {kind!r}")


def _house_residents(ref: dt.date):
    """Per house: residents on the reference day, as a subquery (house_id, residents)."""
    return (
        select(PopulationStay.house_id, func.count().label("residents"))
        .where(_resident_on(ref) & PopulationStay.house_id.is_not(None))
        .group_by(PopulationStay.house_id)
        .subquery()
    )


def _overcrowded_stmt(filters: Filters, ref: dt.date):
    counts = _house_residents(ref)
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
        .join(counts, counts.c.house_id == House.id)
        .join(Village, Village.id == House.village_id)
        .where(place_clause(filters, House.village_id) & (counts.c.residents > House.capacity))
    )


def anomaly_counts(conn: Connection, filters: Filters, today: dt.date) -> dict[str, int]:
    """How many stays (or, for 'overcrowded', houses) are in each anomaly list."""
    filters = resolve(conn, filters)
    ref = _ref(filters, today)
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


def anomaly_list(conn: Connection, filters: Filters, today: dt.date, kind: str) -> pd.DataFrame:
    """The rows of one anomaly list (personal data in clear: mask before showing)."""
    filters = resolve(conn, filters)
    ref = _ref(filters, today)
    if kind == "overcrowded":
        stmt = _overcrowded_stmt(filters, ref).order_by(House.source_id).limit(LIST_LIMIT)
        return frame(conn, stmt)
    stmt = (
        select(
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
        .where(_place(filters) & _anomaly_where(kind, ref))
        .order_by(PopulationStay.arrived_at)
        .limit(LIST_LIMIT)
    )
    return to_dates(frame(conn, stmt), "arrived_at", "verified_at", "employer_left_at", "permit_expiry")


def flows(conn: Connection, filters: Filters, unit: str = "day") -> pd.DataFrame:
    """Arrivals and departures per day or week: bucket, arrivals, departures."""
    filters = resolve(conn, filters)
    out = []
    for column, name in ((PopulationStay.arrived_at, "arrivals"), (PopulationStay.left_at, "departures")):
        bucket = day_bucket(conn, column, unit).label("bucket")
        stmt = (
            select(bucket, func.count().label(name))
            .where(_place(filters) & in_period(column, filters.period))
            .group_by(bucket)
        )
        out.append(frame(conn, stmt).set_index("bucket"))
    merged = out[0].join(out[1], how="outer").fillna(0).astype(int).reset_index()
    return to_dates(merged, "bucket").sort_values("bucket", ignore_index=True)


def by_village(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Residents per village on the reference day: village, value."""
    filters = resolve(conn, filters)
    stmt = (
        select(Village.name.label("village"), func.count().label("value"))
        .select_from(PopulationStay)
        .join(Village, Village.id == PopulationStay.village_id)
        .where(_place(filters) & _resident_on(_ref(filters, today)))
        .group_by(Village.name)
    )
    return frame(conn, stmt)


def origins(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Residents per origin province, most first: province, residents."""
    filters = resolve(conn, filters)
    province = func.coalesce(PopulationStay.origin_province, "未知").label("province")
    stmt = (
        select(province, func.count().label("residents"))
        .where(_place(filters) & _resident_on(_ref(filters, today)))
        .group_by(province)
        .order_by(func.count().desc())
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

    band = case(
        *((PopulationStay.birth_date <= born_before(lower), label) for lower, label in reversed(AGE_BANDS[1:])),
        else_=AGE_BANDS[0][1],
    ).label("age_band")
    stmt = (
        select(band, PopulationStay.gender, func.count().label("residents"))
        .where(_place(filters) & _resident_on(ref))
        .group_by(band, PopulationStay.gender)
    )
    return frame(conn, stmt)


def by_house(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Rented houses with residents on the reference day and their capacity, fullest first."""
    filters = resolve(conn, filters)
    counts = _house_residents(_ref(filters, today))
    stmt = (
        select(
            House.source_id.label("house_id"),
            Village.name.label("village"),
            House.address,
            House.landlord,
            House.landlord_phone,
            House.capacity,
            counts.c.residents,
        )
        .join(counts, counts.c.house_id == House.id)
        .join(Village, Village.id == House.village_id)
        .where(place_clause(filters, House.village_id))
        .order_by(counts.c.residents.desc(), House.source_id)
        .limit(LIST_LIMIT)
    )
    return frame(conn, stmt)


def by_employer(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Residents per employer on the reference day, most first: employer, residents, reported_left."""
    filters = resolve(conn, filters)
    stmt = (
        select(
            PopulationStay.employer,
            func.count().label("residents"),
            count_if(PopulationStay.employer_left_at.is_not(None)).label("reported_left"),
        )
        .where(_place(filters) & _resident_on(_ref(filters, today)) & PopulationStay.employer.is_not(None))
        .group_by(PopulationStay.employer)
        .order_by(func.count().desc())
        .limit(LIST_LIMIT)
    )
    return frame(conn, stmt)
