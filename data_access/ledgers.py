"""Seed 000's three ledgers side by side, for their view and wall board (pages/stability.py):
stability risks (stability.py), first petitions (petitions.py) and mediated disputes
(disputes.py), per village and per week or month. Each count is the domain module's, in SQL;
here they are only put in one table."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection

from . import disputes, petitions, stability
from .filters import Filters, resolve

# The columns of by_village, each ledger's figures under a name of its own.
VILLAGE_COLUMNS = {
    "stability": {"found": "stability_found", "resolved": "stability_resolved",
                  "mass_incident_risks": "mass_incident_risks"},
    "petitions": {"received": "petitions_received", "resolved": "petitions_resolved"},
    "disputes": {"mediated": "disputes_mediated", "amount_yuan": "amount_yuan",
                 "alert_pushes": "alert_pushes"},
}
# The count of each ledger that its trend and the map show.
HEADLINE = {"stability": "stability_found", "petitions": "petitions_received",
            "disputes": "disputes_mediated"}
_TREND = {"stability": "found", "petitions": "received", "disputes": "mediated"}
_MODULES = {"stability": stability, "petitions": petitions, "disputes": disputes}


def by_village(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Per village with a record in any of the three: village and every VILLAGE_COLUMNS figure
    (0 where a ledger has none); the villages with the most records first, then by name."""
    filters = resolve(conn, filters)
    columns = [c for names in VILLAGE_COLUMNS.values() for c in names.values()]
    merged = pd.DataFrame({"village": pd.Series(dtype=object)})
    for ledger, names in VILLAGE_COLUMNS.items():
        frame = _MODULES[ledger].by_village(conn, filters).rename(columns=names)
        merged = merged.merge(frame, on="village", how="outer")
    merged[columns] = merged[columns].fillna(0).astype(int)
    merged["_total"] = merged[list(HEADLINE.values())].sum(axis=1)
    merged = merged.sort_values(["_total", "village"], ascending=[False, True], kind="stable")
    return merged.drop(columns="_total").reset_index(drop=True)[["village", *columns]]


def trend(conn: Connection, filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Per day, week or month: bucket, stability (risks found), petitions (received), disputes
    (mediated); 0 where a ledger had none in a bucket another had."""
    filters = resolve(conn, filters)
    merged = pd.DataFrame({"bucket": pd.Series(dtype=object)})
    for ledger, count in _TREND.items():
        frame = _MODULES[ledger].trend(conn, filters, unit)[["bucket", count]].rename(columns={count: ledger})
        merged = merged.merge(frame, on="bucket", how="outer")
    merged[list(_TREND)] = merged[list(_TREND)].fillna(0).astype(int)
    return merged.sort_values("bucket").reset_index(drop=True)
