"""预警 Warnings (staff): the open warnings worst first, with acknowledgement (who, when, a note;
audited), and the messages the watcher gave up sending. Parts in ui/warnings.py."""

import streamlit as st

from data_access import notify
from ui import shell, warnings
from ui.data import query
from ui.i18n import t

shell.page("staff")
warnings.counts_tiles(query(notify.warning_counts))
st.subheader(t("warnings_list"))
listed, total = query(notify.open_warnings)
if listed.empty:
    st.info(t("warnings_none"), icon="🔔")
else:
    warnings.warnings_table(listed, total)
    warnings.open_item(listed)
    warnings.acknowledge_form(listed)
warnings.failed_deliveries(query(notify.deliveries, status="failed", limit=warnings.FAILED_SHOWN))
