"""The warning rules' editor for the admin (a tab of 账号与审计): each rule on or off, its
thresholds and the channels it goes to; and the channels, by kind and host only (never a URL or
secret: notify.channels_table has no such column). A threshold out of range is refused with a
message that names its key, before anything is written; notify.set_rule checks again, checks the
role and writes the audit row (rule_change) in the same transaction."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from data_access import notify
from data_access.accounts import PermissionDenied
from data_access.models import HAZARD_LEVELS
from data_access.notify.conditions import CONDITIONS, THRESHOLD_CHECKS
from data_access.rules import ZERO_COUNTERS

from . import auth, data, widgets
from .i18n import t, tv
from .markdown import literal

FORM = "rule_edit"
_SAVED = "_rule_saved"
CHANGES = ("notify.config", "audit")
# (a rule's and a channel's "name" go by other column names: widgets.table masks a "name" as a person's)
RULE_COLUMNS = {"rule": "rule_name", "title": "rule_title", "enabled": "rule_enabled",
                "thresholds": "rule_thresholds", "channels": "rule_channels", "updated_at": "rule_updated_at",
                "updated_by": "rule_updated_by"}
CHANNEL_COLUMNS = {"channel": "channel_name", "kind": "channel_kind", "where": "channel_where"}
CHOICES = {"levels": HAZARD_LEVELS, "counters": tuple(ZERO_COUNTERS)}  # list thresholds: some of these
COUNTER_LABELS = {"civil_to_criminal": "zero_civil_to_criminal", "major_accident": "zero_major_accident",
                  "telecom_fraud": "zero_telecom_fraud"}


class Refused(ValueError):
    """A threshold the rule does not take as given; the message names its key."""


def rules_list(rules: pd.DataFrame) -> None:
    """The rules as they stand: on or off, thresholds, channels, last change."""
    shown = rules.rename(columns={"name": "rule"}).assign(
        title=rules["title"].map(tv),
        enabled=rules["enabled"].map({True: "✅", False: "⛔"}),
        thresholds=rules["thresholds"].map(lambda d: json.dumps(d, ensure_ascii=False) if d else "—"),
        channels=rules["channels"].map(lambda c: ", ".join(c) or t("rule_channels_all")),
    )
    widgets.table(shown, RULE_COLUMNS, aggregate=True)


def channels_list(channels: pd.DataFrame) -> None:
    st.caption(t("channels_list"))
    widgets.table(channels[channels["enabled"]].rename(columns={"name": "channel"}), CHANNEL_COLUMNS, aggregate=True)


def checked(name: str, given: dict) -> dict:
    """`given` thresholds of rule `name`, each checked by the rule's own checks; Refused names the
    first key that is not usable."""
    for key, value in given.items():
        check, expected = THRESHOLD_CHECKS[key]
        if not check(value):
            shown = literal(json.dumps(value, ensure_ascii=False))  # typed by the admin: shown as written
            must_be = t(f"expected_{expected.kind}", **dict(expected.figures))
            raise Refused(t("threshold_refused", name=key, label=t(f"threshold_{key}"), expected=literal(must_be),
                            value=shown))
    return given


def _threshold_input(rule: str, key: str, current):
    """One threshold's input, keyed by rule so that picking another rule shows its own values."""
    label, widget_key = f"{t('threshold_' + key)} · {key}", f"rule_{rule}_{key}"
    if key in CHOICES:
        labels = {c: t(COUNTER_LABELS[c]) if key == "counters" else tv(c) for c in CHOICES[key]}
        return st.multiselect(label, CHOICES[key], default=[c for c in current if c in labels],
                              format_func=labels.get, key=widget_key)
    if key == "at":
        return st.text_input(label, value=str(current), key=widget_key, max_chars=5).strip()
    if key == "factor":
        return st.number_input(label, value=float(current), step=0.5, key=widget_key)
    return int(st.number_input(label, value=int(current), step=1, key=widget_key))


def editor(rules: pd.DataFrame, channels: pd.DataFrame) -> None:
    """Pick a rule; switch it on or off, set its thresholds and its channels; save."""
    saved = st.session_state.pop(_SAVED, None)
    if saved:
        st.success(t("rule_saved", name=saved), icon="✅")
    if rules.empty:
        return
    by_name = {row["name"]: row for row in rules.to_dict("records")}
    titles = {name: f"{tv(row['title'])} · {name}" for name, row in by_name.items()}
    name = st.selectbox(t("rule_pick"), list(by_name), format_func=titles.get, key="rule_pick")
    rule = by_name[name]
    current = rule["thresholds"] if "unusable" not in rule["thresholds"] else dict(CONDITIONS[name].defaults)
    usable = [c for c in channels.loc[channels["enabled"], "name"]]
    with st.form(FORM):
        st.markdown(f"**{t('rule_edit')}** · {literal(tv(rule['title']))}")
        enabled = st.checkbox(t("rule_enabled"), value=bool(rule["enabled"]), key=f"rule_{name}_enabled")
        given = {key: _threshold_input(name, key, value) for key, value in current.items()}
        if not given:
            st.caption(t("rule_no_thresholds"))
        chosen = st.multiselect(t("rule_channels"), usable, default=[c for c in rule["channels"] if c in usable],
                                key=f"rule_{name}_channels", placeholder=t("rule_channels_hint"))
        go = st.form_submit_button(t("rule_save"), type="primary")
    if go:
        _save(name, enabled, given, chosen)


def _save(name: str, enabled: bool, given: dict, channels: list[str]) -> None:
    try:
        thresholds = checked(name, given)
        data.transact(notify.set_rule, auth.current().name, name, enabled=enabled, thresholds=thresholds,
                      channels=channels, changes=CHANGES)
    except Refused as refused:
        st.error(str(refused), icon="⛔")
    except notify.InvalidThresholds as refused:  # what the data layer refuses beyond the page's own checks
        st.error(t("action_refused", reason=literal(refused)), icon="⛔")
    except LookupError as missing:  # a channel removed meanwhile
        st.error(t("action_refused", reason=literal(missing)), icon="⛔")
    except PermissionDenied:
        st.error(t("needs_role", role=auth.role_label("admin")), icon="🔒")
    else:
        st.session_state[_SAVED] = name
        st.rerun()
