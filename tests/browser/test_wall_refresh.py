"""The wall screen in Chromium, over time: a new record shows without a reload, and through a
database outage (SQLite and PostgreSQL) the last figures stay under a banner and come back after.
One test: a wall on each engine, each on a server and a copy of the demo of its own, goes through
the same steps at the same moment, so that the refresh ticks they wait for are waited once."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from data_access.filters import local_today

from .conftest import AppPage
from .wall_support import FAST_ENV, OutageWall, TcpProxy, check_outage

pytestmark = pytest.mark.browser


@pytest.fixture
def sqlite_demo(databases) -> Engine:
    """A copy of the demo for this test alone (the outage takes its file away)."""
    return databases.demo_copy("sqlite", local_today())


@pytest.fixture
def pg_demo(databases) -> Engine | None:
    """A copy of the demo on PostgreSQL; None without TEST_DATABASE_URL (CI=true fails then)."""
    if not os.environ.get("TEST_DATABASE_URL"):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true needs TEST_DATABASE_URL", pytrace=False)
        return None
    return databases.demo_copy("postgresql", local_today())


def sqlite_wall(page, sqlite_demo: Engine, base_url: str) -> OutageWall:
    """Down: the file swapped for one that is no database (as root, chmod would not stop reads)."""
    path = Path(sqlite_demo.url.database)
    away = path.with_name(path.name + ".away")

    def go_down() -> None:
        # Our own connections first: everything written is in the main file, nothing held open.
        with sqlite_demo.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        sqlite_demo.dispose()
        path.rename(away)
        path.write_bytes(os.urandom(64 * 1024))

    def come_back() -> None:
        if away.exists():  # (also at the end of a test that failed while it was down)
            away.replace(path)

    return OutageWall(page, sqlite_demo, base_url, go_down, come_back)


def test_a_new_record_shows_without_a_reload_and_an_outage_keeps_the_last_figures(
        streamlit_server, page, sqlite_demo, pg_demo):
    with ExitStack() as cleanup:
        walls = [sqlite_wall(page, sqlite_demo, streamlit_server(str(sqlite_demo.url), extra_env=FAST_ENV))]
        cleanup.callback(walls[0].come_back)
        if pg_demo is not None:
            url = pg_demo.url
            assert url.host in ("127.0.0.1", "localhost"), "the proxy forwards to this machine only"
            proxy = TcpProxy(("127.0.0.1", url.port or 5432))  # down: the proxy cuts every connection
            proxy.start()
            cleanup.callback(proxy.stop)
            proxied = make_url(url.render_as_string(hide_password=False)).set(host="127.0.0.1",
                                                                                port=proxy.port)
            base_url = streamlit_server(proxied.render_as_string(hide_password=False), extra_env=FAST_ENV)
            pg_page = AppPage(page.context.new_page())  # beside the SQLite wall's
            walls.append(OutageWall(pg_page, pg_demo, base_url, proxy.stop, proxy.start))
        check_outage(walls)
    if pg_demo is None:
        pytest.skip("TEST_DATABASE_URL not set: checked on SQLite only")
