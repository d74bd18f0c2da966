"""The wall screen in Chromium, over time: a new record shows without a reload, and through a
database outage (SQLite and PostgreSQL) the last figures stay under a banner and come back after.
Each test starts a server of its own (the SQLite outage on a copy of the demo of its own)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from data_access.filters import local_today

from .wall_support import (
    FAST_ENV,
    FULL_HD,
    INTERVAL_S,
    NEW_EVENTS,
    TcpProxy,
    add_events,
    check_outage,
    count,
    tiles,
    wait_for_board,
    wait_until,
    wall_url,
)

pytestmark = pytest.mark.browser


# --- databases ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_demo(databases) -> Engine:
    return databases.demo_copy("sqlite", local_today())


@pytest.fixture
def own_sqlite_demo(databases) -> Engine:
    """A copy of the demo for one test alone (the outage takes its file away)."""
    return databases.demo_copy("sqlite", local_today())


@pytest.fixture(scope="module")
def pg_demo(databases) -> Engine:
    if not os.environ.get("TEST_DATABASE_URL"):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true needs TEST_DATABASE_URL", pytrace=False)
        pytest.skip("TEST_DATABASE_URL not set: no PostgreSQL")
    return databases.demo_copy("postgresql", local_today())


# --- refresh --------------------------------------------------------------------------------------


def test_a_new_record_shows_without_a_reload(streamlit_server, page, sqlite_demo):
    base_url = streamlit_server(str(sqlite_demo.url), extra_env=FAST_ENV)
    page.set_viewport_size(FULL_HD)
    page.open_app(base_url, wall_url("events"), wait=False)
    wait_for_board(page, "events")
    document = page.evaluate("""() => { window.__wallMarker = Math.random();
        return [window.__wallMarker, performance.timeOrigin, performance.getEntriesByType('navigation').length]; }""")
    before = count(tiles(page)[NEW_EVENTS])

    add_events(sqlite_demo, 3)
    took = wait_until(
        page,
        lambda: count(tiles(page)[NEW_EVENTS]) == before + 3,
        5 * INTERVAL_S,
        lambda: f"{NEW_EVENTS} still {tiles(page)[NEW_EVENTS]}, expected {before + 3}",
    )
    assert took <= 4 * INTERVAL_S
    same = page.evaluate(
        "() => [window.__wallMarker, performance.timeOrigin, "
        "performance.getEntriesByType('navigation').length]"
    )
    assert same == document, "the page was reloaded"
    assert page.locator("[data-testid='stException']").count() == 0


def test_sqlite_outage_keeps_the_last_figures(streamlit_server, page, own_sqlite_demo):
    base_url = streamlit_server(str(own_sqlite_demo.url), extra_env=FAST_ENV)
    path = Path(own_sqlite_demo.url.database)
    away = path.with_name(path.name + ".away")

    def go_down() -> None:
        # Our own connections first: everything written is in the main file, nothing held open.
        with own_sqlite_demo.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        own_sqlite_demo.dispose()
        path.rename(away)  # as root chmod would not stop reads: a file that is no database instead
        path.write_bytes(os.urandom(64 * 1024))

    def come_back() -> None:
        away.replace(path)

    try:
        check_outage(page, own_sqlite_demo, base_url, go_down, come_back)
    finally:
        if away.exists():
            away.replace(path)


def test_postgresql_outage_keeps_the_last_figures(streamlit_server, page, pg_demo):
    url = pg_demo.url
    assert url.host in ("127.0.0.1", "localhost"), "the proxy forwards to this machine only"
    proxy = TcpProxy(("127.0.0.1", url.port or 5432))
    proxy.start()
    try:
        proxied = make_url(url.render_as_string(hide_password=False)).set(host="127.0.0.1", port=proxy.port)
        base_url = streamlit_server(proxied.render_as_string(hide_password=False), extra_env=FAST_ENV)
        check_outage(page, pg_demo, base_url, proxy.stop, proxy.start)
    finally:
        proxy.stop()


