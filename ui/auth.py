"""Who is signed in: the account in session state, its idle expiry, the sign-in form, the
sign-out button, and the role checks every view makes.

The session keeps `ACCOUNT_KEY` (a data_access.accounts.Account: name, role) and
`LAST_SEEN_KEY` (the local time of the last run). Each run `refresh()` signs the session
out after SESSION_IDLE_MINUTES without a run, or when the account was disabled meanwhile,
and takes up a changed role. The data layer checks the role again in every action.

A view enters through `shell.page("staff")`, which asks `require("staff")`; the shell's frame
asks `require("viewer")` for every view but the wall screen, so nothing is shown to a session
that is not signed in.
"""

from __future__ import annotations

import streamlit as st

from data_access import accounts, areas
from data_access.accounts import Account
from data_access.filters import local_now

from . import data
from .i18n import language, t

ACCOUNT_KEY = "account"
LAST_SEEN_KEY = "last_seen"
_NOTICE_KEY = "_auth_notice"  # why the session was signed out, shown once on the sign-in form
KEPT_ON_SIGN_OUT = ("lang",)  # everything else (filters, cached answers, exports) goes
SIGN_IN_FORM = "sign_in"


def current() -> Account | None:
    """The signed-in account, or None."""
    return st.session_state.get(ACCOUNT_KEY)


def acting() -> Account | None:
    """The account a widget callback acts for: callbacks run before refresh(), so an idle
    session's click does nothing (the run that follows signs it out)."""
    account = current()
    if account is None or accounts.session_expired(st.session_state.get(LAST_SEEN_KEY), local_now()):
        return None
    return account


def allows(role: str) -> bool:
    """True when an account is signed in and its role is `role` or above."""
    account = current()
    return account is not None and accounts.role_allows(account.role, role)


def role_label(role: str) -> str:
    return t(f"role_{role}")


def refresh() -> None:
    """Once per run, before anything is drawn: sign out an idle session or a disabled account,
    take up a changed role, and count this run as activity."""
    account = current()
    if account is None:
        return
    now = local_now()
    if accounts.session_expired(st.session_state.get(LAST_SEEN_KEY), now):
        sign_out(notice="session_expired")
        return
    try:
        fresh = data.query(accounts.active_account, account.name)
    except data.DataUnavailable:  # cannot check now: keep the session, the page says the data is out
        fresh = account
    if fresh is None:
        sign_out(notice="account_gone")
        return
    if fresh != account:
        st.session_state[ACCOUNT_KEY] = fresh
    st.session_state[LAST_SEEN_KEY] = now


def sign_out(notice: str | None = None) -> None:
    """Forget the account and everything the session saw (filters, cached answers, exports)."""
    for key in list(st.session_state.keys()):
        if key not in KEPT_ON_SIGN_OUT:
            del st.session_state[key]
    if notice:
        st.session_state[_NOTICE_KEY] = notice


def require(role: str) -> Account:
    """The signed-in account when its role allows `role`. Otherwise a clear message instead of
    the page (signed out: the sign-in form; too low a role: "需要 X 权限") and st.stop()."""
    account = current()
    if account is None:
        sign_in_form()
        st.stop()
    if not accounts.role_allows(account.role, role):
        st.error(t("needs_role", role=role_label(role)), icon="🔒")
        st.stop()
    return account


def sign_in_form() -> None:
    """The sign-in form; a good sign-in stores the account and reruns the page asked for."""
    notice = st.session_state.pop(_NOTICE_KEY, None)
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(t("app_title"))
        st.subheader(f"🔐 {t('sign_in_title')}")
        if notice:
            st.warning(t(notice), icon="⏱️")
        with st.form(SIGN_IN_FORM, clear_on_submit=True):
            name = st.text_input(t("user_name"), key="sign_in_name", autocomplete="username")
            password = st.text_input(t("password"), type="password", key="sign_in_password",
                                     autocomplete="current-password")
            submitted = st.form_submit_button(t("sign_in"), type="primary", use_container_width=True)
        if submitted:
            try:
                result = attempt(name, password)
            except data.DataUnavailable:
                st.warning(t("data_unavailable"), icon="⏳")
                return
            if result.ok:
                st.rerun()
            st.error(_failure(result), icon="⛔")
        st.caption(t("sign_in_intro"))
        if _has_demo_data():
            st.info(t("demo_accounts_hint"), icon="🧪")


def attempt(name: str, password: str) -> accounts.SignInResult:
    """Try to sign in; on success the session keeps the account. An attempt changes no record a
    view shows (only the sign-in counters), so no cached answer is passed by: a stream of
    attempts from a signed-out client costs the other sessions nothing."""
    result = data.write(accounts.sign_in, name, password, changes=())
    if result.ok:
        st.session_state[ACCOUNT_KEY] = result.account
        st.session_state[LAST_SEEN_KEY] = local_now()
    return result


def _failure(result: accounts.SignInResult) -> str:
    """The data layer's Chinese message; the same in English when the page is in English."""
    if language() == "zh":
        return result.message
    retry = result.retry_at.strftime("%H:%M:%S") if result.retry_at else ""
    return t(f"sign_in_{result.reason}", time=retry)


def _has_demo_data() -> bool:
    try:
        return bool(data.query(areas.has_demo_records))
    except data.DataUnavailable:
        return False


def account_box() -> None:
    """The signed-in account's name and role, and the sign-out button, in the sidebar."""
    account = current()
    if account is None:
        return
    with st.sidebar:
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.markdown(t("signed_in_as", name=account.name, role=role_label(account.role)))
        right.button(t("sign_out"), key="sign_out", on_click=sign_out, use_container_width=True)
