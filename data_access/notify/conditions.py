"""The warning rules' conditions: for which subjects each holds now, found in SQL (values bound,
counted by aggregates; only the matching rows come back).

A rule is a name in CONDITIONS: its title, its severity, its default thresholds and a function
(conn, now, thresholds) → [Finding]. A Finding is one subject for which the condition holds
(a hazard, a village, an alert, a terminal, an event, a day), with the one line a message says
about it (no personal data: names masked, no ID numbers or phones; counts and places) and the
path back to the item under PUBLIC_URL. The watcher opens a warning for a subject that starts
to hold and clears it when it no longer does (watcher.py).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlencode

from sqlalchemy import Connection, DateTime, Float, Integer, bindparam, case, or_, select

from .. import accounts, hazards, rules
from ..filters import Filters, Period
from ..masking import mask_name
from ..models import HAZARD_LEVELS, Alert, Grid, GridEvent, Hazard, Terminal, Village
from ..reports import briefing_pdf, briefing_text, meeting_briefing
from ..sql import count_if

# The account the watcher builds the daily briefing as (an export, checked and audited as any).
WATCHER_ACCOUNT = "system.watcher"
WATCHER_ROLE = "staff"  # the least role that may export the briefing

ZERO_COUNTER_NAMES = {"civil_to_criminal": "民转刑", "major_accident": "重大安全事故",
                      "telecom_fraud": "电信网络诈骗"}

NOW, SINCE = bindparam("now", type_=DateTime), bindparam("since", type_=DateTime)
LEVELS = bindparam("levels", expanding=True)


@dataclass(frozen=True)
class Content:
    """A warning's longer text and its PDF (the daily briefing's), made only when it opens."""

    text: str
    pdf: bytes | None = None


@dataclass(frozen=True)
class Finding:
    """One subject for which a rule's condition holds now."""

    subject: str  # kind:key, e.g. hazard:12 — the same subject on every round while it holds
    title: str  # one line: what and where, no personal data
    village: str | None = None
    link: str | None = None  # a path under PUBLIC_URL, e.g. /hazard?id=12
    content: Callable[[Connection], Content] | None = None


@dataclass(frozen=True)
class Condition:
    title: str
    severity: str  # models.WARNING_SEVERITIES
    defaults: Mapping
    find: Callable[[Connection, dt.datetime, dict], list[Finding]]


def _path(page: str, **params) -> str:
    return f"/{page}?{urlencode(params)}" if params else f"/{page}"


def _who(unit: str | None, person: str | None) -> str:
    return " ".join(v for v in (unit, mask_name(person)) if v)


def _line(*parts: str | None) -> str:
    return " · ".join(p for p in parts if p)


# ---------------------------------------------------------------- hazards (三色预警, 重大)


@functools.cache
def _hazards_statement(colour: str | None):
    """Open hazards of a 三色 colour and the levels asked for; with no colour, the 重大 ones
    found since SINCE."""
    if colour:
        where = hazards.in_colour(colour) & Hazard.level.in_(LEVELS)
    else:
        where = rules.hazard_open() & (Hazard.level == HAZARD_LEVELS[0]) & (Hazard.found_at >= SINCE)
    return (
        select(Hazard.id, Hazard.title, Hazard.level, Hazard.category, Village.name.label("village"),
               Hazard.found_at, Hazard.deadline, Hazard.responsible_unit, Hazard.responsible_person)
        .join(Village, Village.id == Hazard.village_id)
        .where(where)
        .order_by(Hazard.id)
    )


def _hazard_finding(row, when: str) -> Finding:
    return Finding(f"hazard:{row.id}", _line(f"[{row.level}] {row.title}", row.category, row.village, when,
                                             _who(row.responsible_unit, row.responsible_person)),
                   row.village, _path("hazard", id=row.id))


def _hazards_overdue(conn: Connection, now: dt.datetime, thresholds: dict) -> list[Finding]:
    values = hazards.colour_values(now.date()) | {"levels": thresholds["levels"]}
    return [_hazard_finding(r, f"期限 {r.deadline:%m-%d} 已过")
            for r in conn.execute(_hazards_statement("red"), values)]


def _hazards_due_soon(conn: Connection, now: dt.datetime, thresholds: dict) -> list[Finding]:
    today = now.date()
    values = hazards.colour_values(today) | {"levels": thresholds["levels"]}
    return [_hazard_finding(r, f"期限 {r.deadline:%m-%d}（剩 {(r.deadline - today).days} 天）")
            for r in conn.execute(_hazards_statement("yellow"), values)]


def _major_hazards_found(conn: Connection, now: dt.datetime, thresholds: dict) -> list[Finding]:
    since = now - dt.timedelta(days=thresholds["within_days"])
    return [_hazard_finding(r, f"发现于 {r.found_at:%m-%d %H:%M}")
            for r in conn.execute(_hazards_statement(None), {"since": since})]


# ---------------------------------------------------------------- police alerts


@functools.cache
def _surge_statement():
    """Per village: effective alerts since RECENT (the last hours) and in the baseline days before
    them, kept where the recent count exceeds both MIN and FACTOR × the baseline's daily mean."""
    recent_start = bindparam("recent_start", type_=DateTime)
    recent = count_if(Alert.received_at >= recent_start)
    earlier = count_if(Alert.received_at < recent_start)
    days, factor = bindparam("baseline_days", type_=Integer), bindparam("factor", type_=Float)
    return (
        select(Village.id, Village.name, recent.label("recent"), earlier.label("earlier"))
        .select_from(Alert)
        .join(Village, Village.id == Alert.village_id)
        .where(rules.alert_effective() & (Alert.received_at >= SINCE) & (Alert.received_at < NOW))
        .group_by(Village.id, Village.name)
        .having((recent > bindparam("min_alerts", type_=Integer)) & (recent * days > factor * earlier))
        .order_by(Village.id)
    )


def _alert_surge(conn: Connection, now: dt.datetime, thresholds: dict) -> list[Finding]:
    hours, days = thresholds["hours"], thresholds["baseline_days"]
    recent_start = now - dt.timedelta(hours=hours)
    values = {"now": now, "recent_start": recent_start, "since": recent_start - dt.timedelta(days=days),
              "baseline_days": days, "factor": float(thresholds["factor"]),
              "min_alerts": thresholds["min_alerts"]}
    return [
        Finding(f"village:{r.id}",
                f"{r.name}：近 {hours} 小时有效警情 {r.recent} 起，"
                f"此前 {days} 天日均 {r.earlier / days:.1f} 起",
                r.name, _path("alerts", village=r.name, **{"from": recent_start.date(), "to": now.date()}))
        for r in conn.execute(_surge_statement(), values)
    ]


@functools.cache
def _zero_counter_statement(counters: tuple[str, ...]):
    flags = [case((rules.ZERO_COUNTERS[c], True), else_=False).label(c) for c in counters]
    return (
        select(Alert.id, Alert.received_at, Alert.category, Village.name.label("village"), *flags)
        .join(Village, Village.id == Alert.village_id)
        .where((Alert.received_at >= SINCE) & (Alert.received_at < NOW)
               & or_(*(rules.ZERO_COUNTERS[c] for c in counters)))
        .order_by(Alert.id)
    )


def _zero_counter_broken(conn: Connection, now: dt.datetime, thresholds: dict) -> list[Finding]:
    counters = tuple(thresholds["counters"])
    since = now - dt.timedelta(days=thresholds["within_days"])
    found = []
    for r in conn.execute(_zero_counter_statement(counters), {"since": since, "now": now}):
        broken = "、".join(ZERO_COUNTER_NAMES[c] for c in counters if r._mapping[c])
        found.append(Finding(f"alert:{r.id}", _line(f"{broken}零发生中断", r.village,
                                                    f"{r.received_at:%m-%d %H:%M} 接警", r.category),
                             r.village, _path("alerts", village=r.village)))
    return found


# ---------------------------------------------------------------- smart terminals, grid events


@functools.cache
def _offline_statement():
    return (
        select(Terminal.id, Terminal.source_id, Terminal.name, Terminal.kind, Terminal.last_seen_at,
               Village.name.label("village"))
        .join(Village, Village.id == Terminal.village_id)
        .where(Terminal.online.is_(False)
               & (Terminal.last_seen_at.is_(None) | (Terminal.last_seen_at < SINCE)))
        .order_by(Terminal.id)
    )


def _terminal_offline(conn: Connection, now: dt.datetime, thresholds: dict) -> list[Finding]:
    since = now - dt.timedelta(hours=thresholds["hours"])
    return [
        Finding(f"terminal:{r.id}",
                _line(f"{r.name or r.source_id}（{r.kind}）", r.village,
                      f"最后在线 {r.last_seen_at:%m-%d %H:%M}" if r.last_seen_at else "从未上线"),
                r.village, _path("alerts", village=r.village))
        for r in conn.execute(_offline_statement(), {"since": since})
    ]


@functools.cache
def _events_overdue_statement():
    return (
        select(GridEvent.id, GridEvent.source_id, GridEvent.category, GridEvent.due_at,
               Village.name.label("village"), Grid.name.label("grid"))
        .join(Village, Village.id == GridEvent.village_id)
        .outerjoin(Grid, Grid.id == GridEvent.grid_id)
        .where(~rules.event_closed() & (GridEvent.due_at < NOW))
        .order_by(GridEvent.id)
    )


def _event_overdue(conn: Connection, now: dt.datetime, thresholds: dict) -> list[Finding]:
    return [
        Finding(f"event:{r.id}", _line(r.category, " ".join(v for v in (r.village, r.grid) if v),
                                       f"期限 {r.due_at:%m-%d %H:%M} 已过", f"编号 {r.source_id}"),
                r.village, _path("events", village=r.village))
        for r in conn.execute(_events_overdue_statement(), {"now": now})
    ]


# ---------------------------------------------------------------- the daily briefing


def _daily_briefing(conn: Connection, now: dt.datetime, thresholds: dict) -> list[Finding]:
    """From the hour set until midnight: the day's briefing, on the day before."""
    if now.time() < dt.time.fromisoformat(thresholds["at"]):
        return []
    day = now.date()
    yesterday = day - dt.timedelta(days=1)
    return [Finding(f"day:{day}", f"每日简报 {yesterday}", None,
                    _path("review", **{"from": yesterday, "to": yesterday}),
                    functools.partial(briefing_content, day=day))]


def briefing_content(conn: Connection, day: dt.date) -> Content:
    """The meeting briefing of the day before `day`, the whole area, as text and PDF; built (and
    audited as an export) by the watcher's own account, which it creates when missing."""
    accounts.ensure_system_account(conn, WATCHER_ACCOUNT, WATCHER_ROLE, by="watch")
    yesterday = day - dt.timedelta(days=1)
    briefing = meeting_briefing(conn, WATCHER_ACCOUNT, Filters(Period(yesterday, yesterday)), day)
    return Content(briefing_text(briefing), briefing_pdf(briefing))


# ---------------------------------------------------------------- the rules, and their thresholds

# The default set, in this order; each is created enabled (the demo, and every watcher's start).
CONDITIONS: dict[str, Condition] = {
    "hazard_overdue": Condition(
        "隐患逾期（三色红）", "red", {"levels": list(HAZARD_LEVELS)}, _hazards_overdue),
    "hazard_due_soon": Condition(
        f"隐患临期（三色黄，{rules.DUE_SOON_DAYS} 天内到期）", "yellow", {"levels": list(HAZARD_LEVELS)},
        _hazards_due_soon),
    "hazard_major_found": Condition(
        "发现重大隐患", "red", {"within_days": 7}, _major_hazards_found),
    "alert_surge": Condition(
        "警情异常增多", "orange", {"hours": 24, "baseline_days": 28, "min_alerts": 3, "factor": 2},
        _alert_surge),
    "zero_counter_broken": Condition(
        "零发生中断", "red", {"counters": list(rules.ZERO_COUNTERS), "within_days": 7}, _zero_counter_broken),
    "terminal_offline": Condition(
        "智能终端离线", "yellow", {"hours": 2}, _terminal_offline),
    "event_overdue": Condition(
        "网格事件超期未办结", "orange", {}, _event_overdue),
    "daily_briefing": Condition(
        "每日简报", "blue", {"at": "08:00"}, _daily_briefing),
}


class InvalidThresholds(ValueError):
    """Thresholds a rule does not take, or values out of range."""


@dataclass(frozen=True)
class Expected:
    """What a threshold's value must be: a kind, and the figures that complete its wording. str()
    is the English wording (the command line's); the interface words `kind` in its own language."""

    kind: str  # "whole", "some_of", "positive" or "clock"
    figures: tuple[tuple[str, object], ...] = ()

    WORDING: ClassVar[dict[str, str]] = {
        "whole": "a whole number from {low} to {high}",
        "some_of": "a list of some of {choices}",
        "positive": "a number above 0, at most 100",
        "clock": "a time of day HH:MM",
    }

    def __str__(self) -> str:
        return self.WORDING[self.kind].format(**dict(self.figures))


def _whole(low: int, high: int):
    def check(value) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    return check, Expected("whole", (("low", low), ("high", high)))


def _some_of(choices):
    def check(value) -> bool:
        return (isinstance(value, list) and bool(value) and set(value) <= set(choices)
                and len(set(value)) == len(value))
    return check, Expected("some_of", (("choices", ", ".join(choices)),))


def _clock(value) -> bool:
    try:
        return isinstance(value, str) and len(value) == 5 and dt.time.fromisoformat(value) is not None
    except ValueError:
        return False


def _positive(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 100


THRESHOLD_CHECKS = {
    "levels": _some_of(HAZARD_LEVELS),
    "counters": _some_of(tuple(rules.ZERO_COUNTERS)),
    "within_days": _whole(1, 365),
    "baseline_days": _whole(1, 365),
    "hours": _whole(1, 720),
    "min_alerts": _whole(0, 100_000),
    "factor": (_positive, Expected("positive")),
    "at": (_clock, Expected("clock")),
}


def thresholds_of(name: str, given: Mapping) -> dict:
    """Rule `name`'s thresholds: its defaults with `given` over them, each checked;
    InvalidThresholds for a key the rule does not take or a value out of range."""
    condition = CONDITIONS[name]
    unknown = set(given) - set(condition.defaults)
    if unknown:
        takes = ", ".join(condition.defaults) or "none"
        raise InvalidThresholds(f"{name} takes no threshold {', '.join(sorted(unknown))} (it takes: {takes})")
    for key, value in given.items():
        check, expected = THRESHOLD_CHECKS[key]
        if not check(value):
            raise InvalidThresholds(f"{name}: {key} must be {expected}, not {value!r}")
    return {**condition.defaults, **given}
