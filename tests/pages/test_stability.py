"""涉稳与信访调解 (/stability, issue 18: 3 and 4) with AppTest on both engines: the town demo's last
full quarter shows seed 000's figures on the view, on the overview's new row of tiles and on the
wall board; a village from the URL narrows them to its own; every person is masked for staff, a
viewer gets no record, the wall no person."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import pytest
import streamlit as st
from google.protobuf import text_format
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import ledgers
from data_access.db import forget_engines, get_engine
from data_access.filters import Filters, Period
from data_access.models import Dispute, Hazard, Petition

from ..factories import signed_in

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 11, 23)
QUARTER = {"from": "2026-07-01", "to": "2026-09-30"}  # the last full quarter: seed 000's figures
RUN_TIMEOUT_S = 60
# The view's tiles for the quarter, in order (seed 000: 44 / 5 / 2, 368 / 318, 27 / 44.8 万元 / 2).
SEED_TILES = [
    ("涉稳风险隐患", "44"), ("涉稳已化解", "5"), ("易引发群体性事件", "2"),
    ("初信初访", "368"), ("初信初访已化解", "318"), ("初信初访化解率", "86.41%"),
    ("调解矛盾纠纷", "27"), ("涉及金额（元）", "448,000"), ("一警情三推送", "2"),
]
TILE = re.compile(r'<div class="wall-tile[^"]*"><div class="label">(.*?)</div>'
                  r'<div class="value"[^>]*>(.*?)</div>')
# Headers (zh) of the columns that name a person: every value under them must be masked.
PERSON_HEADERS = {"包案领导", "信访人", "联系领导", "联村干部", "村干部", "调解员"}
MASKED = re.compile(r"^(.\*|.\*+.|—)$")


@pytest.fixture(scope="module")
def demo_url(databases, backend) -> str:
    """The town demo as of AS_OF on each engine, shared (nothing here writes but sign-in checks)."""
    return databases.demo(backend, AS_OF).url.render_as_string(hide_password=False)


def run(monkeypatch, url: str, view: str = "", role: str | None = "staff", **params) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    forget_engines()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=RUN_TIMEOUT_S)
    if role:
        signed_in(at, role)
    for name, value in {**QUARTER, **params}.items():
        at.query_params[name] = value
    at.run()
    if view:
        at.switch_page(f"pages/{view}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.fixture(scope="module")
def people(demo_url) -> set[str]:
    """The demo's people of these ledgers, in clear (the names long enough not to occur by chance)."""
    with get_engine(demo_url).connect() as conn:
        leaders = select(Hazard.responsible_person).where(Hazard.category == "涉稳")
        names = set(conn.execute(leaders).scalars())
        for column in (Petition.petitioner, Petition.contact_leader, Petition.village_cadre,
                       Petition.village_official, Dispute.mediator):
            names |= set(conn.execute(select(column)).scalars())
    return {name for name in names if name and len(name) >= 3}


def tiles(at: AppTest) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in at.metric]


def tables(at: AppTest) -> dict[str, object]:
    """Each table the page shows, by its first header."""
    return {df.value.columns[0]: df.value for df in at.dataframe}


def test_the_view_shows_the_seeds_figures_and_every_person_masked(monkeypatch, demo_url, people):
    at = run(monkeypatch, demo_url, "stability")
    assert at.session_state["_context"].view == "stability"
    assert tiles(at) == SEED_TILES
    # The risks to follow (the quarter's, and older ones still open): those that could become a
    # mass incident first (the quarter's two, and any older one still open), each with its 包案领导.
    risks = tables(at)["群体性事件风险"]
    flagged = list(risks["群体性事件风险"]).count("⚠️ 是")
    assert flagged >= 2 and list(risks["群体性事件风险"][:flagged]) == ["⚠️ 是"] * flagged
    assert "—" not in list(risks["包案领导"][:flagged])
    by_village = tables(at)["村"]
    assert by_village[["涉稳风险隐患", "涉稳已化解", "易引发群体性事件", "初信初访", "初信初访已化解",
                       "调解矛盾纠纷", "涉及金额（元）", "一警情三推送"]].sum().tolist() == [
        44, 5, 2, 368, 318, 27, 448_000, 2]
    assert [e.label for e in at.expander] == ["初信初访记录 · 368 条", "矛盾纠纷调解记录 · 27 条"]
    assert "初信初访: 联系领导 + 联村干部 + 村干部" in [c.value for c in at.caption]
    checked = 0
    for df in at.dataframe:
        for header in PERSON_HEADERS & set(df.value.columns):
            values = df.value[header].astype(str)
            assert values.map(lambda v: bool(MASKED.match(v))).all(), (header, values[:5].tolist())
            checked += 1
    assert checked == len(PERSON_HEADERS), "the risks' 包案领导 and every person of a petition or dispute"
    sent = "\n".join(df.value.to_csv() for df in at.dataframe)
    assert not [name for name in people if name in sent][:5]


def test_the_overview_has_their_row_of_tiles(monkeypatch, demo_url):
    at = run(monkeypatch, demo_url)
    shown = {m.label: (m.value, m.proto.delta) for m in at.metric}
    assert shown["涉稳风险隐患"] == ("44", "已化解 5 · 群体性风险 2")
    assert shown["初信初访"] == ("368", "已化解 318")
    assert shown["调解矛盾纠纷"] == ("27", "涉及 448,000 元 · 三推送 2")
    last_row = [m.label for m in at.metric][-3:]
    assert last_row == ["涉稳风险隐患", "初信初访", "调解矛盾纠纷"], "a row of its own"


def test_a_village_from_the_url_narrows_every_figure(monkeypatch, demo_url):
    quarter = Filters(Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30)))
    with get_engine(demo_url).connect() as conn:
        town = ledgers.by_village(conn, quarter)
    # The village with the most stability risks, and disputes too, so that no figure is 0 by chance.
    row = town[(town["stability_found"] > 0) & (town["disputes_mediated"] > 0)].iloc[0]
    at = run(monkeypatch, demo_url, "stability", village=row["village"])
    assert at.session_state["f_villages"] == [row["village"]]
    shown = dict(tiles(at))
    assert shown["涉稳风险隐患"] == f"{row['stability_found']:,}" != "44"
    assert shown["涉稳已化解"] == f"{row['stability_resolved']:,}"
    assert shown["初信初访"] == f"{row['petitions_received']:,}" != "368"
    assert shown["初信初访已化解"] == f"{row['petitions_resolved']:,}"
    assert shown["调解矛盾纠纷"] == f"{row['disputes_mediated']:,}"
    assert shown["涉及金额（元）"] == f"{row['amount_yuan']:,}"
    assert set(tables(at)["村"]["村"]) == {row["village"]}
    assert {label.split(" · ")[1] for label in (e.label for e in at.expander)} == {
        f"{row['petitions_received']:,} 条", f"{row['disputes_mediated']:,} 条"}


def test_a_viewer_gets_the_counts_and_no_record(monkeypatch, demo_url):
    viewer = run(monkeypatch, demo_url, "stability", role="viewer")
    assert tiles(viewer) == SEED_TILES, "a viewer gets the counts"
    assert [df.value.columns[0] for df in viewer.dataframe] == ["村"], "and the table per village only"
    assert sum("🔒" in c.value for c in viewer.caption) == 3  # the risks, the petitions, the disputes


def test_the_wall_board_shows_the_figures_and_no_person(monkeypatch, demo_url, people):
    at = run(monkeypatch, demo_url, role=None, mode="wall", playlist="stability")
    shown = [(html.unescape(label), html.unescape(value))
             for h in at.html for label, value in TILE.findall(h.value)]
    assert shown == SEED_TILES
    assert not at.dataframe and not at.expander, "counts only"
    sent = "\n".join(text_format.MessageToString(e.proto, as_utf8=True) for e in at.main
                     if getattr(e, "proto", None) is not None)
    assert "vega" in sent and "leaflet" in sent, "its trend, bars and map"
    # 26 bars under the trend were unreadable at 1080p: the wall shows the ten biggest.
    # (the spec's JSON escapes the Chinese, and the text format escapes its backslashes again)
    assert json.dumps("按村 · 前 10")[1:-1].replace("\\", "\\\\") in sent, "the bars' title says so"
    assert not [name for name in people if name in sent][:5]
