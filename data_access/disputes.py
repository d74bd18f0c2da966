"""Mediated disputes (矛盾纠纷调解, seed 000): the amount of money involved, and whether one police
alert pushed the dispute to the three sides at once (一警情三推送).

For a period P: mediated = mediated in P; amount_yuan = the amounts of those, in whole yuan;
alert_pushes = of those, the ones pushed by an alert (the seed's "调解矛盾纠纷 27 起，涉及金额
44.8 万元，其中一警情三推送 2 起"). The filter's villages and grids narrow them; its categories
are the hazards' and events', not the disputes'.

Statements are built once per shape of filter and kept, their values bound at execution.
"""

from __future__ import annotations

import functools

import pandas as pd
from sqlalchemy import Connection, Integer, bindparam, func, select

from .filters import Filters, Shape, bound_period, bound_place, bound_values, resolve, shape_of
from .models import Dispute, Grid, Village
from .sql import count_if, day_bucket, read_frame, to_dates

RECORD_LIMIT = 500  # rows a list sends to the page; the count says how many there are in all
WANTED = bindparam("wanted", type_=Integer)


def _mediated(shape: Shape):
    """Mediated in the filter's period and place."""
    return bound_period(Dispute.mediated_at) & bound_place(shape, Dispute.village_id, Dispute.grid_id)


def _figures():
    return (
        func.count().label("mediated"),
        func.coalesce(func.sum(Dispute.amount_yuan), 0).label("amount_yuan"),
        count_if(Dispute.alert_pushed.is_(True)).label("alert_pushes"),
    )


def kpis(conn: Connection, filters: Filters) -> dict[str, int]:
    """mediated, amount_yuan (theirs, in whole yuan), alert_pushes (of them, 一警情三推送)."""
    filters = resolve(conn, filters)
    row = conn.execute(_kpis_statement(shape_of(filters)), bound_values(filters)).one()
    return {k: int(v) for k, v in row._mapping.items()}


@functools.cache
def _kpis_statement(shape: Shape):
    return select(*_figures()).where(_mediated(shape))


def by_village(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Per village: village, mediated, amount_yuan, alert_pushes; most mediated first."""
    filters = resolve(conn, filters)
    return read_frame(conn, _by_village_statement(shape_of(filters)), bound_values(filters))


@functools.cache
def _by_village_statement(shape: Shape):
    figures = _figures()
    return (
        select(Village.name.label("village"), *figures)
        .join(Village, Village.id == Dispute.village_id)
        .where(_mediated(shape))
        .group_by(Village.name)
        .order_by(figures[0].desc(), Village.name)
    )


def trend(conn: Connection, filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Per day, week or month of mediation: bucket, mediated, amount_yuan, alert_pushes."""
    filters = resolve(conn, filters)
    stmt = _trend_statement(conn.dialect.name, shape_of(filters), unit)
    return to_dates(read_frame(conn, stmt, bound_values(filters)), "bucket")


@functools.cache
def _trend_statement(dialect: str, shape: Shape, unit: str):
    bucket = day_bucket(dialect, Dispute.mediated_at, unit).label("bucket")
    return select(bucket, *_figures()).where(_mediated(shape)).group_by(bucket).order_by(bucket)


def records(conn: Connection, filters: Filters, limit: int = RECORD_LIMIT) -> tuple[pd.DataFrame, int]:
    """The disputes mediated in the period, newest first (the first `limit`), and how many there
    are in all: id, source_id, received_at, mediated_at, category, village, grid, amount_yuan,
    alert_pushed, alert_source_id, mediator (in clear: mask with masking.mask_frame), summary."""
    filters = resolve(conn, filters)
    df = read_frame(conn, _records_statement(shape_of(filters)), bound_values(filters) | {"wanted": limit})
    matching = df.pop("matching")
    df["alert_pushed"] = df["alert_pushed"].astype(bool)
    return df, (int(matching.iloc[0]) if len(matching) else 0)


@functools.cache
def _records_statement(shape: Shape):
    return (
        select(
            Dispute.id, Dispute.source_id, Dispute.received_at, Dispute.mediated_at, Dispute.category,
            Village.name.label("village"), Grid.name.label("grid"), Dispute.amount_yuan, Dispute.alert_pushed,
            Dispute.alert_source_id, Dispute.mediator, Dispute.summary, func.count().over().label("matching"),
        )
        .join(Village, Village.id == Dispute.village_id)
        .outerjoin(Grid, Grid.id == Dispute.grid_id)
        .where(_mediated(shape))
        .order_by(Dispute.mediated_at.desc(), Dispute.id)
        .limit(WANTED)
    )  # fmt: skip
