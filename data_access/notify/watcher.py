"""One round of the watcher: evaluate the enabled rules, open and clear warnings, deliver what is due.

Once, and not forgotten:

- A warning is one episode of a rule's condition on a subject. It opens when the condition
  starts to hold and clears when it stops; only its opening creates deliveries (one per channel
  the rule goes to), so a subject is notified once per episode, and again only after it cleared
  and came back. A rule switched off has its open warnings cleared.
- A delivery is claimed (claimed_by, claimed_until) in a short transaction, sent with no
  transaction open, and its outcome written: sent; or, when it failed, tried again after
  RETRY_DELAYS and, after the last try, failed. Each delivery row records its rule and subject
  (through its warning), its channel, the time of its latest try and its outcome.
- One message per channel and rule per round lists its warnings (the first messages.MAX_ITEMS,
  the others counted): a robot takes about 20 messages a minute, and a first round may find
  dozens of overdue items.

Two watchers on one PostgreSQL: only one evaluates at a time (an advisory lock it tries for, in
the evaluating transaction; the other goes on to deliver), and the partial unique index on open
warnings lets a warning open only once anyway. Deliveries are claimed with SELECT … FOR UPDATE
SKIP LOCKED, and a claim holds for LEASE, longer than any round's sending, so that a watcher that
died mid-round has its deliveries sent by another after that. On SQLite one writer at a time is
the rule already; run one watcher there.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass, field
from itertools import groupby

from sqlalchemy import Engine, case, func, insert, or_, select, update

from .. import settings
from ..filters import local_now
from ..models import NotifyDelivery, NotifyRule, NotifyWarning
from . import config
from .channels import DeliveryError, send
from .conditions import CONDITIONS, Finding
from .messages import compose

CLAIM_LIMIT = 500  # deliveries a round sends at most
LEASE = dt.timedelta(minutes=5)  # ≫ what a round's sending takes (channels.HTTP_TIMEOUT_S a message)
# Waits after the first, second … failed try; after the last one the delivery is failed.
RETRY_DELAYS = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=15),
                dt.timedelta(minutes=60))
EVALUATION_LOCK = 720_260_005  # PostgreSQL advisory lock: one watcher evaluates at a time
IN_CHUNK = 5000  # ids per IN (…) list


@dataclass
class RoundReport:
    """What one round did."""

    at: dt.datetime
    opened: int = 0  # warnings
    cleared: int = 0
    sent: int = 0  # messages
    retrying: int = 0  # messages that failed and will be tried again
    failed: int = 0  # messages that failed their last try
    errors: list[str] = field(default_factory=list)  # rules that could not be evaluated

    @property
    def ok(self) -> bool:
        """Every message got through and every rule was evaluated."""
        return not (self.retrying or self.failed or self.errors)

    @property
    def quiet(self) -> bool:
        return not (self.opened or self.cleared or self.sent or self.retrying or self.failed or self.errors)

    def summary(self) -> str:
        return (f"round {self.at:%Y-%m-%d %H:%M:%S}: {self.opened} warnings opened, {self.cleared} cleared; "
                f"{self.sent} messages sent, {self.retrying} to retry, {self.failed} failed")


def watcher_name() -> str:
    """This process, as claimed_by names it."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_round(engine: Engine, *, now: dt.datetime | None = None, watcher: str | None = None) -> RoundReport:
    """Evaluate the enabled rules and deliver what is due, at `now` (default: now)."""
    report = RoundReport(now or local_now())
    evaluate(engine, report)
    deliver(engine, watcher or watcher_name(), report)
    return report


# ---------------------------------------------------------------- evaluating


def evaluate(engine: Engine, report: RoundReport) -> None:
    """Open a warning for each subject a rule now holds for without an open one, and clear the
    open ones whose condition no longer holds; one transaction, each rule in a savepoint (a rule
    that fails is reported and the others go on)."""
    now = report.at
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql" and not conn.execute(
                select(func.pg_try_advisory_xact_lock(EVALUATION_LOCK))).scalar():
            return  # another watcher is evaluating; it opens what is new
        # A write first: on SQLite this takes the write lock before any read (a transaction that
        # reads, then writes, fails at once when another writer committed in between).
        report.cleared += conn.execute(
            update(NotifyWarning)
            .where(NotifyWarning.cleared_at.is_(None)
                   & NotifyWarning.rule_id.in_(select(NotifyRule.id).where(NotifyRule.enabled.is_(False))))
            .values(cleared_at=now)
        ).rowcount
        channels = config.enabled_channel_ids(conn)
        for rule in config.load_rules(conn):
            if not rule.enabled:
                continue
            targets = [c for c in channels if not rule.channel_ids or c in rule.channel_ids]
            try:
                with conn.begin_nested():
                    findings = rule.condition.find(conn, now, rule.thresholds)
                    opened, cleared = _update_warnings(conn, rule, findings, targets, now)
            except Exception as exc:  # noqa: BLE001 (one rule's failure must not stop the others)
                report.errors.append(f"rule {rule.name}: {type(exc).__name__}: {_first_line(exc)}")
                continue
            report.opened += opened
            report.cleared += cleared


def _first_line(exc: Exception) -> str:
    return (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0][:300]


def _update_warnings(conn, rule: config.Rule, findings: list[Finding], targets: list[int],
                     now: dt.datetime) -> tuple[int, int]:
    """Open what is new, clear what is gone; (opened, cleared)."""
    current = {f.subject: f for f in findings}
    is_open = (NotifyWarning.rule_id == rule.id) & NotifyWarning.cleared_at.is_(None)
    open_now = dict(conn.execute(select(NotifyWarning.subject, NotifyWarning.id).where(is_open)).all())
    gone = [warning_id for subject, warning_id in open_now.items() if subject not in current]
    cleared = 0
    for start in range(0, len(gone), IN_CHUNK):
        cleared += conn.execute(update(NotifyWarning)
                                .where(NotifyWarning.id.in_(gone[start:start + IN_CHUNK])
                                       & NotifyWarning.cleared_at.is_(None))
                                .values(cleared_at=now)).rowcount
    opened = 0
    for subject in sorted(set(current) - set(open_now)):  # one order, so that two writers never cross
        if _open(conn, rule, current[subject], targets, now):
            opened += 1
    return opened, cleared


def _open(conn, rule: config.Rule, finding: Finding, targets: list[int], now: dt.datetime) -> bool:
    """Open the next episode of `finding`, with a delivery to each target; False when another
    watcher opened it first (the unique indexes refuse a second one)."""
    same = (NotifyWarning.rule_id == rule.id) & (NotifyWarning.subject == finding.subject)
    episode = select(func.coalesce(func.max(NotifyWarning.episode), 0) + 1).where(same).scalar_subquery()
    warning_id = conn.execute(
        config.insert_ignoring_duplicates(conn, NotifyWarning).values(
            rule_id=rule.id, subject=finding.subject, episode=episode, severity=rule.condition.severity,
            village=finding.village[:64] if finding.village else None, title=finding.title[:200],
            link=finding.link[:500] if finding.link else None, opened_at=now,
        ).on_conflict_do_nothing().returning(NotifyWarning.id)
    ).scalar()
    if warning_id is None:
        return False
    if finding.content is not None:
        content = finding.content(conn)
        conn.execute(update(NotifyWarning).where(NotifyWarning.id == warning_id)
                     .values(detail=content.text, attachment=content.pdf))
    if targets:
        conn.execute(insert(NotifyDelivery), [
            {"warning_id": warning_id, "channel_id": channel_id, "status": "pending", "attempts": 0,
             "next_attempt_at": now} for channel_id in targets])
    return True


# ---------------------------------------------------------------- delivering


def deliver(engine: Engine, watcher: str, report: RoundReport) -> None:
    """Claim the due deliveries, send them as one message per channel and rule (a warning with
    a text of its own, the daily briefing, alone), and write each message's outcome."""
    now = report.at
    with engine.begin() as conn:
        claimed = claim(conn, watcher, now)
        if not claimed:
            return
        channels = config.channels_by_id(conn, {row.channel_id for row in claimed})
    public_url = settings.get("PUBLIC_URL")
    for (channel_id, rule, _), group in groupby(claimed, key=lambda r: (r.channel_id, r.rule, r.alone)):
        rows = list(group)
        condition = CONDITIONS.get(rule)
        message = compose(condition.title if condition else rule, rows[0].severity,
                          [row._mapping for row in rows], public_url, at=now)
        try:
            send(channels[channel_id], message)
            error = None
        except DeliveryError as exc:
            error = str(exc)
        with engine.begin() as conn:
            outcome = _record(conn, watcher, [row.id for row in rows], error, now)
        where = f"channel {channels[channel_id].name}, rule {rule}"
        if outcome == "sent":
            report.sent += 1
        elif outcome == "failed":
            report.failed += 1
            report.errors.append(f"{where}: {error} (the last try: failed)")
        elif outcome == "pending":
            report.retrying += 1
            report.errors.append(f"{where}: {error} (to be tried again)")
        else:  # the claim ran out before the outcome was known: another watcher sends it again
            report.errors.append(f"{where}: the claim expired while sending")


def claim(conn, watcher: str, now: dt.datetime) -> list:
    """Claim up to CLAIM_LIMIT due deliveries for LEASE (rows another watcher holds are skipped);
    their warnings' details, ordered by channel, rule, warning."""
    due = (
        select(NotifyDelivery.id)
        .where((NotifyDelivery.status == "pending") & (NotifyDelivery.next_attempt_at <= now)
               & or_(NotifyDelivery.claimed_until.is_(None), NotifyDelivery.claimed_until < now))
        .order_by(NotifyDelivery.id)
        .limit(CLAIM_LIMIT)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer at a time anyway
    )
    ids = conn.execute(update(NotifyDelivery).where(NotifyDelivery.id.in_(due.scalar_subquery()))
                       .values(claimed_by=watcher, claimed_until=now + LEASE)
                       .returning(NotifyDelivery.id)).scalars().all()
    if not ids:
        return []
    alone = case((NotifyWarning.detail.is_not(None), NotifyWarning.id), else_=0)
    return conn.execute(
        select(NotifyDelivery.id, NotifyDelivery.channel_id, NotifyRule.name.label("rule"),
               alone.label("alone"), NotifyWarning.severity, NotifyWarning.title, NotifyWarning.link,
               NotifyWarning.detail, NotifyWarning.attachment)
        .join(NotifyWarning, NotifyWarning.id == NotifyDelivery.warning_id)
        .join(NotifyRule, NotifyRule.id == NotifyWarning.rule_id)
        .where(NotifyDelivery.id.in_(ids))
        .order_by(NotifyDelivery.channel_id, NotifyRule.name, alone, NotifyWarning.id)
    ).all()


def _record(conn, watcher: str, ids: list[int], error: str | None, now: dt.datetime) -> str:
    """Write one message's outcome on its deliveries (those this watcher still holds): 'sent';
    or, after a failure, 'pending' (tried again after the next of RETRY_DELAYS) or 'failed';
    'lost' when it holds none of them any more."""
    tried = NotifyDelivery.attempts + 1
    if error is None:
        values = {"status": "sent", "last_error": None}
    else:
        waits = ((tried == n, now + delay) for n, delay in enumerate(RETRY_DELAYS, start=1))
        values = {"status": case((tried > len(RETRY_DELAYS), "failed"), else_="pending"),
                  "next_attempt_at": case(*waits, else_=now), "last_error": error}
    statuses = conn.execute(
        update(NotifyDelivery)
        .where(NotifyDelivery.id.in_(ids) & (NotifyDelivery.claimed_by == watcher))
        .values(attempts=tried, attempted_at=now, claimed_by=None, claimed_until=None, **values)
        .returning(NotifyDelivery.status)
    ).scalars().all()
    return "failed" if "failed" in statuses else statuses[0] if statuses else "lost"
