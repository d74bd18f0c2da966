"""One risk item between the review list and its page: the link there and back, the id from
the URL, and a leader's four actions (批示, reassign, deadline, status).

Each action is a form whose button carries the version of the item the page showed (bound
when the form was drawn, kept server-side with the session). Its callback runs before the
next run of the page and hands that version to data_access.review, so an item changed by
someone else in between is never overwritten: review.HazardChanged, and the page then shows
"该事项已被他人修改" above the item as it is now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from data_access import review

from . import auth, data, url
from .i18n import t, tv
from .markdown import literal

ID_PARAM = "id"
MAX_ID_DIGITS = 12
ITEM_PAGE, LIST_PAGE = "pages/hazard.py", "pages/review.py"
_OUTCOME = "_hazard_outcome"  # (hazard id, kind of outcome, detail) of the last action, shown once
_LIST_PARAMS = "_review_params"  # the review list's URL parameters, for the way back
ACTIONS = ("instruction", "reassign", "deadline", "status")
LIST_WIDGET_PARAMS = ("status", "level", "responsible")  # the review list's own widgets, bound to the URL


# ---------------------------------------------------------------- there and back


def current_params() -> dict[str, list[str]]:
    """The URL's parameters, repeated ones kept (village=a&village=b)."""
    return {name: st.query_params.get_all(name) for name in st.query_params}


def link(hazard_ids: list[int], labels: dict[int, str], list_params: dict[str, list[str]]) -> None:
    """Pick one listed item and open its page; the list's filter goes along (and back)."""
    st.session_state[_LIST_PARAMS] = list_params
    if not hazard_ids:
        return
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    chosen = left.selectbox(t("pick_item"), hazard_ids, format_func=labels.get, key="review_pick")
    right.page_link(ITEM_PAGE, label=t("open_item"), icon="➡️",
                    query_params={**list_params, ID_PARAM: str(chosen)})


def open_item(hazard_id: int, list_params: dict[str, list[str]]) -> None:
    """Go to the item's page now, with the shared filter; the list's own narrowing comes back
    with the way back. (Streamlit refuses to switch pages with a parameter that a widget of this
    page is bound to.)"""
    st.session_state[_LIST_PARAMS] = list_params
    shared = {name: values for name, values in list_params.items() if name not in LIST_WIDGET_PARAMS}
    st.switch_page(ITEM_PAGE, query_params={**shared, ID_PARAM: str(hazard_id)})


def back() -> None:
    """The link back to the review list, with the filter it was opened from."""
    params = st.session_state.get(_LIST_PARAMS)
    if params is None:
        params = {name: values for name, values in current_params().items() if name != ID_PARAM}
    st.page_link(LIST_PAGE, label=t("back_to_list"), icon="↩️", query_params=params)


def requested_id() -> int | None:
    """The item id in the URL (`?id=N`), or None when it is missing or not a number."""
    return url.parse_int(st.query_params.get(ID_PARAM), max_digits=MAX_ID_DIGITS)


# ---------------------------------------------------------------- the actions


def _key(hazard_id: int, name: str) -> str:
    return f"hazard_{hazard_id}_{name}"


def actions(detail: dict, today: dt.date) -> None:
    """The four actions for a leader (a note for anyone else), as forms on tabs."""
    if not auth.allows("leader"):
        st.caption(f"🔒 {t('leader_only_actions')}")
        return
    hazard_id, version = detail["id"], detail["version"]
    tabs = st.tabs([t(f"action_{name}") for name in ACTIONS])
    forms: dict[str, Callable[[], None]] = {
        "instruction": lambda: st.text_area(t("instruction_text"), key=_key(hazard_id, "instruction"),
                                            max_chars=review.MAX_INSTRUCTION_CHARS),
        "reassign": lambda: _reassign_fields(detail),
        "deadline": lambda: _deadline_fields(detail, today),
        "status": lambda: _status_fields(detail),
    }
    for name, tab in zip(ACTIONS, tabs):
        with tab, st.form(_key(hazard_id, f"form_{name}")):
            forms[name]()
            st.form_submit_button(t(f"submit_{name}"), type="primary", on_click=_act,
                                  args=(name, hazard_id, version))


def _reassign_fields(detail: dict) -> None:
    hazard_id = detail["id"]
    left, right = st.columns(2)
    left.text_input(t("responsible_unit"), value=detail["responsible_unit"] or "", key=_key(hazard_id, "unit"))
    right.text_input(t("responsible"), value=detail["responsible_person"] or "", key=_key(hazard_id, "person"))
    st.text_input(t("note"), key=_key(hazard_id, "reassign_note"))


def _deadline_fields(detail: dict, today: dt.date) -> None:
    hazard_id = detail["id"]
    st.date_input(t("new_deadline"), value=detail["deadline"] or today, min_value=detail["found_at"].date(),
                  format="YYYY-MM-DD", key=_key(hazard_id, "deadline"))
    st.text_input(t("note"), key=_key(hazard_id, "deadline_note"))


def _status_fields(detail: dict) -> None:
    hazard_id = detail["id"]
    back = set(detail["statuses_back"])
    options = [*detail["statuses_forward"], *reversed(detail["statuses_back"])]  # the next step first
    st.selectbox(t("new_status"), options, key=_key(hazard_id, "status"),
                 format_func=lambda s: f"{tv(s)}（{t('status_back')}）" if s in back else tv(s))
    st.text_input(t("status_reason"), key=_key(hazard_id, "status_reason"))


def _act(action: str, hazard_id: int, version: int) -> None:
    """A form's callback: the action with the version the page showed; the outcome for the next run."""
    account = auth.acting()
    if account is None:
        return
    state = st.session_state
    try:
        _call(action, account.name, hazard_id, version)
    except review.HazardChanged as changed:
        state[_OUTCOME] = (hazard_id, "conflict", changed.current["status"])
    except (review.InvalidAction, review.ReasonRequired) as refused:
        state[_OUTCOME] = (hazard_id, "refused", str(refused))
    except review.PermissionDenied:
        state[_OUTCOME] = (hazard_id, "denied", None)
    except review.HazardNotFound:
        state[_OUTCOME] = (hazard_id, "gone", None)
    except data.DataUnavailable:
        state[_OUTCOME] = (hazard_id, "unavailable", None)
    else:
        state[_OUTCOME] = (hazard_id, "done", action)
        for name in _FIELDS[action]:  # drawn afresh from the item as it is now
            state.pop(_key(hazard_id, name), None)


# What a review action may change: the item and its story, the lists, the figures.
REVIEW_CHANGES = ("review", "hazards", "kpis")


def _call(action: str, actor: str, hazard_id: int, version: int) -> dict:
    def value(name: str):
        return st.session_state.get(_key(hazard_id, name))

    changes = REVIEW_CHANGES
    if action == "instruction":
        return data.transact(review.add_instruction, actor, hazard_id, version, value("instruction"), changes=changes)
    if action == "reassign":
        return data.transact(review.reassign, actor, hazard_id, version, value("unit"), value("person"),
                             note=value("reassign_note"), changes=changes)
    if action == "deadline":
        return data.transact(review.set_deadline, actor, hazard_id, version, value("deadline"),
                             note=value("deadline_note"), changes=changes)
    return data.transact(review.change_status, actor, hazard_id, version, value("status"), value("status_reason"),
                         changes=changes)


_FIELDS = {
    "instruction": ("instruction",),
    "reassign": ("unit", "person", "reassign_note"),
    "deadline": ("deadline", "deadline_note"),
    "status": ("status", "status_reason"),
}


def outcome(hazard_id: int) -> None:
    """What the last action on this item came to (shown once, above the item as it is now)."""
    last = st.session_state.pop(_OUTCOME, None)
    if last is None or last[0] != hazard_id:
        return
    _, kind, detail = last
    if kind == "done":
        st.success(t("action_done", action=t(f"action_{detail}")), icon="✅")
    elif kind == "conflict":
        st.warning(t("hazard_changed", status=tv(detail)), icon="⚠️")
    elif kind == "refused":
        st.error(t("action_refused", reason=literal(detail)), icon="⛔")
    elif kind == "denied":
        st.error(t("needs_role", role=auth.role_label("leader")), icon="🔒")
    elif kind == "gone":
        st.warning(t("item_not_found", id=hazard_id), icon="❓")
    else:
        st.warning(t("data_unavailable"), icon="⏳")
