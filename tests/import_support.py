"""Helpers shared by the import tests (a helper module, not a test file): valid rows per kind,
files made from rows, row counts, and the real datasets kept beside the clone."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, func, select

from data_access import idcard
from data_access.importing import ImportReport, import_file
from data_access.models import Base

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"
# Real public datasets, kept beside the clone (not in it): ../shared/data/real.
REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "real"
IN_CI = os.environ.get("CI", "").lower() == "true"
SAMPLE_FILES = {
    "villages": "villages.geojson",
    "houses": "houses.csv",
    "population": "population.xlsx",
    "hazards": "hazards.csv",
    "alerts": "alerts.csv",
    "events": "events.csv",
    "terminals": "terminals.csv",
}
INSIDE = ("119.9686", "28.9226")  # the Huajie town seat, inside the sample villages


def real_file(name: str) -> Path:
    """A file of the real datasets; where ../shared/data/real is absent the test is skipped (under
    CI, which has it beside the clone, that is a failure)."""
    path = REAL / name
    if not path.is_file():
        message = f"{path} is absent: the real datasets live beside the clone, in ../shared/data/real"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def id_number(first17: str = "53010219900312011") -> str:
    """A valid ID number (the check digit computed)."""
    return first17 + idcard.check_char(first17)


def base_row(kind: str, n: int = 1) -> dict[str, str]:
    """A valid row of `kind`, English headers, for the sample villages; `n` makes its id unique."""
    rows = {
        "hazards": {
            "source_id": f"H{n}",
            "title": "消防通道堵塞",
            "category": "消防",
            "level": "一般",
            "village": "倪宅村",
            "found_at": "2026-03-01 09:05:00",
            "status": "待处置",
        },
        "population": {
            "source_id": f"P{n}",
            "name": "张三",
            "id_number": id_number(),
            "village": "倪宅村",
            "arrived_at": "2026-03-01",
        },
        "houses": {"house_id": f"F{n}", "village": "倪宅村"},
        "alerts": {
            "source_id": f"A{n}",
            "received_at": "2026-03-01 09:05:00",
            "category": "治安",
            "effective": "是",
            "village": "倪宅村",
        },
        "events": {
            "source_id": f"E{n}",
            "reported_at": "2026-03-01 09:05:00",
            "category": "代办服务",
            "village": "倪宅村",
        },
        "terminals": {"terminal_id": f"T{n}", "kind": "摄像头", "village": "倪宅村", "online": "是"},
    }
    return dict(rows[kind])


def table_rows(rows: list[dict]) -> tuple[list[str], list[list]]:
    """The header (every key, in first-seen order) and the rows under it."""
    header = list(dict.fromkeys(k for row in rows for k in row))
    return header, [[row.get(k, "") for k in header] for row in rows]


def csv_bytes(rows: list[dict], encoding: str = "utf-8", header: list[str] | None = None) -> bytes:
    """A CSV file of `rows` (dicts), optionally with other header names (same order as the keys)."""
    keys, body = table_rows(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header or keys)
    writer.writerows(body)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict], sheet: str = "Sheet1", extra_sheets: tuple[str, ...] = ()) -> bytes:
    """An XLSX workbook of `rows`; values keep their Python type (datetime → a real date cell)."""
    book = openpyxl.Workbook()
    for name in extra_sheets:
        book.create_sheet(name, 0)  # before the data sheet
    sheet_ = book["Sheet"]
    sheet_.title = sheet
    keys, body = table_rows(rows)
    sheet_.append(keys)
    for row in body:
        sheet_.append(row)
    for column in sheet_.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, (dt.datetime, dt.date)):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def load_sample_villages(engine: Engine) -> None:
    """The four micro-centre villages, with boundaries: the village list is then closed."""
    report = import_file(engine, "villages", SAMPLES / "villages.geojson")
    assert report.ok, report.to_text()


def run(engine: Engine, kind: str, rows: list[dict], **kw) -> ImportReport:
    """Import `rows` of `kind` as a CSV."""
    return import_file(engine, kind, csv_bytes(rows), filename=f"{kind}.csv", **kw)


def counts(engine: Engine) -> dict[str, int]:
    """Rows per table of records (not the audit log, which logs every import, even one that changes nothing)."""
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
            if t.name != "audit_log"
        }


def reasons(report: ImportReport) -> str:
    """Every rejection reason, for assertion messages and `in` checks."""
    return " | ".join(f"{e.column}: {e.reason}" for e in report.rejected) or (report.file_error or "")
