"""账号与审计 Accounts and the audit log (admin): the accounts with their roles, add one, disable or
enable one; who saw personal data in clear, exported, or changed an account, filtered by action,
person and date; and the warning rules' editor (ui/rules_editor.py)."""

import datetime as dt

import streamlit as st

from data_access import accounts, audit, notify
from ui import account_forms, auth, rules_editor, shell, widgets
from ui.data import query
from ui.i18n import t

USER_COLUMNS = {"user_name": "user_name", "role": "role", "active": "active", "is_demo": "is_demo",
                "last_login_at": "last_login_at", "failed_count": "failed_count", "locked_until": "locked_until"}
AUDIT_COLUMNS = {"at": "audit_at", "actor": "audit_actor", "action": "audit_action", "target": "audit_target",
                 "reason": "audit_reason", "detail": "audit_detail"}
DEFAULT_DAYS = 30

ctx = shell.page("admin")
admin = auth.current()
users_tab, log_tab, rules_tab = st.tabs([f"👥 {t('admin_accounts')}", f"📜 {t('admin_audit')}",
                                        f"🔔 {t('admin_rules')}"])
with users_tab:
    account_forms.flash()
    users = query(accounts.list_users)
    # Log-in names, not people: an admin manages accounts by them, so they are not masked.
    widgets.table(users.rename(columns={"name": "user_name"}).assign(
        role=users["role"].map(auth.role_label), active=users["active"].map({True: t("active"), False: t("inactive")}),
        is_demo=users["is_demo"].map({True: "🧪", False: ""})), USER_COLUMNS)
    account_forms.add_form()
    account_forms.active_form(users)
with log_tab:
    left, middle, right = st.columns(3)
    action = left.selectbox(t("audit_action"), audit.ACTIONS, index=None, key="audit_action",
                            format_func=lambda a: t(f"audit_{a}"), placeholder=t("audit_action_all"))
    who = middle.text_input(t("audit_who"), key="audit_who", max_chars=64).strip() or None
    days = right.date_input(t("date_range"), (ctx.today - dt.timedelta(days=DEFAULT_DAYS), ctx.today),
                            key="audit_dates", format="YYYY-MM-DD")
    first, last = (days[0], days[-1]) if days else (None, None)
    log = query(audit.audit_log, admin.name, action=action, who=who,
                since=dt.datetime.combine(first, dt.time()) if first else None,
                until=dt.datetime.combine(last + dt.timedelta(days=1), dt.time()) if last else None)
    widgets.table(log.assign(action=log["action"].map(lambda a: t(f"audit_{a}") if a in audit.ACTIONS else a)),
                  AUDIT_COLUMNS)
with rules_tab:
    rules, channels = query(notify.rules_table), query(notify.channels_table)
    rules_editor.rules_list(rules)
    rules_editor.editor(rules, channels)
    rules_editor.channels_list(channels)
