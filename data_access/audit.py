"""The audit log: who saw personal data in clear or took data out, when, what and why.

Written in the same transaction as the thing it records, so neither happens without the
other. Every function takes the caller's connection (`with engine.begin() as conn:`).

For a page:

- a leader's "show in clear" button on one floating-population record asks for a reason,
  then ``unmask_stay(conn, account.name, stay_id, reason)`` and shows the dict it returns
  for that rerun only (do not keep it in session_state);
- exports (data_access.exports) record themselves; ``record_export`` is for any other
  download a page offers; imports (data_access.importing) record themselves too;
- the admin's page shows ``audit_log(conn, account.name, since=..., action=...)``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, insert, select

from .accounts import require_role
from .filters import local_now
from .models import AuditEntry, House, PopulationStay, Village
from .sql import read_frame

MIN_REASON_CHARS = 2  # e.g. 核查; a blank or one-letter reason is no reason
AUDIT_LIMIT = 1000
# The clear personal fields unmask_stay reveals (and lists in the audit row).
UNMASKED_STAY_FIELDS = ("name", "id_number", "phone", "landlord", "landlord_phone")
TARGET_CHARS = AuditEntry.__table__.c.target.type.length
# Every action the log holds: these three, the account changes (accounts.py) and early warning's
# (notify/): a warning acknowledged, a rule changed, a channel added or removed.
ACTIONS = ("unmask", "export", "import",
           "user_add", "user_disable", "user_enable", "user_passwd", "user_role",
           "warning_ack", "rule_change", "channel_add", "channel_remove")


class ReasonRequired(ValueError):
    """An action that must be justified was asked for without a reason."""


def write(
    conn: Connection,
    actor: str,
    action: str,
    *,
    target: str | None = None,
    reason: str | None = None,
    detail: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Append one audit row (no role check: the caller has done it)."""
    conn.execute(insert(AuditEntry).values(at=at or local_now(), actor=actor, action=action,
                                           target=target[:TARGET_CHARS] if target else target,
                                           reason=reason, detail=detail))


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if len(text) < MIN_REASON_CHARS:
        raise ReasonRequired(f"a reason of at least {MIN_REASON_CHARS} characters is required")
    return text


def unmask_stay(
    conn: Connection, actor: str, stay_id: int, reason: str, *, now: dt.datetime | None = None
) -> dict:
    """One floating-population stay with its personal data in clear, for a leader giving a reason.

    PermissionDenied below leader (or for a disabled account); ReasonRequired without a
    reason; LookupError for an unknown id. The audit row is written in the caller's
    transaction: if it rolls back, nothing was shown. Keys: id, source_id, name, id_number,
    phone, gender, birth_date, origin_province, village, address, employer, arrived_at,
    left_at, house_address, landlord, landlord_phone.
    """
    require_role(conn, actor, "leader", "see personal data in clear")
    why = _reason(reason)
    row = conn.execute(
        select(
            PopulationStay.id,
            PopulationStay.source_id,
            PopulationStay.name,
            PopulationStay.id_number,
            PopulationStay.phone,
            PopulationStay.gender,
            PopulationStay.birth_date,
            PopulationStay.origin_province,
            Village.name.label("village"),
            PopulationStay.address,
            PopulationStay.employer,
            PopulationStay.arrived_at,
            PopulationStay.left_at,
            House.address.label("house_address"),
            House.landlord,
            House.landlord_phone,
        )
        .join(Village, Village.id == PopulationStay.village_id)
        .outerjoin(House, House.id == PopulationStay.house_id)
        .where(PopulationStay.id == stay_id)
    ).first()
    if row is None:
        raise LookupError(f"no population stay {stay_id}")
    write(conn, actor, "unmask", target=f"population_stay:{row.id} ({row.source_id})", reason=why,
          detail="fields: " + ", ".join(UNMASKED_STAY_FIELDS), at=now)
    return dict(row._mapping)


def record_export(
    conn: Connection, actor: str, what: str, filters_description: str, *, now: dt.datetime | None = None
) -> None:
    """Log that `actor` (staff or above) exported `what` for the filter described;
    PermissionDenied below staff."""
    require_role(conn, actor, "staff", "export data")
    write(conn, actor, "export", target=what, detail=filters_description, at=now)


def record_import(
    conn: Connection, actor: str, what: str, counts: str, *, now: dt.datetime | None = None
) -> None:
    """Log that `actor` imported `what` (kind and file name) with these `counts`. No role check:
    the command line's actor is a login name, not an account (the importer checks a signed-in one)."""
    write(conn, actor, "import", target=what, detail=counts, at=now)


def audit_log(
    conn: Connection,
    actor: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    action: str | None = None,
    who: str | None = None,
    limit: int = AUDIT_LIMIT,
) -> pd.DataFrame:
    """The audit log for an admin, newest first: at, actor, action, target, reason, detail.

    `since` / `until` bound the time ([since, until)); `action` and `who` filter exactly.
    PermissionDenied below admin.
    """
    require_role(conn, actor, "admin", "read the audit log")
    stmt = select(AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.reason,
                  AuditEntry.detail)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if who:
        stmt = stmt.where(AuditEntry.actor == who)
    return read_frame(conn, stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
