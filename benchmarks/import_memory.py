"""What the worst files an upload may be cost to import: peak memory above the importer's baseline.

    python benchmarks/import_memory.py                 # every case, both ways
    python benchmarks/import_memory.py --only xfd csv   # the cases whose name holds one of these

Each case is a file built at the limits of data_access/importing/readers.py (the upload limit,
rows, columns, the XLSX parts' allowances): the issue's tiny XLSX with a cell in column XFD, zip
bombs, a CSV of tiny cells as large as an upload may be, a wide CSV, the largest valid files, …
Each file is imported into a new SQLite database in a child process, two ways:

- command: `python -m data_access import KIND FILE`;
- page: what the import page does: the upload's bytes in memory, a preview (a dry run), then the
  import.

The peak resident memory of the child (os.wait4's ru_maxrss) is compared with the same run on a
tiny file (assets/samples/hazards.csv): the difference is what the file cost. The goal is at most
~300 MB above that baseline, or a refusal with a message.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from data_access.importing import geo, readers, rules  # noqa: E402
from data_access.importing.columns import HAZARDS  # noqa: E402

MB = 2**20
GOAL_MB = 300
SAMPLE = ROOT / "assets" / "samples" / "hazards.csv"
HEADER = [c.zh for c in HAZARDS.columns]

PAGE_SCRIPT = """
import os, sys
from pathlib import Path
from data_access import schema
from data_access.db import get_engine
from data_access.importing import import_file, preview
kind, path = sys.argv[1:3]
engine = get_engine(os.environ["DATABASE_URL"])
schema.upgrade(engine)
data = Path(path).read_bytes()  # the upload, which Streamlit holds in memory
_, checked = preview(data, kind, engine=engine, filename=Path(path).name)
report = checked if checked.file_error else import_file(engine, kind, data, filename=Path(path).name)
print(report.to_text())
sys.exit(2 if report.file_error else 1 if report.rejected else 0)
"""


# ---------------------------------------------------------------- the files


def _hazard_row(i: int, text: str = "") -> list[str]:
    """A valid hazard, one value per column of HEADER."""
    row = [f"H{i:07d}", f"厂房消防通道堵塞{text}", "消防", "一般", "倪宅村", "倪宅一网格", f"花街镇倪宅村前街{i % 977}号{text}",
           "119.9686", "28.9226", f"永康市五金制品有限公司{i % 300}{text}", "否", "2026-03-01 09:05:00", "敲门问候",
           "花街镇应急办", "张小三", "2026-04-01", "整改中", ""]
    return row + [""] * (len(HEADER) - len(row))


def _csv(path: Path, header: list[str], rows, limit: int = readers.MAX_FILE_BYTES) -> Path:
    """A CSV of `header` and as many of `rows` as fit in `limit` bytes."""
    with path.open("wb") as f:
        f.write(_csv_line(header))
        for row in rows:
            line = _csv_line(row)
            if f.tell() + len(line) > limit:
                break
            f.write(line)
    return path


def _csv_line(cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue().encode("utf-8")


def _sheet_xml(rows) -> bytes:
    """A worksheet's XML from rows of (row number, raw cells XML)."""
    body = b"".join(b'<row r="%d">%s</row>' % (n, cells) for n, cells in rows)
    return (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + body + b"</sheetData></worksheet>")


def _xlsx_with(path: Path, parts: dict[str, bytes | Callable]) -> Path:
    """A one-sheet XLSX made by openpyxl, with some parts replaced (a callable is streamed: it gets a writable)."""
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in parts:
                dst.writestr(info.filename, src.read(info))
        for name, content in parts.items():
            if callable(content):
                with dst.open(name, "w", force_zip64=True) as out:
                    content(out)
            else:
                dst.writestr(name, content)
    return path


def issue_xfd(folder: Path) -> tuple[str, Path]:
    """The issue's file: 3,000 rows each holding one cell in column XFD (28 KB)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for _ in range(3000):
        sheet.append([None] * 16383 + ["x"])
    book.save(folder / "issue-xfd.xlsx")
    return "hazards", folder / "issue-xfd.xlsx"


def _empty_cells_far_right(path: Path, column: str) -> Path:
    """A header, then every row up to Excel's last holding one empty (styled) cell in `column`."""
    def sheet(out) -> None:
        out.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
        cells = "".join(f'<c r="{openpyxl.utils.get_column_letter(j + 1)}1" t="inlineStr"><is><t>{v}</t></is></c>'
                        for j, v in enumerate(HEADER))
        out.write(f'<row r="1">{cells}</row>'.encode())
        for n in range(2, readers.MAX_SHEET_ROW + 1):
            out.write(b'<row r="%d"><c r="%s%d" s="0"/></row>' % (n, column.encode(), n))
        out.write(b"</sheetData></worksheet>")

    return _xlsx_with(path, {"xl/worksheets/sheet1.xml": sheet})


def xfd_empty_cells(folder: Path) -> tuple[str, Path]:
    """Every row holding an empty styled cell in column XFD (read, each row would be 16,384 cells)."""
    return "hazards", _empty_cells_far_right(folder / "xfd-empty-cells.xlsx", "XFD")


def last_column_empty_cells(folder: Path) -> tuple[str, Path]:
    """Every row holding an empty styled cell in the last column read: allowed, so read to the end."""
    column = openpyxl.utils.get_column_letter(readers.MAX_COLUMNS)
    return "hazards", _empty_cells_far_right(folder / f"{column}-empty-cells.xlsx", column)


def _bomb(path: Path, megabytes: int) -> Path:
    """A sheet that unpacks to `megabytes` MB of spaces (about 1 kB on disk per MB)."""
    def sheet(out) -> None:
        out.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
        for _ in range(megabytes):
            out.write(b" " * MB)
        out.write(b"</sheetData></worksheet>")

    return _xlsx_with(path, {"xl/worksheets/sheet1.xml": sheet})


def zip_bomb(folder: Path) -> tuple[str, Path]:
    """A sheet that unpacks to 1 GB of spaces (1 MB on disk)."""
    return "hazards", _bomb(folder / "zip-bomb.xlsx", 1024)


def zip_bomb_lying(folder: Path) -> tuple[str, Path]:
    """A sheet that unpacks to 1 GB but declares 100 kB (zipfile stops there and finds the CRC wrong)."""
    path = _bomb(folder / "zip-bomb-lying.xlsx", 1024)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    # The size sits in the central header, and in the local one (with a zip64 copy there).
    for width in (8, 4):
        data = data.replace(info.file_size.to_bytes(width, "little"), (100_000).to_bytes(width, "little"))
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == 100_000
    return "hazards", path


def shared_strings(folder: Path) -> tuple[str, Path]:
    """Shared strings at their allowance: millions of distinct two-character strings."""
    def strings(out) -> None:
        out.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        written, k = 0, 0
        while written < readers.MAX_XLSX_STRINGS_BYTES - 400_000:  # chunks of ~200 kB
            chunk = b"".join(b"<si><t>%s</t></si>" % f"{k + i:x}".encode() for i in range(10_000))
            out.write(chunk)
            written, k = written + len(chunk), k + 10_000
        out.write(b"</sst>")

    sheet = _sheet_xml([(1, b"".join(b'<c r="%s1" t="s"><v>%d</v></c>' % (
        openpyxl.utils.get_column_letter(j + 1).encode(), j) for j in range(len(HEADER))))])
    content_types = _content_types_with_strings()
    return "hazards", _xlsx_with(folder / "shared-strings.xlsx", {
        "xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": strings, "[Content_Types].xml": content_types})


def _content_types_with_strings() -> bytes:
    book = openpyxl.Workbook()
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        types = archive.read("[Content_Types].xml")
    return types.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                         b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')


def styles(folder: Path) -> tuple[str, Path]:
    """A styles part at its allowance: cell formats as small as XML allows."""
    count = (readers.MAX_XLSX_WHOLE_BYTES - 64 * 1024) // len(b'<xf numFmtId="0"/>')  # the other parts: < 64 kB
    xml = (b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="%d">'
           % count + b'<xf numFmtId="0"/>' * count + b"</cellXfs></styleSheet>")
    return "hazards", _xlsx_with(folder / "styles.xlsx", {"xl/styles.xml": xml})


def valid_xlsx(folder: Path) -> tuple[str, Path]:
    """MAX_ROWS valid hazards in every column, written by openpyxl (inline strings: its largest form)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for i in range(readers.MAX_ROWS):
        sheet.append(_hazard_row(i))
    book.save(folder / "valid-max-rows.xlsx")
    return "hazards", folder / "valid-max-rows.xlsx"


def tiny_cells(folder: Path) -> tuple[str, Path]:
    """An upload's size of distinct tiny cells, every one broken (past the row and problem caps)."""
    rows = ([f"{(i * 18 + j) % 46000:x}" for j in range(len(HEADER))] for i in range(10**9))
    return "hazards", _csv(folder / "tiny-cells.csv", HEADER, rows)


def broken_max_rows(folder: Path) -> tuple[str, Path]:
    """MAX_ROWS rows of distinct cells, every one broken (refused past MAX_PROBLEMS)."""
    rows = ([f"{(i * 18 + j) % 46000:x}" for j in range(len(HEADER))] for i in range(readers.MAX_ROWS))
    return "hazards", _csv(folder / "broken-max-rows.csv", HEADER, rows)


def one_problem_per_row(folder: Path) -> tuple[str, Path]:
    """MAX_ROWS rows, each with one broken rule: every row reported, none imported."""
    rows = ([*_hazard_row(i)[:3], "很大", *_hazard_row(i)[4:]] for i in range(readers.MAX_ROWS))
    return "hazards", _csv(folder / "one-problem-per-row.csv", HEADER, rows)


def valid_csv(folder: Path) -> tuple[str, Path]:
    """Valid rows in every column up to the upload limit (or MAX_ROWS): all imported."""
    return "hazards", _csv(folder / "valid-at-limit.csv", HEADER, (_hazard_row(i) for i in range(readers.MAX_ROWS)))


def wide_csv(folder: Path) -> tuple[str, Path]:
    """MAX_COLUMNS columns (the hazards' and many others), tiny cells to the upload limit."""
    header = HEADER + [f"备注{k}" for k in range(readers.MAX_COLUMNS - len(HEADER))]
    rows = ([*_hazard_row(i), *(f"{(i + k) % 36**2:x}" for k in range(len(header) - len(HEADER)))]
            for i in range(readers.MAX_ROWS))
    return "hazards", _csv(folder / "wide.csv", header, rows)


def long_record(folder: Path) -> tuple[str, Path]:
    """One record as long as the upload: a header, then commas."""
    path = folder / "long-record.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write(",".join(HEADER) + "\n")
        f.write("," * (readers.MAX_FILE_BYTES - 4096) + "\n")
    return "hazards", path


def astral_text(folder: Path) -> tuple[str, Path]:
    """Text cells as long as a CSV field may be, each with one emoji (Python then keeps 4 bytes a character)."""
    def cell(i: int, k: int) -> str:  # distinct, or the reader would keep one copy
        return f"{i}-{k}" + "a" * 100_000 + "😀"

    rows = ([f"H{i}", cell(i, 1), "消防", "一般", "倪宅村", "", cell(i, 2), "", "", cell(i, 3), "", "2026-03-01", "",
             cell(i, 4), "", "", "待处置", ""] for i in range(10**6))
    return "hazards", _csv(folder / "astral-text.csv", HEADER, rows)


def geojson(folder: Path) -> tuple[str, Path]:
    """A village file as large as allowed: one polygon of very many short coordinates."""
    path = folder / "villages.geojson"
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as f:
        f.write('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"倪宅村"},'
                '"geometry":{"type":"Polygon","coordinates":[[')
        while f.tell() < geo.MAX_GEOJSON_BYTES - 64 * 1024:
            f.write(",".join(f"[{119.9 + rng.random() / 10:.4f},{28.9 + rng.random() / 10:.4f}]" for _ in range(1000)))
            f.write(",")
        f.write("[119.9,28.9]]]}}]}")
    return "villages", path


def sample(folder: Path) -> tuple[str, Path]:
    return "hazards", SAMPLE


CASES: dict[str, Callable[[Path], tuple[str, Path]]] = {
    "baseline (samples/hazards.csv)": sample,
    "issue-xfd.xlsx": issue_xfd,
    "xfd-empty-cells.xlsx": xfd_empty_cells,
    "last-column-empty-cells.xlsx": last_column_empty_cells,
    "zip-bomb.xlsx": zip_bomb,
    "zip-bomb-lying.xlsx": zip_bomb_lying,
    "shared-strings.xlsx": shared_strings,
    "styles.xlsx": styles,
    "valid-max-rows.xlsx": valid_xlsx,
    "tiny-cells.csv": tiny_cells,
    "broken-max-rows.csv": broken_max_rows,
    "one-problem-per-row.csv": one_problem_per_row,
    "valid-at-limit.csv": valid_csv,
    "wide.csv": wide_csv,
    "long-record.csv": long_record,
    "astral-text.csv": astral_text,
    "villages.geojson": geojson,
}


# ---------------------------------------------------------------- measuring


def run_child(argv: list[str], url: str, kind: str) -> tuple[float, float, int, str]:
    """(peak resident MB, seconds, exit code, what it said first) of a child process, reaped here
    with os.wait4 so that its own resource usage is known."""
    env = {**os.environ, "DATABASE_URL": url}
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        lines = [line.strip() for line in out.read().splitlines() if line.strip()]
    # The command's one line (not a library's warning): its error, or its summary.
    said = next((line for line in lines if line.startswith("error:")), None)
    said = said or next((line for line in lines if line.startswith(kind)), lines[0] if lines else "")
    return usage.ru_maxrss / 1024, seconds, child.returncode, said


def argv_for(way: str, kind: str, path: Path) -> list[str]:
    if way == "command":
        return [sys.executable, "-m", "data_access", "import", kind, str(path)]
    return [sys.executable, "-c", PAGE_SCRIPT, kind, str(path)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=[], help="run the cases whose name holds one of these")
    parser.add_argument("--ways", nargs="*", default=["command", "page"], choices=["command", "page"])
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    args = parser.parse_args()
    print(f"limits: upload {readers.MAX_FILE_BYTES // MB} MB, {readers.MAX_ROWS:,} rows, {readers.MAX_COLUMNS:,} "
          f"columns, a CSV record {readers.MAX_RECORD_CHARS:,} characters, {rules.MAX_PROBLEMS:,} broken rules; "
          f"XLSX parts unpacked: sheet {readers.MAX_XLSX_SHEET_BYTES // MB} MB, shared strings "
          f"{readers.MAX_XLSX_STRINGS_BYTES // MB} MB, the others together {readers.MAX_XLSX_WHOLE_BYTES // MB} MB, "
          f"all {readers.MAX_XLSX_BYTES // MB} MB; {readers.MAX_CELLS:,} cells read; GeoJSON {geo.MAX_GEOJSON_BYTES // MB} MB")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        baselines: dict[str, float] = {}
        print(f"{'file':<32} {'size':>9}  {'way':<8} {'peak MB':>8} {'above':>7} {'s':>6}  exit  outcome")
        worst = 0.0
        for name, make in CASES.items():
            if args.only and name != next(iter(CASES)) and not any(word in name for word in args.only):
                continue
            kind, path = make(folder)
            size = path.stat().st_size
            for way in args.ways:
                url = f"sqlite:///{folder / f'bench-{way}.db'}"
                Path(folder / f"bench-{way}.db").unlink(missing_ok=True)
                peak, seconds, code, said = run_child(argv_for(way, kind, path), url, kind)
                if name == next(iter(CASES)):
                    baselines[way] = peak
                above = peak - baselines[way]
                worst = max(worst, above)
                flag = "  ← over the goal" if above > GOAL_MB else ""
                print(f"{name:<32} {size / MB:>7.2f}MB  {way:<8} {peak:>8.0f} {above:>+7.0f} {seconds:>6.1f}  "
                      f"{code:>4}  {said[:100]}{flag}", flush=True)
            if path.parent == folder and path != SAMPLE and not args.keep:
                path.unlink()
        print(f"largest cost above the baseline: {worst:.0f} MB (goal: at most ~{GOAL_MB} MB)")
    return 0 if worst <= GOAL_MB * 1.1 else 1


if __name__ == "__main__":
    sys.exit(main())
