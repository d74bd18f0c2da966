"""Shared fixtures: real databases, never mocked.

Data-layer tests run on SQLite always and on PostgreSQL whenever TEST_DATABASE_URL is
set (CI sets it). Each test run, and each xdist worker of a run, makes its own databases
(PostgreSQL: t_<worker>_<random>) and drops them at the end, so parallel runs do not meet.

`databases.demo(backend, as_of)` is the town demo, built once per run and engine and shared by
the tests that only read it; a test (or module) that writes takes `databases.demo_copy(...)`,
a copy made in a moment (SQLite: the file; PostgreSQL: CREATE DATABASE … TEMPLATE). At the end
of the run the shared demos must hold the rows they were built with.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from data_access import demo, schema
from data_access.db import forget_engines, get_engine
from data_access.models import Base

# bcrypt at its lowest cost here and in every server or command a test starts (they inherit the
# environment): one check at the default 12 rounds takes a quarter of a second, and the demo alone
# hashes four passwords. tests/data_access/test_accounts.py checks the default.
os.environ["BCRYPT_ROUNDS"] = "4"

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, … under xdist

BACKENDS = ["sqlite"] + (["postgresql"] if PG_ADMIN_URL else [])
# For a test of what only PostgreSQL does (two writers at once): it runs there alone rather than
# being collected for SQLite and skipped.
POSTGRESQL_ONLY = pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgresql"], indirect=True)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With --dist loadscope (pyproject.toml): a browser module's tests are one unit of work, so
    one worker starts its server and copies its demo once; every other test is a unit of its own.
    Units go out largest first, so the long browser modules start early and the rest fill in.
    (--dist loadgroup with xdist_group marks would say so, but on pytest 9.2 it silently stops
    grouping: pytest-xdist#1386.)"""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class BrowserModulesTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module.startswith("tests/browser/") else nodeid

    return BrowserModulesTogether(config, log)


def pytest_configure(config):
    if IN_CI and not PG_ADMIN_URL:
        raise pytest.UsageError("CI=true needs TEST_DATABASE_URL: PostgreSQL tests may not be skipped")


DEMO_AS_OF = dt.date(2026, 11, 23)  # the demo's day in the tests that check its figures


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables}


class DatabaseFactory:
    """Makes databases at the newest schema (empty, or the shared demo and copies of it) and
    drops them at the end."""

    def __init__(self, tmp_path_factory):
        self.tmp = tmp_path_factory
        self.pg_names: list[str] = []
        self._demos: dict[tuple[str, dt.date], tuple[Engine, dict[str, int]]] = {}

    def new_url(self, backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.tmp.mktemp('db') / 'test.db'}"
        return self._new_pg_database()

    def new_engine(self, backend: str) -> Engine:
        engine = get_engine(self.new_url(backend))
        schema.upgrade(engine)
        return engine

    def demo(self, backend: str, as_of: dt.date = DEMO_AS_OF) -> Engine:
        """The town demo ending on `as_of`, built once per run: only for tests that do not write."""
        if (backend, as_of) not in self._demos:
            engine = self.new_engine(backend)
            demo.generate(engine, as_of=as_of)
            self._demos[backend, as_of] = (engine, row_counts(engine))
        return self._demos[backend, as_of][0]

    def demo_copy(self, backend: str, as_of: dt.date = DEMO_AS_OF) -> Engine:
        """A database of its own holding the town demo ending on `as_of`, for a test that writes."""
        shared = self.demo(backend, as_of)
        if backend == "sqlite":
            url = self.new_url("sqlite")
            source, target = sqlite3.connect(shared.url.database), sqlite3.connect(make_url(url).database)
            try:
                source.backup(target)  # a consistent copy, whatever is still in the WAL file
            finally:
                source.close()
                target.close()
        else:
            shared.dispose()  # a template database may have no session open
            url = self._new_pg_database(template=shared.url.database)
        return get_engine(url)

    def assert_demos_unchanged(self) -> None:
        changed = [f"{backend} as of {as_of}" for (backend, as_of), (engine, counts) in self._demos.items()
                   if row_counts(engine) != counts]
        assert not changed, f"a test wrote to the shared demo ({', '.join(changed)}): use databases.demo_copy"

    def _new_pg_database(self, template: str | None = None) -> str:
        name = f"t_{WORKER}_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if template:  # sessions of engines this run no longer holds
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": template})
            # The names are ours, not user input.
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        admin.dispose()
        self.pg_names.append(name)
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        forget_engines()
        if not self.pg_names:
            return
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.pg_names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory)
    yield factory
    try:
        factory.assert_demos_unchanged()
    finally:
        for engine in list(_open_engines):
            engine.dispose()
        factory.drop_all()


_open_engines: list[Engine] = []


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def _session_engine(databases, backend) -> Engine:
    engine = databases.new_engine(backend)
    _open_engines.append(engine)
    return engine


@pytest.fixture
def engine(_session_engine) -> Iterator[Engine]:
    """An empty database at the newest schema (SQLite, and PostgreSQL when configured)."""
    yield _session_engine
    empty(_session_engine)


def empty(engine: Engine) -> None:
    """Delete every row, children first."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
