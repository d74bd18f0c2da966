"""预警 Early warning in the app: the open warnings worst first with acknowledgement (the view,
pages/warnings.py), and what the wall's header shows of them (a count and a short ticker).

Everything goes through data_access.notify: the list and counts are queries (through the data
door), acknowledging is one transaction that writes who, when and the note on the warning and in
the audit log. A warning's texts hold no personal data (the watcher wrote them masked); the one
person shown is who acknowledged it, masked below leader, as hazard history's actors are.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import streamlit as st

from data_access import formats, notify
from data_access.accounts import PermissionDenied
from data_access.masking import mask_name
from data_access.notify.warnings import MAX_NOTE_CHARS, TICKER_ITEMS

from . import auth, data, wall_layout, widgets
from .i18n import has, t, tv

ACK_FORM = "warning_ack"
_DONE = "_warning_acknowledged"  # the confirmation, shown once after the rerun
FAILED_SHOWN = 50  # failed deliveries listed on the page
TICK_S = 4  # seconds each line of the wall's ticker stays
LINKED_PAGES = ("hazard", "alerts", "events", "review")  # where a warning's link may lead
CHANGES = ("notify.warnings", "audit")  # what an acknowledgement changes, for the data door
SEVERITY_CSS = {  # the severity cell in its colour (the colour itself: no emoji font needed)
    "red": "background-color: #c62828; color: #ffffff",
    "orange": "background-color: #ef6c00; color: #ffffff",
    "yellow": "background-color: #f9a825; color: #1f2933",
    "blue": "background-color: #1565c0; color: #ffffff",
}
COLUMNS = {"severity": "warning_severity", "state": "warning_state", "rule_title": "warning_rule",
           "village": "warning_village", "title": "warning_title", "opened_at": "warning_opened_at",
           "acknowledged_by": "warning_acknowledged_by", "acknowledged_at": "warning_acknowledged_at",
           "acknowledge_note": "warning_note", "sent": "warning_sent", "failed": "warning_failed"}
FAILED_COLUMNS = {"at": "delivery_at", "channel": "delivery_channel", "rule_title": "warning_rule",
                  "subject": "delivery_subject", "title": "warning_title", "attempts": "delivery_attempts",
                  "last_error": "delivery_error"}


def who(name: str | None) -> str | None:
    """Who acknowledged, as this viewer may see it: in clear for a leader, masked below."""
    return name if auth.allows("leader") else mask_name(name)


def counts_tiles(counts: dict[str, int]) -> None:
    """Open, not yet acknowledged, red, orange and yellow."""
    widgets.tiles(
        widgets.tile("warnings_open", formats.count(counts["open"])),
        widgets.tile("warnings_unacknowledged", formats.count(counts["unacknowledged"]),
                     tone="red" if counts["unacknowledged"] else ""),
        widgets.tile("warnings_red", formats.count(counts["red"]), tone="red" if counts["red"] else ""),
        widgets.tile("warnings_orange_yellow", formats.count(counts["orange"] + counts["yellow"]),
                     tone="yellow" if counts["orange"] + counts["yellow"] else ""),
    )


def shown(listed: pd.DataFrame) -> pd.DataFrame:
    """open_warnings' frame as the table shows it: severity and state in words, the rule's title
    in the page's language, who acknowledged masked below leader."""
    return listed.assign(
        severity=listed["severity"].map(lambda s: t(f"severity_{s}")),
        state=listed["acknowledged_at"].map(
            lambda at: t("warning_state_open") if pd.isna(at) else t("warning_state_acknowledged")),
        rule_title=listed["rule_title"].map(tv),
        acknowledged_by=listed["acknowledged_by"].map(who, na_action="ignore"),
    )


def warnings_table(listed: pd.DataFrame, total: int) -> None:
    """The open warnings worst first: not yet acknowledged, then acknowledged (marked so)."""
    styles = {"severity": {t(f"severity_{s}"): css for s, css in SEVERITY_CSS.items()}}
    widgets.table(shown(listed), COLUMNS, total=total, cell_styles=styles)


def item_page(link: str | None) -> tuple[str, dict[str, list[str]]] | None:
    """The page and URL parameters a warning's link leads to (the watcher wrote it:
    notify.conditions' paths, e.g. /hazard?id=12 or /alerts?village=…), None for no link or a
    page that is not one of LINKED_PAGES."""
    parts = urlsplit(link or "")
    page = parts.path.strip("/")
    if page not in LINKED_PAGES:
        return None
    return f"pages/{page}.py", parse_qs(parts.query)


def open_item(listed: pd.DataFrame) -> None:
    """Pick one listed warning and open what it is about: the hazard, or the village's alerts or
    events in the warning's days."""
    targets = {int(i): target for i, link in zip(listed["id"], listed["link"]) if (target := item_page(link))}
    if not targets:
        return
    labels = {int(i): f"{t('severity_' + s)} · {tv(r)} · {title}" for i, s, r, title in zip(
        listed["id"], listed["severity"], listed["rule_title"], listed["title"]) if int(i) in targets}
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    chosen = left.selectbox(t("warning_pick_item"), list(labels), format_func=labels.get, key="warning_open_id")
    page, params = targets[chosen]
    right.page_link(page, label=t("open_item"), icon="➡️", query_params=params)


def acknowledge_form(listed: pd.DataFrame) -> None:
    """Pick one not yet acknowledged warning, add a note, acknowledge it (who and when are the
    signed-in account and now)."""
    message = st.session_state.pop(_DONE, None)
    if message:
        st.success(message, icon="✅")
    waiting = listed[listed["acknowledged_at"].isna()]
    if waiting.empty:
        st.caption(t("acknowledge_none"))
        return
    labels = {int(i): f"{t('severity_' + s)} · {tv(r)} · {title}"
              for i, s, r, title in zip(waiting["id"], waiting["severity"], waiting["rule_title"], waiting["title"])}
    with st.form(ACK_FORM, clear_on_submit=True):
        st.markdown(f"**{t('acknowledge')}**")
        warning_id = st.selectbox(t("acknowledge_pick"), list(labels), format_func=labels.get, key="warning_ack_id")
        note = st.text_area(t("acknowledge_note"), key="warning_ack_note", max_chars=MAX_NOTE_CHARS, height=80)
        go = st.form_submit_button(t("acknowledge"), type="primary", icon="✅")
    if go and warning_id is not None:
        _acknowledge(int(warning_id), note)


def _acknowledge(warning_id: int, note: str) -> None:
    try:
        data.transact(notify.acknowledge, auth.current().name, warning_id, note, changes=CHANGES)
    except notify.AlreadyAcknowledged as taken:
        current = taken.current
        st.warning(t("acknowledge_taken", who=who(current["acknowledged_by"]),
                     time=f"{current['acknowledged_at']:%m-%d %H:%M}"), icon="👀")
    except notify.WarningNotFound:
        st.warning(t("acknowledge_gone"), icon="❓")
    except PermissionDenied:
        st.error(t("needs_role", role=auth.role_label("staff")), icon="🔒")
    except ValueError:  # the note is too long
        st.error(t("acknowledge_note_too_long", n=MAX_NOTE_CHARS), icon="✍️")
    else:
        st.session_state[_DONE] = t("acknowledge_done")
        st.rerun()


def failed_deliveries(failed: pd.DataFrame) -> None:
    """What the watcher gave up sending, after its last try (the reason never holds a URL or secret)."""
    if failed.empty:
        return
    with st.expander(f"⚠️ {t('warnings_failed', n=FAILED_SHOWN)} · {t('count_of', n=formats.count(len(failed)))}"):
        widgets.table(failed.assign(rule_title=failed["rule_title"].map(tv)), FAILED_COLUMNS)


# ---------------------------------------------------------------- the wall's header


def wall_ticker_items(ticker: pd.DataFrame) -> list[tuple[str, str]]:
    """The ticker's lines, newest first, with their severity: time, the rule's short name, the
    village; never an item or a person (notify.ticker gives nothing else)."""
    items = []
    for row in ticker.head(TICKER_ITEMS).itertuples(index=False):
        short = f"warning_short_{row.rule}"
        rule = t(short) if has(short) else tv(row.rule_title)
        place = row.village if isinstance(row.village, str) else ""  # none (NULL, NaN): a town-wide rule
        items.append((row.severity, " · ".join(p for p in (f"{row.opened_at:%H:%M}", rule, place) if p)))
    return items


def wall_html(counts: dict[str, int] | None, ticker: pd.DataFrame | None) -> str:
    """The wall header's warnings: a badge with the open warnings' count (red while any is not
    yet acknowledged) and a ticker of the newest, one line at a time, each shrunk to its room
    (--em: the longest line's width in em). `None`: the database could not be read ('—')."""
    count = formats.NO_VALUE if counts is None else formats.count(counts["open"])
    tone = "" if not counts or not counts["open"] else ("alarm" if counts["unacknowledged"] else "seen")
    badge = (f'<div class="wall-warn {tone}"><span>{html.escape(t("wall_warnings"))}</span> '
             f'<b>{html.escape(count)}</b></div>')
    items = wall_ticker_items(ticker) if ticker is not None and not ticker.empty else []
    if not items and counts is not None:
        items = [("none", t("wall_no_warning"))]
    width = max((wall_layout.text_em(text) + 1.5 for _, text in items), default=1.0)  # + the dot
    n = len(items)
    lines = "".join(
        f'<div class="wall-ticker-item {severity}" style="animation-duration: {n * TICK_S}s; '
        f'animation-delay: {(i - n) * TICK_S}s">{html.escape(text)}</div>' if n > 1 else
        f'<div class="wall-ticker-item still {severity}">{html.escape(text)}</div>'
        for i, (severity, text) in enumerate(items))
    keyframes = (f"<style>@keyframes wall-tick-{n} {{ 0%, {100 / n - 0.01:.2f}% {{ opacity: 1; }} "
                 f"{100 / n:.2f}%, 100% {{ opacity: 0; }} }} .wall-ticker-item {{ animation-name: wall-tick-{n}; }}"
                 f"</style>") if n > 1 else ""
    return (f'<div class="wall-warnings">{badge}<div class="wall-ticker" style="--em: {width:.2f}">{lines}'
            f"</div></div>{keyframes}")
