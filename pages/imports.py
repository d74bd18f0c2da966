"""数据导入 Import: upload an upstream export, see its first rows and its problems, import it.

The upload is read once: its preview is kept in the session under the hash of its content and
the options, so the reruns that every click causes do not parse the file again. The import runs
as the signed-in person, who is written into the hazards' history and the audit log."""

import hashlib

import pandas as pd
import streamlit as st

from data_access import formats, importing
from data_access.accounts import PermissionDenied
from data_access.formulas import csv_safe_frame
from data_access.masking import mask_frame
from ui import auth, data, shell, widgets
from ui.i18n import t
from ui.markdown import literal

ROW_ERROR_COLUMNS = {"row": "import_row", "column": "import_column", "value": "import_value",
                     "reason": "import_reason"}
FILE_TYPES = ["csv", "xlsx", "geojson", "json"]
PREVIEW_KEY = "_import_preview"  # (upload hash, kind, options), the first rows, the dry run's report

shell.page("staff")
kind = st.selectbox(t("import_kind"), importing.KINDS, format_func={k: t(f"kind_{k}") for k in importing.KINDS}.get, key="import_kind")
upload = st.file_uploader(t("import_file"), type=FILE_TYPES, key="import_upload")
left, right = st.columns(2)
crs = left.radio(t("import_crs"), ("wgs84", "gcj02"), horizontal=True, key="import_crs",
                 format_func={"wgs84": "WGS-84", "gcj02": t("import_gcj02")}.get)
options = {"filename": upload.name if upload else None, "crs": crs}
if kind == "villages":
    options["name_property"] = right.text_input(t("import_name_property"), "name", key="import_name_property")
else:
    options["sheet"] = right.text_input(t("import_sheet"), "", key="import_sheet") or None

if upload is None:
    st.caption(t("import_hint", mb=importing.MAX_FILE_BYTES // 2**20, rows=formats.count(importing.MAX_ROWS)))
    st.stop()

content = upload.getvalue()
reading = (hashlib.sha256(content).hexdigest(), kind, tuple(sorted(options.items())))
kept = st.session_state.get(PREVIEW_KEY)
if kept is None or kept[0] != reading:
    preview, checked = data.write(lambda engine: importing.preview(content, kind, engine=engine, **options),
                                  changes=())
    st.session_state[PREVIEW_KEY] = kept = (reading, preview, checked)
_, preview, checked = kept
if checked.file_error:
    st.error(t("import_file_error", reason=literal(checked.file_error)), icon="⛔")
    st.stop()
st.subheader(t("import_preview"))
st.dataframe(csv_safe_frame(mask_frame(preview)), width="stretch")  # its CSV download writes what it shows
st.caption(t("import_check", rows=formats.count(checked.rows_read),
             rejected=formats.count(checked.rejected_rows),
             ignored=literal(", ".join(checked.ignored_columns)) or formats.NO_VALUE))

if st.button(t("import_go"), type="primary", key="import_go"):
    bar = st.progress(0.0, text=t("import_running"))
    try:
        report = data.write(importing.import_file, kind, content, actor=auth.current().name, signed_in=True,
                            progress=lambda done, total: bar.progress(min(done / max(total, 1), 1.0)),
                            **options)
    except PermissionDenied:
        st.error(t("needs_role", role=auth.role_label("staff")), icon="🔒")
        st.stop()
    finally:
        bar.empty()
    (st.success if report.ok else st.warning)(literal(report.to_text()), icon="📥")
    if report.rejected:
        rejected = pd.DataFrame([vars(error) for error in report.rejected])
        widgets.table(rejected, ROW_ERROR_COLUMNS)
        st.download_button(t("import_errors_download"), report.errors_csv(), file_name=f"{kind}-rejected.csv",
                           mime="text/csv", key="import_errors", on_click="ignore")
