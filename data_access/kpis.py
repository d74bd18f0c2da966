"""The figures a leader quotes, all in one object: the `kpis` command prints it, the
overview shows it. Definitions are in each domain module and in DOMAIN.md."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from . import alerts, areas, disputes, events, hazards, petitions, population, projects, stability
from .filters import Filters, resolve

ALERT_FIELDS = ("effective", "effective_prev_year", "effective_yoy", "cases", "cases_prev_year", "cases_yoy")


def summary(conn: Connection, filters: Filters, today: dt.date) -> dict:
    """Every KPI for the filter, shaped as the `kpis --json` object."""
    filters = resolve(conn, filters)
    alert_figures = alerts.kpis(conn, filters)
    return {
        "period": {"from": filters.period.start.isoformat(), "to": filters.period.end.isoformat()},
        "villages": list(filters.villages) or areas.village_names(conn),
        "events": events.kpis(conn, filters),
        "alerts": {k: alert_figures[k] for k in ALERT_FIELDS},
        "alerts_previous_period": {
            "effective": alert_figures["effective_prev_period"],
            "effective_mom": alert_figures["effective_mom"],
            "cases": alert_figures["cases_prev_period"],
            "cases_mom": alert_figures["cases_mom"],
        },
        "hazards": hazards.kpis(conn, filters, today),
        "population": population.kpis(conn, filters, today),
        "zero_days": alerts.zero_days(conn, filters, today),
        "stability": stability.kpis(conn, filters),
        "petitions": petitions.kpis(conn, filters),
        "disputes": disputes.kpis(conn, filters),
        "projects": projects.kpis(conn, filters, today),
    }


# What a map can shade villages by; each function returns DataFrame[village, value].
VILLAGE_MEASURES = {
    "residents": lambda conn, filters, today: population.by_village(conn, filters, today),
    "hazards_open": lambda conn, filters, today: hazards.by_village(conn, filters),
    "alerts": lambda conn, filters, today: alerts.by_village(conn, filters),
    "events": lambda conn, filters, today: events.by_village(conn, filters),
}


def by_village(conn: Connection, filters: Filters, today: dt.date, measure: str):
    """One measure per village (for shading a map): village, value."""
    if measure not in VILLAGE_MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    return VILLAGE_MEASURES[measure](conn, filters, today)
