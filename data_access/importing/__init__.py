"""Importing the upstream systems' exports (IMPORT_FORMAT.md): villages from GeoJSON, records
from CSV or XLSX. One file is one transaction; the rows that break a rule are reported, the
others imported; importing the same file again changes nothing.

    report = import_file(engine, "alerts", "警情.csv")
    print(report.to_text())  # report.ok: every row in; else report.rejected, report.file_error
"""

from .columns import KINDS
from .importer import import_file, preview
from .readers import MAX_FILE_BYTES, MAX_ROWS, FileProblem
from .report import ImportReport, RowError

__all__ = [
    "KINDS", "MAX_FILE_BYTES", "MAX_ROWS", "FileProblem", "ImportReport", "RowError",
    "import_file", "preview",
]
