"""The import page under AppTest, signed in as staff: preview, import, the summary, rejected rows, re-import."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from data_access.db import forget_engines
from data_access.models import Alert

from ..factories import signed_in

SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples"


@pytest.fixture(scope="module")
def demo_engine(databases):
    return databases.demo_copy("sqlite")  # the module's own: it imports into it


@pytest.fixture
def app(demo_engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    forget_engines()
    st.cache_data.clear()
    at = signed_in(AppTest.from_file(str(SAMPLES.parent.parent / "app.py"), default_timeout=60), "staff")
    at.run()
    at.switch_page("pages/imports.py").run()
    return at


def alert_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Alert)).scalar_one()


def upload(at: AppTest, kind: str, name: str, content: bytes) -> AppTest:
    at.selectbox(key="import_kind").set_value(kind).run()
    at.get("file_uploader")[0].set_value((name, content, "text/csv")).run()
    return at


def test_preview_then_import_then_reimport_changes_nothing(app, demo_engine):
    before = alert_count(demo_engine)
    content = (SAMPLES / "alerts.csv").read_bytes()
    upload(app, "alerts", "alerts.csv", content)
    assert not app.exception
    assert app.dataframe, "the preview table is shown"
    assert alert_count(demo_engine) == before, "a preview writes nothing"

    app.button(key="import_go").click().run()
    assert not app.exception
    imported = alert_count(demo_engine) - before
    assert imported > 0
    assert app.success and f"{imported} inserted" in app.success[0].value

    app.button(key="import_go").click().run()
    assert alert_count(demo_engine) == before + imported
    assert "0 inserted" in app.success[0].value


def test_rejected_rows_are_listed_with_row_and_reason(app, demo_engine):
    header = "警情编号,接警时间,警情类别,有效警情,发生村\n"
    rows = "T-OK-1,2026-03-01 09:05,治安,是,倪宅村\nT-BAD-1,2026-03-01 09:05,外星人,是,倪宅村\n"
    upload(app, "alerts", "bad.csv", (header + rows).encode("gbk"))
    app.button(key="import_go").click().run()
    assert not app.exception
    assert app.warning, "some rows were rejected"
    rejected = app.dataframe[-1].value
    assert list(rejected["行号"]) == [3]
    assert "警情类别" in set(rejected["列"])
    assert app.get("download_button"), "the rejected rows can be downloaded"


def test_an_unusable_file_is_refused_whole(app, demo_engine):
    before = alert_count(demo_engine)
    upload(app, "alerts", "nothing.csv", "名称,备注\n甲,乙\n".encode())
    assert not app.exception
    assert app.error, "the file error is shown"
    message = app.error[0].value
    assert "接警时间" in message or "received_at" in message, message
    assert not [b for b in app.button if b.key == "import_go"], "no import button for an unusable file"
    assert alert_count(demo_engine) == before
