"""Shared fixtures: real databases, never mocked.

Data-layer tests run on SQLite always and on PostgreSQL whenever TEST_DATABASE_URL is
set (CI sets it). Each test run makes its own PostgreSQL databases (named t_<random>)
and drops them at the end, so parallel runs on one server do not meet.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from data_access import schema
from data_access.db import forget_engines, get_engine
from data_access.models import Base

# bcrypt at its lowest cost here and in every server or command a test starts (they inherit the
# environment): one check at the default 12 rounds takes a quarter of a second, and the demo alone
# hashes four passwords. tests/test_accounts.py checks the default.
os.environ["BCRYPT_ROUNDS"] = "4"

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"

BACKENDS = ["sqlite"] + (["postgresql"] if PG_ADMIN_URL else [])


def pytest_configure(config):
    if IN_CI and not PG_ADMIN_URL:
        raise pytest.UsageError("CI=true needs TEST_DATABASE_URL: PostgreSQL tests may not be skipped")


class DatabaseFactory:
    """Makes empty databases at the newest schema and drops them at the end."""

    def __init__(self, tmp_path_factory):
        self.tmp = tmp_path_factory
        self.pg_names: list[str] = []

    def new_url(self, backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.tmp.mktemp('db') / 'test.db'}"
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))  # name is ours, not user input
        admin.dispose()
        self.pg_names.append(name)
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def new_engine(self, backend: str) -> Engine:
        engine = get_engine(self.new_url(backend))
        schema.upgrade(engine)
        return engine

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
