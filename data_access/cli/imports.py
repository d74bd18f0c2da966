"""`python -m data_access import KIND FILE …`: the importer on the command line.

Exit codes: 0 every row imported; 1 some rows rejected (the others imported); 2 the file is
unusable (nothing imported). The summary goes to stdout, the rejected rows to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import schema
from ..importing import KINDS, ImportReport, import_file
from ..importing.geo import CRS_NAMES, WGS84
from .shared import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNUSABLE, login_name, open_engine

MAX_ERROR_LINES = 50  # more go to --errors FILE


def register(subparsers) -> None:
    """Add the `import` command to the CLI's subparsers."""
    p = subparsers.add_parser(
        "import",
        help="import an upstream export (CSV, XLSX; GeoJSON for villages)",
        description="Import one file. Exit code 0: all rows imported; 1: some rows rejected, the others "
        "imported; 2: the file is unusable, nothing imported.",
    )
    p.add_argument("kind", choices=KINDS, help="what the file holds")
    p.add_argument("file", type=Path, help="the CSV, XLSX or GeoJSON file")
    p.add_argument("--sheet", help="XLSX: the sheet to read (default: the first)")
    p.add_argument(
        "--crs",
        choices=CRS_NAMES,
        default=WGS84,
        help="coordinates in the file: wgs84 (default) or gcj02 (高德/AutoNavi, DataV)",
    )
    p.add_argument(
        "--name-property", default="name", help="villages: the property holding the name (default: name)"
    )
    p.add_argument("--errors", type=Path, metavar="OUT.csv", help="write the rejected rows to this CSV")
    p.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    p.add_argument("--actor", help="who imports, for the hazards' history (default: the login name)")
    p.set_defaults(func=run_import_command)


def exit_code(report: ImportReport) -> int:
    """0 every row imported, 1 some rows rejected (the others imported), 2 the file unusable."""
    if report.file_error:
        return EXIT_UNUSABLE
    return EXIT_BAD_INPUT if report.rejected else EXIT_OK


def _progress(done: int, total: int) -> None:
    print(
        f"\r{done:,} / {total:,} rows written", end="" if done < total else "\n", file=sys.stderr, flush=True
    )


def run_import_command(args: argparse.Namespace) -> int:
    """Run `import` for parsed arguments; print the summary and the errors; return the exit code."""
    if not args.file.is_file():
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return EXIT_UNUSABLE
    engine = open_engine(must_exist=False)
    schema.upgrade(engine)
    report = import_file(
        engine,
        args.kind,
        args.file,
        sheet=args.sheet,
        crs=args.crs,
        name_property=args.name_property,
        dry_run=args.dry_run,
        progress=_progress if sys.stderr.isatty() else None,
        actor=args.actor or login_name("import"),
    )
    if report.file_error:
        print(f"error: {report.to_text()}", file=sys.stderr)
    else:
        print(report.to_text())
    for line in report.error_lines(limit=MAX_ERROR_LINES):
        print(line, file=sys.stderr)
    if args.errors and (report.rejected or report.file_error):
        args.errors.write_bytes(report.errors_csv())
        print(f"rejected rows written to {args.errors}", file=sys.stderr)
    elif len(report.rejected) > MAX_ERROR_LINES:
        print("(--errors OUT.csv writes the full list)", file=sys.stderr)
    return exit_code(report)
