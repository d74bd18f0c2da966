"""The village ranking (花街擂台) and the key projects' war map (issue 18: 1, 2) with AppTest, on
both engines: a small town made by hand, whose figures are known, and the town demo (SQLite),
where 倪宅村 leads the first half of 2026. What each page shows: the ranking's order, totals,
movement and the villages owing a rectification note for the period the URL asks for; each
project's 三色 against its next deadline and one village's projects."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest
from sqlalchemy import insert
from streamlit.testing.v1 import AppTest

from data_access import accounts, formats, projects, ranking
from data_access.filters import Filters, Period
from data_access.models import (
    RANKING_ASSESSORS,
    RANKING_TRACKS,
    Project,
    ProjectMilestone,
    ProjectVillage,
    VillageScore,
)

from .. import factories as f
from ..conftest import BACKENDS
from .test_pages import AS_OF, metrics, open_view, texts
from .test_wall import open_wall

D = dt.date
JUNE = {"from": "2026-06-01", "to": "2026-06-30"}
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-23"}  # the projects' reference day: 23 November
_ids = itertools.count(1)


def _insert(conn, model, **values) -> int:
    values = {"source_id": f"P{next(_ids)}", **values}
    return conn.execute(insert(model).values(**values).returning(model.id)).scalar_one()


@pytest.fixture(scope="module", params=BACKENDS)
def town_url(request, databases) -> str:
    """Five villages scored in May and June 2026 (each the same on every track and by every
    assessor), and four projects on 23 November: one overdue, one due soon, one done, one with
    no deadline."""
    engine = databases.new_engine(request.param)
    with engine.begin() as conn:
        for name in ("staff", "viewer"):
            accounts.create_user(conn, name, f"{name}-demo", name, by="test")
        def square(k: int) -> str:
            lat, lon = 28.90 + k / 100, 119.95 + k / 100
            ring = [[lon, lat], [lon + 0.009, lat], [lon + 0.009, lat + 0.009], [lon, lat + 0.009], [lon, lat]]
            return json.dumps({"type": "Polygon", "coordinates": [ring]})

        ids = [f.village(conn, f"村{k}", center_lat=28.90 + k / 100, center_lon=119.95 + k / 100,
                         boundary=square(k)) for k in range(5)]
        for village, may, june in zip(ids, (70, 90, 80, 60, 85), (95, 90, 80, 80, 60)):
            for month, score in ((D(2026, 5, 1), may), (D(2026, 6, 1), june)):
                conn.execute(insert(VillageScore), [
                    {"source_id": f"S{next(_ids)}", "village_id": village, "month": month, "track": track,
                     "assessor": assessor, "score": score}
                    for track in RANKING_TRACKS for assessor in RANKING_ASSESSORS])

        def project(name, status="推进中", progress=50, deadline=None, involved=(), steps=()):
            pid = _insert(conn, Project, name=name, leader="应国华", status=status, progress=progress,
                          deadline=deadline)
            for k in involved:
                _insert(conn, ProjectVillage, project_id=pid, village_id=ids[k], responsible_person="倪建明")
            for step, (deadline_, done) in enumerate(steps):
                _insert(conn, ProjectMilestone, project_id=pid, name=f"节点{step}", deadline=deadline_,
                        done_at=done)

        project("西北三环", progress=78, deadline=D(2026, 12, 31), involved=(0, 1),
                steps=((D(2026, 11, 1), D(2026, 11, 2)), (D(2026, 11, 18), None)))
        project("双舟线", progress=55, deadline=D(2026, 11, 26), involved=(2,), steps=((D(2026, 12, 20), None),))
        project("水表安装", status="已完成", progress=100, deadline=D(2026, 11, 1), involved=(2,))
        project("小微园", progress=None, involved=(1,))
    return str(engine.url)


@pytest.fixture(scope="module")
def demo_url(databases) -> str:
    return str(databases.demo("sqlite", AS_OF).url)


def _table(at: AppTest, header: str):
    return next(df.value for df in at.dataframe if header in df.value.columns)


# --- the ranking ---------------------------------------------------------------------------------


def test_the_months_ranking_order_totals_movement_and_rectification(monkeypatch, town_url):
    at = open_view(monkeypatch, town_url, "ranking", **JUNE)  # the month by default: June
    table = _table(at, "名次")
    assert list(table["村"]) == ["村0", "村1", "村2", "村3", "村4"]
    assert list(table["名次"]) == [1, 2, 3, 3, 5]  # 村2 and 村3 tie
    assert list(table["总分"]) == ["475.00", "450.00", "400.00", "400.00", "300.00"]
    assert list(table["基层党建"]) == ["95.00", "90.00", "80.00", "80.00", "60.00"]
    assert list(table["较上期"]) == ["↑3", "↓1", "持平", "↑2", "↓3"]  # May: 村1, 村4, 村2, 村0, 村3
    assert list(table["整改说明"]) == ["—", "—", "需作整改说明", "需作整改说明", "需作整改说明"]
    assert metrics(at) == {"考评月份": "6月", "榜首": "村0", "参评村数": "5", "平均总分": "405.00",
                           "进步最大": "村0", "需作整改说明": "3"}
    assert "村2、村3、村4" in texts(at) and "↑3" in texts(at)
    assert "ranking" not in at.query_params, "the default is not written into the link"


def test_the_link_chooses_the_half_year_and_a_change_goes_back_into_it(monkeypatch, town_url):
    at = open_view(monkeypatch, town_url, "ranking", ranking="half_year", **JUNE)
    assert metrics(at)["考评月份"] == "1–6月"
    table = _table(at, "名次")  # May and June averaged; nothing before, so every village is new
    assert list(zip(table["村"], table["总分"])) == [
        ("村1", "450.00"), ("村0", "412.50"), ("村2", "400.00"), ("村4", "362.50"), ("村3", "350.00")]
    assert set(table["较上期"]) == {"新"}
    assert metrics(at)["需作整改说明"] == "3" and metrics(at)["进步最大"] == "—"
    at.button_group[0].set_value("month").run()
    assert "ranking" not in at.query_params and metrics(at)["考评月份"] == "6月"
    at.button_group[0].set_value("quarter").run()
    assert at.query_params["ranking"] == "quarter" and metrics(at)["考评月份"] == "4–6月"


def test_an_unknown_choice_in_the_link_is_reported_and_the_month_shown(monkeypatch, town_url):
    at = open_view(monkeypatch, town_url, "ranking", ranking="<b>year</b>", **JUNE)
    assert any("链接中的选项无法识别" in w for w in at.warnings_seen)
    assert metrics(at)["考评月份"] == "6月"


def test_the_ranking_map_is_shaded_by_every_villages_rank(monkeypatch, town_url):
    at = open_view(monkeypatch, town_url, "ranking", lang="en", village="村3", **JUNE)
    assert list(_table(at, "Rank")["Village"]) == ["村3"] and "Rectification note" in _table(at, "Rank").columns
    (folium,) = [e.proto for e in at.main if getattr(e, "type", "") == "component_instance"
                 and e.proto.component_name == "streamlit_folium.st_folium"]
    drawn = json.loads(folium.json_args)["script"]
    ranks = dict(re.findall(r'"name":"(村\d)"[^}]*?"value":(\d+)', drawn))
    assert ranks == {"村0": "1", "村1": "2", "村2": "3", "村3": "3", "村4": "5"}, "the others too, with their rank"


def test_the_demos_first_half_of_2026_puts_nizhai_first(monkeypatch, demo_url):
    at = open_view(monkeypatch, demo_url, "ranking", ranking="half_year", **{"from": "2026-01-01", "to": "2026-06-30"})
    shown = _table(at, "名次")
    from data_access.db import get_engine

    with get_engine(demo_url).connect() as conn:
        expected = ranking.ranking(conn, Filters(Period(D(2026, 1, 1), D(2026, 6, 30))))
    assert shown["村"].iloc[0] == "倪宅村" == expected["village"].iloc[0]
    assert list(shown["村"]) == list(expected["village"]) and len(shown) == 26
    assert list(shown["总分"]) == [f"{v:.2f}" for v in expected["total"]]
    assert metrics(at)["榜首"] == "倪宅村"
    assert list(shown.loc[shown["整改说明"] == "需作整改说明", "村"]) == list(expected.loc[expected["rectify"], "village"])


# --- the key projects ------------------------------------------------------------------------------


def test_each_projects_colour_comes_from_its_next_deadline(monkeypatch, town_url):
    at = open_view(monkeypatch, town_url, "projects", **NOVEMBER)
    board = _table(at, "项目")
    assert list(board["项目"]) == ["水表安装", "西北三环", "双舟线", "小微园"]  # furthest first
    rows = board.set_index("项目")
    assert rows.loc["西北三环", "预警"] == "红色（已逾期）" and rows.loc["西北三环", "下一节点期限"] == "2026-11-18"
    assert rows.loc["西北三环", "剩余天数"] == "逾期 5 天"
    assert rows.loc["双舟线", "预警"] == "黄色（3天内到期）" and rows.loc["双舟线", "下一节点期限"] == "2026-11-26"
    assert rows.loc["小微园", "预警"] == "绿色" and rows.loc["水表安装", "预警"] == "—"
    assert rows.loc["西北三环", "形象进度"] == "78%" and rows.loc["西北三环", "已完成节点"] == "1 / 2"
    assert rows.loc["西北三环", "责任领导"] == "应*华", "masked"
    assert metrics(at) == {"工程总数": "4", "按期推进": "2", "节点逾期": "1", "3天内到期": "1", "已完成": "1",
                           "平均形象进度": "77.7%"}


def test_a_village_in_the_filter_shows_its_projects(monkeypatch, town_url):
    at = open_view(monkeypatch, town_url, "projects", village="村2", **NOVEMBER)
    assert "村2涉及的重点工程" in [s.value for s in at.subheader]
    own = [df.value for df in at.dataframe if "行政村责任人" in df.value.columns]
    assert len(own) == 1 and sorted(own[0]["项目"]) == ["双舟线", "水表安装"]
    assert set(own[0]["行政村责任人"]) == {"倪*明"}
    assert metrics(at)["工程总数"] == "2" and metrics(at)["3天内到期"] == "1"


def test_a_viewer_sees_the_projects_but_no_person(monkeypatch, town_url):
    from .test_auth_pages import open_view as open_as

    at = open_as(monkeypatch, town_url, "projects", "viewer", village="村2", **NOVEMBER)
    assert not at.exception
    headers = {h for df in at.dataframe for h in df.value.columns}
    assert "项目" in headers and not {"责任领导", "行政村责任人"} & headers
    assert not {"应国华", "应*华", "倪建明", "倪*明"} & set(texts(at).split())
    wall = open_wall(monkeypatch, town_url, "projects")
    for who, run in (("viewer", at), ("wall", wall)):
        # What is sent, bytes and all: a chart's data travel as Arrow, where its strings are UTF-8.
        sent = b"".join(e.proto.SerializeToString() for e in run.main if getattr(e, "proto", None) is not None)
        assert "双舟线".encode() in sent and b"vega" in sent, who
        assert not [name for name in ("应国华", "应*华", "倪建明", "倪*明") if name.encode() in sent], who


def test_the_demos_projects_tiles_are_the_kpis(monkeypatch, demo_url):
    at = open_view(monkeypatch, demo_url, "projects", **{"from": "2026-01-01", "to": AS_OF.isoformat()})
    from data_access.db import get_engine

    with get_engine(demo_url).connect() as conn:
        k = projects.kpis(conn, Filters(Period(D(2026, 1, 1), AS_OF)), AS_OF)
    shown = metrics(at)
    assert (shown["工程总数"], shown["按期推进"], shown["节点逾期"], shown["已完成"]) == tuple(
        formats.count(k[key]) for key in ("total", "on_track", "overdue", "done")) == ("5", "3", "1", "1")
    assert "330国道南移" in set(_table(at, "项目")["项目"])
