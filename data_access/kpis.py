"""The figures a leader quotes, all in one object: the `kpis` command prints it, the
overview shows it. Definitions are in each domain module and in DOMAIN.md."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from . import alerts, areas, events, hazards, population
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
    }
