"""The review list's exports for the weekly meeting: the hazard list as .xlsx and the one-page
briefing as PDF and as printable HTML (A4).

Every export is written to the audit log, so a file is built only when its button is
pressed (not on every rerun), kept for the session with the filter it was built for, and
offered for download while that filter stays the same.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st
import streamlit.components.v1 as components

from data_access import reports
from data_access.accounts import PermissionDenied
from data_access.filters import Filters

from . import auth, data
from .i18n import t

_XLSX, _BRIEFING = "_export_xlsx", "_export_briefing"  # (what it was built for, the files)
BRIEFING_PREVIEW_HEIGHT = 1100  # px: one A4 page at screen size


def buttons(filters: Filters, today: dt.date, *, statuses: tuple[str, ...], levels: tuple[str, ...],
            responsible: int | None) -> None:
    """Prepare / download buttons for the list (as filtered) and the briefing (for the shared filter)."""
    account = auth.require("staff")
    st.caption(t("export_logged"))
    left, right = st.columns(2)
    list_for, briefing_for = (filters, today, statuses, levels, responsible), (filters, today)
    if left.button(t("export_xlsx_prepare"), key="export_xlsx", icon="📊"):
        xlsx = _build(reports.hazards_xlsx, account.name, filters, today, statuses=statuses, levels=levels,
                      responsible=responsible)
        if xlsx is not None:
            st.session_state[_XLSX] = (list_for, xlsx)
    if right.button(t("export_briefing_prepare"), key="export_briefing", icon="🗒️"):
        briefing = _build(reports.meeting_briefing, account.name, filters, today)
        if briefing is not None:
            st.session_state[_BRIEFING] = (briefing_for, (_pdf(briefing), reports.briefing_html(briefing)))

    if xlsx := _built(_XLSX, list_for):
        left.download_button(t("export_xlsx_download"), xlsx, file_name=reports.XLSX_NAME, mime=reports.XLSX_MIME,
                             on_click="ignore", key="download_xlsx", icon="📥")
    if files := _built(_BRIEFING, briefing_for):
        pdf, html = files
        if pdf is not None:
            right.download_button(t("export_pdf_download"), pdf, file_name=reports.PDF_NAME, mime="application/pdf",
                                  on_click="ignore", key="download_pdf", icon="📄")
        right.download_button(t("export_html_download"), html, file_name=reports.HTML_NAME, mime="text/html",
                              on_click="ignore", key="download_html", icon="🖨️")
        with st.expander(t("briefing_preview")):  # the whole width: the A4 page as it prints
            components.html(html, height=BRIEFING_PREVIEW_HEIGHT, scrolling=True)


def _built(key: str, wanted: tuple):
    """The files built earlier in this session for the filter now shown, or None."""
    built = st.session_state.get(key)
    return built[1] if built and built[0] == wanted else None


def _build(function, *args, **kwargs):
    """An export (which writes its audit row), or None after saying why it could not be made."""
    try:
        return data.transact(function, *args, changes=("audit",), **kwargs)
    except PermissionDenied:
        st.error(t("needs_role", role=auth.role_label("staff")), icon="🔒")
    except data.DataUnavailable:
        st.warning(t("data_unavailable"), icon="⏳")
    return None


def _pdf(briefing: reports.Briefing) -> bytes | None:
    try:
        return reports.briefing_pdf(briefing)
    except RuntimeError as missing_font:  # fonts-noto-cjk not installed: the HTML still prints
        st.warning(t("pdf_unavailable", reason=str(missing_font)), icon="📄")
        return None
