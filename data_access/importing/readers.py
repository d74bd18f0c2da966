"""Reading an upload into a table of cells: CSV in the usual encodings, or a sheet of an XLSX.

What a file may cost is bounded (benchmarks/import_memory.py measures it at the limits): rows are
read one at a time and only the columns the kind knows are kept; a file past a limit below is
refused as a whole with a message naming the limit (FileProblem), before it costs more.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import openpyxl
from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.reader.excel import _find_workbook_part  # the function openpyxl finds the workbook with
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import (
    ARC_APP,
    ARC_CONTENT_TYPES,
    ARC_CORE,
    ARC_CUSTOM,
    ARC_STYLE,
    ARC_THEME,
    SHARED_STRINGS,
)
from openpyxl.xml.functions import fromstring

# The largest file accepted: the upload limit, .streamlit/config.toml's server.maxUploadSize (in MB).
MAX_FILE_BYTES = 25 * 2**20
MAX_ROWS = 100_000  # non-empty rows under the header: a larger export is split into several files
MAX_COLUMNS = 1_000  # upstream exports have tens; Excel allows 16,384, each padded into every row
# Cells read, the empty ones included (a sheet's row comes with every cell up to its last one): a
# small XLSX of a million rows, each with an empty styled cell far right, would take minutes.
MAX_CELLS = 20_000_000
MAX_RECORD_CHARS = 1_000_000  # one CSV record (line breaks inside quotes included), read as one list
# Excel's own last row. A sheet may claim any row number, and every row before it is read as empty.
MAX_SHEET_ROW = 1_048_576
# An XLSX is a zip of XML parts, checked before openpyxl opens it: a zip bomb (a few kB unpacking
# to gigabytes) is refused from the sizes the archive declares, which Python's zipfile enforces as
# it unpacks (it stops at the declared size and checks the CRC). How much a part may unpack to
# depends on how openpyxl reads it: a worksheet as a stream (its cost is bounded by the rows and
# columns above), the shared strings into a list, every other part into a whole XML tree and
# objects, some 40 times its size (benchmarks/import_memory.py).
MAX_XLSX_PARTS = 1_000
MAX_XLSX_SHEET_BYTES = 160 * 2**20  # a worksheet: 100,000 rows of 20 columns written by openpyxl take ~110 MB
MAX_XLSX_STRINGS_BYTES = 16 * 2**20  # the shared strings: ~10 MB for 100,000 distinct titles and addresses
MAX_XLSX_WHOLE_BYTES = 2 * 2**20  # all the other parts together (styles, workbook, relationships, …)
MAX_XLSX_BYTES = 192 * 2**20  # all parts together
# The XML parser holds one text or attribute whole: no run between two tags may be longer. An Excel
# cell holds at most 32,767 characters, at most 5 bytes each as XML (&amp;).
MAX_XML_TEXT_BYTES = 1_000_000
CSV, XLSX, JSON = "csv", "xlsx", "json"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CHUNK = 2**16  # bytes decoded or unpacked at a time when a file is only checked

Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO
Keep = Callable[[list[str]], Iterable[int]]  # the headers → the positions of the columns to keep


class FileProblem(ValueError):
    """The file as a whole cannot be imported; the message says why, for the user."""


@dataclass
class Table:
    """The cells under the header row, column by column, and where each row is in the file.

    Only the columns asked for are kept; of the others the table knows only whether they hold
    anything (`filled`)."""

    headers: list[str]  # trimmed, "" where the header cell is empty
    # columns[j][i]: the cell (trimmed str for CSV; str, number, datetime … for XLSX); None: not kept
    columns: list[Sequence | None]
    row_numbers: list[int]  # the row as Excel numbers it
    text_only: bool  # every cell is a trimmed str (CSV)
    overlong: dict[int, int]  # CSV rows with more cells than headers: row index → cell count
    filled: set[int] = field(default_factory=set)  # columns not kept that hold a non-empty cell

    @property
    def n_rows(self) -> int:
        return len(self.row_numbers)

    def column_name(self, j: int) -> str:
        """How to name column j when its header is empty."""
        return f"(column {get_column_letter(j + 1)})"

    def has_content(self, j: int) -> bool:
        """Whether column j holds a non-empty cell."""
        column = self.columns[j]
        return j in self.filled if column is None else any(not _is_empty(c) for c in column)


def _too_large() -> FileProblem:
    return FileProblem(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB: split it into smaller files")


def file_name(source: Source, filename: str | None) -> str | None:
    """The file's name (without its folder): `filename`, else the path's or the file object's."""
    if filename is None and isinstance(source, (str, os.PathLike)):
        filename = Path(source).name
    elif filename is None and not isinstance(source, (bytes, bytearray, memoryview)):
        filename = getattr(source, "name", None)
    return Path(filename).name if filename else None


def load(source: Source, filename: str | None) -> tuple[bytes, str | None]:
    """The bytes of `source` (a path, bytes, or a file object such as an upload) and its file name."""
    filename = file_name(source, filename)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise _too_large()
            data = path.read_bytes()
        except OSError as exc:
            raise FileProblem(f"cannot read {path}: {exc.strerror or exc}") from None
    else:
        # An upload (Streamlit's UploadedFile) may have been read before: take all of it.
        data = source.getvalue() if hasattr(source, "getvalue") else source.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _too_large()
    return data, filename


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


_UNREADABLE_ENCODING = "unreadable text encoding: the file is neither UTF-8 nor GBK/GB18030"


def _decodes_as(data: bytes, encoding: str) -> bool:
    """Whether all of `data` decodes strictly, checked a chunk at a time (no copy of the text)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _CHUNK):
            decoder.decode(view[start : start + _CHUNK], final=start + _CHUNK >= len(view))
    except UnicodeDecodeError:
        return False
    return True


def encoding_of(data: bytes) -> str:
    """UTF-16 after its BOM (Excel's "Unicode text"), else UTF-8 (BOM or not), else GB18030 (a
    superset of GBK and GB2312); strict, never guessed."""
    if data.startswith(_UTF16_BOMS):
        return "utf-16"
    for encoding in ("utf-8-sig", "gb18030"):
        if _decodes_as(data, encoding):
            return encoding
    raise FileProblem(_UNREADABLE_ENCODING)


def decode(data: bytes) -> str:
    """The whole text (for GeoJSON), in the encoding encoding_of finds."""
    try:
        return data.decode(encoding_of(data))
    except UnicodeDecodeError:  # UTF-16 is checked only here
        raise FileProblem(_UNREADABLE_ENCODING) from None


def read_table(data: bytes, fmt: str, sheet: str | None = None, keep: Keep | None = None) -> Table:
    """The table in a CSV or XLSX file; the header is its first non-empty row. `keep(headers)`
    names the columns to keep (default: all)."""
    if fmt == XLSX:
        return _collect(_xlsx_rows(data, sheet), text_only=False, keep=keep)
    if sheet:
        raise FileProblem("--sheet applies to XLSX files only")
    return _collect(_csv_rows(data), text_only=True, keep=keep)


# ---------------------------------------------------------------- CSV


class _Lines:
    """The lines of a text stream for csv.reader, each read with a length limit, counting the
    characters of the record being read (the reader resets `chars` after each record)."""

    def __init__(self, stream: io.TextIOBase):
        self.stream, self.chars = stream, 0

    def __iter__(self) -> Iterator[str]:
        while line := self.stream.readline(MAX_RECORD_CHARS + 1):
            self.chars += len(line)
            if self.chars > MAX_RECORD_CHARS:
                raise FileProblem(f"a record (a row, with the line breaks inside its quotes) is longer than "
                                  f"{MAX_RECORD_CHARS:,} characters: is this a CSV export?")
            yield line


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(row number as Excel shows it, cells) for each CSV record, decoded as it is read."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding_of(data), newline="")
    lines = _Lines(stream)
    try:
        first = next(iter(lines), "")
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
        stream.seek(0)
        lines.chars = 0
        reader = csv.reader(lines, delimiter=delimiter)
        # Excel shows each CSV record as one row, even one with a line break inside quotes.
        for number, cells in enumerate(reader, start=1):
            lines.chars = 0
            yield number, cells
    except csv.Error as exc:
        raise FileProblem(f"not a readable CSV file (record {reader.line_num}): {exc}") from None
    except UnicodeDecodeError:
        raise FileProblem(_UNREADABLE_ENCODING) from None


# ---------------------------------------------------------------- XLSX


def _streamed_parts(archive: zipfile.ZipFile) -> dict[str, int]:
    """The parts openpyxl reads as a stream, each with its allowance: the workbook's worksheets and
    its shared strings, found as openpyxl finds them, unless another part names them too (a
    drawing or a chart sheet, which openpyxl reads whole). It reads every other part whole."""
    sizes = {part.filename: part.file_size for part in archive.infolist()}
    described_by = [name for name in sizes if name.endswith(".rels") or name == ARC_CONTENT_TYPES]
    if sum(sizes[name] for name in described_by) > MAX_XLSX_WHOLE_BYTES:
        raise FileProblem(f"the XLSX file's relationship parts would unpack to more than "
                          f"{MAX_XLSX_WHOLE_BYTES // 2**20} MB")
    manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    workbook = _find_workbook_part(manifest).PartName[1:]
    named_elsewhere = {workbook, ARC_STYLE, ARC_THEME, ARC_CORE, ARC_APP, ARC_CUSTOM, *described_by}
    worksheets = set()
    for name in [name for name in described_by if name.endswith(".rels")]:
        targets = {r.target: r.Type for r in get_dependents(archive, name) if r.TargetMode != "External"}
        if name == get_rels_path(workbook):
            worksheets |= {target for target, kind in targets.items() if kind.endswith("/worksheet")}
        else:
            named_elsewhere |= set(targets)
    streamed = {name: MAX_XLSX_SHEET_BYTES for name in worksheets - named_elsewhere if name in sizes}
    strings = manifest.find(SHARED_STRINGS)
    if strings is not None and strings.PartName[1:] in sizes and strings.PartName[1:] not in named_elsewhere:
        streamed[strings.PartName[1:]] = MAX_XLSX_STRINGS_BYTES  # read a string at a time, kept as a list
    return streamed


def _scan(part: BinaryIO) -> tuple[int, int]:
    """The longest run of bytes between two '<' in an XML part, and how many rows it holds,
    unpacked a chunk at a time."""
    longest = run = rows = 0
    tail = b""
    while chunk := part.read(_CHUNK):
        rows += (tail + chunk).count(b"<row")  # a tag cut between two chunks is counted once
        tail = chunk[-3:]
        pieces = chunk.split(b"<")
        if len(pieces) == 1:
            run += len(chunk)
        else:
            longest = max(longest, run + len(pieces[0]), *map(len, pieces[1:-1]))
            run = len(pieces[-1])
        if max(longest, run) > MAX_XML_TEXT_BYTES:
            break
    return max(longest, run), rows


def check_xlsx_parts(data: bytes) -> None:
    """FileProblem when the XLSX's parts would unpack to more than their limits (or the file is damaged)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_parts(archive)
    except FileProblem:
        raise
    except Exception as exc:  # zipfile, the XML parser and openpyxl raise many kinds for a damaged file
        raise FileProblem(f"not a readable XLSX file: {type(exc).__name__}") from None


def _check_parts(archive: zipfile.ZipFile) -> None:
    parts = archive.infolist()
    if len(parts) > MAX_XLSX_PARTS:
        raise FileProblem(f"the XLSX file holds more than {MAX_XLSX_PARTS:,} parts")
    if sum(part.file_size for part in parts) > MAX_XLSX_BYTES:
        raise FileProblem(f"the XLSX file would unpack to more than {MAX_XLSX_BYTES // 2**20} MB: "
                          "split it into smaller files")
    for part in parts:  # before reading any: no part is larger than the largest allowance
        if part.file_size > MAX_XLSX_SHEET_BYTES:
            raise _part_too_large(part, MAX_XLSX_SHEET_BYTES)
    streamed = _streamed_parts(archive)
    for part in parts:
        if part.file_size > streamed.get(part.filename, MAX_XLSX_WHOLE_BYTES):
            raise _part_too_large(part, streamed.get(part.filename, MAX_XLSX_WHOLE_BYTES))
    whole = [part for part in parts if part.filename not in streamed]
    if sum(part.file_size for part in whole) > MAX_XLSX_WHOLE_BYTES:
        largest = max(whole, key=lambda part: part.file_size)
        raise FileProblem(f"the XLSX parts read whole (styles, workbook, …) would unpack to more than "
                          f"{MAX_XLSX_WHOLE_BYTES // 2**20} MB together, the largest {largest.filename}")
    for part in parts:
        with archive.open(part) as stream:
            longest, rows = _scan(stream)
        if longest > MAX_XML_TEXT_BYTES:
            raise FileProblem(f"the XLSX part {part.filename} holds a text longer than "
                              f"{MAX_XML_TEXT_BYTES:,} bytes (an Excel cell holds at most 32,767 characters)")
        if rows > MAX_SHEET_ROW:  # openpyxl keeps every row element while it looks for the sheet's size
            raise FileProblem(f"the sheet in {part.filename} has more than {MAX_SHEET_ROW:,} rows, "
                              "Excel's last")


def _part_too_large(part: zipfile.ZipInfo, limit: int) -> FileProblem:
    size = part.file_size / 2**20
    return FileProblem(f"the XLSX part {part.filename} would unpack to {size:,.0f} MB: at most "
                       f"{limit // 2**20} MB are read (is it a zip bomb?)")


def _xlsx_rows(data: bytes, sheet: str | None) -> Iterator[tuple[int, Sequence]]:
    """(row number, cells) for each row of the sheet, read as a stream."""
    check_xlsx_parts(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a damaged file
        raise FileProblem(f"not a readable XLSX file: {type(exc).__name__}") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise FileProblem(f"no sheet named {sheet!r}; the sheets are: {', '.join(book.sheetnames)}")
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        # Some writers store a wrong sheet size; without this the rows past it are lost.
        worksheet.reset_dimensions()
        # Gaps between rows come as empty rows.
        for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
            if number > MAX_SHEET_ROW:
                raise FileProblem(f"the sheet has rows past row {MAX_SHEET_ROW:,}, Excel's last")
            yield number, cells
    except FileProblem:
        raise
    except Exception as exc:  # a damaged sheet fails only while it is being read
        raise FileProblem(f"not a readable XLSX file: {type(exc).__name__}") from None
    finally:
        book.close()


# ---------------------------------------------------------------- rows into columns


def _is_empty(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _blank(cells: Sequence) -> bool:
    """Nothing in any cell (counted in C first: a sheet's row may be thousands of empty cells wide)."""
    return cells.count(None) + cells.count("") == len(cells) or all(map(_is_empty, cells))


def _within_columns(cells: Sequence, number: int) -> Sequence:
    """The row's cells; FileProblem when they reach past MAX_COLUMNS, even with empty cells there:
    openpyxl gives a row all the cells up to its last one, so a sheet of rows each with one empty
    styled cell in column XFD takes minutes to read (benchmarks/import_memory.py)."""
    if len(cells) > MAX_COLUMNS:
        raise FileProblem(f"row {number} reaches column {get_column_letter(len(cells))}: at most "
                          f"{MAX_COLUMNS:,} columns (A to {get_column_letter(MAX_COLUMNS)}) are read; "
                          "delete the columns right of the data")
    return cells


class _Column:
    """A kept column while it is read. A column mostly repeats a few texts (village, category,
    date), each read as a new object: a repeated text is stored as the first one read, which
    halves a large file's cost, until the column has shown too many distinct texts to bother.
    (Only texts: 1, 1.0 and True are equal keys, but not the same cell.)"""

    REMEMBERED = 10_000

    def __init__(self, j: int, cells: list):
        self.j, self.cells, self.seen = j, cells, {}

    def append(self, cell) -> None:
        seen = self.seen
        if seen is not None and type(cell) is str:
            cell = seen.setdefault(cell, cell)
            if len(seen) > self.REMEMBERED:
                self.seen = None
        self.cells.append(cell)


def _collect(rows: Iterator[tuple[int, Sequence]], *, text_only: bool, keep: Keep | None) -> Table:
    """The table of `rows` ((Excel row number, cells) each), keeping the columns `keep` names."""
    with closing(rows):
        for number, cells in rows:
            cells = _within_columns(cells, number)
            if not _blank(cells):
                break
        else:
            raise FileProblem("the file is empty: no header row")
        headers = ["" if c is None else str(c).strip() for c in cells]
        wanted = set(range(len(headers)) if keep is None else keep(headers))
        table = Table(headers, [[] if j in wanted else None for j in range(len(headers))], [], text_only, {})
        kept = [_Column(j, column) for j, column in enumerate(table.columns) if column is not None]
        # Columns with no header and not kept: named in the report only if they hold something.
        watched = {j for j, header in enumerate(headers) if j not in wanted and not header}
        cells_read = 0
        for number, cells in rows:
            cells = _within_columns(cells, number)
            cells_read += len(cells)
            if cells_read > MAX_CELLS:
                raise FileProblem(f"the file holds more than {MAX_CELLS:,} cells (counting the empty ones "
                                  "left of each row's last): delete the empty rows and columns around "
                                  "the data")
            if _blank(cells):
                continue
            if table.n_rows == MAX_ROWS:
                raise FileProblem(f"the file has more than {MAX_ROWS:,} rows under its header: "
                                  "split it into smaller files")
            width = len(table.headers)
            if len(cells) > width and not _blank(cells[width:]):
                if text_only:
                    # A CSV row with more cells than the header usually has an unquoted comma: every
                    # value after it is in the wrong column, so the row is refused (rules.check).
                    table.overlong[table.n_rows] = len(cells)
                else:  # in a sheet, cells right of the header are an unnamed column, not a shifted row
                    kept += _widen(table, len(cells), keep is None, watched)
            _add_row(table, number, cells, kept, watched)
    return table


def _widen(table: Table, width: int, keep_all: bool, watched: set[int]) -> list[_Column]:
    """Unnamed columns up to `width`: kept (empty so far) when every column is, else only watched.
    Returns the new kept columns."""
    added = []
    for j in range(len(table.headers), width):
        table.headers.append("")
        column = [None] * table.n_rows if keep_all else None
        table.columns.append(column)
        if column is None:
            watched.add(j)
        else:
            added.append(_Column(j, column))
    return added


def _add_row(table: Table, number: int, cells: Sequence, kept: list[_Column], watched: set[int]) -> None:
    width = len(cells)
    table.row_numbers.append(number)
    if table.text_only:
        for column in kept:
            column.append(cells[column.j].strip() if column.j < width else "")
    else:
        for column in kept:
            column.append(cells[column.j] if column.j < width else None)
    for j in [j for j in watched if j < width and not _is_empty(cells[j])]:
        table.filled.add(j)
        watched.discard(j)
