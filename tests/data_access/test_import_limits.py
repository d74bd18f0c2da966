"""What one file may cost (issue 15, item 1): columns, rows, one CSV record and the XLSX's
unpacked parts are capped, a file past a cap is refused with a message naming it (exit code 2
on the command line), rows are read as a stream keeping only the columns the kind knows, and
the import page parses an upload once.

Limits are lowered here so that the cut-offs are exercised on small files; the full-size worst
cases are measured by benchmarks/import_memory.py.
"""

from __future__ import annotations

import argparse
import io
import re
import tomllib
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from data_access import accounts, importing
from data_access.cli.main import build_parser
from data_access.db import forget_engines
from data_access.importing import preview, readers

from ..factories import signed_in
from ..import_support import base_row, csv_bytes, xlsx_bytes

ROOT = Path(__file__).resolve().parents[2]
HAZARD_HEADER = list(base_row("hazards"))
MB = 2**20


def far_right_xlsx(rows: int) -> bytes:
    """The issue's file: a hazards header, then `rows` rows each holding one cell in column XFD."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HAZARD_HEADER)
    for _ in range(rows):
        sheet.append([None] * 16383 + ["x"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def peak_bytes(function) -> int:
    """The peak of memory allocated by Python while `function()` runs."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_cell_far_right_is_refused_naming_the_column_limit():
    _, report = preview(far_right_xlsx(200), "hazards", filename="wide.xlsx")
    assert report.file_error, report.to_text()
    assert "XFD" in report.file_error and "columns" in report.file_error


def test_a_cell_far_right_costs_little_memory():
    data = far_right_xlsx(300)
    assert len(data) < 50_000  # a small file …
    peak = peak_bytes(lambda: preview(data, "hazards", filename="wide.xlsx"))
    assert peak < 20 * MB, f"… read with a peak of {peak / MB:.0f} MB"


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["import", *argv])


@pytest.fixture
def database_url(databases, backend, monkeypatch) -> str:
    url = databases.new_url(backend)
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    forget_engines()


def test_the_command_refuses_a_file_past_a_limit_with_exit_code_2(database_url, tmp_path, capsys):
    path = tmp_path / "wide.xlsx"
    path.write_bytes(far_right_xlsx(50))
    args = _args("hazards", str(path))
    assert args.func(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and "XFD" in err and "columns" in err


def test_rows_past_the_limit_are_refused_blank_rows_not_counted(monkeypatch):
    monkeypatch.setattr(readers, "MAX_ROWS", 5, raising=False)
    rows = [base_row("hazards", n) for n in range(5)]
    data = csv_bytes(rows).replace(b"\r\n", b"\r\n\r\n,,,\r\n")  # blank rows between
    assert preview(data, "hazards", filename="h.csv")[1].file_error is None
    assert preview(xlsx_bytes(rows), "hazards", filename="h.xlsx")[1].file_error is None
    rows.append(base_row("hazards", 6))
    for data, name in ((csv_bytes(rows), "h.csv"), (xlsx_bytes(rows), "h.xlsx")):
        error = preview(data, "hazards", filename=name)[1].file_error
        assert error and "5 rows" in error, (name, error)


def test_a_sheet_row_past_excels_last_row_is_refused():
    book = openpyxl.Workbook()
    book.active.append(HAZARD_HEADER)
    book.active.append(list(base_row("hazards").values()))
    out = io.BytesIO()
    book.save(out)
    # Excel has 1,048,576 rows; a file may claim any row number, and each row before it is read.
    data = _rewrite_part(out.getvalue(), "xl/worksheets/sheet1.xml",
                         lambda xml: xml.replace(b'<row r="2"', b'<row r="99999999"')
                         .replace(b'r="A2"', b'r="A99999999"'))
    error = preview(data, "hazards", filename="h.xlsx")[1].file_error
    assert error and "1,048,576" in error


def test_a_sheet_of_more_rows_than_excel_has_is_refused_before_openpyxl_reads_it(monkeypatch):
    """openpyxl keeps every row element while it looks for a sheet's size that the file does not give."""
    monkeypatch.setattr(readers, "MAX_SHEET_ROW", 5, raising=False)
    rows = [base_row("hazards", n) for n in range(5)]
    error = preview(xlsx_bytes(rows), "hazards", filename="h.xlsx")[1].file_error
    assert error and "xl/worksheets/sheet1.xml has more than 5 rows" in error


def test_a_row_reaching_past_the_column_limit_is_refused(monkeypatch):
    """Even with empty cells there: a sheet's row comes with every cell up to its last one."""
    monkeypatch.setattr(readers, "MAX_COLUMNS", 30, raising=False)
    header = ",".join(HAZARD_HEADER)
    row = ",".join(base_row("hazards").values())
    within = f"{header}\r\n{row}{',' * 23}\r\n".encode()  # 30 cells
    assert preview(within, "hazards", filename="h.csv")[1].file_error is None
    for past in (f"{header}\r\n{row}{',' * 40}x\r\n", f"{header}\r\n{row}{',' * 40}\r\n"):
        error = preview(past.encode(), "hazards", filename="h.csv")[1].file_error
        assert error and "row 2 reaches column AU" in error and "30 columns" in error


def test_a_csv_record_past_the_length_limit_is_refused(monkeypatch):
    monkeypatch.setattr(readers, "MAX_RECORD_CHARS", 1000, raising=False)
    rows = [base_row("hazards", 1), {**base_row("hazards", 2), "title": "长\n" * 600}]  # quoted line breaks
    error = preview(csv_bytes(rows), "hazards", filename="h.csv")[1].file_error
    assert error and "1,000 characters" in error
    one_line = (",".join(HAZARD_HEADER) + "\r\n" + "a," * 2000 + "\r\n").encode()
    error = preview(one_line, "hazards", filename="h.csv")[1].file_error
    assert error and "1,000 characters" in error


def _rewrite_part(xlsx: bytes, name: str, change) -> bytes:
    """The XLSX with part `name` changed by `change(bytes) -> bytes`, the other parts as they were."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            dst.writestr(info.filename, change(content) if info.filename == name else content)
    return out.getvalue()


def _padded(xlsx: bytes, name: str, n: int) -> bytes:
    """The XLSX with about `n` bytes of XML comments added near the end of part `name`."""
    def pad(xml: bytes) -> bytes:
        end = xml.rindex(b"</")
        return xml[:end] + b"<!--    -->" * (n // 11) + xml[end:]

    return _rewrite_part(xlsx, name, pad)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(monkeypatch):
    monkeypatch.setattr(readers, "MAX_XLSX_SHEET_BYTES", 2 * MB, raising=False)
    good = xlsx_bytes([base_row("hazards")])
    assert preview(good, "hazards", filename="h.xlsx")[1].file_error is None
    padded = _padded(good, "xl/worksheets/sheet1.xml", 3 * MB)
    assert len(padded) < 100_000  # a small file that unpacks to more than 3 MB
    error = preview(padded, "hazards", filename="h.xlsx")[1].file_error
    assert error and "xl/worksheets/sheet1.xml" in error and "2 MB" in error


def test_a_part_read_whole_may_unpack_to_less_than_a_sheet_read_as_a_stream():
    good = xlsx_bytes([base_row("hazards")])
    assert preview(_padded(good, "xl/worksheets/sheet1.xml", 6 * MB), "hazards", filename="h.xlsx")[1].file_error is None
    error = preview(_padded(good, "xl/styles.xml", 6 * MB), "hazards", filename="h.xlsx")[1].file_error
    assert error and "xl/styles.xml" in error and f"{readers.MAX_XLSX_WHOLE_BYTES // MB} MB" in error


def test_a_sheet_that_another_part_also_names_gets_the_small_allowance():
    """openpyxl reads a part named by a drawing or a chart sheet whole, even if it is also a worksheet."""
    good = xlsx_bytes([base_row("hazards")])
    named_twice = _rewrite_part(good, "_rels/.rels", lambda xml: xml.replace(
        b"</Relationships>",
        b'<Relationship Id="rIdX" Target="/xl/worksheets/sheet1.xml" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"/></Relationships>'))
    assert preview(named_twice, "hazards", filename="h.xlsx")[1].file_error is None
    padded = _padded(named_twice, "xl/worksheets/sheet1.xml", 6 * MB)
    error = preview(padded, "hazards", filename="h.xlsx")[1].file_error
    assert error and "xl/worksheets/sheet1.xml" in error and f"{readers.MAX_XLSX_WHOLE_BYTES // MB} MB" in error


def test_a_huge_text_in_an_xlsx_part_is_refused(monkeypatch):
    """One cell's text, or one attribute, is materialised whole by the XML parser: bound it."""
    monkeypatch.setattr(readers, "MAX_XML_TEXT_BYTES", 100_000, raising=False)
    template = xlsx_bytes([{**base_row("hazards"), "title": "TITLE"}])

    def with_title(n: int) -> bytes:  # openpyxl itself cuts a cell at Excel's 32,767 characters
        return _rewrite_part(template, "xl/worksheets/sheet1.xml",
                             lambda xml: xml.replace(b"<t>TITLE</t>", b"<t>" + b"x" * n + b"</t>"))

    assert preview(with_title(90_000), "hazards", filename="h.xlsx")[1].file_error is None
    error = preview(with_title(200_000), "hazards", filename="h.xlsx")[1].file_error
    assert error and "100,000 bytes" in error


def test_csv_reading_keeps_only_the_columns_the_kind_knows():
    """A CSV with many columns the kind ignores: those cells are not kept, only whether they hold anything."""
    extra = {f"备注{k}": f"v{k}" for k in range(60)}
    rows = [{**base_row("hazards", n), **extra} for n in range(3000)]
    data = csv_bytes(rows)
    _, report = preview(data, "hazards", filename="h.csv")
    assert report.file_error is None and report.rows_read == 3000 and len(report.ignored_columns) == 60
    peak = peak_bytes(lambda: preview(data, "hazards", filename="h.csv"))
    assert peak < 3 * len(data), f"{len(data) / MB:.1f} MB read with a peak of {peak / MB:.1f} MB"


def test_too_many_broken_rules_refuse_the_file(monkeypatch):
    """A file whose every cell is wrong (the wrong kind, a shifted export) would otherwise keep one
    report line per cell: past MAX_PROBLEMS it is refused, naming the first problem."""
    monkeypatch.setattr(importing.rules, "MAX_PROBLEMS", 10, raising=False)
    rows = [{**base_row("hazards", n), "level": "?"} for n in range(10)]
    assert preview(csv_bytes(rows), "hazards", filename="h.csv")[1].file_error is None
    rows.append({**base_row("hazards", 11), "level": "?"})
    error = preview(csv_bytes(rows), "hazards", filename="h.csv")[1].file_error
    assert error and "more than 10 broken rules" in error and "row 2" in error


def test_the_upload_limit_is_the_readers_limit_and_the_readme_states_it():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    limit_mb = config["server"]["maxUploadSize"]
    assert readers.MAX_FILE_BYTES == limit_mb * MB
    importing_section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Importing")[1].split("\n## ")[0]
    assert re.search(rf"\b{limit_mb} MB\b", importing_section), "the README's Importing section states the limit"
    assert "benchmarks/import_memory.py" in importing_section


# ---------------------------------------------------------------- the page parses an upload once


@pytest.fixture
def page(databases, monkeypatch):
    engine = databases.new_engine("sqlite")
    with engine.begin() as conn:
        accounts.create_user(conn, "staff", "s3cret-pass", "staff", by="test")
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    forget_engines()
    at = signed_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60), "staff")
    at.run()
    at.switch_page("pages/imports.py").run()
    yield at
    forget_engines()


def test_the_import_page_parses_an_upload_once(page, monkeypatch):
    calls = []
    real_preview = importing.preview

    def counting_preview(*args, **kwargs):
        calls.append(kwargs.get("kind", args[1] if len(args) > 1 else None))
        return real_preview(*args, **kwargs)

    monkeypatch.setattr(importing, "preview", counting_preview)
    page.selectbox(key="import_kind").set_value("hazards").run()
    page.get("file_uploader")[0].set_value(("h.csv", csv_bytes([base_row("hazards")]), "text/csv")).run()
    assert not page.exception and page.dataframe
    page.run()
    page.run()  # reruns (any widget, the sidebar, a download) do not parse the file again
    assert len(calls) == 1
    page.radio(key="import_crs").set_value("gcj02").run()  # another reading of the same file: once more
    assert len(calls) == 2
