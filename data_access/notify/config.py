"""The rules and channels as the database holds them.

A rule's condition is code (conditions.CONDITIONS, by name); its row says whether it runs, its
thresholds (a JSON object, checked against what the rule takes) and the channels it goes to
(none named: every enabled channel). ensure_rules creates the rules a database lacks, enabled
with their defaults: every watcher does it when it starts, and the demo resets them.

A channel's row holds what sending needs, its secret included (see README "Early warning" for
why the database keeps it): read it with get_channel only to send. What is listed or shown
(channels_table) names a channel's kind and host, never its URL or secret. Changes are written
to the audit log (channel_add, channel_remove, rule_change) in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .. import audit
from ..accounts import require_role
from ..filters import local_now
from ..models import NotifyChannel, NotifyDelivery, NotifyRule, NotifyRuleChannel
from .channels import Channel, InvalidChannel, check, describe
from .conditions import CONDITIONS, Condition, thresholds_of

ENABLED = NotifyChannel.enabled.is_(True)


def insert_ignoring_duplicates(conn: Connection, table):
    """INSERT … ON CONFLICT DO NOTHING on either engine: a row that a unique key already holds is
    left out (call .on_conflict_do_nothing() on it)."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    enabled: bool
    stored: str  # the thresholds as the database holds them (JSON)
    channel_ids: tuple[int, ...]  # empty: every enabled channel

    @property
    def condition(self) -> Condition:
        return CONDITIONS[self.name]

    @property
    def thresholds(self) -> dict:
        """The stored thresholds over the defaults; ValueError when they are not usable (a row
        changed by hand: the watcher reports that rule and goes on with the others)."""
        return thresholds_of(self.name, json.loads(self.stored))


def ensure_rules(conn: Connection, *, reset: bool = False, by: str = "watch") -> None:
    """Create the rules of CONDITIONS that the database lacks, enabled, with their default
    thresholds; with `reset` (the demo) put every one back to that, sent to every channel."""
    now = local_now()
    for name, condition in CONDITIONS.items():
        conn.execute(insert_ignoring_duplicates(conn, NotifyRule).values(
            name=name, enabled=True, thresholds=json.dumps(condition.defaults, ensure_ascii=False),
            updated_at=now, updated_by=by).on_conflict_do_nothing())
        if reset:
            conn.execute(update(NotifyRule).where(NotifyRule.name == name).values(
                enabled=True, thresholds=json.dumps(condition.defaults, ensure_ascii=False), updated_at=now,
                updated_by=by))
    if reset:
        known = select(NotifyRule.id).where(NotifyRule.name.in_(list(CONDITIONS)))
        conn.execute(delete(NotifyRuleChannel).where(NotifyRuleChannel.rule_id.in_(known)))


def load_rules(conn: Connection) -> list[Rule]:
    """The rules whose condition this program knows, in CONDITIONS' order."""
    targets: dict[int, list[int]] = {}
    for rule_id, channel_id in conn.execute(select(NotifyRuleChannel.rule_id, NotifyRuleChannel.channel_id)):
        targets.setdefault(rule_id, []).append(channel_id)
    stored = select(NotifyRule.id, NotifyRule.name, NotifyRule.enabled, NotifyRule.thresholds)
    rows = {r.name: r for r in conn.execute(stored)}
    return [Rule(row.id, name, bool(row.enabled), row.thresholds, tuple(sorted(targets.get(row.id, ()))))
            for name in CONDITIONS if (row := rows.get(name)) is not None]


def rules_table(conn: Connection) -> pd.DataFrame:
    """The rules for the editor and `notify list`: name, title, severity, enabled, thresholds (a
    dict), channels (names; empty: every enabled channel), updated_at, updated_by."""
    names = dict(conn.execute(select(NotifyChannel.id, NotifyChannel.name)).all())
    changed = {r.name: r for r in conn.execute(
        select(NotifyRule.name, NotifyRule.updated_at, NotifyRule.updated_by))}
    rows = [{"name": rule.name, "title": rule.condition.title, "severity": rule.condition.severity,
             "enabled": rule.enabled, "thresholds": _shown(rule),
             "channels": [names[c] for c in rule.channel_ids],
             "updated_at": changed[rule.name].updated_at, "updated_by": changed[rule.name].updated_by}
            for rule in load_rules(conn)]
    return pd.DataFrame(rows, columns=["name", "title", "severity", "enabled", "thresholds", "channels",
                                       "updated_at", "updated_by"])


def _shown(rule: Rule) -> dict:
    try:
        return rule.thresholds
    except ValueError:
        return {"unusable": rule.stored}


def set_rule(conn: Connection, actor: str, name: str, *, enabled: bool | None = None,
             thresholds: dict | None = None, channels: Iterable[str] | None = None) -> None:
    """Change a rule (admin): switch it on or off, set its thresholds (those given; the others
    keep their defaults) or the channels it goes to (names; empty: every enabled channel).
    PermissionDenied below admin, LookupError for an unknown rule or channel, InvalidThresholds."""
    require_role(conn, actor, "admin", "change warning rules")
    rule_id = conn.execute(select(NotifyRule.id).where(NotifyRule.name == name)).scalar()
    if rule_id is None or name not in CONDITIONS:
        raise LookupError(f"no warning rule {name!r}")
    values: dict = {"updated_at": local_now(), "updated_by": actor}
    changes = []
    if enabled is not None:
        values["enabled"] = enabled
        changes.append(f"enabled={enabled}")
    if thresholds is not None:
        values["thresholds"] = json.dumps(thresholds_of(name, thresholds), ensure_ascii=False)
        changes.append(f"thresholds={values['thresholds']}")
    if channels is not None:
        wanted = list(dict.fromkeys(channels))
        ids = dict(conn.execute(select(NotifyChannel.name, NotifyChannel.id)
                                .where(NotifyChannel.name.in_(wanted) & ENABLED)).all())
        missing = [c for c in wanted if c not in ids]
        if missing:
            raise LookupError(f"no channel {', '.join(missing)}")
        conn.execute(delete(NotifyRuleChannel).where(NotifyRuleChannel.rule_id == rule_id))
        if wanted:
            conn.execute(insert(NotifyRuleChannel),
                         [{"rule_id": rule_id, "channel_id": ids[c]} for c in wanted])
        changes.append(f"channels={','.join(wanted) or 'all'}")
    conn.execute(update(NotifyRule).where(NotifyRule.id == rule_id).values(**values))
    audit.write(conn, actor, "rule_change", target=f"notify_rule:{name}", detail="; ".join(changes))


# ---------------------------------------------------------------- channels


def _channel(row) -> Channel:
    recipients = tuple(a for a in (row.recipients or "").split(",") if a)
    return Channel(row.name, row.kind, row.url, row.secret, recipients, row.id)


def get_channel(conn: Connection, name: str) -> Channel:
    """A channel with its secret, to send with; LookupError when there is no enabled one so named."""
    row = conn.execute(select(NotifyChannel).where((NotifyChannel.name == name) & ENABLED)).first()
    if row is None:
        raise LookupError(f"no channel {name!r}")
    return _channel(row)


def channels_by_id(conn: Connection, ids: Iterable[int]) -> dict[int, Channel]:
    rows = conn.execute(select(NotifyChannel).where(NotifyChannel.id.in_(list(ids))))
    return {row.id: _channel(row) for row in rows}


def enabled_channel_ids(conn: Connection) -> list[int]:
    return list(conn.execute(select(NotifyChannel.id).where(ENABLED).order_by(NotifyChannel.id)).scalars())


def channels_table(conn: Connection) -> pd.DataFrame:
    """The channels, by name, as they may be shown: name, kind, where (the host, never the URL
    or secret), enabled, created_at."""
    rows = [{"name": row.name, "kind": row.kind, "where": describe(_channel(row)),
             "enabled": bool(row.enabled), "created_at": row.created_at}
            for row in conn.execute(select(NotifyChannel).order_by(NotifyChannel.name))]
    return pd.DataFrame(rows, columns=["name", "kind", "where", "enabled", "created_at"])


def add_channel(conn: Connection, channel: Channel, *, by: str, replace: bool = False) -> None:
    """Add a channel (or, with `replace`, give an existing one these settings); InvalidChannel for
    settings that cannot work or a name in use. Audited without the URL or secret."""
    check(channel)
    values = {"kind": channel.kind, "url": channel.url, "secret": channel.secret or None,
              "recipients": ",".join(channel.recipients) or None, "enabled": True}
    existing = conn.execute(select(NotifyChannel.id, NotifyChannel.enabled)
                            .where(NotifyChannel.name == channel.name)).first()
    if existing is None:
        conn.execute(insert(NotifyChannel).values(name=channel.name, created_at=local_now(), **values))
    elif replace or not existing.enabled:  # a removed channel's name may be used again
        conn.execute(update(NotifyChannel).where(NotifyChannel.id == existing.id).values(**values))
    else:
        raise InvalidChannel(f"a channel {channel.name!r} exists already (--replace gives it these settings)")
    audit.write(conn, by, "channel_add", target=f"notify_channel:{channel.name}",
                detail=f"{channel.kind} {describe(channel)}" + (" (replaced)" if existing else ""))


def remove_channel(conn: Connection, name: str, *, by: str) -> int:
    """Stop sending to a channel: its URL, secret and recipients are erased, its row kept for the
    record of what it was sent; what it still had to send is marked failed (how many)."""
    channel_id = conn.execute(select(NotifyChannel.id).where((NotifyChannel.name == name) & ENABLED)).scalar()
    if channel_id is None:
        raise LookupError(f"no channel {name!r}")
    conn.execute(update(NotifyChannel).where(NotifyChannel.id == channel_id)
                 .values(enabled=False, url="", secret=None, recipients=None))
    pending = (NotifyDelivery.channel_id == channel_id) & (NotifyDelivery.status == "pending")
    dropped = conn.execute(update(NotifyDelivery).where(pending)
                           .values(status="failed", last_error="the channel was removed")).rowcount
    audit.write(conn, by, "channel_remove", target=f"notify_channel:{name}")
    return dropped

