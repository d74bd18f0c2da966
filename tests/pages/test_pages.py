"""Every view run with AppTest on a real (SQLite) database: demo data, an empty database, a
filter that matches nothing, the figures against data_access, the URL, hostile URL values and
masked personal data. Each session is signed in as staff (roles: tests/pages/test_auth_pages.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from data_access import accounts, alerts, events, formats, hazards, kpis, population
from data_access.db import forget_engines, get_engine
from data_access.filters import Filters, Period
from data_access.models import Base, PopulationStay
from ui.i18n import catalogue

from ..factories import signed_in
from ..leak_check import LeakCheck

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("overview", "hazards", "population", "alerts", "events", "stability")
AS_OF = dt.date(2026, 11, 23)
YEAR = {"from": "2026-01-01", "to": AS_OF.isoformat()}
NOTHING = {"from": "2001-01-01", "to": "2001-01-31"}  # long before any record
NO_DATA = {"zh": "所选条件下暂无数据。", "en": "No data for this selection."}
RUN_TIMEOUT_S = 60
# Table headers of personal data (zh): every value under them must be masked.
PERSONAL_HEADERS = {"姓名", "身份证号", "电话", "房东", "房东电话", "上报人", "责任人"}


# --- databases ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_url(databases) -> str:
    """The town demo scenario, shared by the run (nothing here writes)."""
    return str(databases.demo("sqlite", AS_OF).url)


@pytest.fixture(scope="module")
def empty_url(databases) -> str:
    """No records, only the staff account the views are opened with."""
    engine = databases.new_engine("sqlite")
    with engine.begin() as conn:
        accounts.create_user(conn, "staff", "staff-demo", "staff", by="test")
    return str(engine.url)


def _row_counts(url: str) -> dict[str, int]:
    with get_engine(url).connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables}


# --- running a view ----------------------------------------------------------------------------

_current_url: list[str] = [""]


def open_view(monkeypatch, url: str, view: str, **params) -> AppTest:
    """Run the app with `params` in the URL, then switch to `view` (the router's page)."""
    monkeypatch.setenv("DATABASE_URL", url)
    if _current_url[0] != url:  # another database: forget the engines and cached answers
        forget_engines()
        st.cache_data.clear()
        _current_url[0] = url
    at = signed_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=RUN_TIMEOUT_S), "staff")
    for name, value in params.items():
        at.query_params[name] = value
    # The view opens in the session's first run, through the router, as a link to it opens it:
    # before that run AppTest finds a page by its file's name, which is each view's address.
    if view != "overview":
        at.switch_page(f"pages/{view}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["_context"].view == view
    # The URL is read on a session's first run, so its messages show there.
    at.warnings_seen = [w.value for w in at.warning]
    return at


def texts(at: AppTest) -> str:
    """Every text the page shows: markdown, captions, messages, tiles, labels and table cells."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "subheader", "title"):
        parts += [str(e.value) for e in at.get(kind)]
    for m in at.metric:
        parts += [m.label, m.value, m.proto.delta]
    parts += [e.label for e in (*at.tabs, *at.expander)]
    for df in at.dataframe:
        value = df.value
        parts += [" ".join(map(str, value.columns)), value.astype(str).to_csv(index=False)]
    return "\n".join(parts)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# --- every view, three states -------------------------------------------------------------------


@pytest.mark.parametrize("view", PAGES)
def test_view_runs_on_demo_data(monkeypatch, demo_url, view):
    at = open_view(monkeypatch, demo_url, view, **YEAR)
    assert not at.error
    assert at.metric, "a view opens with its KPI tiles"


@pytest.mark.parametrize("view", PAGES)
def test_view_runs_on_an_empty_database(monkeypatch, empty_url, view):
    at = open_view(monkeypatch, empty_url, view)
    assert not at.error
    assert NO_DATA["zh"] in texts(at)


@pytest.mark.parametrize("view", PAGES)
def test_filter_matching_nothing_says_so(monkeypatch, demo_url, view):
    at = open_view(monkeypatch, demo_url, view, **NOTHING)
    assert NO_DATA["zh"] in texts(at)
    if view != "overview":
        assert NO_DATA["zh"] in [e.value for e in at.info], "an explicit no-data state, not just empty charts"


# --- the figures are data_access's ------------------------------------------------------------


def _filters(**kw) -> Filters:
    return Filters(Period(dt.date.fromisoformat(YEAR["from"]), dt.date.fromisoformat(YEAR["to"])), **kw)


def _today() -> dt.date:
    from data_access.filters import local_today

    return local_today()


def _conn(url):
    return get_engine(url).connect()


def test_events_tiles_equal_events_kpis(monkeypatch, demo_url):
    at = open_view(monkeypatch, demo_url, "events", **YEAR)
    with _conn(demo_url) as conn:
        k = events.kpis(conn, _filters())
        behind = {w: events.behind_rate(conn, _filters(), w)[1] for w in events.BEHIND_RATE}
    shown = metrics(at)
    assert shown["新增事件"] == formats.count(k["new"])
    assert shown["办结率"] == formats.rate(k["closure_rate"])
    assert shown["按期办结率"] == formats.rate(k["on_time_rate"])
    assert shown["流转率"] == formats.rate(k["transfer_rate"])
    labels = [e.label for e in at.expander]
    assert f"未办结的事件 · {formats.count(behind['closure'])} 条" in labels
    assert f"超期办结的事件 · {formats.count(behind['on_time'])} 条" in labels
    assert f"未流转的事件 · {formats.count(behind['transfer'])} 条" in labels


def test_overview_tiles_equal_kpis_summary(monkeypatch, demo_url):
    at = open_view(monkeypatch, demo_url, "overview", **YEAR)
    with _conn(demo_url) as conn:
        s = kpis.summary(conn, _filters(), _today())
    shown = metrics(at)
    assert shown["在住流动人口"] == formats.count(s["population"]["residents"])
    assert shown["有效警情"] == formats.count(s["alerts"]["effective"])
    assert shown["发案数"] == formats.count(s["alerts"]["cases"])
    assert shown["排查隐患"] == formats.count(s["hazards"]["found"])
    assert shown["新增事件"] == formats.count(s["events"]["new"])
    assert shown["办结率"] == formats.rate(s["events"]["closure_rate"])
    assert shown["按期办结率"] == formats.rate(s["events"]["on_time_rate"])
    assert shown["流转率"] == formats.rate(s["events"]["transfer_rate"])


def test_hazards_tiles_equal_hazards_kpis_for_a_village_from_the_url(monkeypatch, demo_url):
    at = open_view(monkeypatch, demo_url, "hazards", village="倪宅村", **YEAR)
    with _conn(demo_url) as conn:
        k = hazards.kpis(conn, _filters(villages=("倪宅村",)), _today())
        colours = hazards.warning_counts(conn, _filters(villages=("倪宅村",)), _today())
        _, total = hazards.worst_first(conn, _filters(villages=("倪宅村",)), _today())
        town = hazards.kpis(conn, _filters(), _today())
    assert at.session_state["f_villages"] == ["倪宅村"]
    shown = metrics(at)
    assert shown["排查隐患"] == formats.count(k["found"]) != formats.count(town["found"])
    assert shown["未化解"] == formats.count(k["open"])
    assert shown["已逾期"] == formats.count(k["overdue"])
    assert shown["已化解"] == formats.count(k["resolved"])
    assert shown["关停整改企业"] == formats.count(k["enterprises_shut"])
    assert shown["红色（已逾期）"] == formats.count(colours["red"])
    assert shown["黄色（3天内到期）"] == formats.count(colours["yellow"])
    assert shown["绿色"] == formats.count(colours["green"])
    assert sum(len(df.value) for df in at.dataframe[:1]) == min(total, hazards.LIST_LIMIT)


@pytest.mark.parametrize("limit", [2_000, 100])
def test_hazard_map_draws_closed_hazards_only_while_they_fit(monkeypatch, demo_url, limit):
    """Beyond the map's limit the closed hazards are not drawn: the legend says the villages are
    shaded by hazards found instead (the town's year: 60-odd open, 1,600-odd found)."""
    monkeypatch.setattr(hazards, "MAX_MAP_FEATURES", limit)
    at = open_view(monkeypatch, demo_url, "hazards", **YEAR)
    with _conn(demo_url) as conn:
        fits = hazards.closed_hazards_fit(hazards.kpis(conn, _filters(), _today()))
    captions = [c.value for c in at.caption]
    assert fits is (limit == 2_000)
    legends = catalogue()["labels"]
    assert (legends["hazard_map_legend"]["zh"] in captions) is fits
    assert (legends["hazard_map_legend_shaded"]["zh"] in captions) is not fits


def test_population_tiles_equal_population_kpis(monkeypatch, demo_url):
    at = open_view(monkeypatch, demo_url, "population", **YEAR)
    with _conn(demo_url) as conn:
        k = population.kpis(conn, _filters(), _today())
        counts = population.anomaly_counts(conn, _filters(), _today())
    shown = metrics(at)
    assert shown["在住流动人口"] == formats.count(k["residents"])
    assert shown["来住"] == formats.count(k["arrivals"])
    assert shown["离开"] == formats.count(k["departures"])
    assert shown["异常待处置"] == formats.count(k["anomalies"])
    tabs = [tab.label for tab in at.tabs]
    assert f"来住超30天未核验 · {formats.count(counts['unverified'])}" in tabs
    assert f"出租房超员（群租） · {formats.count(counts['overcrowded'])}" in tabs


def test_alerts_tiles_equal_alerts_kpis(monkeypatch, demo_url):
    at = open_view(monkeypatch, demo_url, "alerts", **YEAR)
    with _conn(demo_url) as conn:
        k = alerts.kpis(conn, _filters())
        zero = alerts.zero_days(conn, _filters(), _today())
    values = [m.value for m in at.metric]
    assert values[:6] == [
        formats.count(k["effective"]), formats.change(k["effective_yoy"]), formats.change(k["effective_mom"]),
        formats.count(k["cases"]), formats.change(k["cases_yoy"]), formats.change(k["cases_mom"]),
    ]
    days = (zero["civil_to_criminal"], zero["major_accident"], zero["telecom_fraud"])
    expected_zero = ["无记录" if d is None else f"已连续 {d} 天" for d in days]
    assert values[6:9] == expected_zero


# --- the URL -----------------------------------------------------------------------------------


@pytest.mark.parametrize("view", PAGES)
def test_url_sets_period_and_language(monkeypatch, demo_url, view):
    at = open_view(monkeypatch, demo_url, view, village="凤凰村", lang="en", **YEAR)
    assert at.session_state["f_villages"] == ["凤凰村"]
    assert at.session_state["f_range"] == (dt.date(2026, 1, 1), AS_OF)
    shown = texts(at)
    assert "Villages" in [w.label for w in at.sidebar.multiselect]
    english = {"overview": "Closure rate", "hazards": "Hazards found", "population": "Residents now",
               "alerts": "Effective alerts", "events": "On-time closure rate",
               "stability": "Disputes mediated"}[view]
    assert english in [m.label for m in at.metric]
    assert "办结率" not in [m.label for m in at.metric] and "有效警情" not in shown


# Every kind of hostile value is read by ui.filter_bar.parse_url in tests/ui/test_filter_bar.py's
# table; through the app, two cases show that it is reported, the figures stay and nothing is written.
HOSTILE = {
    "sql": {"village": "'; DROP TABLE alerts; --", "grid": "'; DROP TABLE alerts; --",
            "category": "'; DROP TABLE alerts; --"},
    "long": {"village": "村" * 10_000, "period": "x" * 10_000, "lang": "x" * 10_000},
}


@pytest.mark.parametrize(("view", "case"), [("hazards", "sql"), ("population", "long")])
def test_hostile_url_values_give_a_warning(monkeypatch, demo_url, view, case):
    before = _row_counts(demo_url)
    at = open_view(monkeypatch, demo_url, view, **HOSTILE[case])
    assert at.warnings_seen, "the app says what in the link was ignored"
    assert not at.error
    assert at.metric, "and still shows its figures"
    assert _row_counts(demo_url) == before


# --- personal data -----------------------------------------------------------------------------


@pytest.mark.parametrize("view", PAGES)
def test_no_clear_personal_data(monkeypatch, demo_url, view):
    at = open_view(monkeypatch, demo_url, view, **YEAR)
    shown = texts(at)
    with _conn(demo_url) as conn:
        people = LeakCheck(v for row in conn.execute(select(PopulationStay.id_number, PopulationStay.phone))
                           for v in row)
    assert len(people)
    leaked = people.found_in(shown)
    assert not leaked[:5]
    for df in at.dataframe:
        for header in PERSONAL_HEADERS.intersection(df.value.columns):
            values = df.value[header].dropna().astype(str)
            assert values[values != ""].str.contains("*", regex=False).all(), header
    if view == "population":
        table = pd.concat([df.value for df in at.dataframe if "身份证号" in df.value.columns])
        assert len(table) and table["身份证号"].str.fullmatch(r"\d{4}\*{10}[\dX]{4}").all()
