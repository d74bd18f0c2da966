"""A leader's look at one floating-population record in clear: pick a listed stay by its 登记编号,
give a reason, see its name, ID number and phone (this run only); audit.unmask_stay logs it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access import audit
from data_access.accounts import PermissionDenied

from . import auth, data, widgets
from .i18n import t

FORM = "unmask"
SHOWN_FIELDS = {  # audit.unmask_stay's keys: label keys
    "source_id": "registration_no", "name": "name", "id_number": "id_number", "phone": "phone", "gender": "gender",
    "birth_date": "birth_date", "origin_province": "province", "village": "village", "address": "address",
    "employer": "employer", "arrived_at": "arrived_at", "left_at": "left_at", "house_address": "house_address",
    "landlord": "landlord", "landlord_phone": "landlord_phone",
}


def unmask_form(listed: list[pd.DataFrame]) -> None:
    """For a leader only (nothing for anyone else). `listed`: frames of the stays listed (id, source_id)."""
    if not auth.allows("leader"):
        return
    with st.expander(f"🔓 {t('unmask_title')}"):
        numbers = {int(i): s for stays in listed for i, s in zip(stays["id"], stays["source_id"])}
        if not numbers:
            st.caption(t("no_data"))
            return
        with st.form(FORM, clear_on_submit=True):
            stay_id = st.selectbox(t("registration_no"), list(numbers), index=None, format_func=numbers.get,
                                   key="unmask_stay", placeholder=t("unmask_pick_hint"))
            reason = st.text_input(t("unmask_reason"), key="unmask_reason", max_chars=200)
            go = st.form_submit_button(t("unmask_go"), type="primary")
        if go:
            _show(stay_id, reason)


def _show(stay_id: int | None, reason: str) -> None:
    if stay_id is None:
        st.error(t("unmask_pick_hint"), icon="☝️")
        return
    try:
        record = data.transact(audit.unmask_stay, auth.current().name, stay_id, reason, changes=("audit",))
    except audit.ReasonRequired:
        st.error(t("unmask_needs_reason"), icon="✍️")
        return
    except PermissionDenied:
        st.error(t("needs_role", role=auth.role_label("leader")), icon="🔒")
        return
    except LookupError:
        st.error(t("no_data"), icon="❓")
        return
    st.success(t("unmask_logged"), icon="📝")
    # Shown as is, once: the one place personal data appears unmasked, and it was logged.
    widgets.facts([(label, record[field]) for field, label in SHOWN_FIELDS.items()])
