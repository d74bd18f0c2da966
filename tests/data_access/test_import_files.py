"""Whole files: encodings, XLSX, headers, unusable files, the samples, and what importing twice,
a changed re-export, a dry run and a crash do to the database. Both backends."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select, update

from data_access.importing import import_file, preview, writer
from data_access.models import Alert, Grid, Hazard, HazardHistory, House, PopulationStay, Village

from ..import_support import (
    SAMPLE_FILES,
    SAMPLES,
    base_row,
    counts,
    csv_bytes,
    load_sample_villages,
    reasons,
    run,
    xlsx_bytes,
)

ROOT = Path(__file__).resolve().parents[2]
ALERT_HEADERS_ZH = ["警情编号", "接警时间", "警情类别", "有效警情", "发生村"]


def _alerts_zh(n: int = 3) -> list[dict]:
    return [{**base_row("alerts", i), "village": "桃源村"} for i in range(n)]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16"])
def test_csv_in_each_encoding_with_chinese_headers(engine, encoding):
    load_sample_villages(engine)
    data = csv_bytes(_alerts_zh(), encoding=encoding, header=ALERT_HEADERS_ZH)
    report = import_file(engine, "alerts", data, filename="警情.csv")
    assert (report.ok, report.inserted) == (True, 3), reasons(report)
    with engine.connect() as conn:
        assert set(conn.execute(select(Alert.category)).scalars()) == {"治安"}


def test_a_bom_does_not_stick_to_the_first_header(engine):
    load_sample_villages(engine)
    data = b"\xef\xbb\xbf" + csv_bytes([base_row("alerts")])
    assert import_file(engine, "alerts", data, filename="a.csv").ok


def test_unreadable_encoding_is_a_file_error_and_imports_nothing(engine):
    load_sample_villages(engine)
    data = csv_bytes([base_row("alerts")]) + b"\xff\xfe\x80"
    report = import_file(engine, "alerts", data, filename="a.csv")
    assert report.file_error and "encoding" in report.file_error
    assert counts(engine)["alerts"] == 0


def test_headers_in_another_order_with_extra_columns_named_in_the_report(engine):
    load_sample_villages(engine)
    rows = [
        {
            "备注": "无",
            "发生村": "倪宅村",
            " 有效警情 ": "是",
            "警情类别": "火灾",
            "接警时间": "2026-03-01 09:05",
            "*警情编号": "A-1",
            "Source ID": "ignored?",
        }
    ]
    report = import_file(engine, "alerts", csv_bytes(rows), filename="a.csv")
    # "Source ID" is source_id in English; with 警情编号 also present that is two columns for one.
    assert report.file_error and "two columns" in report.file_error
    del rows[0]["Source ID"]
    rows[0]["序号"] = "1"
    report = import_file(engine, "alerts", csv_bytes(rows), filename="a.csv")
    assert report.ok, reasons(report)
    assert report.ignored_columns == ["备注", "序号"]
    assert "ignored columns: 备注, 序号" in report.to_text()


def test_a_missing_required_column_is_a_file_error(engine):
    load_sample_villages(engine)
    row = base_row("alerts")
    del row["effective"]
    report = run(engine, "alerts", [row])
    assert report.file_error
    assert "有效警情 (effective)" in report.file_error
    assert counts(engine)["alerts"] == 0


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [
        (b"", "a.csv", "empty"),
        (b"\n\n  \n", "a.csv", "empty"),
        (b"PK\x03\x04 not really a zip", "a.xlsx", "XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "a.xls", ".xls"),
        (b"%PDF-1.4", "a.pdf", "unknown file format"),
        (b'{"type": "FeatureCollection", "features": []}', "a.geojson", "CSV or XLSX"),
    ],
)
def test_unusable_files(engine, data, filename, words):
    report = import_file(engine, "alerts", data, filename=filename)
    assert report.file_error and words in report.file_error, report.file_error
    assert "file not imported" in report.to_text()


def test_xlsx_with_real_date_cells_and_a_named_sheet(engine):
    load_sample_villages(engine)
    rows = [
        {
            **base_row("events", 1),
            "reported_at": dt.datetime(2019, 4, 25, 9, 32, 9),
            "closed_at": dt.datetime(2019, 4, 26, 8, 0),
        },
        {
            **base_row("events", 2),
            "reported_at": "2019/4/25 9:32:09",
            "due_at": 43580.5,
        },  # text, and an Excel serial
        {**base_row("events", 3), "reported_at": dt.date(2019, 4, 25), "source_id": 12345},  # a numeric id
    ]
    data = xlsx_bytes(rows, sheet="事件", extra_sheets=("说明",))
    report = import_file(engine, "events", data, filename="events.xlsx")
    assert report.file_error and "说明" not in report.file_error  # the first sheet has no table
    report = import_file(engine, "events", data, filename="events.xlsx", sheet="事件")
    assert (report.ok, report.inserted) == (True, 3), reasons(report)
    with engine.connect() as conn:
        from data_access.models import GridEvent

        stored = {r.source_id: r for r in conn.execute(select(GridEvent))}
    assert stored["E1"].reported_at == dt.datetime(2019, 4, 25, 9, 32, 9)
    assert stored["E1"].closed_at == dt.datetime(2019, 4, 26, 8, 0)
    assert stored["E2"].reported_at == dt.datetime(2019, 4, 25, 9, 32, 9)
    assert stored["E2"].due_at == dt.datetime(2019, 4, 25, 12, 0)
    assert stored["12345"].reported_at == dt.datetime(2019, 4, 25)
    report = import_file(engine, "events", data, filename="events.xlsx", sheet="无此表")
    assert report.file_error and "事件" in report.file_error  # names the sheets there are


def test_row_numbers_are_excel_rows_even_after_blank_lines(engine):
    load_sample_villages(engine)
    text = (
        "source_id,received_at,category,effective,village\r\n"
        "\r\n"
        "A1,2026-03-01,治安,是,倪宅村\r\n"
        ",,,,\r\n"
        "A2,2026-03-01,治安,maybe,倪宅村\r\n"
    )
    report = import_file(engine, "alerts", text.encode(), filename="a.csv")
    assert report.rows_read == 2 and report.inserted == 1
    assert [e.row for e in report.rejected] == [5]


def test_a_csv_row_with_more_cells_than_headers_is_refused(engine):
    load_sample_villages(engine)
    text = (
        "source_id,received_at,category,effective,village,address\r\n"
        "A1,2026-03-01,治安,是,倪宅村,1号,2号\r\n"
        "A2,2026-03-01,治安,是,倪宅村,3号\r\n"
    )
    report = import_file(engine, "alerts", text.encode(), filename="a.csv")
    assert (
        report.inserted == 1
        and [e.row for e in report.rejected] == [2]
        and "unquoted comma" in reasons(report)
    )


def test_the_samples_import_cleanly_then_change_nothing(engine):
    for kind, name in SAMPLE_FILES.items():
        report = import_file(engine, kind, SAMPLES / name)
        assert report.ok and report.inserted > 0, f"{name}: {report.to_text()} {reasons(report)}"
    before = counts(engine)
    for kind, name in SAMPLE_FILES.items():
        report = import_file(engine, kind, SAMPLES / name)
        assert (report.ok, report.inserted, report.updated) == (True, 0, 0), report.to_text()
        assert report.unchanged == report.rows_read
    assert counts(engine) == before
    with engine.connect() as conn:
        micro = set(conn.execute(select(Village.name).where(Village.in_micro_centre.is_(True))).scalars())
        demo = conn.execute(select(Hazard.is_demo).distinct()).scalars().all()
    assert micro == {"倪宅村", "凤凰村", "桃源村", "上京岭村"}
    assert demo == [False]


def test_reimport_is_a_no_op(engine):
    load_sample_villages(engine)
    rows = [
        {**base_row("hazards", n), "lon": "119.9686", "lat": "28.9226", "deadline": "2026-04-01"}
        for n in range(20)
    ]
    first = run(engine, "hazards", rows)
    assert first.inserted == 20
    before = counts(engine)
    again = run(engine, "hazards", rows)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 20)
    assert counts(engine) == before  # not even a history row


def test_a_changed_reexport_updates_and_writes_history(engine):
    load_sample_villages(engine)
    rows = [base_row("hazards", 1), base_row("hazards", 2)]
    run(engine, "hazards", rows, actor="王平")
    rows[0].update(status="已化解", resolved_at="2026-03-10 10:00", responsible_person="李四")
    report = run(engine, "hazards", rows, actor="王平")
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    with engine.connect() as conn:
        hazard = conn.execute(select(Hazard).where(Hazard.source_id == "H1")).one()
        history = conn.execute(
            select(HazardHistory.kind, HazardHistory.old_value, HazardHistory.new_value, HazardHistory.actor)
            .where(HazardHistory.hazard_id == hazard.id)
            .order_by(HazardHistory.id)
        ).all()
    assert (hazard.status, hazard.resolved_at, hazard.version) == ("已化解", dt.datetime(2026, 3, 10, 10), 2)
    assert history[0] == ("found", None, "待处置", "王平")
    assert ("status", "待处置", "已化解", "王平") in history
    assert ("reassign", None, "李四", "王平") in history
    assert any(kind == "import" for kind, *_ in history)  # resolved_at: the rest, in one step


def test_an_export_without_a_column_leaves_that_field_alone(engine):
    load_sample_villages(engine)
    run(engine, "houses", [{**base_row("houses"), "capacity": "6", "landlord": "应建华"}])
    report = run(engine, "houses", [{**base_row("houses"), "capacity": "8"}])  # no landlord column
    assert report.updated == 1
    with engine.connect() as conn:
        assert conn.execute(select(House.capacity, House.landlord)).one() == (8, "应建华")


def test_records_imported_over_demo_records_become_real(engine):
    load_sample_villages(engine)
    run(engine, "alerts", [base_row("alerts")])
    with engine.begin() as conn:
        conn.execute(update(Alert).values(is_demo=True))
    assert run(engine, "alerts", [base_row("alerts")]).updated == 1
    with engine.connect() as conn:
        assert conn.execute(select(Alert.is_demo)).scalar_one() is False


def test_villages_and_grids_are_created_when_there_is_no_village_list(engine):
    rows = [
        {**base_row("events", 1), "village": "金杜村", "grid": "金杜村第1网格"},
        {**base_row("events", 2), "village": "金杜村", "grid": "金杜村第1网格"},
        {**base_row("events", 3), "village": "尚仁村"},
    ]
    report = run(engine, "events", rows)
    assert report.ok and report.villages_created == ["金杜村", "尚仁村"]
    assert report.grids_created == ["金杜村/金杜村第1网格"]
    # Villages named by records have no boundary, so they do not close the list: a new name still creates.
    report = run(engine, "events", [{**base_row("events", 4), "village": "小界岭村"}])
    assert report.ok and report.villages_created == ["小界岭村"]
    with engine.connect() as conn:
        assert conn.execute(select(Village.name).order_by(Village.id)).scalars().all() == [
            "金杜村",
            "尚仁村",
            "小界岭村",
        ]
        assert conn.execute(select(Grid.name)).scalars().all() == ["金杜村第1网格"]


def test_a_rejected_row_creates_no_village(engine):
    report = run(engine, "events", [{**base_row("events"), "village": "金杜村", "reported_at": "bad"}])
    assert (report.rejected and not report.file_error) and report.villages_created == []
    assert counts(engine)["villages"] == 0


def test_dry_run_counts_and_writes_nothing(engine):
    load_sample_villages(engine)
    run(engine, "alerts", [base_row("alerts", 1)])
    before = counts(engine)
    rows = [
        {**base_row("alerts", 1), "category": "交通"},
        base_row("alerts", 2),
        {**base_row("alerts", 3), "effective": "?"},
    ]
    report = run(engine, "alerts", rows, dry_run=True)
    assert (report.inserted, report.updated, report.unchanged, report.rejected_rows) == (1, 1, 0, 1)
    assert "dry run" in report.to_text()
    assert counts(engine) == before


def test_preview_shows_first_rows_as_stored_and_the_problems(engine):
    load_sample_villages(engine)
    rows = [{**base_row("alerts", n), "received_at": "2026/3/1 9:05"} for n in range(30)] + [
        {**base_row("alerts", 99), "village": "X村"}
    ]
    frame, report = preview(csv_bytes(rows), "alerts", filename="a.csv", rows=5)
    assert list(frame.columns) == ["source_id", "received_at", "category", "effective", "village"]
    assert frame.index.tolist() == [2, 3, 4, 5, 6]
    assert frame.iloc[0]["received_at"] == dt.datetime(2026, 3, 1, 9, 5) and bool(frame.iloc[0]["effective"])
    assert report.rows_read == 31 and report.rejected == []  # no database: the village is not checked
    frame, report = preview(csv_bytes(rows), "alerts", engine=engine, filename="a.csv")
    assert report.inserted == 30 and [e.row for e in report.rejected] == [32]
    assert counts(engine)["alerts"] == 0
    frame, report = preview(SAMPLES / "villages.geojson", "villages")
    assert frame["name"].tolist() == ["倪宅村", "凤凰村", "桃源村", "上京岭村"]


def test_the_report_as_text_and_as_csv(engine):
    load_sample_villages(engine)
    report = run(
        engine, "alerts", [base_row("alerts", 1), {**base_row("alerts", 2), "received_at": "2099-01-01"}]
    )
    assert (
        report.to_text().splitlines()[0]
        == "alerts alerts.csv: 2 rows read: 1 inserted, 0 updated, 0 unchanged, 1 rejected"
    )
    assert report.error_lines() == ["row 3, received_at '2099-01-01': is in the future"]
    csv_text = report.errors_csv().decode("utf-8-sig")
    assert csv_text.splitlines() == ["row,column,value,reason", "3,received_at,2099-01-01,is in the future"]


def test_a_failure_part_way_leaves_the_database_as_it_was(engine, monkeypatch):
    """Also the village the import created (no village list, so 新村 is created) is gone."""
    run(engine, "alerts", [base_row("alerts", 0)])
    before = counts(engine)
    monkeypatch.setattr(writer, "CHUNK_ROWS", 10)
    real_run = writer._Upsert.run
    calls = []

    def failing_run(self, columns):
        calls.append(len(columns["source_id"]))
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        real_run(self, columns)

    monkeypatch.setattr(writer._Upsert, "run", failing_run)
    rows = [{**base_row("alerts", n), "village": "新村" if n == 5 else "倪宅村"} for n in range(1, 40)]
    with pytest.raises(RuntimeError, match="disk on fire"):
        run(engine, "alerts", [*rows, {**base_row("alerts", 0), "category": "火灾"}])
    assert calls[0] == 10  # the first chunk was written before the failure
    assert counts(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(Alert.category)).scalar_one() == "治安"


def test_a_killed_import_leaves_the_database_as_it_was(databases, tmp_path):
    """The importing process is killed (SIGKILL) after its first chunk is written."""
    engine = databases.new_engine("sqlite")
    load_sample_villages(engine)
    path = tmp_path / "alerts.csv"
    path.write_bytes(csv_bytes([base_row("alerts", n) for n in range(3000)]))
    script = textwrap.dedent(f"""
        import os, signal
        from data_access.db import get_engine
        from data_access.importing import import_file, writer
        writer.CHUNK_ROWS = 1000
        def die(done, total):
            os.kill(os.getpid(), signal.SIGKILL)
        import_file(get_engine({str(engine.url)!r}), "alerts", {str(path)!r}, progress=die)
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=60)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    assert counts(engine)["alerts"] == 0
    assert import_file(engine, "alerts", path).inserted == 3000  # and the file is usable afterwards


def test_population_xlsx_sample_has_real_date_cells():
    import openpyxl

    sheet = openpyxl.load_workbook(SAMPLES / "population.xlsx", read_only=True).worksheets[0]
    second = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
    assert isinstance(second[9], dt.datetime)  # 来住日期


def test_hazards_sample_is_gbk_with_chinese_headers():
    data = (SAMPLES / "hazards.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert data.decode("gbk").startswith("隐患编号,隐患名称")


def test_population_links_within_one_run_of_the_samples(engine):
    for kind in ("villages", "houses", "population"):
        import_file(engine, kind, SAMPLES / SAMPLE_FILES[kind])
    with engine.connect() as conn:
        linked = (
            conn.execute(select(PopulationStay.source_id).where(PopulationStay.house_id.is_not(None)))
            .scalars()
            .all()
        )
    assert len(linked) == 6


def test_os_path_and_file_object_sources(engine, tmp_path):
    load_sample_villages(engine)
    path = tmp_path / "警情.csv"
    path.write_bytes(csv_bytes([base_row("alerts")]))
    assert import_file(engine, "alerts", os.fspath(path)).filename == "警情.csv"
    with path.open("rb") as f:
        report = import_file(engine, "alerts", f)
    assert report.filename == "警情.csv" and report.unchanged == 1
    missing = import_file(engine, "alerts", tmp_path / "nope.csv")
    assert missing.file_error and "cannot read" in missing.file_error
