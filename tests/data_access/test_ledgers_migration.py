"""Migration 0006 on a database that already holds hazards, both engines: the new flag is 否 for
them, the hazards' summary triggers still keep the summaries (SQLite would lose them if the table
were copied), and it goes down and up again."""

from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from data_access import schema, summaries
from data_access.db import get_engine

from .. import factories as f

BEFORE = "0005"  # the revision 0006 follows
OLD_VILLAGE = """INSERT INTO villages (name, in_micro_centre, is_demo) VALUES ('尚仁村', false, false)
                 RETURNING id"""
OLD_HAZARD = """INSERT INTO hazards (source_id, title, category, level, village_id, enterprise_shut, found_at,
                                     status, version, is_demo)
                VALUES ('H0', '旧隐患', '涉稳', '一般', :village, false, :at, '待处置', 1, false)"""


def _alembic(conn) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(schema.MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def _migrate(engine, revision: str, down: bool = False) -> None:
    with engine.begin() as conn:
        (command.downgrade if down else command.upgrade)(_alembic(conn), revision)


def test_0006_adds_the_flag_and_keeps_the_summary_triggers(databases, backend):
    engine = get_engine(databases.new_url(backend))
    _migrate(engine, BEFORE)
    with engine.begin() as conn:  # as the schema was: no mass_incident_risk yet
        village = conn.execute(text(OLD_VILLAGE)).scalar_one()
        conn.execute(text(OLD_HAZARD), {"village": village, "at": dt.datetime(2026, 3, 1, 9)})
    _migrate(engine, "head")
    assert schema.is_current(engine)
    with engine.begin() as conn:
        f.hazard(conn, village, dt.datetime(2026, 3, 2, 9), category="涉稳", mass_incident_risk=True)
        flags = conn.execute(text("SELECT source_id, mass_incident_risk FROM hazards ORDER BY id")).all()
        assert [(s, bool(flag)) for s, flag in flags] == [("H0", False), (flags[1][0], True)]
        found = conn.execute(text("SELECT sum(found) FROM hazard_day_totals")).scalar_one()
        assert found == 2  # the trigger counted the hazard written after the migration
        assert summaries.differences(conn) == {}
    _migrate(engine, BEFORE, down=True)
    reflected = inspect(engine)
    assert "mass_incident_risk" not in {c["name"] for c in reflected.get_columns("hazards")}
    assert not reflected.has_table("petitions") and not reflected.has_table("village_scores")
    _migrate(engine, "head")
    assert schema.is_current(engine)
