"""Police alerts (警情) and smart terminals (智能终端).

Effective alerts and cases are compared with the same dates a year earlier (同比) and
with the period of the same length just before (环比), as signed fractions.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, Integer, case, cast, func, select

from .filters import Filters, Period, category_clause, in_period, place_clause, resolve
from .models import Alert, Terminal, Village
from .sql import MAX_MAP_FEATURES, change, count_if, day_bucket, frame, hour_of, to_dates, weekday_of

TELECOM_FRAUD = "电信网络诈骗"

# What each zero counter (零发生) counts, as in IMPORT_FORMAT.md.
ZERO_COUNTERS = {
    "civil_to_criminal": Alert.civil_to_criminal.is_(True),
    "major_accident": Alert.major_accident.is_(True),
    "telecom_fraud": (Alert.category == TELECOM_FRAUD) & Alert.became_case.is_(True),
}

# Map cells: 1/CELLS_PER_DEGREE of a degree (about 550 m north-south).
CELLS_PER_DEGREE = 200


def _place(filters: Filters):
    return place_clause(filters, Alert.village_id) & category_clause(filters, Alert.category)


def _counts_in(period: Period, prefix: str):
    inside = in_period(Alert.received_at, period)
    return (
        count_if(inside & Alert.effective.is_(True)).label(f"{prefix}effective"),
        count_if(inside & Alert.became_case.is_(True)).label(f"{prefix}cases"),
    )


def kpis(conn: Connection, filters: Filters) -> dict:
    """Effective alerts and cases in the period, a year earlier and the period before, with changes."""
    filters = resolve(conn, filters)
    period = filters.period
    year_earlier, previous = period.year_earlier(), period.previous()
    any_period = (
        in_period(Alert.received_at, period)
        | in_period(Alert.received_at, year_earlier)
        | in_period(Alert.received_at, previous)
    )
    stmt = select(
        *_counts_in(period, ""), *_counts_in(year_earlier, "yoy_"), *_counts_in(previous, "mom_")
    ).where(any_period & _place(filters))
    c = {k: int(v) for k, v in conn.execute(stmt).one()._mapping.items()}
    return {
        "effective": c["effective"],
        "effective_prev_year": c["yoy_effective"],
        "effective_yoy": change(c["effective"], c["yoy_effective"]),
        "effective_prev_period": c["mom_effective"],
        "effective_mom": change(c["effective"], c["mom_effective"]),
        "cases": c["cases"],
        "cases_prev_year": c["yoy_cases"],
        "cases_yoy": change(c["cases"], c["yoy_cases"]),
        "cases_prev_period": c["mom_cases"],
        "cases_mom": change(c["cases"], c["mom_cases"]),
    }


def zero_days(conn: Connection, filters: Filters, today: dt.date) -> dict[str, int | None]:
    """Days from the last 民转刑 case, major accident and telecom-fraud case to the reference day.

    The reference day is the period's last day, or today if the period is not over; None
    means none on record up to then.
    """
    filters = resolve(conn, filters)
    ref = filters.period.reference_day(today)
    ref_end = dt.datetime.combine(ref + dt.timedelta(days=1), dt.time())
    where = (Alert.received_at < ref_end) & place_clause(filters, Alert.village_id)
    stmt = select(
        *(func.max(case((cond, Alert.received_at))).label(name) for name, cond in ZERO_COUNTERS.items())
    ).where(where)
    row = conn.execute(stmt).one()._mapping
    return {name: None if row[name] is None else (ref - _as_date(row[name])).days for name in ZERO_COUNTERS}


def _as_date(value) -> dt.date:
    if isinstance(value, str):  # SQLite returns MAX over a CASE as text
        return dt.datetime.fromisoformat(value).date()
    return value.date() if isinstance(value, dt.datetime) else value


def trend(conn: Connection, filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Alerts per bucket and category: bucket, category, alerts, effective, cases."""
    filters = resolve(conn, filters)
    bucket = day_bucket(conn, Alert.received_at, unit).label("bucket")
    stmt = (
        select(
            bucket,
            Alert.category,
            func.count().label("alerts"),
            count_if(Alert.effective.is_(True)).label("effective"),
            count_if(Alert.became_case.is_(True)).label("cases"),
        )
        .where(in_period(Alert.received_at, filters.period) & _place(filters))
        .group_by(bucket, Alert.category)
        .order_by(bucket, Alert.category)
    )
    return to_dates(frame(conn, stmt), "bucket")


def hour_weekday(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Alerts per hour of day (0-23) and weekday (0 = Monday): hour, weekday, alerts."""
    filters = resolve(conn, filters)
    hour = hour_of(conn, Alert.received_at).label("hour")
    weekday = weekday_of(conn, Alert.received_at).label("weekday")
    stmt = (
        select(hour, weekday, func.count().label("alerts"))
        .where(in_period(Alert.received_at, filters.period) & _place(filters))
        .group_by(hour, weekday)
    )
    return frame(conn, stmt)


def by_village(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Effective alerts per village: village, value."""
    filters = resolve(conn, filters)
    stmt = (
        select(Village.name.label("village"), count_if(Alert.effective.is_(True)).label("value"))
        .join(Village, Village.id == Alert.village_id)
        .where(in_period(Alert.received_at, filters.period) & _place(filters))
        .group_by(Village.name)
    )
    return frame(conn, stmt)


def hotspots(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Where alerts happened: lat, lon, alerts — one row per alert, or per map cell when there
    would be more than MAX_MAP_FEATURES rows."""
    filters = resolve(conn, filters)
    where = (
        in_period(Alert.received_at, filters.period)
        & _place(filters)
        & Alert.lat.is_not(None)
        & Alert.lon.is_not(None)
    )
    n = conn.execute(select(func.count()).select_from(Alert).where(where)).scalar_one()
    if n <= MAX_MAP_FEATURES:
        stmt = select(Alert.lat, Alert.lon, func.count().label("alerts")).where(where).group_by(
            Alert.lat, Alert.lon
        )
        return frame(conn, stmt)
    cell_lat = cast(Alert.lat * CELLS_PER_DEGREE, Integer).label("cell_lat")
    cell_lon = cast(Alert.lon * CELLS_PER_DEGREE, Integer).label("cell_lon")
    stmt = (
        select(
            func.avg(Alert.lat).label("lat"), func.avg(Alert.lon).label("lon"), func.count().label("alerts")
        )
        .where(where)
        .group_by(cell_lat, cell_lon)
        .order_by(func.count().desc())
        .limit(MAX_MAP_FEATURES)
    )
    return frame(conn, stmt)


def terminals_by_village(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Smart terminals online and offline per village: village, online, offline."""
    filters = resolve(conn, filters)
    stmt = (
        select(
            Village.name.label("village"),
            count_if(Terminal.online.is_(True)).label("online"),
            count_if(Terminal.online.is_(False)).label("offline"),
        )
        .join(Village, Village.id == Terminal.village_id)
        .where(place_clause(filters, Terminal.village_id))
        .group_by(Village.name)
        .order_by(Village.name)
    )
    return frame(conn, stmt)
