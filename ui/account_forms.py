"""The admin's account forms: add an account with a role; disable or enable one. Each change
goes through data_access.accounts (which checks the admin role again and logs it)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access import accounts

from . import auth, data
from .i18n import t
from .markdown import literal

ADD_FORM, ACTIVE_FORM = "account_add", "account_active"
_CHANGED = "_account_changed"  # the account just changed, for the confirmation after the rerun


def add_form() -> None:
    """User name, password (twice) and role → a new active account."""
    with st.form(ADD_FORM, clear_on_submit=True):
        st.markdown(f"**{t('account_add')}**")
        left, middle, right = st.columns(3)
        name = left.text_input(t("user_name"), key="account_add_name", max_chars=64)
        password = middle.text_input(t("password"), type="password", key="account_add_password",
                                     autocomplete="new-password")
        again = middle.text_input(t("password_again"), type="password", key="account_add_again",
                                  autocomplete="new-password")
        role = right.selectbox(t("role"), accounts.ROLES, format_func=auth.role_label, key="account_add_role")
        submitted = st.form_submit_button(t("account_add"), type="primary")
    if submitted:
        if password != again:
            st.error(t("action_refused", reason=t("passwords_differ")), icon="⛔")
        else:
            _apply_account_change(accounts.add_account, name.strip(), password, role)


def active_form(users: pd.DataFrame) -> None:
    """Pick an account; disable it (it can no longer sign in or act) or enable it again."""
    if users.empty:
        return
    active = dict(zip(users["name"], users["active"].astype(bool)))
    with st.form(ACTIVE_FORM):
        st.markdown(f"**{t('account_disable')} / {t('account_enable')}**")
        name = st.selectbox(t("account"), list(active), key="account_active_name",
                            format_func=lambda n: f"{n}（{t('active') if active[n] else t('inactive')}）")
        left, right = st.columns(2)
        disable = left.form_submit_button(t("account_disable"), icon="⛔")
        enable = right.form_submit_button(t("account_enable"), icon="✅")
    if disable or enable:
        _apply_account_change(accounts.set_account_active, name, bool(enable))


def flash() -> None:
    """The last change's confirmation, once, above the list that now shows it."""
    name = st.session_state.pop(_CHANGED, None)
    if name:
        st.success(t("account_changed", name=name), icon="✅")


def _apply_account_change(function, *args) -> None:
    """Make the change; on success rerun, so that the list above shows it."""
    try:
        data.transact(function, auth.current().name, *args, changes=("accounts", "audit"))
    except accounts.AccountError as refused:
        st.error(t("action_refused", reason=literal(refused)), icon="⛔")
    except accounts.PermissionDenied:
        st.error(t("needs_role", role=auth.role_label("admin")), icon="🔒")
    else:
        st.session_state[_CHANGED] = args[0]
        st.rerun()
