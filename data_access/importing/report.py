"""What an import did: counts, rejected rows with their reasons, and why a file was unusable."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from ..formulas import csv_safe


@dataclass(frozen=True)
class RowError:
    """One broken rule: the row as Excel numbers it (header = 1; GeoJSON: the feature index),
    the column as the file names it, the cell's text, and why it was refused."""

    row: int
    column: str
    value: str
    reason: str

    def describe(self, unit: str = "row") -> str:
        """'row 7, 发现时间 '2099-01-01': … in the future' (unit 'feature' for GeoJSON)."""
        column = f", {self.column}" if self.column else ""
        value = f" {self.value!r}" if self.value else ""
        return f"{unit} {self.row}{column}{value}: {self.reason}"


@dataclass
class ImportReport:
    """The outcome of one import (or dry run, or preview)."""

    kind: str
    filename: str | None = None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    file_error: str | None = None
    dry_run: bool = False
    villages_created: list[str] = field(default_factory=list)
    grids_created: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        """How many rows were refused (a row may break several rules)."""
        return len({e.row for e in self.rejected})

    @property
    def _unit(self) -> str:
        return "feature" if self.kind == "villages" else "row"

    @property
    def ok(self) -> bool:
        """Every row imported (or already there unchanged): no rejected row, no unusable file."""
        return not self.file_error and not self.rejected

    def counts(self) -> str:
        """'1200 rows read: 1150 inserted, 30 updated, 18 unchanged, 2 rejected'."""
        return (f"{self.rows_read} {self._unit}s read: {self.inserted} inserted, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.rejected_rows} rejected")

    def to_text(self) -> str:
        """The summary, a few lines for a terminal or a page."""
        name = f" {self.filename}" if self.filename else ""
        if self.file_error:
            return f"{self.kind}{name}: file not imported: {self.file_error}"
        lines = [f"{self.kind}{name}: {self.counts()}"]
        if self.villages_created:
            lines.append(f"new villages: {', '.join(self.villages_created)}")
        if self.grids_created:
            lines.append(f"new grids: {', '.join(self.grids_created)}")
        if self.ignored_columns:
            lines.append(f"ignored columns: {', '.join(self.ignored_columns)}")
        if self.dry_run:
            lines.append("dry run: nothing was written")
        return "\n".join(lines)

    def error_lines(self, limit: int | None = None) -> list[str]:
        """One line per broken rule, the first `limit` of them, then how many more there are."""
        shown = self.rejected if limit is None else self.rejected[:limit]
        lines = [e.describe(self._unit) for e in shown]
        if len(self.rejected) > len(shown):
            lines.append(f"… and {len(self.rejected) - len(shown)} more")
        return lines

    def errors_csv(self) -> bytes:
        """The rejected rows as CSV: row, column, value, reason (UTF-8 with BOM: Excel shows the
        Chinese). Every cell is written through csv_safe: the values come from the file, and a
        header or a reason may quote one."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(("row", "column", "value", "reason"))
        rows = [("", "", "", self.file_error)] if self.file_error else []
        rows += [(e.row, e.column, e.value, e.reason) for e in self.rejected]
        writer.writerows([csv_safe(cell) for cell in row] for row in rows)
        return out.getvalue().encode("utf-8-sig")
