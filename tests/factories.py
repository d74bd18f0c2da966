"""Hand-built records for data-layer tests: each helper inserts one row with sensible
defaults, so a test states only what it is about."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import Connection, insert

from data_access import idcard
from data_access.models import Alert, Grid, GridEvent, Hazard, House, PopulationStay, Terminal, Village

_ids = itertools.count(1)


def _source_id(prefix: str) -> str:
    # "auto" keeps these apart from the ids tests pick by hand ("H-100", "P-1"): the counter is
    # shared by the whole run, so a plain "H-100" would come round in whichever test it reached 100.
    return f"{prefix}-auto{next(_ids)}"


def village(conn: Connection, name: str, **kw) -> int:
    values = {"name": name, "work_area": "倪宅片区", "town": "花街镇", **kw}
    return conn.execute(insert(Village).values(**values).returning(Village.id)).scalar_one()


def grid(conn: Connection, village_id: int, name: str) -> int:
    return conn.execute(insert(Grid).values(village_id=village_id, name=name).returning(Grid.id)).scalar_one()


def event(conn: Connection, village_id: int, reported_at: dt.datetime, **kw) -> None:
    values = {"source_id": _source_id("E"), "category": "矛盾纠纷", "village_id": village_id,
              "reported_at": reported_at, **kw}
    conn.execute(insert(GridEvent).values(**values))


def alert(conn: Connection, village_id: int, received_at: dt.datetime, **kw) -> None:
    values = {"source_id": _source_id("A"), "category": "治安", "effective": True,
              "village_id": village_id, "received_at": received_at, **kw}
    conn.execute(insert(Alert).values(**values))


def hazard(conn: Connection, village_id: int, found_at: dt.datetime, **kw) -> int:
    values = {"source_id": _source_id("H"), "title": "隐患", "category": "消防", "level": "一般",
              "status": "待处置", "village_id": village_id, "found_at": found_at, **kw}
    return conn.execute(insert(Hazard).values(**values).returning(Hazard.id)).scalar_one()


def house(conn: Connection, village_id: int, capacity: int, **kw) -> int:
    values = {"source_id": _source_id("F"), "village_id": village_id, "capacity": capacity, **kw}
    return conn.execute(insert(House).values(**values).returning(House.id)).scalar_one()


def id_number(birth: dt.date = dt.date(1990, 5, 17), province: str = "53", serial: int = 123) -> str:
    first17 = f"{province}0102{birth:%Y%m%d}{serial:03d}"
    return first17 + idcard.check_char(first17)


def stay(conn: Connection, village_id: int, arrived_at: dt.date, **kw) -> None:
    number = kw.pop("id_number", id_number())
    values = {"source_id": _source_id("P"), "name": "张小三", "id_number": number, "phone": "13812345678",
              "gender": idcard.gender(number), "birth_date": idcard.birth_date(number),
              "origin_province": idcard.province(number), "village_id": village_id,
              "arrived_at": arrived_at, **kw}
    conn.execute(insert(PopulationStay).values(**values))


def terminal(conn: Connection, village_id: int, online: bool) -> None:
    conn.execute(insert(Terminal).values(source_id=_source_id("T"), kind="摄像头", village_id=village_id,
                                         online=online))


# ---------------------------------------------------------------- page tests


def signed_in(at, name: str, role: str | None = None):
    """An AppTest whose session is signed in as `name` (an active account of the database, with
    `role`, default: its name, as the demo accounts are), kept the way ui/auth.py keeps it."""
    from data_access.accounts import Account
    from data_access.filters import local_now
    from ui import auth

    at.session_state[auth.ACCOUNT_KEY] = Account(name, role or name)
    at.session_state[auth.LAST_SEEN_KEY] = local_now()
    return at
