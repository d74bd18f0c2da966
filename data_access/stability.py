"""Stability risks (涉稳风险隐患, seed 000): the hazards of category 涉稳, each in the charge of its
包案领导 (the hazard's responsible person), some flagged as able to become a mass incident
(容易引起群体性事件).

For a period P: found = found in P; resolved = of those, resolved before P ends (the seed's
"排查出 44 起，已化解 5 起"); mass_incident_risks = of those, the flagged ones. The ledger is one
category: the filter's categories do not narrow it, its villages and grids do.

Statements are built once per shape of filter and kept, their values bound at execution, as in
hazards.py.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
from sqlalchemy import Connection, case, func, select

from . import rules
from .filters import ENDS, Filters, Shape, bound_period, bound_place, bound_values, resolve, shape_of
from .hazards import IS_OPEN, LEVEL_RANK, LIST_LIMIT, REF, WANTED, warning_colour
from .models import Grid, Hazard, Village
from .sql import count_if, day_bucket, read_frame, to_dates


def _values(filters: Filters, today: dt.date) -> dict:
    ref = filters.period.reference_day(today)
    return bound_values(filters) | {"ref": ref, "soon": ref + dt.timedelta(days=rules.DUE_SOON_DAYS)}


def _place(shape: Shape):
    return rules.stability_risk() & bound_place(shape, Hazard.village_id, Hazard.grid_id)


def kpis(conn: Connection, filters: Filters) -> dict[str, int]:
    """found, resolved (of those, by the period's end), mass_incident_risks (of those, flagged)."""
    filters = resolve(conn, filters)
    row = conn.execute(_kpis_statement(shape_of(filters)), bound_values(filters)).one()
    return {k: int(v) for k, v in row._mapping.items()}


def _figures():
    return (
        func.count().label("found"),
        count_if(Hazard.resolved_at < ENDS).label("resolved"),
        count_if(Hazard.mass_incident_risk.is_(True)).label("mass_incident_risks"),
    )


@functools.cache
def _kpis_statement(shape: Shape):
    return select(*_figures()).where(_place(shape) & bound_period(Hazard.found_at))


def by_village(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Per village: village, found, resolved, mass_incident_risks (as kpis); most found first."""
    filters = resolve(conn, filters)
    return read_frame(conn, _by_village_statement(shape_of(filters)), bound_values(filters))


@functools.cache
def _by_village_statement(shape: Shape):
    figures = _figures()
    return (
        select(Village.name.label("village"), *figures)
        .join(Village, Village.id == Hazard.village_id)
        .where(_place(shape) & bound_period(Hazard.found_at))
        .group_by(Village.name)
        .order_by(figures[0].desc(), Village.name)
    )


def trend(conn: Connection, filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Per day, week or month of finding: bucket, found, resolved (of those, by the period's end),
    mass_incident_risks."""
    filters = resolve(conn, filters)
    stmt = _trend_statement(conn.dialect.name, shape_of(filters), unit)
    return to_dates(read_frame(conn, stmt, bound_values(filters)), "bucket")


@functools.cache
def _trend_statement(dialect: str, shape: Shape, unit: str):
    bucket = day_bucket(dialect, Hazard.found_at, unit).label("bucket")
    return select(bucket, *_figures()).where(_place(shape) & bound_period(Hazard.found_at)).group_by(
        bucket).order_by(bucket)


def risks(conn: Connection, filters: Filters, today: dt.date, limit: int = LIST_LIMIT) -> pd.DataFrame:
    """The stability risks to follow: those found in the period and those still open, the ones
    that could become a mass incident first, then open before resolved, overdue, level, deadline:
    id, source_id, title, level, status, village, grid, found_at, deadline, warning (三色, open
    only), mass_incident_risk, responsible_unit, responsible_person (the 包案领导, in clear: mask
    with masking.mask_frame), resolved_at."""
    filters = resolve(conn, filters)
    values = _values(filters, today) | {"wanted": limit}
    df = read_frame(conn, _risks_statement(shape_of(filters)), values)
    df["mass_incident_risk"] = df["mass_incident_risk"].astype(bool)
    return to_dates(df, "deadline")


@functools.cache
def _risks_statement(shape: Shape):
    shown = _place(shape) & (Hazard.found_at < ENDS) & (IS_OPEN | bound_period(Hazard.found_at))
    return (
        select(
            Hazard.id, Hazard.source_id, Hazard.title, Hazard.level, Hazard.status,
            Village.name.label("village"), Grid.name.label("grid"), Hazard.found_at, Hazard.deadline,
            warning_colour().label("warning"), Hazard.mass_incident_risk, Hazard.responsible_unit,
            Hazard.responsible_person, Hazard.resolved_at,
        )
        .join(Village, Village.id == Hazard.village_id)
        .outerjoin(Grid, Grid.id == Hazard.grid_id)
        .where(shown)
        .order_by(
            Hazard.mass_incident_risk.desc(), case((IS_OPEN, 0), else_=1),
            case((rules.hazard_overdue(REF), 0), else_=1), LEVEL_RANK, Hazard.deadline, Hazard.id,
        )
        .limit(WANTED)
    )  # fmt: skip
