"""The engine: one per database URL per process, configured for sharing.

SQLite runs in WAL mode with a busy timeout and foreign keys on, so one importer and
many readers can use the same file. PostgreSQL gets a connect and a statement timeout,
so an unreachable or stuck server fails fast instead of hanging a page.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import make_url

from . import settings


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or answered with an operational error."""


def get_engine(url: str | None = None) -> Engine:
    """The shared engine for `url` (default: the DATABASE_URL setting as it is now)."""
    return _engine_for(url or settings.database_url())


def forget_engines() -> None:
    """Close every shared engine's connections and forget them (tests, between databases)."""
    for engine in list(_engines_made):
        engine.dispose()
    _engines_made.clear()
    _engine_for.cache_clear()


_engines_made: list[Engine] = []


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    engine = _make_engine(url)
    _engines_made.append(engine)
    return engine


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    connect_args = {}
    if parsed.get_backend_name() == "postgresql":
        timeout_ms = int(float(settings.get("QUERY_TIMEOUT_S")) * 1000)
        # Custom plans always: psycopg prepares a statement run five times, and a generic plan
        # for it cannot see that e.g. 'left_at > today' matches nothing (a scan of 1M stays).
        # No parallel workers: the views' queries are small and indexed, and starting workers
        # cost more than they saved (a village's houses: 53 ms parallel, 7 ms not, on 2 cores).
        options = (f"-c statement_timeout={timeout_ms} -c plan_cache_mode=force_custom_plan "
                   "-c max_parallel_workers_per_gather=0")
        connect_args = {"connect_timeout": 5, "options": options}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    busy_ms = settings.get_int("SQLITE_BUSY_TIMEOUT_MS")
    engine = create_engine(url, connect_args={"timeout": busy_ms / 1000})
    engine.dialect.statement_compiler = _SQLiteCompilerWithHints

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn, _record):
        # pysqlite's own transaction handling would delay BEGIN; let SQLAlchemy emit it.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={busy_ms:d}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # BEGIN IMMEDIATE for writers would serialise readers too; a plain BEGIN is enough
        # because WAL readers never block and writers wait on busy_timeout.
        conn.exec_driver_sql("BEGIN")

    return engine


class _SQLiteCompilerWithHints(SQLiteCompiler):
    """Renders Select.with_hint(table, "INDEXED BY ix_…", dialect_name="sqlite") after the table
    name, which SQLAlchemy's own SQLite compiler leaves out. SQLite has no statistics on skewed
    columns (no STAT4), so a few whole-area queries name their index (population.py)."""

    def get_from_hint_text(self, table, text):
        return text


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
