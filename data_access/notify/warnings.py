"""The warnings as people see and handle them: the open ones worst first, their counts and a
ticker for the wall, the record of what was sent, and acknowledgement (who, when, a note; audited).

A warning is open while its condition holds (the watcher clears it when it stops). Its texts hold
no personal data (masked names, counts, places), so the lists need no masking; the one person
named is who acknowledged it (an account name: mask it with masking.mask_name for roles below
leader, as hazard history's actors are). The wall shows warning_counts and ticker only: counts,
rules and villages, no item.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
from sqlalchemy import Connection, DateTime, Integer, String, bindparam, case, func, select, update

from .. import audit, settings
from ..accounts import require_role
from ..filters import local_now
from ..models import WARNING_SEVERITIES, NotifyChannel, NotifyDelivery, NotifyRule, NotifyWarning
from ..sql import count_if, read_frame
from .conditions import CONDITIONS
from .messages import full_link

OPEN_LIMIT = 500
DELIVERIES_LIMIT = 1000
TICKER_ITEMS = 5
MAX_NOTE_CHARS = 500
# The people on duty acknowledge: it says "seen, someone is on it" and decides nothing.
ACKNOWLEDGING_ROLE = "staff"

OUTCOMES = ("sent", "pending", "failed")  # models.DELIVERY_STATUSES, as the lists show them
WANTED, STATUS = bindparam("wanted", type_=Integer), bindparam("status", type_=String)
SINCE = bindparam("since", type_=DateTime)
# A delivery's time: its latest try, or when it is due.
DELIVERY_AT = func.coalesce(NotifyDelivery.attempted_at, NotifyDelivery.next_attempt_at)

SEVERITY_RANK = case(*((NotifyWarning.severity == s, rank) for rank, s in enumerate(WARNING_SEVERITIES)),
                     else_=len(WARNING_SEVERITIES))
IS_OPEN = NotifyWarning.cleared_at.is_(None)


class WarningNotFound(LookupError):
    """No warning with that id."""


class AlreadyAcknowledged(Exception):
    """Someone acknowledged the warning first; `current` is it as it stands."""

    def __init__(self, current: dict):
        self.current = current
        self.message = (f"该预警已由 {current['acknowledged_by']} 于 "
                        f"{current['acknowledged_at']:%m-%d %H:%M} 确认。")
        super().__init__(self.message)


def _titled(df: pd.DataFrame) -> pd.DataFrame:
    """Each rule's title beside its name, and links under PUBLIC_URL (the path when it is empty)."""
    df.insert(df.columns.get_loc("rule") + 1, "rule_title",
              [CONDITIONS[r].title if r in CONDITIONS else r for r in df["rule"]])
    if "link" in df.columns:
        public_url = settings.get("PUBLIC_URL")
        df["link"] = [full_link(path, public_url) or path for path in df["link"]]
    return df


def open_warnings(conn: Connection, *, limit: int = OPEN_LIMIT) -> tuple[pd.DataFrame, int]:
    """The open warnings worst first: not yet acknowledged before acknowledged, then by severity
    (red, orange, yellow, blue), then newest first; the first `limit` and how many are open in all.

    Columns: id, rule, rule_title, severity, subject, village, title, link, opened_at,
    acknowledged_at, acknowledged_by, acknowledge_note, sent, pending, failed (its deliveries
    by outcome)."""
    df = read_frame(conn, _open_statement(), {"wanted": limit})
    matching = df.pop("matching")
    return _titled(df), (int(matching.iloc[0]) if len(matching) else 0)


@functools.cache
def _open_statement():
    counted = (
        select(NotifyDelivery.warning_id, *(count_if(NotifyDelivery.status == s).label(s) for s in OUTCOMES))
        .join(NotifyWarning, NotifyWarning.id == NotifyDelivery.warning_id)
        .where(IS_OPEN)
        .group_by(NotifyDelivery.warning_id)
        .subquery()
    )
    return (
        select(NotifyWarning.id, NotifyRule.name.label("rule"), NotifyWarning.severity, NotifyWarning.subject,
               NotifyWarning.village, NotifyWarning.title, NotifyWarning.link, NotifyWarning.opened_at,
               NotifyWarning.acknowledged_at, NotifyWarning.acknowledged_by, NotifyWarning.acknowledge_note,
               *(func.coalesce(counted.c[s], 0).label(s) for s in OUTCOMES),
               func.count().over().label("matching"))
        .join(NotifyRule, NotifyRule.id == NotifyWarning.rule_id)
        .outerjoin(counted, counted.c.warning_id == NotifyWarning.id)
        .where(IS_OPEN)
        .order_by(NotifyWarning.acknowledged_at.is_not(None), SEVERITY_RANK, NotifyWarning.opened_at.desc(),
                  NotifyWarning.id.desc())
        .limit(WANTED)
    )


def warning_counts(conn: Connection) -> dict[str, int]:
    """The open warnings counted (for the wall and the menu): open, unacknowledged, and per
    severity (red, orange, yellow, blue)."""
    return {key: int(value) for key, value in conn.execute(_counts_statement()).one()._mapping.items()}


@functools.cache
def _counts_statement():
    severities = (count_if(NotifyWarning.severity == s).label(s) for s in WARNING_SEVERITIES)
    return select(func.count().label("open"),
                  count_if(NotifyWarning.acknowledged_at.is_(None)).label("unacknowledged"),
                  *severities).where(IS_OPEN)


def ticker(conn: Connection, limit: int = TICKER_ITEMS) -> pd.DataFrame:
    """The newest open warnings as the wall may show them (rules and places, never an item or a
    person): opened_at, severity, rule, rule_title, village."""
    return _titled(read_frame(conn, _ticker_statement(), {"wanted": limit}))


@functools.cache
def _ticker_statement():
    return (
        select(NotifyWarning.opened_at, NotifyWarning.severity, NotifyRule.name.label("rule"),
               NotifyWarning.village)
        .join(NotifyRule, NotifyRule.id == NotifyWarning.rule_id)
        .where(IS_OPEN)
        .order_by(NotifyWarning.opened_at.desc(), NotifyWarning.id.desc())
        .limit(WANTED)
    )


def deliveries(conn: Connection, *, status: str | None = None, since: dt.datetime | None = None,
               limit: int = DELIVERIES_LIMIT) -> pd.DataFrame:
    """What was sent, is waiting or failed, newest first: id, at (the latest try, or when it is due),
    channel, kind, rule, rule_title, subject, title, status (pending | sent | failed), attempts,
    last_error. `status` and `since` narrow it (status 'failed': what the page lists as failed)."""
    stmt = _deliveries_statement(status is not None, since is not None)
    return _titled(read_frame(conn, stmt, {"status": status, "since": since, "wanted": limit}))


@functools.cache
def _deliveries_statement(by_status: bool, by_time: bool):
    stmt = (
        select(NotifyDelivery.id, DELIVERY_AT.label("at"), NotifyChannel.name.label("channel"),
               NotifyChannel.kind, NotifyRule.name.label("rule"), NotifyWarning.subject, NotifyWarning.title,
               NotifyDelivery.status, NotifyDelivery.attempts, NotifyDelivery.last_error)
        .join(NotifyWarning, NotifyWarning.id == NotifyDelivery.warning_id)
        .join(NotifyRule, NotifyRule.id == NotifyWarning.rule_id)
        .join(NotifyChannel, NotifyChannel.id == NotifyDelivery.channel_id)
        .order_by(DELIVERY_AT.desc(), NotifyDelivery.id.desc())
        .limit(WANTED)
    )
    if by_status:
        stmt = stmt.where(NotifyDelivery.status == STATUS)
    return stmt.where(DELIVERY_AT >= SINCE) if by_time else stmt


def delivery_counts(conn: Connection, *, since: dt.datetime | None = None) -> dict[str, int]:
    """Deliveries by outcome, {'pending': n, 'sent': n, 'failed': n}; `since` counts those tried
    (or due) since then."""
    counted = conn.execute(_delivery_counts_statement(since is not None), {"since": since}).all()
    return dict.fromkeys(OUTCOMES, 0) | dict(counted)


@functools.cache
def _delivery_counts_statement(by_time: bool):
    stmt = select(NotifyDelivery.status, func.count()).group_by(NotifyDelivery.status)
    return stmt.where(DELIVERY_AT >= SINCE) if by_time else stmt


def warning(conn: Connection, warning_id: int) -> dict:
    """One warning: id, rule, subject, episode, severity, village, title, link, detail, opened_at,
    cleared_at, acknowledged_at, acknowledged_by, acknowledge_note; WarningNotFound."""
    row = conn.execute(_warning_statement(), {"warning_id": warning_id}).first()
    if row is None:
        raise WarningNotFound(f"no warning {warning_id}")
    return dict(row._mapping)


@functools.cache
def _warning_statement():
    return (
        select(NotifyWarning.id, NotifyRule.name.label("rule"), NotifyWarning.subject, NotifyWarning.episode,
               NotifyWarning.severity, NotifyWarning.village, NotifyWarning.title, NotifyWarning.link,
               NotifyWarning.detail, NotifyWarning.opened_at, NotifyWarning.cleared_at,
               NotifyWarning.acknowledged_at, NotifyWarning.acknowledged_by, NotifyWarning.acknowledge_note)
        .join(NotifyRule, NotifyRule.id == NotifyWarning.rule_id)
        .where(NotifyWarning.id == bindparam("warning_id", type_=Integer))
    )


def acknowledge(conn: Connection, actor: str, warning_id: int, note: str | None = None, *,
                now: dt.datetime | None = None) -> dict:
    """`actor` (staff or above) has seen the warning: who, when and a note (optional, at most
    MAX_NOTE_CHARS) are written on it and in the audit log, in one savepoint of the caller's
    transaction. Returns the warning (see warning()). PermissionDenied below staff,
    WarningNotFound, AlreadyAcknowledged when someone did it first (nothing is overwritten),
    ValueError for a note too long."""
    text = (note or "").strip() or None
    if text and len(text) > MAX_NOTE_CHARS:
        raise ValueError(f"备注不能超过 {MAX_NOTE_CHARS} 字")
    now = now or local_now()
    with conn.begin_nested():
        # The write first: it takes the row's lock (PostgreSQL) or the write lock (SQLite), and
        # only one of two people acknowledging at once finds the row not yet acknowledged.
        done = conn.execute(
            update(NotifyWarning)
            .where((NotifyWarning.id == warning_id) & NotifyWarning.acknowledged_at.is_(None))
            .values(acknowledged_at=now, acknowledged_by=actor, acknowledge_note=text)
        ).rowcount
        require_role(conn, actor, ACKNOWLEDGING_ROLE, "acknowledge warnings")
        if not done:
            raise AlreadyAcknowledged(warning(conn, warning_id))  # WarningNotFound when there is none
        current = warning(conn, warning_id)
        audit.write(conn, actor, "warning_ack", at=now, detail=text,
                    target=f"notify_warning:{warning_id} ({current['rule']} {current['subject']})")
    return current
