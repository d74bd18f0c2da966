"""What an import lets through to the people who read its results (issue 15, items 4, 6, 12, 13):
control characters are dropped at import and again at export, no CSV the app writes or a table
offers for download starts a formula, each import is audited under the person who ran it, and
the rejected rows' report masks personal data."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import accounts, audit, reports
from data_access.accounts import PermissionDenied
from data_access.cli.main import build_parser
from data_access.db import forget_engines
from data_access.filters import Filters, Period
from data_access.importing import ImportReport, RowError, import_file
from data_access.models import AuditEntry, Hazard, HazardHistory, PopulationStay
from ui.i18n import catalogue

from .. import factories as f
from ..factories import signed_in
from ..import_support import base_row, csv_bytes, id_number, run

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 23)
HEADERS = [header for _, header, _, _ in reports.HAZARD_COLUMNS]
FORMULAS = ['=HYPERLINK("http://evil.example","点此")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
            "\t=1+1", "\r=1+1"]


def stored_hazard(engine, source_id: str = "H1"):
    with engine.connect() as conn:
        return conn.execute(select(Hazard).where(Hazard.source_id == source_id)).one()


def csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


# ---------------------------------------------------------------- 4. control characters


def test_control_characters_are_dropped_from_imported_text(engine):
    row = {**base_row("hazards"), "title": "消防\x0b通道\x00堵塞\x1f", "address": "前街\r\n12号\r后门",
           "enterprise": "五金厂\t二车间", "village": "倪宅\x07村"}
    report = run(engine, "hazards", [row])
    assert report.ok, report.error_lines()
    hazard = stored_hazard(engine)
    assert hazard.title == "消防通道堵塞"
    assert hazard.address == "前街\n12号\n后门"  # line breaks kept, as \n
    assert hazard.enterprise == "五金厂\t二车间"  # a tab is kept
    assert report.villages_created == ["倪宅村"]


def xlsx(engine, actor: str = "staff") -> bytes:
    with engine.begin() as conn:
        return reports.hazards_xlsx(conn, actor, Filters(Period(dt.date(2026, 11, 1), TODAY)), TODAY)


def test_the_hazard_list_export_drops_control_characters(engine):
    """Records written by an older import (or another program) may still hold them."""
    with engine.begin() as conn:
        accounts.create_user(conn, "staff", "s3cret-pass", "staff", by="test")
        f.hazard(conn, f.village(conn, "倪宅村"), dt.datetime(2026, 11, 2, 9), title="消防\x0b通道\x1b堵塞",
                 address="前街\x0c12号", responsible_unit="应急办\x08")  # PostgreSQL refuses \x00 itself
    sheet = load_workbook(io.BytesIO(xlsx(engine))).worksheets[0]
    row = dict(zip(HEADERS, [cell.value for cell in sheet[2]]))
    assert (row["隐患名称"], row["地址"], row["责任单位"]) == ("消防通道堵塞", "前街12号", "应急办")


# ---------------------------------------------------------------- 6. formulas


def test_the_rejected_rows_csv_never_starts_a_formula():
    report = ImportReport(kind="hazards", rejected=[RowError(2, "=cmd", value, "@reason") for value in FORMULAS])
    rows = csv_cells(report.errors_csv())[1:]
    assert [r[2] for r in rows] == ["'" + value for value in FORMULAS]
    assert {r[1] for r in rows} == {"'=cmd"} and {r[3] for r in rows} == {"'@reason"}


def test_the_rejected_rows_csv_leaves_numbers_and_ordinary_text_alone():
    values = ["-5", "+17.34%", "-1,200.5", "普通文字", "", "—", "5-3"]
    report = ImportReport(kind="hazards", rejected=[RowError(2, "c", value, "r") for value in values])
    assert [r[2] for r in csv_cells(report.errors_csv())[1:]] == values
    report = ImportReport(kind="hazards", rejected=[RowError(2, "c", "-5℃冷库", "r")])
    assert csv_cells(report.errors_csv())[1][2] == "'-5℃冷库"  # not a number: a formula to Excel


def test_an_imported_formula_reaches_the_errors_csv_neutralised(engine):
    rows = [{**base_row("hazards", n), "level": value} for n, value in enumerate(FORMULAS[:4])]
    report = run(engine, "hazards", rows)
    values = [r[2] for r in csv_cells(report.errors_csv())[1:]]
    assert values == ["'" + value for value in FORMULAS[:4]]


def test_the_hazard_list_writes_formula_like_text_as_text(engine):
    with engine.begin() as conn:
        accounts.create_user(conn, "staff", "s3cret-pass", "staff", by="test")
        village = f.village(conn, "倪宅村")
        for n, title in enumerate(FORMULAS[:4]):
            f.hazard(conn, village, dt.datetime(2026, 11, 2, 9 + n), title=title)
    sheet = load_workbook(io.BytesIO(xlsx(engine))).worksheets[0]
    column = HEADERS.index("隐患名称") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, 6)]
    assert sorted(c.value for c in cells) == sorted(FORMULAS[:4])  # the text as it is …
    assert {c.data_type for c in cells} == {"s"}  # … in a text cell, never a formula


def _table_script():
    import pandas as pd

    from ui import widgets

    widgets.table(pd.DataFrame({"title": ['=HYPERLINK("http://evil.example")', "-5℃冷库", "消防通道"],
                                "capacity": [-5, 3, 4]}),
                  {"title": "import_value", "capacity": "import_row"})


def test_a_tables_csv_download_never_starts_a_formula():
    """Streamlit's table download writes the cells as shown: they are neutralised for display."""
    at = signed_in(AppTest.from_function(_table_script, default_timeout=60), "staff", "staff").run()
    assert not at.exception
    shown = at.dataframe[0].value
    label = {key: catalogue()["labels"][key]["zh"] for key in ("import_value", "import_row")}
    assert list(shown[label["import_value"]]) == ['\'=HYPERLINK("http://evil.example")', "'-5℃冷库", "消防通道"]
    assert list(shown[label["import_row"]]) == [-5, 3, 4]


# ---------------------------------------------------------------- 12. who imported


def audit_rows(engine, action: str = "import") -> list:
    with engine.connect() as conn:
        return conn.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def test_an_import_is_audited_under_the_signed_in_person(engine):
    with engine.begin() as conn:
        accounts.create_user(conn, "王平", "s3cret-pass", "staff", by="test")
    rows = [base_row("hazards", 1), {**base_row("hazards", 2), "level": "?"}]
    report = import_file(engine, "hazards", csv_bytes(rows), filename="隐患.csv", actor="王平", signed_in=True)
    assert report.inserted == 1
    [row] = audit_rows(engine)
    assert row.actor == "王平" and "hazards" in row.target and "隐患.csv" in row.target
    assert "1 inserted" in row.detail and "1 rejected" in row.detail
    with engine.connect() as conn:
        assert conn.execute(select(HazardHistory.actor)).scalars().all() == ["王平"]
    import_file(engine, "hazards", csv_bytes(rows), filename="隐患.csv", actor="王平", signed_in=True, dry_run=True)
    assert len(audit_rows(engine)) == 1, "a dry run writes nothing, not even its audit row"


@pytest.mark.parametrize("actor", ["viewer", "ghost"])
def test_an_import_for_an_account_below_staff_is_refused(engine, actor):
    with engine.begin() as conn:
        accounts.create_user(conn, "viewer", "s3cret-pass", "viewer", by="test")
    with pytest.raises(PermissionDenied):
        import_file(engine, "hazards", csv_bytes([base_row("hazards")]), filename="h.csv", actor=actor, signed_in=True)
    with engine.connect() as conn:
        assert conn.execute(select(Hazard)).all() == []
    assert audit_rows(engine) == []


def test_every_audit_action_has_a_label_in_both_languages():
    labels = catalogue()["labels"]
    assert "import" in audit.ACTIONS
    for action in audit.ACTIONS:
        assert labels[f"audit_{action}"]["zh"] and labels[f"audit_{action}"]["en"]


@pytest.fixture
def database_url(databases, backend, monkeypatch) -> str:
    url = databases.new_url(backend)
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    forget_engines()


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["import", *argv])


def test_the_command_line_import_is_audited(database_url, tmp_path, monkeypatch):
    from data_access.cli import imports as cli_imports
    from data_access.db import get_engine

    monkeypatch.setattr(cli_imports, "login_name", lambda default="": "ops")
    path = tmp_path / "隐患.csv"
    path.write_bytes(csv_bytes([base_row("hazards")]))
    args = _args("hazards", str(path), "--actor", "王平")
    assert args.func(args) == 0
    args = _args("hazards", str(path))
    assert args.func(args) == 0
    engine = get_engine(database_url)
    assert [(r.actor, r.target) for r in audit_rows(engine)] == [("王平", "hazards 隐患.csv"), ("ops", "hazards 隐患.csv")]


# ---------------------------------------------------------------- 13. personal data in the report


def test_the_rejected_rows_report_masks_personal_data(engine):
    bad_check_digit = id_number()[:-1] + ("0" if id_number()[-1] != "0" else "1")
    rows = [
        {**base_row("population", 1), "id_number": bad_check_digit, "phone": "13812345678"},
        {**base_row("population", 2), "phone": "1381234567", "name": "欧阳" + "很长" * 40},
    ]
    report = run(engine, "population", rows)
    assert report.rows_read == 2 and report.rejected_rows == 2
    values = {e.column: e.value for e in report.rejected}
    assert values["id_number"] == bad_check_digit[:4] + "*" * 10 + bad_check_digit[-4:]
    assert values["phone"] == "138***4567"
    assert values["name"].startswith("欧*") and "很长" not in values["name"]
    written = report.errors_csv().decode("utf-8-sig") + "\n".join(report.error_lines())
    for clear in (bad_check_digit, "1381234567", "欧阳很长"):
        assert clear not in written
    with engine.connect() as conn:
        assert conn.execute(select(PopulationStay)).all() == []


def test_the_import_columns_and_the_masking_agree_on_what_is_personal():
    """A column is masked in the report as the pages mask the field it fills (a device's 设备名称 is no person)."""
    from data_access.importing.columns import RECORD_KINDS
    from data_access.masking import PERSONAL_COLUMNS

    not_people = {("terminals", "name")}
    for kind in RECORD_KINDS.values():
        for column in kind.columns:
            expected = None if (kind.name, column.name) in not_people else PERSONAL_COLUMNS.get(column.name)
            assert column.personal == expected, (kind.name, column.name)


def test_a_phone_inside_a_refused_text_is_masked(engine):
    report = run(engine, "hazards", [{**base_row("hazards"), "title": "联系13812345678" + "长" * 200}])
    [error] = report.rejected
    assert "13812345678" not in error.value and "138****5678" in error.value


def test_a_landlords_phone_is_masked_in_the_report(engine):
    report = run(engine, "houses", [{**base_row("houses"), "landlord_phone": "0579-871234", "capacity": "x"}])
    values = {e.column: e.value for e in report.rejected}
    assert values["landlord_phone"] == "057****1234" and values["capacity"] == "x"


# ---------------------------------------------------------------- the page: who imported, shown safely


@pytest.fixture
def page_engine(databases, monkeypatch):
    engine = databases.new_engine("sqlite")
    with engine.begin() as conn:
        accounts.create_user(conn, "staff", "s3cret-pass", "staff", by="test")
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    forget_engines()
    yield engine
    forget_engines()


def test_the_page_imports_as_the_signed_in_person_and_shows_text_safely(page_engine):
    at = signed_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60), "staff")
    at.run()
    at.switch_page("pages/imports.py").run()
    at.selectbox(key="import_kind").set_value("population").run()
    rows = [{**base_row("population", 1), "address": "=HYPERLINK(\"http://evil.example\")"},
            {**base_row("population", 2), "phone": "1381234567"}]
    at.get("file_uploader")[0].set_value(("流动人口.csv", csv_bytes(rows), "text/csv")).run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert preview["address"].iloc[0].startswith("'=HYPERLINK")
    at.button(key="import_go").click().run()
    assert not at.exception
    [row] = audit_rows(page_engine)
    assert row.actor == "staff" and row.target == "population 流动人口.csv"
    rejected = at.dataframe[-1].value
    assert "1381234567" not in rejected.to_string() and "138***4567" in rejected.to_string()
    with page_engine.connect() as conn:
        stored = conn.execute(select(PopulationStay.address)).scalar_one()
    assert stored == "=HYPERLINK(\"http://evil.example\")"  # the record keeps the text as given
    assert isinstance(preview, pd.DataFrame)


def test_every_table_goes_through_the_neutralising_door():
    """A table drawn anywhere else would offer a download with live formulas."""
    drawing = {"st.dataframe(", "st.data_editor(", "st.table("}
    files = [p for folder in ("pages", "ui") for p in (ROOT / folder).rglob("*.py")] + [ROOT / "app.py"]
    tables = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in files
              if any(call in p.read_text(encoding="utf-8") for call in drawing)}
    assert set(tables) == {"ui/widgets.py", "pages/imports.py"}
    assert all("csv_safe_frame(" in text for text in tables.values())
