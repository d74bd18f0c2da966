"""DOMAIN.md's definitions, written once, as SQL expressions over the records' columns.

The views' queries and the summary tables (summaries.py) both build on these. The triggers that
keep the summaries (migration 0003, a frozen copy that may not import this module) are checked
against them: tests write edge cases through the triggers and compare the summaries with what
these rules compute from the records (summaries.differences).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, func

from .models import (
    HAZARD_OPEN_STATUSES,
    PROJECT_DONE,
    Alert,
    GridEvent,
    Hazard,
    PopulationStay,
    Project,
    ProjectMilestone,
)

# ---------------------------------------------------------------- grid events

def event_closed() -> ColumnElement[bool]:
    """The event has been closed (办结)."""
    return GridEvent.closed_at.is_not(None)


def event_on_time() -> ColumnElement[bool]:
    """Closed no later than its due time; an event with no due time cannot be late (按期办结)."""
    return event_closed() & (GridEvent.due_at.is_(None) | (GridEvent.closed_at <= GridEvent.due_at))


def event_closed_late() -> ColumnElement[bool]:
    """Closed after its due time: the on-time rule's complement among the closed events."""
    return GridEvent.due_at.is_not(None) & (GridEvent.closed_at > GridEvent.due_at)


def event_dispatched() -> ColumnElement[bool]:
    """Dispatched to a handling unit (流转)."""
    return GridEvent.dispatched_at.is_not(None)


# ---------------------------------------------------------------- police alerts

TELECOM_FRAUD = "电信网络诈骗"


def alert_effective() -> ColumnElement[bool]:
    return Alert.effective.is_(True)


def alert_case() -> ColumnElement[bool]:
    """The alert became a case (立案)."""
    return Alert.became_case.is_(True)


# What each zero counter (零发生) counts, as IMPORT_FORMAT.md says.
ZERO_COUNTERS: dict[str, ColumnElement[bool]] = {
    "civil_to_criminal": Alert.civil_to_criminal.is_(True),
    "major_accident": Alert.major_accident.is_(True),
    "telecom_fraud": (Alert.category == TELECOM_FRAUD) & Alert.became_case.is_(True),
}

# ---------------------------------------------------------------- risk hazards

DUE_SOON_DAYS = 3  # 三色预警: yellow when the deadline is this close
STABILITY = "涉稳"  # the category of the stability risks (涉稳风险隐患)


def hazard_open() -> ColumnElement[bool]:
    """Not yet resolved: 待处置 or 整改中."""
    return Hazard.status.in_(HAZARD_OPEN_STATUSES)


def hazard_overdue(reference_day) -> ColumnElement[bool]:
    """Open with a deadline before the reference day (三色 red). The date first: most rows stop there."""
    return (Hazard.deadline < reference_day) & hazard_open()


def stability_risk() -> ColumnElement[bool]:
    """A stability risk (涉稳风险隐患): a hazard of category 涉稳."""
    return Hazard.category == STABILITY


def enterprises_counted():
    """How many enterprises the hazards in a group name (关停整改 counts them): distinct names
    where given, and each hazard with no enterprise named as one more (an upstream file that has
    no 涉及企业 column still records each shut-down)."""
    return func.count(func.distinct(Hazard.enterprise)) + func.count() - func.count(Hazard.enterprise)


# ---------------------------------------------------------------- floating population

VERIFY_WITHIN_DAYS = 30  # a stay should be verified within this many days of arrival
PERMIT_WARNING_DAYS = 30  # a residence permit expiring this soon is an anomaly
UNKNOWN_PROVINCE = "未知"
ANOMALIES = ("unverified", "overcrowded", "employer_left", "permit_expiring")


def stay_open() -> ColumnElement[bool]:
    """Not left yet."""
    return PopulationStay.left_at.is_(None)


def resident_on(day) -> ColumnElement[bool]:
    """Living here on `day`: arrived on or before it, not left by it."""
    return (PopulationStay.arrived_at <= day) & (PopulationStay.left_at.is_(None) | (PopulationStay.left_at > day))


def stay_province():
    """The origin province, 未知 when the record has none."""
    return func.coalesce(PopulationStay.origin_province, UNKNOWN_PROVINCE)


def anomaly_limits(reference_day: dt.date) -> tuple[dt.date, dt.date]:
    """The days stay_anomaly compares with on a reference day: a stay that arrived before the
    first and is still unverified, and a residence permit that expires by the second."""
    return (reference_day - dt.timedelta(days=VERIFY_WITHIN_DAYS),
            reference_day + dt.timedelta(days=PERMIT_WARNING_DAYS))


def stay_anomaly(kind: str, *, unverified_if_arrived_before, permit_expiring_by) -> ColumnElement[bool]:
    """What makes a resident's stay an anomaly of `kind` (every kind but 'overcrowded', which is
    about houses: more residents than the house's capacity); the limits from anomaly_limits."""
    if kind == "unverified":
        return PopulationStay.verified_at.is_(None) & (PopulationStay.arrived_at < unverified_if_arrived_before)
    if kind == "employer_left":
        return PopulationStay.employer_left_at.is_not(None)
    if kind == "permit_expiring":
        return PopulationStay.permit_expiry <= permit_expiring_by
    raise ValueError(f"unknown anomaly {kind!r}")


# ---------------------------------------------------------------- key projects (作战图)


def project_done() -> ColumnElement[bool]:
    return Project.status == PROJECT_DONE


def milestone_pending(day) -> ColumnElement[bool]:
    """A milestone not done by `day`: its deadline is one the project still has to meet."""
    return ProjectMilestone.done_at.is_(None) | (ProjectMilestone.done_at > day)
