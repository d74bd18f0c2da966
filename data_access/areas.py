"""Places: villages with their work area, town and boundary, and their grids."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Connection, exists, select

from .models import RECORD_TABLES, Grid, Village
from .sql import read_frame


def villages(conn: Connection) -> pd.DataFrame:
    """Every village: name, work_area, town, in_micro_centre; by town, work area, name."""
    stmt = select(Village.name, Village.work_area, Village.town, Village.in_micro_centre).order_by(
        Village.town, Village.work_area, Village.name
    )
    return read_frame(conn, stmt)


def village_options(conn: Connection) -> tuple[tuple[str, str, bool], ...]:
    """What the filter bar lists: (name, work area or '', in the micro-centre's area) of every
    village, in villages()' order. Plain values: read on every rerun, with no frame to take apart."""
    stmt = select(Village.name, Village.work_area, Village.in_micro_centre).order_by(
        Village.town, Village.work_area, Village.name
    )
    return tuple((name, work_area or "", bool(micro)) for name, work_area, micro in conn.execute(stmt))


def village_names(conn: Connection) -> list[str]:
    return list(conn.execute(select(Village.name).order_by(Village.name)).scalars())


def micro_centre_villages(conn: Connection) -> list[str]:
    """The villages of the micro-centre's own area."""
    stmt = select(Village.name).where(Village.in_micro_centre.is_(True)).order_by(Village.name)
    return list(conn.execute(stmt).scalars())


def grid_names(conn: Connection, villages: Sequence[str] = ()) -> list[str]:
    """Names of the grids of the named villages (all when none), by village, then by name."""
    stmt = select(Grid.name).join(Village, Village.id == Grid.village_id)
    if villages:
        stmt = stmt.where(Village.name.in_(villages))
    return conn.execute(stmt.order_by(Village.name, Grid.name)).scalars().all()


def boundaries(conn: Connection) -> pd.DataFrame:
    """Every village with a boundary: name, work_area, boundary (GeoJSON text), center_lat, center_lon."""
    stmt = select(
        Village.name, Village.work_area, Village.boundary, Village.center_lat, Village.center_lon
    ).where(Village.boundary.is_not(None))
    return read_frame(conn, stmt.order_by(Village.name))


def has_demo_records(conn: Connection) -> bool:
    """True when any record in the database is demo data (the views then say so)."""
    return any(
        conn.execute(select(exists().where(table.is_demo.is_(True)))).scalar()
        for table in (Village, *RECORD_TABLES)
    )
