"""City scale: how fast each view gets its first render's data, on SQLite and PostgreSQL.

    python benchmarks/city.py                              # builds both databases if needed
    python benchmarks/city.py --sqlite /tmp/city.db --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/bench_city_x
    python benchmarks/city.py --runs 7 --markdown /tmp/readme_city.md --no-browser

For each engine it builds the city demo (about 300 villages, 2,000,000 alerts, 1,000,000 stays,
1,000,000 grid events, 100,000 hazards; `demo.generate(scale="city")`, timed) unless the
database already holds it, then measures for every view, for one village and for the whole
area, with the default filter (this year to the data's last day, which is 'today'):

  first  a new engine (new connection pool, SQLAlchemy's compiled-statement cache empty)
         running every query the view asks for on its first render, through data_access:
         the first request after the server starts.
  cold   the same on the running app's engine (its pool and compiled statements kept, as
         they are for the life of the server), with nothing in the app's data cache: what a
         user waits for on a new filter or after CACHE_TTL_S.
  warm   the same through ui/data.query's cache: a hit, what a user sees within CACHE_TTL_S.
         SQLite's file stays in the OS page cache throughout (it cannot be dropped here);
         PostgreSQL's server keeps its shared buffers.
  naive  the common Streamlit way: each table the view needs read whole with pd.read_sql,
         then filtered and aggregated in pandas (the main figures, not every list).
  floor  the same figures by one hand-written SQL statement each, on the same database and
         indexes, run as the app runs SQL (SQLAlchemy connection, rows into a DataFrame), so
         that ours ÷ floor compares the SQL: cold against the floor on a connection that has
         run it before, first against the floor on a new engine. "driver" is the same
         statements on the driver's own cursor with no SQLAlchemy and no pandas: the lowest
         possible figure, shown for reference.
  map    the size of each map's HTML (ui.maps builders, as the view draws it).
  browser  seconds from opening a view (sidebar link) until Streamlit has run it and shows no
         skeleton, in headless Chromium on `streamlit run app.py` (signed in as 'staff').

Times are medians of --runs runs; ratios are from the same run. PostgreSQL databases this
script creates are dropped at the end unless --keep is given. The machine should be idle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import logging
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from data_access import accounts, alerts, areas, demo, events, hazards, kpis, population, schema  # noqa: E402
from data_access.db import _make_engine, forget_engines, get_engine  # noqa: E402
from data_access.filters import Filters, Period, local_today, resolve  # noqa: E402
from data_access.models import Alert, Village  # noqa: E402

GOAL_COLD_MS, GOAL_WARM_MS, GOAL_NAIVE_X, GOAL_FLOOR_X = 200, 20, 30, 2
GOAL_MAP_BYTES, GOAL_BROWSER_S, GOAL_DEMO_S = 1_000_000, 3.0, 300
CITY_ALERTS = 1_900_000  # a database with fewer is (re)built
VIEWS = ("overview", "hazards", "population", "alerts", "events")
MAP_VIEWS = ("overview", "hazards", "population", "alerts")
ACCOUNT = ("staff", "staff-demo")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


# ---------------------------------------------------------------- what each view asks for


@dataclass(frozen=True)
class Scope:
    label: str  # "village" or "area"
    filters: Filters
    village_id: int | None


def view_calls(view: str, f: Filters, resolved: Filters, today: dt.date, now: dt.datetime,
               closed_hazards_fit: bool) -> list[tuple[str, Callable, tuple]]:
    """(name, data_access function, arguments after the connection) for the view's first render:
    the shared frame (filter bar, names to ids, demo banner, account check, the map's outlines),
    then the page, which gets the filter `resolved` (what resolve(f) returns) as the app's does.
    closed_hazards_fit: hazards.closed_hazards_fit of the hazard KPIs (whether the map draws closed hazards)."""
    frame = [("areas.village_options", areas.village_options, ()),
             ("areas.grid_names", areas.grid_names, (f.villages,)),
             ("filters.resolve", resolve, (f,)),
             ("areas.has_demo_records", areas.has_demo_records, ()),
             ("accounts.active_account", accounts.active_account, (ACCOUNT[0],))]
    f = resolved
    outlines = [("areas.boundaries", areas.boundaries, ())]
    pages = {
        "overview": [("kpis.summary", kpis.summary, (f, today)),
                     ("hazards.map_points", hazards.map_points, (f, today, False)),
                     ("kpis.by_village", kpis.by_village, (f, today, "residents")),
                     ("alerts.trend", alerts.trend, (f, "week")), ("population.flows", population.flows, (f, "week")),
                     ("events.trend", events.trend, (f, "week"))],
        "hazards": [("hazards.kpis", hazards.kpis, (f, today)), ("hazards.counts_by", hazards.counts_by, (f,)),
                    ("hazards.map_points", hazards.map_points, (f, today, closed_hazards_fit)),
                    ("hazards.new_vs_resolved", hazards.new_vs_resolved, (f,)),
                    ("hazards.worst_first", hazards.worst_first, (f, today))],
        "population": [("population.kpis", population.kpis, (f, today)), ("population.by_village", population.by_village, (f, today)),
                       ("population.flows", population.flows, (f, "week")), ("population.origins", population.origins, (f, today)),
                       ("population.age_gender", population.age_gender, (f, today)),
                       *((f"population.anomaly_list {k}", population.anomaly_list, (f, today, k))
                         for k in population.ANOMALIES),
                       ("population.by_house", population.by_house, (f, today)),
                       ("population.by_employer", population.by_employer, (f, today))],
        "alerts": [("alerts.kpis", alerts.kpis, (f,)), ("alerts.zero_days", alerts.zero_days, (f, today)),
                   ("alerts.trend", alerts.trend, (f, "week")), ("alerts.hotspots", alerts.hotspots, (f,)),
                   ("alerts.hour_weekday", alerts.hour_weekday, (f,)),
                   ("alerts.terminals_by_village", alerts.terminals_by_village, (f,))],
        "events": [("events.categories", events.categories, ()), ("events.kpis", events.kpis, (f,)),
                   ("events.backlog", events.backlog, (f, now)),
                   *((f"events.behind_rate {w}", events.behind_rate, (f, w)) for w in events.BEHIND_RATE),
                   ("events.trend", events.trend, (f, "week")), ("events.by_category", events.by_category, (f,))],
    }  # fmt: skip
    return frame + (outlines if view in MAP_VIEWS else []) + pages[view]


def ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def run_calls(conn, calls) -> None:
    for _, function, args in calls:
        function(conn, *args)


def first_ms(url: str, calls) -> float:
    engine = _make_engine(url)  # a new pool and an empty statement cache
    try:
        start = time.perf_counter()
        with engine.connect() as conn:
            run_calls(conn, calls)
        return ms_since(start)
    finally:
        engine.dispose()


def cold_ms(engine, calls) -> float:
    start = time.perf_counter()
    with engine.connect() as conn:
        run_calls(conn, calls)
    return ms_since(start)


def warm_ms(calls) -> float:
    from ui.data import query  # st.cache_data outside a running app: an in-memory cache

    for name in list(logging.root.manager.loggerDict):  # no "missing ScriptRunContext" per call
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)
    start = time.perf_counter()
    for _, function, args in calls:
        query(function, *args)
    return ms_since(start)


# ---------------------------------------------------------------- the floor: one statement each


def _sql_dialect(dialect: str) -> dict[str, str]:
    """Fragments that SQLite and PostgreSQL spell differently (constant SQL, never values)."""
    if dialect == "sqlite":
        return {"week": "date({}, 'weekday 0', '-6 days')", "hour": "CAST(strftime('%H', {}) AS INTEGER)",
                "weekday": "(CAST(strftime('%w', {}) AS INTEGER) + 6) % 7", "true": "1", "day": "date({})"}
    return {"week": "date(date_trunc('week', {}))", "hour": "CAST(extract(hour FROM {}) AS INTEGER)",
            "weekday": "CAST(extract(isodow FROM {}) AS INTEGER) - 1", "true": "true", "day": "CAST({} AS date)"}


def floor_statements(view: str, scope: Scope, dialect: str, ctx: dict) -> list[tuple[str, str]]:
    """(name, SQL) per query of the view: what a person would write by hand for these figures,
    on the summaries for the whole area and on the records for a village (as data_access does).
    `ctx` holds facts looked up beforehand (how many alerts the map has, whether the hazard map
    draws closed hazards: for their branches)."""
    d = _sql_dialect(dialect)
    wk = d["week"].format
    area = scope.village_id is None
    vill = "" if area else " AND village_id = :v"
    closed_too = " OR (found_at >= :b AND found_at < :e)" if view == "hazards" and ctx["closed_hazards_fit"] else ""
    common = [
        ("areas.village_options", "SELECT name, work_area, in_micro_centre FROM villages ORDER BY town, work_area, name"),
        ("areas.grid_names", "SELECT g.name FROM grids g JOIN villages v ON v.id = g.village_id"
                        + ("" if area else " WHERE v.name = :vname") + " ORDER BY v.name, g.name"),
        *([] if area else [("filters.resolve", "SELECT name, id FROM villages WHERE name = :vname")]),
        ("areas.has_demo_records", "SELECT EXISTS (SELECT 1 FROM villages WHERE is_demo = :t) OR EXISTS "
                                   "(SELECT 1 FROM alerts WHERE is_demo = :t)"),
        ("accounts.active_account", "SELECT name, role, is_demo FROM users WHERE name = :account AND active = :t"),
    ]
    if view in MAP_VIEWS:
        common.append(("areas.boundaries", "SELECT name, work_area, boundary, center_lat, center_lon FROM villages "
                                           "WHERE boundary IS NOT NULL ORDER BY name"))
    resident_open = "left_at IS NULL AND arrived_at <= :ref"
    resident_left = "left_at > :ref AND arrived_at <= :ref"
    resident = f"arrived_at <= :ref AND (left_at IS NULL OR left_at > :ref){vill}"

    def residents_by(summary: str, key: str, stay_key: str) -> str:
        return (f"SELECT {key}, sum(n) AS n FROM (SELECT {key}, residents AS n FROM {summary} "
                f"UNION ALL SELECT {stay_key}, -1 FROM population_stays WHERE left_at IS NULL AND arrived_at > :ref "
                f"UNION ALL SELECT {stay_key}, 1 FROM population_stays WHERE {resident_left}) AS x GROUP BY {key}")

    unknown_province = "coalesce(origin_province, '未知')"
    ages = residents_by("stay_open_ages", "gender, birth_date", "gender, birth_date")
    by_village = residents_by("stay_open_villages", "village_id", "village_id")
    provinces = residents_by("stay_open_provinces", "province", unknown_province)
    band = ("CASE WHEN birth_date <= :b60 THEN '60+' WHEN birth_date <= :b45 THEN '45-59' WHEN birth_date <= :b30 "
            "THEN '30-44' WHEN birth_date <= :b18 THEN '18-29' ELSE '0-17' END")
    anomaly = {"unverified": "verified_at IS NULL AND arrived_at < :late", "employer_left": "employer_left_at IS NOT NULL",
               "permit_expiring": "permit_expiry <= :soon"}
    person = ("SELECT s.id, s.source_id, s.name, s.id_number, s.phone, v.name, g.name, s.employer, s.arrived_at, "
              "s.verified_at, s.employer_left_at, s.permit_expiry FROM population_stays s JOIN villages v ON "
              "v.id = s.village_id LEFT JOIN grids g ON g.id = s.grid_id WHERE ")
    house = ("SELECT h.source_id, v.name, h.address, h.landlord, h.landlord_phone, h.capacity, c.n FROM {counts} c "
             "JOIN houses h ON h.id = c.house_id JOIN villages v ON v.id = h.village_id")
    if area:
        counts_houses = "(SELECT house_id, residents AS n, capacity FROM stay_open_houses)"
        overcrowded_where = " WHERE c.n > c.capacity AND c.n > 0"
    else:
        counts_houses = ("(SELECT house_id, count(*) AS n FROM population_stays WHERE arrived_at <= :ref AND "
                         "(left_at IS NULL OR left_at > :ref) AND house_id IN (SELECT id FROM houses WHERE "
                         "village_id = :v) GROUP BY house_id)")
        overcrowded_where = " WHERE c.n > h.capacity"
    event_cols = ("SELECT e.source_id, e.reported_at, e.category, v.name, g.name, e.reporter, e.dispatched_at, e.due_at, "
                  "e.closed_at, e.summary, count(*) OVER () FROM grid_events e JOIN villages v ON v.id = e.village_id "
                  "LEFT JOIN grids g ON g.id = e.grid_id WHERE e.reported_at >= :b AND e.reported_at < :e")
    evill = "" if area else " AND e.village_id = :v"
    in_period = f"reported_at >= :b AND reported_at < :e{vill}"
    if area:
        ev_rows = (f"SELECT {{k}} AS k, new AS n, closed AS c, on_time AS o, dispatched AS d FROM event_days WHERE day "
                   f"BETWEEN :s AND :end UNION ALL SELECT {{r}}, 0, -1, CASE WHEN due_at IS NULL OR closed_at <= due_at "
                   f"THEN -1 ELSE 0 END, 0 FROM grid_events WHERE closed_at >= :e AND {in_period} UNION ALL SELECT "
                   f"{{r}}, 0, 0, 0, -1 FROM grid_events WHERE dispatched_at >= :e AND {in_period}")
        ev_sum = "SELECT k, sum(n), sum(c), sum(o), sum(d) FROM ({rows}) AS x GROUP BY k HAVING sum(n) > 0"
    else:
        closed = "closed_at IS NOT NULL AND closed_at < :e"
        ev_rows = (f"SELECT {{r}} AS k, 1 AS n, CASE WHEN {closed} THEN 1 ELSE 0 END AS c, CASE WHEN {closed} AND "
                   f"(due_at IS NULL OR closed_at <= due_at) THEN 1 ELSE 0 END AS o, CASE WHEN dispatched_at IS NOT NULL "
                   f"AND dispatched_at < :e THEN 1 ELSE 0 END AS d FROM grid_events WHERE {in_period}")
        ev_sum = "SELECT k, sum(n), sum(c), sum(o), sum(d) FROM ({rows}) AS x GROUP BY k"
    a_in = f"received_at >= :b AND received_at < :e{vill}"
    statements = {
        "kpis.summary": None,  # the overview's summary: all of the domains' KPI statements, below
        "alerts.kpis": (
            "SELECT sum(CASE WHEN day BETWEEN :s AND :end THEN effective ELSE 0 END), sum(CASE WHEN day BETWEEN :s AND "
            ":end THEN cases ELSE 0 END), sum(CASE WHEN day BETWEEN :ys AND :yend THEN effective ELSE 0 END), "
            "sum(CASE WHEN day BETWEEN :ys AND :yend THEN cases ELSE 0 END), sum(CASE WHEN day BETWEEN :ps AND :pend "
            "THEN effective ELSE 0 END), sum(CASE WHEN day BETWEEN :ps AND :pend THEN cases ELSE 0 END) FROM alert_days "
            "WHERE day BETWEEN :s AND :end OR day BETWEEN :ys AND :yend OR day BETWEEN :ps AND :pend" if area else
            "SELECT sum(CASE WHEN received_at >= :b AND received_at < :e AND effective THEN 1 ELSE 0 END), "
            "sum(CASE WHEN received_at >= :b AND received_at < :e AND became_case THEN 1 ELSE 0 END), "
            "sum(CASE WHEN received_at >= :yb AND received_at < :ye AND effective THEN 1 ELSE 0 END), "
            "sum(CASE WHEN received_at >= :yb AND received_at < :ye AND became_case THEN 1 ELSE 0 END), "
            "sum(CASE WHEN received_at >= :pb AND received_at < :pe AND effective THEN 1 ELSE 0 END), "
            "sum(CASE WHEN received_at >= :pb AND received_at < :pe AND became_case THEN 1 ELSE 0 END) FROM alerts "
            "WHERE village_id = :v AND ((received_at >= :b AND received_at < :e) OR (received_at >= :yb AND "
            "received_at < :ye) OR (received_at >= :pb AND received_at < :pe))"),
        "alerts.zero_days": (
            "SELECT max(CASE WHEN civil_to_criminal > 0 THEN day END), max(CASE WHEN major_accident > 0 THEN day END), "
            "max(CASE WHEN telecom_fraud > 0 THEN day END) FROM alert_days WHERE day <= :ref" if area else
            "SELECT max(CASE WHEN civil_to_criminal THEN received_at END), max(CASE WHEN major_accident THEN received_at "
            "END), max(CASE WHEN category = '电信网络诈骗' AND became_case THEN received_at END) FROM alerts "
            "WHERE village_id = :v AND received_at < :e"),
        "alerts.trend": (
            f"SELECT {wk('day')} AS b, category, sum(alerts), sum(effective), sum(cases) FROM alert_days WHERE day "
            f"BETWEEN :s AND :end GROUP BY b, category HAVING sum(alerts) > 0 ORDER BY b, category" if area else
            f"SELECT {wk('received_at')} AS b, category, count(*), sum(CASE WHEN effective THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN became_case THEN 1 ELSE 0 END) FROM alerts WHERE {a_in} GROUP BY b, category ORDER BY b, category"),
        "alerts.hotspots": (
            "SELECT sum(ls) / sum(n), sum(lo) / sum(n), sum(n), sum(sum(n)) OVER () FROM (SELECT cell_lat, cell_lon, "
            "sum(alerts) AS n, sum(lat_sum) AS ls, sum(lon_sum) AS lo FROM alert_cells WHERE month BETWEEN :m1 AND :m2 "
            "GROUP BY cell_lat, cell_lon UNION ALL SELECT CAST(lat * 200 AS INTEGER), CAST(lon * 200 AS INTEGER), "
            "count(*), sum(lat), sum(lon) FROM alerts WHERE lat IS NOT NULL AND lon IS NOT NULL AND ((received_at >= :b "
            "AND received_at < :mb) OR (received_at >= :ma AND received_at < :e)) GROUP BY CAST(lat * 200 AS INTEGER), "
            "CAST(lon * 200 AS INTEGER)) AS c GROUP BY cell_lat, cell_lon HAVING sum(n) > 0 ORDER BY sum(n) DESC, "
            "cell_lat, cell_lon LIMIT 2000" if area and ctx["hotspot_cells"] else
            f"SELECT avg(lat), avg(lon), count(*) FROM alerts WHERE {a_in} AND lat IS NOT NULL AND lon IS NOT NULL "
            f"GROUP BY CAST(lat * 200 AS INTEGER), CAST(lon * 200 AS INTEGER) ORDER BY count(*) DESC LIMIT 2000"
            if ctx["hotspot_cells"] else
            f"SELECT lat, lon, count(*) FROM alerts WHERE {a_in} AND lat IS NOT NULL AND lon IS NOT NULL "
            f"GROUP BY lat, lon ORDER BY lat, lon"),
        "alerts.hour_weekday": (
            f"SELECT hour, {d['weekday'].format('day')} AS w, sum(alerts) FROM alert_hours WHERE day BETWEEN :s AND :end "
            f"GROUP BY hour, w" if area else
            f"SELECT {d['hour'].format('received_at')} AS h, {d['weekday'].format('received_at')} AS w, count(*) "
            f"FROM alerts WHERE {a_in} GROUP BY h, w"),
        "alerts.terminals_by_village": (
            "SELECT v.name, sum(CASE WHEN t.online THEN 1 ELSE 0 END), sum(CASE WHEN t.online THEN 0 ELSE 1 END) FROM "
            "terminals t JOIN villages v ON v.id = t.village_id" + ("" if area else " WHERE t.village_id = :v")
            + " GROUP BY v.name ORDER BY v.name"),
        "events.categories": "SELECT DISTINCT category FROM event_days WHERE new > 0 ORDER BY category",
        "events.kpis": ev_sum.format(rows=ev_rows.format(k="0", r="0")),
        "events.trend": ev_sum.format(rows=ev_rows.format(k=wk("day"), r=wk("reported_at"))) + " ORDER BY k",
        "events.by_category": ev_sum.format(rows=ev_rows.format(k="category", r="category")) + " ORDER BY 2 DESC, k",
        "events.backlog": (
            f"SELECT e.source_id, e.reported_at, e.category, v.name, g.name, e.reporter, e.dispatched_at, e.due_at, "
            f"e.closed_at, e.summary, count(*) OVER (), sum(CASE WHEN e.due_at < :now THEN 1 ELSE 0 END) OVER () FROM "
            f"grid_events e JOIN villages v ON v.id = e.village_id LEFT JOIN grids g ON g.id = e.grid_id WHERE "
            f"e.closed_at IS NULL AND e.reported_at < :e{evill} ORDER BY e.due_at IS NULL, e.due_at, e.reported_at "
            f"LIMIT 500"),
        "events.behind_rate closure": f"{event_cols}{evill} AND (e.closed_at IS NULL OR e.closed_at >= :e) "
                                      f"ORDER BY e.reported_at, e.id LIMIT 500",
        "events.behind_rate on_time": f"{event_cols}{evill} AND (e.closed_at > e.due_at) = {d['true']} AND "
                                      f"e.closed_at < :e ORDER BY e.reported_at, e.id LIMIT 500",
        "events.behind_rate transfer": f"{event_cols}{evill} AND (e.dispatched_at IS NULL OR e.dispatched_at >= :e) "
                                       f"ORDER BY e.reported_at, e.id LIMIT 500",
        "hazards.kpis": (
            f"SELECT (SELECT count(*) FROM hazards WHERE found_at >= :b AND found_at < :e{vill}), (SELECT count(*) FROM "
            f"hazards WHERE resolved_at >= :b AND resolved_at < :e{vill}), (SELECT count(*) FROM hazards WHERE status IN "
            f"('待处置', '整改中') AND found_at < :e{vill}), (SELECT count(*) FROM hazards WHERE status IN ('待处置', '整改中') "
            f"AND deadline < :ref AND found_at < :e{vill}), (SELECT count(*) FROM hazards WHERE status IN ('待处置', '整改中') "
            f"AND deadline >= :ref AND deadline <= :soon3 AND found_at < :e{vill}), (SELECT count(DISTINCT enterprise) FROM hazards WHERE "
            f"enterprise_shut = :t AND found_at >= :b AND found_at < :e{vill})"),
        "hazards.map_points": (
            f"SELECT id, title, level, status, lat, lon FROM hazards WHERE lat IS NOT NULL{vill} AND ((status IN "
            f"('待处置', '整改中') AND found_at < :e){closed_too}) ORDER BY CASE WHEN status IN "
            f"('待处置', '整改中') AND found_at < :e THEN 0 ELSE 1 END, CASE level WHEN '重大' THEN 0 WHEN '较大' THEN 1 "
            f"WHEN '一般' THEN 2 ELSE 9 END, deadline, id LIMIT 2000"),
        "hazards.new_vs_resolved": (
            f"SELECT b, sum(f), sum(r) FROM (SELECT {wk('found_at')} AS b, 1 AS f, 0 AS r FROM hazards WHERE found_at >= "
            f":b AND found_at < :e{vill} UNION ALL SELECT {wk('resolved_at')}, 0, 1 FROM hazards WHERE resolved_at >= :b "
            f"AND resolved_at < :e{vill}) AS x GROUP BY b ORDER BY b"),
        "hazards.worst_first": (
            "SELECT h.id, h.source_id, h.title, h.category, h.level, h.status, v.name, g.name, h.found_at, h.deadline, "
            "h.responsible_unit, h.responsible_person, h.enterprise, count(*) OVER () FROM hazards h JOIN "
            "villages v ON v.id = h.village_id LEFT JOIN grids g ON g.id = h.grid_id WHERE h.status IN ('待处置', '整改中') "
            "AND h.found_at < :e" + ("" if area else " AND h.village_id = :v") + " ORDER BY CASE WHEN h.deadline < :ref "
            "THEN 0 ELSE 1 END, CASE h.level WHEN '重大' THEN 0 WHEN '较大' THEN 1 WHEN '一般' THEN 2 ELSE 9 END, "
            "h.deadline IS NULL, h.deadline, h.found_at, h.id LIMIT 500"),
        "hazards.counts_by category": f"SELECT category, count(*), sum(CASE WHEN status IN ('待处置', '整改中') THEN 1 "
                                      f"ELSE 0 END) FROM hazards WHERE found_at >= :b AND found_at < :e{vill} "
                                      f"GROUP BY category ORDER BY 2 DESC, 1",
        "hazards.counts_by level": f"SELECT level, count(*), sum(CASE WHEN status IN ('待处置', '整改中') THEN 1 ELSE 0 "
                                   f"END) FROM hazards WHERE found_at >= :b AND found_at < :e{vill} GROUP BY level "
                                   f"ORDER BY 2 DESC, 1",
        "hazards.counts_by village": "SELECT v.name, count(*), sum(CASE WHEN h.status IN ('待处置', '整改中') THEN 1 "
                                     "ELSE 0 END) FROM hazards h JOIN villages v ON v.id = h.village_id WHERE "
                                     "h.found_at >= :b AND h.found_at < :e"
                                     + ("" if area else " AND h.village_id = :v") + " GROUP BY v.name ORDER BY 2 DESC, 1",
        "population.kpis": (
            f"SELECT (SELECT sum(n) FROM ({by_village}) AS r), "
            f"(SELECT sum(arrivals) FROM stay_days WHERE day BETWEEN :s AND :end), (SELECT sum(departures) FROM "
            f"stay_days WHERE day BETWEEN :s AND :end)" if area else
            "SELECT sum(CASE WHEN arrived_at <= :ref AND (left_at IS NULL OR left_at > :ref) THEN 1 ELSE 0 END), "
            "sum(CASE WHEN arrived_at BETWEEN :s AND :end THEN 1 ELSE 0 END), sum(CASE WHEN left_at BETWEEN :s AND "
            ":end THEN 1 ELSE 0 END) FROM population_stays WHERE village_id = :v"),
        "population.by_village": (
            f"SELECT v.name, r.n FROM ({by_village}) AS r JOIN villages v ON v.id = r.village_id WHERE r.n > 0"
            if area else
            "SELECT v.name, count(*) FROM population_stays s JOIN villages v ON v.id = s.village_id WHERE "
            "s.arrived_at <= :ref AND (s.left_at IS NULL OR s.left_at > :ref) AND s.village_id = :v GROUP BY v.name"),
        "population.flows": (
            f"SELECT {wk('day')} AS b, sum(arrivals), sum(departures) FROM stay_days WHERE day BETWEEN :s AND :end "
            f"GROUP BY b HAVING sum(arrivals) > 0 OR sum(departures) > 0 ORDER BY b" if area else
            f"SELECT b, sum(a), sum(l) FROM (SELECT {wk('arrived_at')} AS b, 1 AS a, 0 AS l FROM population_stays WHERE "
            f"arrived_at BETWEEN :s AND :end{vill} UNION ALL SELECT {wk('left_at')}, 0, 1 FROM population_stays WHERE "
            f"left_at BETWEEN :s AND :end{vill}) AS x GROUP BY b ORDER BY b"),
        "population.origins": (
            f"SELECT province, n FROM ({provinces}) AS r WHERE n > 0 ORDER BY n DESC, province" if area else
            f"SELECT coalesce(origin_province, '未知') AS p, count(*) FROM population_stays WHERE {resident} GROUP BY p "
            f"ORDER BY 2 DESC, p"),
        "population.age_gender": (
            f"SELECT {band} AS band, gender, sum(n) FROM ({ages}) AS r GROUP BY band, gender HAVING sum(n) > 0"
            if area else
            f"SELECT {band} AS band, gender, count(*) FROM population_stays WHERE {resident} GROUP BY band, gender"),
        "population.anomaly_counts": (
            "SELECT " + ", ".join(f"(SELECT count(*) FROM population_stays WHERE {resident_open} AND {cond}) + "
                                  f"(SELECT count(*) FROM population_stays WHERE {resident_left} AND {cond})"
                                  for cond in anomaly.values())
            + ", (SELECT count(*) FROM stay_open_houses WHERE residents > capacity AND residents > 0)" if area else
            "SELECT " + ", ".join(f"(SELECT count(*) FROM population_stays WHERE {resident} AND {cond})"
                                  for cond in anomaly.values())
            + f", (SELECT count(*) FROM {counts_houses} c JOIN houses h ON h.id = c.house_id WHERE c.n > h.capacity)"),
        "population.by_house": house.format(counts=counts_houses) + " WHERE c.n > 0 ORDER BY c.n DESC, h.source_id LIMIT 500",
        "population.by_employer": (
            "SELECT employer, residents, reported_left FROM stay_open_employers WHERE residents > 0 ORDER BY residents "
            "DESC, employer LIMIT 500" if area else
            f"SELECT employer, count(*), sum(CASE WHEN employer_left_at IS NOT NULL THEN 1 ELSE 0 END) FROM "
            f"population_stays WHERE {resident} AND employer IS NOT NULL GROUP BY employer ORDER BY 2 DESC, employer "
            f"LIMIT 500"),
        "population.anomaly_list overcrowded": house.format(counts=counts_houses) + overcrowded_where
                                               + " ORDER BY h.source_id LIMIT 500",
    }
    for kind, cond in anomaly.items():
        statements[f"population.anomaly_list {kind}"] = (
            f"SELECT * FROM ({person}s.left_at IS NULL AND s.arrived_at <= :ref AND {cond} ORDER BY s.arrived_at, s.id "
            f"LIMIT 500) AS a UNION ALL SELECT * FROM ({person}s.left_at > :ref AND s.arrived_at <= :ref AND {cond} "
            f"ORDER BY s.arrived_at, s.id LIMIT 500) AS b ORDER BY 9, 1 LIMIT 500" if area else
            f"{person}s.arrived_at <= :ref AND (s.left_at IS NULL OR s.left_at > :ref) AND s.village_id = :v AND {cond} "
            f"ORDER BY s.arrived_at, s.id LIMIT 500")
    parts = {  # one call of ours that returns several figures: the floor's statement for each
        "kpis.summary": ["events.kpis", "alerts.kpis", "hazards.kpis", "population.kpis", "population.anomaly_counts",
                         "alerts.zero_days"],
        "kpis.by_village": ["population.by_village"],
        "population.kpis": ["population.kpis", "population.anomaly_counts"],
        "hazards.counts_by": [f"hazards.counts_by {d}" for d in hazards.BREAKDOWNS],
    }
    out = list(common)
    framed = {name for name, _ in common} | {"filters.resolve"}  # with no village, resolve runs no SQL
    for name, _, _ in view_calls(view, scope.filters, scope.filters, ctx["today"], ctx["now"], ctx["closed_hazards_fit"]):
        if name in framed:
            continue
        out += [(name if part == name else f"{name}: {part}", statements[part]) for part in parts.get(name, [name])]
    return out


def floor_params(dialect: str, scope: Scope, today: dt.date, now: dt.datetime) -> dict:
    period = scope.filters.period
    ref = period.reference_day(today)
    year, prev = period.year_earlier(), period.previous()
    first_month = period.start if period.start.day == 1 else (period.start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    after_month = (period.end + dt.timedelta(days=1)).replace(day=1)

    def born(years: int) -> dt.date:
        return ref.replace(year=ref.year - years) if not (ref.month == 2 and ref.day == 29) else ref.replace(
            year=ref.year - years, day=28)

    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time())

    values = {
        "s": period.start, "end": period.end, "b": period.begins, "e": period.ends, "ref": ref,
        "ys": year.start, "yend": year.end, "yb": year.begins, "ye": year.ends,
        "ps": prev.start, "pend": prev.end, "pb": prev.begins, "pe": prev.ends,
        "late": ref - dt.timedelta(days=population.VERIFY_WITHIN_DAYS),
        "soon": ref + dt.timedelta(days=population.PERMIT_WARNING_DAYS),
        "soon3": ref + dt.timedelta(days=hazards.DUE_SOON_DAYS), "now": now,
        "b18": born(18), "b30": born(30), "b45": born(45), "b60": born(60),
        "m1": first_month, "m2": after_month - dt.timedelta(days=1), "mb": at(first_month), "ma": at(after_month),
        "v": scope.village_id, "vname": (scope.filters.villages or (None,))[0], "t": True, "account": ACCOUNT[0],
    }  # fmt: skip
    if dialect == "sqlite":  # the text SQLAlchemy stores in SQLite, so that comparisons agree
        for key, value in values.items():
            if isinstance(value, dt.datetime):
                values[key] = value.strftime("%Y-%m-%d %H:%M:%S.%f")
            elif isinstance(value, dt.date):
                values[key] = value.isoformat()
            elif isinstance(value, bool):
                values[key] = int(value)
    return values


def floor_ms(conn, statements, params) -> float:
    """Every statement once, as the app runs SQL: through the SQLAlchemy connection (text(),
    parameters bound) into a DataFrame as sql.read_frame makes it. The figures a page needs come
    back in the same form as ours, so the ratio compares the SQL, not the Python around it."""
    prepared = [(text(sql), {n: params[n] for n in _param_names(sql)}) for _, sql in statements]
    start = time.perf_counter()
    for statement, values in prepared:
        result = conn.execute(statement, values)
        pd.DataFrame.from_records([tuple(row) for row in result], columns=list(result.keys()))
    return ms_since(start)


def driver_floor_ms(conn, statements, params) -> float:
    """Every statement once on the driver's own cursor, rows fetched as tuples: the lowest
    possible figure, with no SQLAlchemy and no pandas (parameters bound, never formatted in)."""
    raw = conn.connection.driver_connection
    postgres = conn.dialect.name == "postgresql"
    prepared = []
    for _, sql in statements:
        names = _param_names(sql)
        if postgres:  # psycopg's parameter style; '%' itself doubled
            sql = re.sub(r"(?<!:):([a-z_0-9]+)", r"%(\1)s", sql.replace("%", "%%"))
        prepared.append((sql, {n: params[n] for n in names}))
    start = time.perf_counter()
    cursor = raw.cursor()
    try:
        for sql, values in prepared:
            cursor.execute(sql, values)
            cursor.fetchall()
    finally:
        cursor.close()
    return ms_since(start)


def _param_names(sql: str) -> list[str]:
    return re.findall(r"(?<!:):([a-z_0-9]+)", sql)


# ---------------------------------------------------------------- the naive peer


def naive_ms(url: str, view: str, scope: Scope, today: dt.date) -> float:
    """Whole tables into pandas (pd.read_sql), then filtered and aggregated there."""
    engine = create_engine(url)
    period = scope.filters.period
    b, e = pd.Timestamp(period.begins), pd.Timestamp(period.ends)
    ref = pd.Timestamp(period.reference_day(today))
    start = time.perf_counter()
    with engine.connect() as conn:

        def table(name: str) -> pd.DataFrame:
            df = pd.read_sql(text(f"SELECT * FROM {name}"), conn)  # our constant table names
            if scope.village_id is not None and "village_id" in df.columns:
                df = df[df["village_id"] == scope.village_id]
            return df

        villages, grids = table("villages"), table("grids")  # every view's filter bar lists both
        needs = {"overview": ("alerts", "grid_events", "hazards", "population_stays"), "hazards": ("hazards",),
                 "population": ("population_stays", "houses"), "alerts": ("alerts", "terminals"),
                 "events": ("grid_events",)}[view]
        frames = {name: table(name) for name in needs}
        if "alerts" in frames:
            a = frames["alerts"]
            t = pd.to_datetime(a["received_at"])
            inside = a[(t >= b) & (t < e)]
            _ = inside["effective"].astype(bool).sum(), inside["became_case"].astype(bool).sum()
            _ = inside.groupby([pd.to_datetime(inside["received_at"]).dt.to_period("W").dt.start_time, "category"]).size()
            if view == "alerts":
                _ = inside.groupby([(inside["lat"] * 200).round(), (inside["lon"] * 200).round()]).agg(
                    lat=("lat", "mean"), lon=("lon", "mean"), n=("id", "size")).nlargest(2000, "n")
                ti = pd.to_datetime(inside["received_at"])
                _ = inside.groupby([ti.dt.hour, ti.dt.day_of_week]).size()
                _ = a[a["civil_to_criminal"].astype(bool) & (t < ref + pd.Timedelta(days=1))]["received_at"].max()
                _ = frames["terminals"].groupby("village_id")["online"].value_counts()
        if "grid_events" in frames:
            g = frames["grid_events"]
            r = pd.to_datetime(g["reported_at"])
            inside = g[(r >= b) & (r < e)]
            closed = pd.to_datetime(inside["closed_at"]) < e
            _ = len(inside), closed.sum(), (pd.to_datetime(inside["dispatched_at"]) < e).sum()
            _ = inside.groupby(pd.to_datetime(inside["reported_at"]).dt.to_period("W").dt.start_time).size()
            if view == "events":
                _ = g[g["closed_at"].isna()].sort_values(["due_at", "reported_at"]).head(500)
                _ = inside[~closed].sort_values("reported_at").head(500)
                _ = inside.groupby("category").size().sort_values(ascending=False)
                _ = sorted(g["category"].unique())
        if "hazards" in frames:
            h = frames["hazards"]
            found = pd.to_datetime(h["found_at"])
            is_open = h["status"].isin(("待处置", "整改中")) & (found < e)
            in_p = (found >= b) & (found < e)
            _ = in_p.sum(), is_open.sum()
            closed_hazards_fit = view == "hazards" and is_open.sum() + in_p.sum() <= hazards.MAX_MAP_FEATURES
            _ = h[h["lat"].notna() & ((is_open | in_p) if closed_hazards_fit else is_open)].sort_values(
                ["level", "deadline"]).head(2000)
            if view == "hazards":  # the KPIs and 三色, the list, the breakdowns, found and resolved per week
                resolved, deadline = pd.to_datetime(h["resolved_at"]), pd.to_datetime(h["deadline"])
                r_in = (resolved >= b) & (resolved < e)
                overdue, soon = is_open & (deadline < ref), is_open & deadline.between(ref, ref + pd.Timedelta(days=3))
                _ = r_in.sum(), overdue.sum(), soon.sum(), h.loc[in_p & h["enterprise_shut"].astype(bool), "enterprise"].nunique()
                listed = h[is_open].assign(late=~overdue[is_open], rank=h["level"].map({"重大": 0, "较大": 1, "一般": 2}))
                _ = listed.sort_values(["late", "rank", "deadline", "found_at", "id"]).head(500).merge(
                    villages[["id", "name"]], left_on="village_id", right_on="id").merge(
                    grids[["id", "name"]], how="left", left_on="grid_id", right_on="id")
                for key in ("category", "level", "village_id"):
                    _ = h[in_p].assign(open=is_open[in_p]).groupby(key).agg(found=("id", "size"), open=("open", "sum"))
                _ = (h[in_p].groupby(found[in_p].dt.to_period("W").dt.start_time).size(),
                     h[r_in].groupby(resolved[r_in].dt.to_period("W").dt.start_time).size())
        if "population_stays" in frames:
            s = frames["population_stays"]
            arrived, left = pd.to_datetime(s["arrived_at"]), pd.to_datetime(s["left_at"])
            here = s[(arrived <= ref) & (left.isna() | (left > ref))]
            _ = len(here), here.groupby("village_id").size()
            _ = arrived.between(b, e).sum(), left.between(b, e).sum()
            if view == "population":
                _ = here.groupby("origin_province").size().sort_values(ascending=False)
                _ = here.groupby([(ref.year - pd.to_datetime(here["birth_date"]).dt.year) // 15, "gender"]).size()
                _ = here[here["verified_at"].isna()].sort_values("arrived_at").head(500)
                per_house = here.groupby("house_id").size().rename("n").reset_index()
                houses = frames["houses"].merge(per_house, left_on="id", right_on="house_id")
                _ = houses[houses["n"] > houses["capacity"]], houses.nlargest(500, "n")
                _ = here.groupby("employer").size().nlargest(500)
        _ = villages, grids
    engine.dispose()
    return ms_since(start)


# ---------------------------------------------------------------- maps


def map_bytes(engine, view: str, scope: Scope, today: dt.date) -> int | None:
    """The HTML size of the view's map, built the way ui.widgets.village_map builds it."""
    from data_access import settings
    from ui import maps, widgets

    if view not in MAP_VIEWS:
        return None
    f = scope.filters
    basemap = settings.get("BASEMAP")
    with engine.connect() as conn:
        boundaries = areas.boundaries(conn)
        shading = None
        if view in ("overview", "population"):
            values = population.by_village(conn, f, today)
            shading = dict(zip(values["village"], values["value"]))
        # The hazards page draws closed hazards when they fit, else shades villages by those found.
        closed_hazards_fit = view == "hazards" and hazards.closed_hazards_fit(hazards.kpis(conn, f, today))
        if view == "hazards" and not closed_hazards_fit:
                values = hazards.counts_by(conn, f, ("village",))["village"]
                shading = dict(zip(values["village"], values["found"]))
        m = maps.base_map(widgets.MAP_CENTER, widgets.MAP_ZOOM, basemap, settings.get("TIANDITU_KEY"))
        maps.village_layer(m, boundaries, shading, measure_label="residents", selected=f.villages, basemap=basemap)
        labels = {"title": "title", "level": "level", "status": "status", "layer": "hazards"}
        if view in ("overview", "hazards"):
            points = hazards.map_points(conn, f, today, closed_hazards_fit)
            maps.hazard_layer(m, points, basemap=basemap, labels=labels)
        if view == "alerts":
            maps.hotspot_layer(m, alerts.hotspots(conn, f), basemap=basemap, label="hotspots")
        maps.fit(m, boundaries, f.villages, basemap=basemap)
    return maps.map_html_bytes(m)


# ---------------------------------------------------------------- the browser

_READY_JS = """
() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  if (document.querySelector("[data-testid='stSkeleton']")) return false;
  if (document.querySelector("[data-testid='stStatusWidgetRunningIcon']")) return false;
  return true;
}
"""
# Records every state the app's script passes through from now on (a MutationObserver sees a run
# that starts and ends between two polls, which polling for 'running' missed: a run of a few ms
# then counted as the poll's 3 s timeout); _RAN_JS says whether a run has started since.
_WATCH_RUNS_JS = """() => { window.__states = []; const app = document.querySelector("[data-testid='stApp']");
  new MutationObserver(records => records.forEach(r => window.__states.push(r.oldValue,
      r.target.getAttribute('data-test-script-state')))).observe(app,
      {attributes: true, attributeFilter: ['data-test-script-state'], attributeOldValue: true}); }"""
_RAN_JS = "() => (window.__states || []).includes('running')"
SETTLE_S = 0.3  # ready must hold this long (a finished run can start another at once)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(page, started: float, timeout_s: float = 120) -> float:
    """Seconds from `started` until the app is ready and stays so for SETTLE_S."""
    deadline = started + timeout_s
    while time.perf_counter() < deadline:
        page.wait_for_function(_READY_JS, timeout=(deadline - time.perf_counter()) * 1000, polling=20)
        ready_at = time.perf_counter()
        time.sleep(SETTLE_S)
        if page.evaluate(_READY_JS):
            return ready_at - started
    raise TimeoutError("the view did not finish")


def _sign_in_if_asked(page) -> bool:
    form = page.locator("[data-testid='stForm']").filter(has=page.locator("input[type='password']"))
    if form.count() == 0:
        return False
    form.locator("input[type='text']").first.fill(ACCOUNT[0])
    form.locator("input[type='password']").fill(ACCOUNT[1])
    form.locator("input[type='password']").press("Tab")
    form.locator("button").last.click()
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stForm'] input[type='password']\")",
                           timeout=120_000)
    return True


def browser_seconds(url: str, village: str) -> dict[tuple[str, str], tuple[float, float]]:
    """Per (view, scope): seconds until a view opened from the sidebar has run, the first time
    (the app's cache empty for it) and the second; the landing view counts from the sign-in."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    log = open(f"/tmp/city_bench_streamlit_{port}.log", "wb")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.address",
         "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    out: dict[tuple[str, str], tuple[float, float]] = {}
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for scope, query in (("area", ""), ("village", f"?village={village}")):
                context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN",
                                              timezone_id="Asia/Shanghai")
                page = context.new_page()
                page.goto(f"{base}/{query}")  # the overview is the app's default page, at /
                _wait_ready(page, time.perf_counter())
                started = time.perf_counter()
                _sign_in_if_asked(page)
                first = {"overview": _wait_ready(page, started)}
                second: dict[str, float] = {}
                for round_, views in ((first, VIEWS[1:]), (second, (*VIEWS[1:], VIEWS[0]))):
                    for view in views:
                        path = "" if view == "overview" else view
                        link = page.locator(f"[data-testid='stSidebarNav'] a[href='{base}/{path}']").first
                        page.evaluate(_WATCH_RUNS_JS)
                        started = time.perf_counter()
                        link.click()
                        page.wait_for_function(_RAN_JS, timeout=30_000, polling=10)
                        round_[view] = _wait_ready(page, started)
                for view in VIEWS:
                    out[view, scope] = (first[view], second[view])
                context.close()
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
    return out


# ---------------------------------------------------------------- the databases


@dataclass
class Database:
    label: str
    url: str
    created: bool = False  # a PostgreSQL database this run created (dropped at the end)
    build_s: float | None = None
    timings: dict = field(default_factory=dict)


def _admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def prepare(db: Database, rebuild: bool) -> None:
    """Create the database if need be, bring it to the newest schema, build the city if absent."""
    parsed = make_url(db.url)
    if parsed.get_backend_name() == "postgresql":
        admin = create_engine(_admin_url(db.url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))  # name from our own argument
                db.created = True
        admin.dispose()
    engine = get_engine(db.url)
    schema.upgrade(engine)
    with engine.connect() as conn:
        n_alerts = conn.execute(select(func.count()).select_from(Alert)).scalar_one()
    if rebuild or n_alerts < CITY_ALERTS:
        print(f"{db.label}: building the city demo …", flush=True)
        start = time.perf_counter()
        # Refused (DemoRefused) when the database holds records that are not demo data.
        demo.generate(engine, scale="city", as_of=local_today(), progress=sys.stderr.isatty(), timings=db.timings)
        db.build_s = time.perf_counter() - start
        print(f"{db.label}: built in {db.build_s:.0f} s", flush=True)
    if parsed.get_backend_name() == "postgresql":
        # What autovacuum does some time after a bulk load: statistics and the visibility map
        # (without which PostgreSQL cannot answer from an index alone).
        with create_engine(db.url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text("VACUUM (ANALYZE)"))


def drop(db: Database) -> None:
    forget_engines()
    admin = create_engine(_admin_url(db.url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(db.url).database}" WITH (FORCE)'))
    admin.dispose()


def data_day(engine) -> dt.date:
    """The last day the data holds (the demo's as-of day): the benchmark's 'today'."""
    with engine.connect() as conn:
        last = conn.execute(select(func.max(Alert.received_at))).scalar_one()
    return (dt.datetime.fromisoformat(last) if isinstance(last, str) else last).date()


def pick_village(engine, name: str | None) -> tuple[str, int]:
    with engine.connect() as conn:
        if name:
            return name, conn.execute(select(Village.id).where(Village.name == name)).scalar_one()
        rows = conn.execute(select(Village.name, Village.id).order_by(Village.id)).all()
    return tuple(rows[len(rows) // 2])


# ---------------------------------------------------------------- measuring and reporting


@dataclass
class Row:
    engine: str
    view: str
    scope: str
    first: float = 0.0  # a new engine
    cold: float = 0.0  # the running app's engine, nothing in the app's cache
    warm: float = 0.0  # a hit of the app's cache
    naive: float | None = None
    floor_first: float = 0.0  # the floor on a new engine
    floor: float = 0.0  # the floor on a connection that has run it before
    floor_driver: float = 0.0  # the floor on the driver's own cursor
    map_bytes: int | None = None
    browser: tuple[float, float] | None = None


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def measure(db: Database, args) -> list[Row]:
    engine = get_engine(db.url)
    dialect = engine.dialect.name
    today = data_day(engine)
    now = dt.datetime.combine(today, dt.time(10, 0))
    name, village_id = pick_village(engine, args.village)
    period = Period(dt.date(today.year, 1, 1), today)  # the default filter: this year to today
    scopes = [Scope("village", Filters(period, villages=(name,)), village_id), Scope("area", Filters(period), None)]
    os.environ["DATABASE_URL"] = db.url  # ui.data.query's engine
    rows = []
    for view in args.views:
        for scope in scopes:
            row = Row(dialect, view, scope.label)
            with engine.connect() as conn:
                resolved = resolve(conn, scope.filters)
                closed_hazards_fit = hazards.closed_hazards_fit(hazards.kpis(conn, resolved, today))
                calls = view_calls(view, scope.filters, resolved, today, now, closed_hazards_fit)
                hotspot_n = 0
                if view in ("alerts",):
                    located = (Alert.received_at >= period.begins) & (Alert.received_at < period.ends) \
                        & Alert.lat.is_not(None)
                    if scope.village_id is not None:
                        located = located & (Alert.village_id == scope.village_id)
                    hotspot_n = conn.execute(select(func.count()).select_from(Alert).where(located)).scalar_one()
            ctx = {"today": today, "now": now, "hotspot_cells": hotspot_n > alerts.MAX_MAP_FEATURES,
                   "closed_hazards_fit": closed_hazards_fit}
            statements = floor_statements(view, scope, dialect, ctx)
            params = floor_params(dialect, scope, today, now)
            first, cold, f_first, f_warm, f_driver = [], [], [], [], []
            app_engine = get_engine(db.url)
            cold_ms(app_engine, calls)  # the engine's compiled statements and pool, filled once
            for _ in range(args.runs):
                first.append(first_ms(db.url, calls))
                cold.append(cold_ms(app_engine, calls))
                floor_engine = _make_engine(db.url)
                with floor_engine.connect() as conn:
                    f_first.append(floor_ms(conn, statements, params))
                    f_warm.append(floor_ms(conn, statements, params))
                    f_driver.append(driver_floor_ms(conn, statements, params))
                floor_engine.dispose()
            warm_ms(calls)  # fills the app's cache
            row.first, row.cold = median(first), median(cold)
            row.warm = median([warm_ms(calls) for _ in range(args.runs)])
            row.floor_first, row.floor, row.floor_driver = median(f_first), median(f_warm), median(f_driver)
            if args.naive:
                row.naive = median([naive_ms(db.url, view, scope, today) for _ in range(args.naive_runs)])
            row.map_bytes = map_bytes(engine, view, scope, today)
            rows.append(row)
            print(format_row(row), flush=True)
    if args.browser:
        if today != local_today():
            print(f"note: the data ends on {today}, the app's 'today' is {local_today()}: the browser's default "
                  "period differs from the one measured above", flush=True)
        for (view, scope), seconds in browser_seconds(db.url, name).items():
            for row in rows:
                if row.view == view and row.scope == scope:
                    row.browser = seconds
    return rows


HEADER = (f"{'engine':<10} {'view':<10} {'scope':<8} {'first':>6} {'cold':>6} {'warm':>6} {'naive':>7} "
          f"{'naive/cold':>10} {'floor f/c':>10} {'first/floor':>11} {'cold/floor':>10} {'driver':>7} {'map KB':>7} "
          f"{'browser s':>10}")


def _ratio(a: float | None, b: float | None) -> str:
    return "—" if not a or not b else f"{a / b:.1f}×"


def _browser(r: Row, sep: str = "/") -> str:
    return "—" if r.browser is None else f"{r.browser[0]:.1f}{sep}{r.browser[1]:.1f}"


def format_row(r: Row) -> str:
    naive = "—" if r.naive is None else f"{r.naive:,.0f}"
    kb = "—" if r.map_bytes is None else f"{r.map_bytes / 1024:,.0f}"
    return (f"{r.engine:<10} {r.view:<10} {r.scope:<8} {r.first:>6.0f} {r.cold:>6.1f} {r.warm:>6.1f} {naive:>7} "
            f"{_ratio(r.naive, r.cold):>10} {f'{r.floor_first:.0f}/{r.floor:.1f}':>10} "
            f"{_ratio(r.first, r.floor_first):>11} {_ratio(r.cold, r.floor):>10} {r.floor_driver:>7.1f} {kb:>7} "
            f"{_browser(r):>10}")


def verdicts(rows: list[Row], databases: list[Database]) -> list[str]:
    """One PASS/FAIL line per goal, naming the worst row."""
    out = []

    def check(label: str, rows_with: list[Row], value, goal: float, higher_is_better: bool, fmt: str) -> None:
        if not rows_with:
            return
        worst = (min if higher_is_better else max)(rows_with, key=value)
        ok = value(worst) >= goal if higher_is_better else value(worst) <= goal
        out.append(f"{'PASS' if ok else 'FAIL'}  {label}: worst {fmt.format(value(worst))} "
                   f"({worst.engine} {worst.view} {worst.scope})")

    check(f"cold ≤ {GOAL_COLD_MS} ms", rows, lambda r: r.cold, GOAL_COLD_MS, False, "{:.0f} ms")
    check(f"first request after a start ≤ {GOAL_COLD_MS} ms", rows, lambda r: r.first, GOAL_COLD_MS, False, "{:.0f} ms")
    check(f"warm ≤ {GOAL_WARM_MS} ms", rows, lambda r: r.warm, GOAL_WARM_MS, False, "{:.1f} ms")
    check(f"≥ {GOAL_NAIVE_X}× faster than the naive peer (cold)", [r for r in rows if r.naive],
          lambda r: r.naive / r.cold, GOAL_NAIVE_X, True, "{:.0f}×")
    check(f"within {GOAL_FLOOR_X}× the floor (cold)", rows, lambda r: r.cold / r.floor, GOAL_FLOOR_X, False, "{:.1f}×")
    check("map HTML ≤ 1 MB", [r for r in rows if r.map_bytes], lambda r: r.map_bytes, GOAL_MAP_BYTES, False,
          "{:,} bytes")
    check(f"browser ≤ {GOAL_BROWSER_S:.0f} s", [r for r in rows if r.browser], lambda r: r.browser[0],
          GOAL_BROWSER_S, False, "{:.1f} s")
    for db in databases:
        if db.build_s is not None:
            ok = db.build_s <= GOAL_DEMO_S
            out.append(f"{'PASS' if ok else 'FAIL'}  demo --scale city ≤ {GOAL_DEMO_S} s ({db.label}): {db.build_s:.0f} s")
    return out


def markdown(rows: list[Row], checks: list[str], command: str, databases: list[Database]) -> str:
    lines = [
        "| engine | view | scope | first ms | cold ms | warm ms | naive ms | naive ÷ cold | floor ms (first / cold) "
        "| ours ÷ floor (first / cold) | driver floor ms | map KB | browser s (1st / 2nd) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        naive = "—" if r.naive is None else f"{r.naive:,.0f}"
        kb = "—" if r.map_bytes is None else f"{r.map_bytes / 1024:,.0f}"
        lines.append(f"| {r.engine} | {r.view} | {r.scope} | {r.first:.0f} | {r.cold:.1f} | {r.warm:.1f} | {naive} "
                     f"| {_ratio(r.naive, r.cold)} | {r.floor_first:.0f} / {r.floor:.1f} "
                     f"| {_ratio(r.first, r.floor_first)} / {_ratio(r.cold, r.floor)} | {r.floor_driver:.1f} "
                     f"| {kb} | {_browser(r, ' / ')} |")
    builds = [f"{db.label} {db.build_s:.0f} s" for db in databases if db.build_s is not None]
    return "\n".join([
        "### City scale (about 300 villages: 2,000,000 alerts, 1,000,000 stays, 1,000,000 grid events, 100,000 hazards)",
        "",
        f"Measured on {dt.date.today()} with `{command}` (medians; default filter: this year to the data's last day; "
        "'village' = one village, 'area' = no village chosen). First: a new engine (the first request after a "
        "start); cold: the running app's engine with nothing in its data cache; warm: a hit of the app's cache.",
        "",
        *lines,
        "",
        *(f"- {c}" for c in checks),
        *([f"- `demo --scale city` built in: {', '.join(builds)}"] if builds else []),
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", default="/tmp/city_bench.sqlite", help="SQLite file or URL (built if absent)")
    default_pg = os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    parser.add_argument("--postgresql", default=make_url(default_pg).set(database=f"bench_city_{getpass.getuser()}")
                        .render_as_string(hide_password=False), help="PostgreSQL URL (its database is created if absent)")
    parser.add_argument("--engines", default="sqlite,postgresql", help="which of sqlite,postgresql")
    parser.add_argument("--views", default=",".join(VIEWS))
    # Timings here move by about ±15% from run to run: medians of 7 (and of 3 for the naive peer).
    parser.add_argument("--runs", type=int, default=7, help="runs per median")
    parser.add_argument("--naive-runs", type=int, default=3, help="runs of the naive peer (each takes seconds)")
    parser.add_argument("--no-naive", dest="naive", action="store_false")
    parser.add_argument("--no-browser", dest="browser", action="store_false")
    parser.add_argument("--village", help="the one village measured (default: the middle one by id)")
    parser.add_argument("--rebuild", action="store_true", help="build the city demo even if present")
    parser.add_argument("--keep", action="store_true", help="keep a PostgreSQL database this run created")
    parser.add_argument("--markdown", help="also write the table as Markdown to this file")
    args = parser.parse_args(argv)
    args.views = [v for v in args.views.split(",") if v]
    databases = []
    for engine_name in args.engines.split(","):
        if engine_name == "sqlite":
            url = args.sqlite if "://" in args.sqlite else f"sqlite:///{args.sqlite}"
            databases.append(Database("SQLite", url))
        elif engine_name == "postgresql":
            databases.append(Database("PostgreSQL", args.postgresql))
    rows: list[Row] = []
    try:
        for db in databases:
            prepare(db, args.rebuild)
        print(HEADER, flush=True)
        for db in databases:
            rows += measure(db, args)
    finally:
        for db in databases:
            if db.created and not args.keep:
                drop(db)
    checks = verdicts(rows, databases)
    print("\n".join([HEADER, *map(format_row, rows), "", *checks]))
    if args.markdown:
        command = "python benchmarks/city.py " + " ".join(argv if argv is not None else sys.argv[1:])
        Path(args.markdown).write_text(markdown(rows, checks, command.strip(), databases), encoding="utf-8")
    return 0 if all(c.startswith("PASS") for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
