"""First petitions (初信初访, seed 000), each handled by a contact leader, a town cadre linked to the
village and a village cadre (联系领导 + 联村干部 + 村干部).

For a period P: received = received in P; resolved = of those, resolved before P ends (the seed's
"初信初访件 368 起，已化解 318 起", as events' closed). The filter's villages and grids narrow
them; its categories are the hazards' and events', not the petitions'.

Statements are built once per shape of filter and kept, their values bound at execution.
"""

from __future__ import annotations

import functools

import pandas as pd
from sqlalchemy import Connection, Integer, bindparam, case, func, select

from .filters import ENDS, Filters, Shape, bound_period, bound_place, bound_values, resolve, shape_of
from .models import Grid, Petition, Village
from .sql import count_if, day_bucket, read_frame, to_dates

RECORD_LIMIT = 500  # rows a list sends to the page; the count says how many there are in all
WANTED = bindparam("wanted", type_=Integer)


def _received(shape: Shape):
    """Received in the filter's period and place."""
    return bound_period(Petition.received_at) & bound_place(shape, Petition.village_id, Petition.grid_id)


def _resolved():
    return Petition.resolved_at < ENDS


def kpis(conn: Connection, filters: Filters) -> dict[str, int]:
    """received, resolved (of those, by the period's end)."""
    filters = resolve(conn, filters)
    row = conn.execute(_kpis_statement(shape_of(filters)), bound_values(filters)).one()
    return {k: int(v) for k, v in row._mapping.items()}


@functools.cache
def _kpis_statement(shape: Shape):
    received, resolved = func.count().label("received"), count_if(_resolved()).label("resolved")
    return select(received, resolved).where(_received(shape))


def by_village(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Per village: village, received, resolved; most received first."""
    filters = resolve(conn, filters)
    return read_frame(conn, _by_village_statement(shape_of(filters)), bound_values(filters))


@functools.cache
def _by_village_statement(shape: Shape):
    received = func.count().label("received")
    return (
        select(Village.name.label("village"), received, count_if(_resolved()).label("resolved"))
        .join(Village, Village.id == Petition.village_id)
        .where(_received(shape))
        .group_by(Village.name)
        .order_by(received.desc(), Village.name)
    )


def trend(conn: Connection, filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Per day, week or month of receipt: bucket, received, resolved (of those, by the period's end)."""
    filters = resolve(conn, filters)
    stmt = _trend_statement(conn.dialect.name, shape_of(filters), unit)
    return to_dates(read_frame(conn, stmt, bound_values(filters)), "bucket")


@functools.cache
def _trend_statement(dialect: str, shape: Shape, unit: str):
    bucket = day_bucket(dialect, Petition.received_at, unit).label("bucket")
    received, resolved = func.count().label("received"), count_if(_resolved()).label("resolved")
    return select(bucket, received, resolved).where(_received(shape)).group_by(bucket).order_by(bucket)


def records(conn: Connection, filters: Filters, limit: int = RECORD_LIMIT) -> tuple[pd.DataFrame, int]:
    """The petitions received in the period, the unresolved first, then newest first (the first
    `limit`), and how many there are in all: id, source_id, received_at, form, category, village,
    grid, petitioner, summary, contact_leader, village_cadre, village_official, resolved_at. The
    people are in clear: mask them with masking.mask_frame."""
    filters = resolve(conn, filters)
    df = read_frame(conn, _records_statement(shape_of(filters)), bound_values(filters) | {"wanted": limit})
    matching = df.pop("matching")
    return df, (int(matching.iloc[0]) if len(matching) else 0)


@functools.cache
def _records_statement(shape: Shape):
    return (
        select(
            Petition.id, Petition.source_id, Petition.received_at, Petition.form, Petition.category,
            Village.name.label("village"), Grid.name.label("grid"), Petition.petitioner, Petition.summary,
            Petition.contact_leader, Petition.village_cadre, Petition.village_official, Petition.resolved_at,
            func.count().over().label("matching"),
        )
        .join(Village, Village.id == Petition.village_id)
        .outerjoin(Grid, Grid.id == Petition.grid_id)
        .where(_received(shape))
        .order_by(case((_resolved(), 1), else_=0), Petition.received_at.desc(), Petition.id)
        .limit(WANTED)
    )  # fmt: skip
