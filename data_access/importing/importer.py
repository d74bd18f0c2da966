"""The entry points: import_file writes one file in one transaction; preview only looks."""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pandas as pd
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import audit
from ..accounts import require_role
from ..filters import local_now
from . import geo, readers, rules
from .columns import KINDS, RECORD_KINDS
from .readers import FileProblem, Source
from .report import ImportReport
from .rules import Checked
from .writer import Context, Outcome, write_records, write_villages

log = logging.getLogger(__name__)

PREVIEW_ROWS = 20
DEFAULT_ACTOR = "import"
# A whole import is retried (it is one transaction, so nothing is done twice) when SQLite's busy
# timeout ran out while another writer held the lock, or when a concurrent import of the same
# records inserted a source_id first.
ATTEMPTS = 3

Parsed = Checked | geo.VillageFile


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cycle collector while an import runs. A file of 100,000 rows allocates millions of
    objects that all live until the import ends; the collections they trigger took a third of the
    time, and an import makes no reference cycles that need freeing early."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _check_options(kind: str, crs: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    geo.to_wgs84(crs)  # raises ValueError for an unknown CRS


def _parse(
    kind: str,
    data: bytes,
    filename: str | None,
    sheet: str | None,
    crs: str,
    name_property: str,
    now: dt.datetime,
) -> Parsed:
    """The file read and checked by every rule that needs no database; FileProblem when unusable."""
    fmt = readers.detect_format(data, filename)
    if kind == "villages":
        if fmt != readers.JSON:
            raise FileProblem("villages are imported from a GeoJSON file (.geojson or .json)")
        return geo.read_villages(data, name_property, crs)
    if fmt == readers.JSON:
        raise FileProblem(f"{kind} are imported from CSV or XLSX, not from GeoJSON")
    record_kind = RECORD_KINDS[kind]
    table = readers.read_table(data, fmt, sheet, keep=rules.known_columns(record_kind))
    return rules.check(record_kind, table, crs, now)


def _read(
    report: ImportReport,
    source: Source,
    filename: str | None,
    sheet: str | None,
    crs: str,
    name_property: str,
    now: dt.datetime,
) -> Parsed | None:
    """The parsed file, or None with the report's file_error set."""
    report.filename = readers.file_name(source, filename)  # also when the file is refused unread
    try:
        data, report.filename = readers.load(source, filename)
        return _parse(report.kind, data, report.filename, sheet, crs, name_property, now)
    except FileProblem as exc:
        report.file_error = str(exc)
        return None


def _write(ctx: Context, parsed: Parsed) -> Outcome:
    if isinstance(parsed, geo.VillageFile):
        return write_villages(ctx, parsed.features)
    return write_records(ctx, parsed)


def _retryable(engine: Engine, exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    return engine.dialect.name == "sqlite" and "locked" in str(exc.orig)


def _in_transaction(
    engine: Engine,
    parsed: Parsed,
    ctx_args: dict,
    finish: Callable[[Connection, Outcome], None] | None = None,
) -> Outcome:
    """Run the write in one transaction (rolled back for a dry run), retrying a lost race;
    `finish(conn, outcome)` runs last in the same transaction."""
    for attempt in range(1, ATTEMPTS + 1):
        saved = (
            {i: list(p) for i, p in parsed.problems.by_row.items()} if isinstance(parsed, Checked) else None
        )
        try:
            with engine.connect() as conn, conn.begin() as transaction:
                outcome = _write(Context(conn, **ctx_args), parsed)
                if finish is not None:
                    finish(conn, outcome)
                if ctx_args["dry_run"]:
                    transaction.rollback()
                return outcome
        except (OperationalError, IntegrityError) as exc:
            if attempt == ATTEMPTS or not _retryable(engine, exc):
                raise
            log.warning("import attempt %d lost a race with another writer (%s); retrying", attempt, exc.orig)
            if saved is not None:
                parsed.problems.by_row = saved
    raise AssertionError("unreachable")


def _fill(report: ImportReport, parsed: Parsed, outcome: Outcome | None) -> None:
    report.ignored_columns = parsed.ignored
    if isinstance(parsed, geo.VillageFile):
        report.rows_read, report.rejected = parsed.count, parsed.rejected
    else:
        report.rows_read, report.rejected = parsed.n_rows, parsed.errors()
    if outcome is not None:
        report.inserted, report.updated, report.unchanged = (
            outcome.inserted,
            outcome.updated,
            outcome.unchanged,
        )
        report.villages_created, report.grids_created = outcome.villages_created, outcome.grids_created


def import_file(
    engine: Engine,
    kind: str,
    path_or_bytes: Source,
    *,
    filename: str | None = None,
    sheet: str | None = None,
    crs: str = geo.WGS84,
    name_property: str = "name",
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    actor: str | None = None,
    signed_in: bool = False,
) -> ImportReport:
    """Import one upstream export: every good row in one transaction, the others reported.

    `path_or_bytes` is a path, bytes, or a file object (e.g. a Streamlit upload). `progress(done,
    total)` is called after each chunk of rows is written. `actor` is written into hazard history
    and the audit log (action "import": kind and file name, counts), in the import's transaction.
    With `signed_in`, `actor` is an account, which must be active and staff or above
    (PermissionDenied, nothing imported); without, it is whoever runs the command line.
    A dry run checks and counts everything and writes nothing, not even the audit row.
    """
    _check_options(kind, crs)
    report = ImportReport(kind=kind, dry_run=dry_run)
    now = local_now()
    with _gc_paused():
        parsed = _read(report, path_or_bytes, filename, sheet, crs, name_property, now)
        if parsed is None:
            return report
        note = f"imported from {report.filename}" if report.filename else "imported"
        actor = actor or DEFAULT_ACTOR
        ctx_args = {
            "dry_run": dry_run,
            "now": now,
            "actor": actor,
            "note": note,
            "progress": progress,
        }

        def finish(conn: Connection, outcome: Outcome) -> None:
            if signed_in:  # checked after the write: on SQLite a read before it would lose the write lock
                require_role(conn, actor, "staff", "import data")
            _fill(report, parsed, outcome)
            what = f"{kind} {report.filename or ''}".strip()
            audit.record_import(conn, actor, what, report.counts(), now=now)

        outcome = _in_transaction(engine, parsed, ctx_args, finish)
        _fill(report, parsed, outcome)
    return report


def _frame(parsed: Parsed, rows: int) -> pd.DataFrame:
    """The first `rows` rows as they would be stored, with the canonical column names."""
    if isinstance(parsed, geo.VillageFile):
        columns = ["name", "work_area", "town", "in_micro_centre", "center_lat", "center_lon"]
        records = [{c: getattr(f, c) for c in columns} for f in parsed.features[:rows]]
        index = pd.Index([f.index for f in parsed.features[:rows]], name="feature")
        return pd.DataFrame(records, columns=columns, index=index)
    columns = [c.name for c in parsed.kind.columns if parsed.has(c.name)]
    shown = range(min(rows, parsed.n_rows))
    data = {c: [parsed.values[c][i] for i in shown] for c in columns}
    index = pd.Index([parsed.table.row_numbers[i] for i in shown], name="row")
    return pd.DataFrame(data, columns=columns, index=index)


def preview(
    path_or_bytes: Source,
    kind: str,
    *,
    engine: Engine | None = None,
    filename: str | None = None,
    sheet: str | None = None,
    crs: str = geo.WGS84,
    name_property: str = "name",
    rows: int = PREVIEW_ROWS,
) -> tuple[pd.DataFrame, ImportReport]:
    """The first rows as they would be stored, and the problems an import would report; never writes.

    Without `engine` only the rules that need no database are checked and the counts stay 0;
    with it, the report is that of a dry run.
    """
    _check_options(kind, crs)
    report = ImportReport(kind=kind, dry_run=True)
    now = local_now()
    with _gc_paused():
        parsed = _read(report, path_or_bytes, filename, sheet, crs, name_property, now)
        if parsed is None:
            return pd.DataFrame(), report
        outcome = None
        if engine is not None:
            ctx_args = {
                "dry_run": True,
                "now": now,
                "actor": DEFAULT_ACTOR,
                "note": "preview",
                "progress": None,
            }
            outcome = _in_transaction(engine, parsed, ctx_args)
        _fill(report, parsed, outcome)
    return _frame(parsed, rows), report
