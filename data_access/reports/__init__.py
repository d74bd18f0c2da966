"""What leaders take to the weekly meeting: the hazard list (.xlsx) and the one-page briefing
(HTML to print, PDF). Personal data is masked; building either writes its audit row in the
caller's transaction, so take them inside ``with engine.begin() as conn:`` (the page does it
through ui.data.transact). Staff and above may export (accounts.PermissionDenied otherwise)."""

from .briefing import (
    HTML_NAME,
    MAX_BRIEFING_ITEMS,
    PDF_NAME,
    Briefing,
    briefing_html,
    briefing_pdf,
    briefing_text,
    meeting_briefing,
)
from .hazard_list import (
    HAZARD_COLUMNS,
    MAX_EXPORT_ROWS,
    XLSX_MIME,
    XLSX_NAME,
    describe_filters,
    hazard_list,
    hazards_xlsx,
)

__all__ = [
    "HAZARD_COLUMNS", "HTML_NAME", "MAX_BRIEFING_ITEMS", "MAX_EXPORT_ROWS", "PDF_NAME", "XLSX_MIME", "XLSX_NAME",
    "Briefing", "briefing_html", "briefing_pdf", "briefing_text", "describe_filters", "hazard_list",
    "hazards_xlsx", "meeting_briefing",
]
