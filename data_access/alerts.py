"""Police alerts (警情) and smart terminals (智能终端).

Effective alerts and cases are compared with the same dates a year earlier (同比) and
with the period of the same length just before (环比), as signed fractions.

The whole area's figures come from the summary tables (alert_days, alert_hours, alert_cells:
see summaries.py); a village's from the records.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, case, func, select, union_all

from . import summaries
from .filters import Filters, Period, category_clause, in_period, place_clause, resolve
from .models import Alert, AlertCell, AlertDay, AlertHour, Terminal, Village
from .sql import MAX_MAP_FEATURES, change, count_if, day_bucket, frame, hour_of, to_dates, weekday_of
from .summaries import CELLS_PER_DEGREE, cell_of  # noqa: F401 (CELLS_PER_DEGREE: kept importable here)

TELECOM_FRAUD = "电信网络诈骗"

# What each zero counter (零发生) counts, as in IMPORT_FORMAT.md.
ZERO_COUNTERS = {
    "civil_to_criminal": Alert.civil_to_criminal.is_(True),
    "major_accident": Alert.major_accident.is_(True),
    "telecom_fraud": (Alert.category == TELECOM_FRAUD) & Alert.became_case.is_(True),
}

# Map cells: 1/CELLS_PER_DEGREE of a degree (about 550 m north-south), defined in summaries.py
# because alert_cells groups by the same cells.


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
    if summaries.covers(filters):
        stmt = _kpis_from_days(filters, period, year_earlier, previous)
    else:
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


def _kpis_from_days(filters: Filters, *periods: Period):
    """kpis' counts for the whole area, from alert_days."""

    def counts_in(period: Period, prefix: str):
        inside = AlertDay.day.between(period.start, period.end)
        def summed(column):
            return func.coalesce(func.sum(case((inside, column), else_=0)), 0)

        effective, cases = summed(AlertDay.effective), summed(AlertDay.cases)
        return effective.label(f"{prefix}effective"), cases.label(f"{prefix}cases")

    any_period = AlertDay.day.between(periods[0].start, periods[0].end)
    for period in periods[1:]:
        any_period = any_period | AlertDay.day.between(period.start, period.end)
    columns = [c for period, prefix in zip(periods, ("", "yoy_", "mom_")) for c in counts_in(period, prefix)]
    return select(*columns).where(any_period & category_clause(filters, AlertDay.category))


def zero_days(conn: Connection, filters: Filters, today: dt.date) -> dict[str, int | None]:
    """Days from the last 民转刑 case, major accident and telecom-fraud case to the reference day.

    The reference day is the period's last day, or today if the period is not over; None
    means none on record up to then.
    """
    filters = resolve(conn, filters)
    ref = filters.period.reference_day(today)
    if summaries.covers(filters):
        stmt = select(*(
            func.max(case((getattr(AlertDay, name) > 0, AlertDay.day))).label(name) for name in ZERO_COUNTERS
        )).where(AlertDay.day <= ref)  # fmt: skip
    else:
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
    if summaries.covers(filters):
        bucket = day_bucket(conn, AlertDay.day, unit).label("bucket")
        stmt = (
            select(
                bucket,
                AlertDay.category,
                func.sum(AlertDay.alerts).label("alerts"),
                func.sum(AlertDay.effective).label("effective"),
                func.sum(AlertDay.cases).label("cases"),
            )
            .where(AlertDay.day.between(filters.period.start, filters.period.end)
                   & category_clause(filters, AlertDay.category))
            .group_by(bucket, AlertDay.category)
            .having(func.sum(AlertDay.alerts) > 0)
            .order_by(bucket, AlertDay.category)
        )
        return to_dates(frame(conn, stmt), "bucket")
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
    if summaries.covers(filters) and not filters.categories:
        weekday = weekday_of(conn, AlertHour.day).label("weekday")
        stmt = (
            select(AlertHour.hour.label("hour"), weekday, func.sum(AlertHour.alerts).label("alerts"))
            .where(AlertHour.day.between(filters.period.start, filters.period.end))
            .group_by(AlertHour.hour, weekday)
            .having(func.sum(AlertHour.alerts) > 0)
        )
        return frame(conn, stmt)
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
    located = Alert.lat.is_not(None) & Alert.lon.is_not(None)
    where = in_period(Alert.received_at, filters.period) & _place(filters) & located
    months = filters.period.whole_months()
    if summaries.covers(filters) and not filters.categories and months:
        # Whole months from alert_cells, the days before and after them from the records.
        first, after = months
        in_months = AlertCell.month.between(first, after - dt.timedelta(days=1))
        edges = located & (
            ((Alert.received_at >= filters.period.begins) & (Alert.received_at < _midnight(first)))
            | ((Alert.received_at >= _midnight(after)) & (Alert.received_at < filters.period.ends))
        )
        edge_lat, edge_lon = cell_of(Alert.lat), cell_of(Alert.lon)  # each once: see summaries.cell_of
        cells = union_all(
            select(AlertCell.cell_lat, AlertCell.cell_lon, func.sum(AlertCell.alerts).label("alerts"),
                   func.sum(AlertCell.lat_sum).label("lat_sum"), func.sum(AlertCell.lon_sum).label("lon_sum"))
            .where(in_months).group_by(AlertCell.cell_lat, AlertCell.cell_lon),
            select(edge_lat, edge_lon, func.count(), func.sum(Alert.lat), func.sum(Alert.lon))
            .where(edges).group_by(edge_lat, edge_lon),
        ).subquery()  # each part grouped on its own: the union is then small
        alerts = func.sum(cells.c.alerts)
        stmt = (
            select((func.sum(cells.c.lat_sum) / alerts).label("lat"),
                   (func.sum(cells.c.lon_sum) / alerts).label("lon"), alerts.label("alerts"),
                   func.sum(alerts).over().label("n"))
            .group_by(cells.c.cell_lat, cells.c.cell_lon)
            .having(alerts > 0)
            .order_by(alerts.desc(), cells.c.cell_lat, cells.c.cell_lon)
            .limit(MAX_MAP_FEATURES)
        )  # fmt: skip
        df = frame(conn, stmt)
        n = int(df["n"].iloc[0]) if len(df) else 0
        if n > MAX_MAP_FEATURES:
            return df.drop(columns="n")
    else:
        n = conn.execute(select(func.count()).select_from(Alert).where(where)).scalar_one()
    if n <= MAX_MAP_FEATURES:
        stmt = (
            select(Alert.lat, Alert.lon, func.count().label("alerts"))
            .where(where)
            .group_by(Alert.lat, Alert.lon)
            .order_by(Alert.lat, Alert.lon)
        )
        return frame(conn, stmt)
    cell_lat, cell_lon = cell_of(Alert.lat).label("cell_lat"), cell_of(Alert.lon).label("cell_lon")
    stmt = (
        select(
            func.avg(Alert.lat).label("lat"), func.avg(Alert.lon).label("lon"), func.count().label("alerts")
        )
        .where(where)
        .group_by(cell_lat, cell_lon)
        .order_by(func.count().desc(), cell_lat, cell_lon)
        .limit(MAX_MAP_FEATURES)
    )
    return frame(conn, stmt)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


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
