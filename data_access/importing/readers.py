"""Reading an upload into a table of cells: CSV in the usual encodings, or a sheet of an XLSX."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import openpyxl
from openpyxl.utils import get_column_letter

MAX_FILE_BYTES = 256 * 1024 * 1024
CSV, XLSX, JSON = "csv", "xlsx", "json"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO


class FileProblem(ValueError):
    """The file as a whole cannot be imported; the message says why, for the user."""


@dataclass
class Table:
    """The cells under the header row, column by column, and where each row is in the file."""

    headers: list[str]  # trimmed, "" where the header cell is empty
    columns: list[Sequence]  # columns[j][i]: the cell (trimmed str for CSV; str, number, datetime … for XLSX)
    row_numbers: list[int]  # the row as Excel numbers it
    text_only: bool  # every cell is a trimmed str (CSV)
    overlong: dict[int, int]  # CSV rows with more cells than headers: row index → cell count

    @property
    def n_rows(self) -> int:
        return len(self.row_numbers)

    def column_name(self, j: int) -> str:
        """How to name column j when its header is empty."""
        return f"(column {get_column_letter(j + 1)})"


def load(source: Source, filename: str | None) -> tuple[bytes, str | None]:
    """The bytes of `source` (a path, bytes, or a file object such as an upload) and its file name."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        filename = filename or path.name
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise FileProblem(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
            data = path.read_bytes()
        except OSError as exc:
            raise FileProblem(f"cannot read {path}: {exc.strerror or exc}") from None
    else:
        filename = filename or getattr(source, "name", None)
        # An upload (Streamlit's UploadedFile) may have been read before: take all of it.
        data = source.getvalue() if hasattr(source, "getvalue") else source.read()
    if len(data) > MAX_FILE_BYTES:
        raise FileProblem(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
    return data, (Path(filename).name if filename else None)


def detect_format(data: bytes, filename: str | None) -> str:
    """csv, xlsx or json, from the content first and the file name's ending second."""
    suffix = Path(filename).suffix.lower() if filename else ""
    if data.startswith(_ZIP_MAGIC):
        return XLSX
    if data.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise FileProblem("an old-style .xls workbook: save it as .xlsx (or CSV) and import that")
    if suffix in (".xlsx", ".xlsm"):
        raise FileProblem("not a readable XLSX file (it is not a zip archive)")
    if suffix in (".geojson", ".json"):
        return JSON
    if suffix in ("", ".csv", ".txt", ".tsv"):
        return JSON if not suffix and data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else CSV
    raise FileProblem(f"unknown file format {suffix!r}: use CSV or XLSX (GeoJSON for villages)")


def decode(data: bytes) -> str:
    """Text in UTF-8 (with or without BOM), GBK/GB18030, or UTF-16 with BOM; strict, never guessed."""
    if data.startswith(_UTF16_BOMS):  # Excel's "Unicode text" export
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK and GB2312
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem("unreadable text encoding: the file is neither UTF-8 nor GBK/GB18030")


def read_table(data: bytes, fmt: str, sheet: str | None = None) -> Table:
    """The table in a CSV or XLSX file; the header is its first non-empty row."""
    if fmt == XLSX:
        return _table(_xlsx_rows(data, sheet), text_only=False)
    if sheet:
        raise FileProblem("--sheet applies to XLSX files only")
    return _table(_csv_rows(decode(data)), text_only=True)


def _csv_rows(text: str) -> list[list]:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # Excel shows each CSV record as one row, even one with a line break inside quotes.
        return list(reader)
    except csv.Error as exc:
        raise FileProblem(f"not a readable CSV file (record {reader.line_num}): {exc}") from None


def _xlsx_rows(data: bytes, sheet: str | None) -> list[list]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a damaged file
        raise FileProblem(f"not a readable XLSX file: {type(exc).__name__}") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise FileProblem(f"no sheet named {sheet!r}; the sheets are: {', '.join(book.sheetnames)}")
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        # Some writers store a wrong sheet size; without this the rows past it are lost.
        worksheet.reset_dimensions()
        return [list(row) for row in worksheet.iter_rows(values_only=True)]  # row n of the sheet at n - 1
    except FileProblem:
        raise
    except Exception as exc:  # a damaged sheet fails only while it is being read
        raise FileProblem(f"not a readable XLSX file: {type(exc).__name__}") from None
    finally:
        book.close()


def _is_empty(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _blank_rows(columns: list, text_only: bool, n: int) -> set[int]:
    """Rows with nothing in any cell (most files have none: the first column rules most rows out)."""
    candidates = range(n)
    for column in columns:
        if text_only:
            candidates = [i for i in candidates if not column[i]]
        else:
            candidates = [i for i in candidates if _is_empty(column[i])]
        if not candidates:
            break
    return set(candidates)


def _pad(rows: list[list], width: int, blank: object) -> tuple[list[list], dict[int, int]]:
    """Rows cut or padded to `width` cells, and the rows that had more non-empty cells than that."""
    if set(map(len, rows)) <= {width}:
        return rows, {}
    overlong: dict[int, int] = {}
    padded = []
    for i, cells in enumerate(rows):
        if len(cells) > width:
            if any(not _is_empty(c) for c in cells[width:]):
                overlong[i] = len(cells)
            cells = cells[:width]
        elif len(cells) < width:
            cells = [*cells, *[blank] * (width - len(cells))]
        padded.append(cells)
    return padded, overlong


def _table(rows: list[list], *, text_only: bool) -> Table:
    """rows[k] is row k + 1 of the file as Excel numbers it."""
    start = next((k for k, cells in enumerate(rows) if not all(_is_empty(c) for c in cells)), None)
    if start is None:
        raise FileProblem("the file is empty: no header row")
    headers = ["" if c is None else str(c).strip() for c in rows[start]]
    data = rows[start + 1 :]
    width = len(headers)
    if not text_only:  # in a sheet, cells right of the header are an unnamed column, not a shifted row
        width = max([width, *map(len, data)])
        headers += [""] * (width - len(headers))
    # A CSV row with more cells than the header usually has an unquoted comma: every value after it
    # is in the wrong column, so the row is refused (rules.check reports `overlong`).
    data, overlong = _pad(data, width, "" if text_only else None)
    columns = list(zip(*data)) if data else [() for _ in headers]
    if text_only:
        columns = [[c.strip() for c in column] for column in columns]
    blank = _blank_rows(columns, text_only, len(data)) - set(overlong)
    keep = [i for i in range(len(data)) if i not in blank] if blank else range(len(data))
    if blank:
        columns = [[c[i] for i in keep] for c in columns]
        new_index = {old: new for new, old in enumerate(keep)}
        overlong = {new_index[i]: n for i, n in overlong.items()}
    first_row = start + 2  # the Excel number of data[0]
    return Table(headers, columns, [first_row + i for i in keep], text_only, overlong)
