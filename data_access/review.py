"""Leaders reviewing risk hazards: one item's detail, and the four actions on it.

The review list is ``hazards.worst_first`` (overdue, then level, then nearest deadline;
``responsible=`` narrows it to one 包案领导); an item's story is ``hazards.history``.

The actions (leader role or above) are ``add_instruction`` (批示), ``reassign``,
``set_deadline`` and ``change_status``. Each takes the caller's connection, inside its
transaction, and the version the person was looking at::

    detail = review.hazard_detail(conn, hazard_id)          # shows detail["version"]
    ...
    try:
        with engine.begin() as conn:
            detail = review.add_instruction(conn, account.name, hazard_id, shown_version, text)
    except review.HazardChanged as exc:
        st.warning(exc.message); show exc.current             # someone else changed it first
    except review.PermissionDenied: ...                        # not (or no longer) a leader
    except review.InvalidAction as exc: st.error(str(exc))     # e.g. going back without a reason

Each action writes its change and one hazard_history row (kind instruction | reassign |
deadline | status, the actor, old and new value, a note) and bumps hazards.version, all
in one savepoint of the caller's transaction: when it raises, nothing of it stays, even
if the caller goes on with the transaction. It returns the item's new detail.

Concurrency: the first statement is ``UPDATE hazards SET version = version + 1 WHERE
id = :id AND version = :expected``. When it touches no row, the item changed since the
person read it (another leader, or an import) and HazardChanged carries its current
detail; nothing is overwritten. Making the version check the first statement also takes
the write lock before any read (PostgreSQL: the row lock; SQLite: the database write
lock), so call an action first in its transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from sqlalchemy import Connection, func, insert, select, update

from .accounts import PermissionDenied, require_role
from .audit import ReasonRequired
from .filters import local_now, local_today
from .hazards import warning_colour
from .models import HAZARD_OPEN_STATUSES, HAZARD_STATUSES, Grid, Hazard, HazardHistory, Village

__all__ = [
    "HazardChanged", "HazardNotFound", "InvalidAction", "PermissionDenied", "ReasonRequired",
    "hazard_detail", "latest_instructions", "add_instruction", "reassign", "set_deadline", "change_status",
]  # fmt: skip

RESOLVED_STATUSES = tuple(s for s in HAZARD_STATUSES if s not in HAZARD_OPEN_STATUSES)  # 已化解, 已销号
MAX_INSTRUCTION_CHARS = 2000
HISTORY_VALUE_CHARS = HazardHistory.__table__.c.old_value.type.length
IN_CHUNK = 5000  # ids per IN (…) list


class HazardChanged(Exception):
    """The hazard changed since the caller read it; `current` is its detail now."""

    def __init__(self, current: dict):
        self.current = current
        self.message = (f"该隐患已被他人修改（现为第 {current['version']} 版，状态：{current['status']}），"
                        "请查看最新情况后再操作。")
        super().__init__(self.message)


class HazardNotFound(LookupError):
    """No hazard with that id."""


class InvalidAction(ValueError):
    """The action makes no sense for the item as it stands (no text, nothing changed, bad status or date)."""


# ---------------------------------------------------------------- reading


def hazard_detail(conn: Connection, hazard_id: int, today: dt.date | None = None) -> dict:
    """Everything about one hazard, as of `today` (default: today). HazardNotFound for an unknown id.

    Keys: the hazards columns (id, source_id, title, category, level, status, address, lat,
    lon, enterprise, enterprise_shut, found_at, source, responsible_unit, responsible_person,
    deadline, resolved_at, version, is_demo), village, work_area, grid, warning (red | yellow
    | green, None when not open), days_left (deadline − today; negative when overdue, None
    without deadline), overdue, days_overdue, latest_instruction ({at, actor, text} or None),
    statuses_forward and statuses_back (where change_status may take it; back needs a reason).
    Personal data is in clear (responsible_person is the official in charge): mask it with
    masking.mask_record for roles below leader.
    """
    today = today or local_today()
    columns = [c for c in Hazard.__table__.c if c.name not in ("village_id", "grid_id")]
    row = conn.execute(
        select(*columns, Village.name.label("village"), Village.work_area, Grid.name.label("grid"),
               warning_colour(today).label("warning"))
        .join(Village, Village.id == Hazard.village_id)
        .outerjoin(Grid, Grid.id == Hazard.grid_id)
        .where(Hazard.id == hazard_id)
    ).first()
    if row is None:
        raise HazardNotFound(f"no hazard {hazard_id}")
    detail = dict(row._mapping)
    deadline = detail["deadline"]
    is_open = detail["status"] in HAZARD_OPEN_STATUSES
    detail["days_left"] = (deadline - today).days if deadline is not None else None
    detail["overdue"] = bool(is_open and deadline is not None and deadline < today)
    detail["days_overdue"] = (today - deadline).days if detail["overdue"] else 0
    detail["latest_instruction"] = latest_instructions(conn, [hazard_id]).get(hazard_id)
    position = HAZARD_STATUSES.index(detail["status"]) if detail["status"] in HAZARD_STATUSES else 0
    detail["statuses_forward"] = list(HAZARD_STATUSES[position + 1:])
    detail["statuses_back"] = list(HAZARD_STATUSES[:position])
    return detail


def latest_instructions(conn: Connection, hazard_ids: Iterable[int]) -> dict[int, dict]:
    """The newest instruction (批示) of each hazard that has one: {hazard_id: {at, actor, text}}."""
    ids = list(dict.fromkeys(int(i) for i in hazard_ids))
    found: dict[int, dict] = {}
    for start in range(0, len(ids), IN_CHUNK):
        ranked = (
            select(
                HazardHistory.hazard_id,
                HazardHistory.at,
                HazardHistory.actor,
                HazardHistory.note,
                func.row_number()
                .over(partition_by=HazardHistory.hazard_id,
                      order_by=(HazardHistory.at.desc(), HazardHistory.id.desc()))
                .label("rank"),
            )
            .where(HazardHistory.kind == "instruction")
            .where(HazardHistory.hazard_id.in_(ids[start:start + IN_CHUNK]))
            .subquery()
        )
        rows = conn.execute(
            select(ranked.c.hazard_id, ranked.c.at, ranked.c.actor, ranked.c.note).where(ranked.c.rank == 1)
        )
        found.update({r.hazard_id: {"at": r.at, "actor": r.actor, "text": r.note} for r in rows})
    return found


# ---------------------------------------------------------------- acting

# A decision looks at the hazard as it stands and returns the columns to change and the
# history row's kind, old value, new value and note; it raises InvalidAction instead.
Decision = tuple[dict, str, str | None, str | None, str | None]


def _act(
    conn: Connection,
    actor: str,
    hazard_id: int,
    expected_version: int,
    doing: str,
    decide: Callable[[dict, dt.datetime], Decision],
    now: dt.datetime | None,
) -> dict:
    now = now or local_now()
    with conn.begin_nested():
        bumped = conn.execute(
            update(Hazard)
            .where((Hazard.id == hazard_id) & (Hazard.version == expected_version))
            .values(version=Hazard.version + 1)
        )
        require_role(conn, actor, "leader", doing)
        if bumped.rowcount == 0:
            raise HazardChanged(hazard_detail(conn, hazard_id, now.date()))  # HazardNotFound if gone
        current = dict(conn.execute(select(Hazard.__table__).where(Hazard.id == hazard_id)).one()._mapping)
        changes, kind, old, new, note = decide(current, now)
        if changes:
            conn.execute(update(Hazard).where(Hazard.id == hazard_id).values(**changes))
        conn.execute(insert(HazardHistory).values(
            hazard_id=hazard_id, at=now, kind=kind, actor=actor,
            old_value=_clip(old), new_value=_clip(new), note=note,
        ))
    return hazard_detail(conn, hazard_id, now.date())


def _clip(value: str | None) -> str | None:
    return value[:HISTORY_VALUE_CHARS] if value else value


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def add_instruction(
    conn: Connection, actor: str, hazard_id: int, expected_version: int, text: str, *,
    now: dt.datetime | None = None,
) -> dict:
    """A leader's instruction (批示) on the item: history kind 'instruction', the text in its note."""
    body = _text(text)
    if body is None:
        raise InvalidAction("批示内容不能为空")
    if len(body) > MAX_INSTRUCTION_CHARS:
        raise InvalidAction(f"批示不能超过 {MAX_INSTRUCTION_CHARS} 字")

    def decide(current: dict, at: dt.datetime) -> Decision:
        return {}, "instruction", None, None, body

    return _act(conn, actor, hazard_id, expected_version, "give instructions", decide, now)


def _who(unit: str | None, person: str | None) -> str:
    return f"{unit or '—'} / {person or '—'}"


def reassign(
    conn: Connection, actor: str, hazard_id: int, expected_version: int,
    unit: str | None, person: str | None, *,
    note: str | None = None, now: dt.datetime | None = None,
) -> dict:
    """A new responsible unit and person (包案领导); history kind 'reassign', old and new values
    written 'unit / person'."""
    unit, person = _text(unit), _text(person)
    if unit is None and person is None:
        raise InvalidAction("请填写责任单位或责任人")
    for value, column in ((unit, Hazard.responsible_unit), (person, Hazard.responsible_person)):
        if value is not None and len(value) > column.type.length:
            raise InvalidAction(f"{value!r} 过长（最多 {column.type.length} 字）")

    def decide(current: dict, at: dt.datetime) -> Decision:
        if (current["responsible_unit"], current["responsible_person"]) == (unit, person):
            raise InvalidAction("责任单位和责任人没有变化")
        return ({"responsible_unit": unit, "responsible_person": person}, "reassign",
                _who(current["responsible_unit"], current["responsible_person"]), _who(unit, person),
                _text(note))

    return _act(conn, actor, hazard_id, expected_version, "reassign hazards", decide, now)


def set_deadline(
    conn: Connection, actor: str, hazard_id: int, expected_version: int, deadline: dt.date, *,
    note: str | None = None, now: dt.datetime | None = None,
) -> dict:
    """A new deadline (a date, not before the day it was found); history kind 'deadline', ISO dates."""
    if isinstance(deadline, dt.datetime):
        deadline = deadline.date()
    if not isinstance(deadline, dt.date):
        raise InvalidAction(f"not a date: {deadline!r}")

    def decide(current: dict, at: dt.datetime) -> Decision:
        if deadline < current["found_at"].date():
            raise InvalidAction(f"期限 {deadline} 早于发现日期 {current['found_at'].date()}")
        if current["deadline"] == deadline:
            raise InvalidAction("期限没有变化")
        old = current["deadline"].isoformat() if current["deadline"] else None
        return {"deadline": deadline}, "deadline", old, deadline.isoformat(), _text(note)

    return _act(conn, actor, hazard_id, expected_version, "set deadlines", decide, now)


def change_status(
    conn: Connection, actor: str, hazard_id: int, expected_version: int, new_status: str,
    reason: str | None = None, *, now: dt.datetime | None = None,
) -> dict:
    """Move the item along 待处置 → 整改中 → 已化解 → 已销号: forward by one or more steps, or back
    with a reason (ReasonRequired without). Reaching 已化解 / 已销号 from an open status sets
    resolved_at (now); going back to an open status clears it. History kind 'status'."""
    if new_status not in HAZARD_STATUSES:
        raise InvalidAction(f"unknown status {new_status!r}: one of {', '.join(HAZARD_STATUSES)}")
    why = _text(reason)

    def decide(current: dict, at: dt.datetime) -> Decision:
        old_status = current["status"]
        if old_status == new_status:
            raise InvalidAction(f"状态已是{new_status}")
        going_back = old_status in HAZARD_STATUSES and (
            HAZARD_STATUSES.index(new_status) < HAZARD_STATUSES.index(old_status))
        if going_back and why is None:
            raise ReasonRequired(f"从{old_status}退回{new_status}需要说明理由")
        changes: dict = {"status": new_status}
        if new_status in HAZARD_OPEN_STATUSES:
            changes["resolved_at"] = None
        elif current["resolved_at"] is None or old_status in HAZARD_OPEN_STATUSES:
            changes["resolved_at"] = at
        return changes, "status", old_status, new_status, why

    return _act(conn, actor, hazard_id, expected_version, "change hazard status", decide, now)
