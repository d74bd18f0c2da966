"""Police alerts (警情) and smart terminals (智能终端).

Effective alerts and cases are compared with the same dates a year earlier (同比) and
with the period of the same length just before (环比), as signed fractions.

The whole area's figures come from the summary tables (alert_days, alert_hours, alert_cells:
see summaries.py); a village's from the records. Each statement is built once per shape of
filter and kept (functools.cache), its values bound at execution, as in hazards.py.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
from sqlalchemy import Connection, Date, DateTime, Integer, bindparam, case, func, select, union_all

from . import rules
from .filters import (
    Filters,
    Shape,
    bound_period,
    bound_place,
    bound_values,
    outside_whole_months,
    period_values,
    resolve,
    shape_of,
)
from .models import Alert, AlertCell, AlertDay, AlertHour, Terminal, Village
from .rules import ZERO_COUNTERS
from .sql import (
    MAX_MAP_FEATURES,
    as_date,
    cell_of,
    change,
    count_if,
    day_bucket,
    hour_of,
    read_frame,
    to_dates,
    weekday_of,
)

# The periods kpis compares, by their bound values' prefix: the filter's own, the same dates a
# year earlier (同比), the period of the same length just before (环比).
COMPARED = ("", "yoy_", "mom_")
REF_END = bindparam("ref_end", type_=DateTime)  # the first instant after the reference day
REF = bindparam("ref", type_=Date)
WANTED = bindparam("wanted", type_=Integer)
# The period's whole months (alert_cells) and the instants they start and end at.
FIRST_MONTH, LAST_MONTH = bindparam("first_month", type_=Date), bindparam("last_month", type_=Date)


def _values(filters: Filters) -> dict:
    return bound_values(filters) | {"wanted": MAX_MAP_FEATURES}


def _place(shape: Shape):
    return bound_place(shape, Alert.village_id, category_column=Alert.category)


def kpis(conn: Connection, filters: Filters) -> dict:
    """Effective alerts and cases in the period, a year earlier and the period before, with changes."""
    filters = resolve(conn, filters)
    period = filters.period
    values = (bound_values(filters) | period_values(period.year_earlier(), "yoy_")
              | period_values(period.previous(), "mom_"))
    counts = {k: int(v) for k, v in conn.execute(_kpis_statement(shape_of(filters)), values).one()._mapping.items()}
    return {
        "effective": counts["effective"],
        "effective_prev_year": counts["yoy_effective"],
        "effective_yoy": change(counts["effective"], counts["yoy_effective"]),
        "effective_prev_period": counts["mom_effective"],
        "effective_mom": change(counts["effective"], counts["mom_effective"]),
        "cases": counts["cases"],
        "cases_prev_year": counts["yoy_cases"],
        "cases_yoy": change(counts["cases"], counts["yoy_cases"]),
        "cases_prev_period": counts["mom_cases"],
        "cases_mom": change(counts["cases"], counts["mom_cases"]),
    }


@functools.cache
def _kpis_statement(shape: Shape):
    if shape.whole_area:  # from alert_days
        def summed(inside, column):
            return func.coalesce(func.sum(case((inside, column), else_=0)), 0)

        columns, any_period = [], None
        for prefix in COMPARED:
            inside = bound_period(AlertDay.day, prefix)
            columns += [summed(inside, AlertDay.effective).label(f"{prefix}effective"),
                        summed(inside, AlertDay.cases).label(f"{prefix}cases")]
            any_period = inside if any_period is None else any_period | inside
        return select(*columns).where(any_period & bound_place(shape, None, category_column=AlertDay.category))
    columns, any_period = [], None
    for prefix in COMPARED:
        inside = bound_period(Alert.received_at, prefix)
        columns += [count_if(inside & rules.alert_effective()).label(f"{prefix}effective"),
                    count_if(inside & rules.alert_case()).label(f"{prefix}cases")]
        any_period = inside if any_period is None else any_period | inside
    return select(*columns).where(any_period & _place(shape))


def zero_days(conn: Connection, filters: Filters, today: dt.date) -> dict[str, int | None]:
    """Days from the last 民转刑 case, major accident and telecom-fraud case to the reference day.

    The reference day is the period's last day, or today if the period is not over; None
    means none on record up to then.
    """
    filters = resolve(conn, filters)
    ref = filters.period.reference_day(today)
    values = bound_values(filters) | {"ref": ref,
                                      "ref_end": dt.datetime.combine(ref + dt.timedelta(days=1), dt.time())}
    row = conn.execute(_zero_days_statement(shape_of(filters)), values).one()._mapping
    return {name: None if row[name] is None else (ref - as_date(row[name])).days for name in ZERO_COUNTERS}


@functools.cache
def _zero_days_statement(shape: Shape):
    if shape.whole_area:  # every category: a zero counter is about the whole area, whatever the filter's
        return select(*(
            func.max(case((getattr(AlertDay, name) > 0, AlertDay.day))).label(name) for name in ZERO_COUNTERS
        )).where(AlertDay.day <= REF)  # fmt: skip
    return select(
        *(func.max(case((condition, Alert.received_at))).label(name) for name, condition in ZERO_COUNTERS.items())
    ).where((Alert.received_at < REF_END) & bound_place(shape, Alert.village_id))


def trend(conn: Connection, filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Alerts per bucket and category: bucket, category, alerts, effective, cases."""
    filters = resolve(conn, filters)
    stmt = _trend_statement(conn.dialect.name, shape_of(filters), unit)
    return to_dates(read_frame(conn, stmt, _values(filters)), "bucket")


@functools.cache
def _trend_statement(dialect: str, shape: Shape, unit: str):
    if shape.whole_area:
        bucket = day_bucket(dialect, AlertDay.day, unit).label("bucket")
        return (
            select(
                bucket,
                AlertDay.category,
                func.sum(AlertDay.alerts).label("alerts"),
                func.sum(AlertDay.effective).label("effective"),
                func.sum(AlertDay.cases).label("cases"),
            )
            .where(bound_period(AlertDay.day) & bound_place(shape, None, category_column=AlertDay.category))
            .group_by(bucket, AlertDay.category)
            .having(func.sum(AlertDay.alerts) > 0)
            .order_by(bucket, AlertDay.category)
        )
    bucket = day_bucket(dialect, Alert.received_at, unit).label("bucket")
    return (
        select(
            bucket,
            Alert.category,
            func.count().label("alerts"),
            count_if(rules.alert_effective()).label("effective"),
            count_if(rules.alert_case()).label("cases"),
        )
        .where(bound_period(Alert.received_at) & _place(shape))
        .group_by(bucket, Alert.category)
        .order_by(bucket, Alert.category)
    )


def hour_weekday(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Alerts per hour of day (0-23) and weekday (0 = Monday): hour, weekday, alerts."""
    filters = resolve(conn, filters)
    return read_frame(conn, _hour_weekday_statement(conn.dialect.name, shape_of(filters)), _values(filters))


@functools.cache
def _hour_weekday_statement(dialect: str, shape: Shape):
    if shape.whole_area and not shape.categories:
        weekday = weekday_of(dialect, AlertHour.day).label("weekday")
        return (
            select(AlertHour.hour.label("hour"), weekday, func.sum(AlertHour.alerts).label("alerts"))
            .where(bound_period(AlertHour.day))
            .group_by(AlertHour.hour, weekday)
            .having(func.sum(AlertHour.alerts) > 0)
        )
    hour = hour_of(dialect, Alert.received_at).label("hour")
    weekday = weekday_of(dialect, Alert.received_at).label("weekday")
    return (
        select(hour, weekday, func.count().label("alerts"))
        .where(bound_period(Alert.received_at) & _place(shape))
        .group_by(hour, weekday)
    )


def by_village(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Effective alerts per village: village, value."""
    filters = resolve(conn, filters)
    return read_frame(conn, _by_village_statement(shape_of(filters)), _values(filters))


@functools.cache
def _by_village_statement(shape: Shape):
    return (
        select(Village.name.label("village"), count_if(rules.alert_effective()).label("value"))
        .join(Village, Village.id == Alert.village_id)
        .where(bound_period(Alert.received_at) & _place(shape))
        .group_by(Village.name)
    )


def hotspots(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Where alerts happened: lat, lon, alerts — one row per alert, or per map cell when there
    would be more than MAX_MAP_FEATURES rows."""
    filters = resolve(conn, filters)
    shape, values = shape_of(filters), _values(filters)
    months = filters.period.whole_months()
    if shape.whole_area and not shape.categories and months:
        first, after = months
        values |= {"first_month": first, "last_month": after - dt.timedelta(days=1),
                   "months_begin": _midnight(first), "months_end": _midnight(after)}
        df = read_frame(conn, _cells_by_month_statement(), values)
        n = int(df["n"].iloc[0]) if len(df) else 0
        if n > MAX_MAP_FEATURES:
            return df.drop(columns="n")
    else:
        n = conn.execute(_located_count_statement(shape), values).scalar_one()
    if n <= MAX_MAP_FEATURES:
        return read_frame(conn, _points_statement(shape), values)
    return read_frame(conn, _cells_statement(shape), values)


def _located(shape: Shape):
    return bound_period(Alert.received_at) & _place(shape) & Alert.lat.is_not(None) & Alert.lon.is_not(None)


@functools.cache
def _located_count_statement(shape: Shape):
    return select(func.count()).select_from(Alert).where(_located(shape))


@functools.cache
def _points_statement(shape: Shape):
    return (
        select(Alert.lat, Alert.lon, func.count().label("alerts"))
        .where(_located(shape))
        .group_by(Alert.lat, Alert.lon)
        .order_by(Alert.lat, Alert.lon)
    )


@functools.cache
def _cells_statement(shape: Shape):
    cell_lat, cell_lon = cell_of(Alert.lat).label("cell_lat"), cell_of(Alert.lon).label("cell_lon")
    return (
        select(func.avg(Alert.lat).label("lat"), func.avg(Alert.lon).label("lon"), func.count().label("alerts"))
        .where(_located(shape))
        .group_by(cell_lat, cell_lon)
        .order_by(func.count().desc(), cell_lat, cell_lon)
        .limit(WANTED)
    )


@functools.cache
def _cells_by_month_statement():
    """The whole area's map cells: whole months from alert_cells, the days before and after them
    from the records; with n, every located alert of the period."""
    located = Alert.lat.is_not(None) & Alert.lon.is_not(None)
    around = located & outside_whole_months(Alert.received_at)
    edge_lat, edge_lon = cell_of(Alert.lat), cell_of(Alert.lon)  # each once: see sql.cell_of
    cells = union_all(
        select(AlertCell.cell_lat, AlertCell.cell_lon, func.sum(AlertCell.alerts).label("alerts"),
               func.sum(AlertCell.lat_sum).label("lat_sum"), func.sum(AlertCell.lon_sum).label("lon_sum"))
        .where(AlertCell.month.between(FIRST_MONTH, LAST_MONTH)).group_by(AlertCell.cell_lat, AlertCell.cell_lon),
        select(edge_lat, edge_lon, func.count(), func.sum(Alert.lat), func.sum(Alert.lon))
        .where(around).group_by(edge_lat, edge_lon),
    ).subquery()  # each part grouped on its own: the union is then small
    alerts = func.sum(cells.c.alerts)
    return (
        select((func.sum(cells.c.lat_sum) / alerts).label("lat"),
               (func.sum(cells.c.lon_sum) / alerts).label("lon"), alerts.label("alerts"),
               func.sum(alerts).over().label("n"))
        .group_by(cells.c.cell_lat, cells.c.cell_lon)
        .having(alerts > 0)
        .order_by(alerts.desc(), cells.c.cell_lat, cells.c.cell_lon)
        .limit(WANTED)
    )  # fmt: skip


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def terminals_by_village(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Smart terminals online and offline per village: village, online, offline."""
    filters = resolve(conn, filters)
    return read_frame(conn, _terminals_statement(shape_of(filters)), _values(filters))


@functools.cache
def _terminals_statement(shape: Shape):
    return (
        select(
            Village.name.label("village"),
            count_if(Terminal.online.is_(True)).label("online"),
            count_if(Terminal.online.is_(False)).label("offline"),
        )
        .join(Village, Village.id == Terminal.village_id)
        .where(bound_place(shape, Terminal.village_id))
        .group_by(Village.name)
        .order_by(Village.name)
    )
