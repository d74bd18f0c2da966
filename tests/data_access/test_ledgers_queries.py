"""The seeds' other ledgers (issue 18) against counts made by hand on small datasets, both engines:
stability risks, first petitions, mediated disputes, key projects and the village ranking."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytest
from sqlalchemy import Connection, insert

from data_access import disputes, kpis, ledgers, petitions, projects, ranking, stability
from data_access.filters import Filters, Period
from data_access.masking import mask_frame
from data_access.models import (
    RANKING_ASSESSORS,
    RANKING_TRACKS,
    Dispute,
    Petition,
    Project,
    ProjectMilestone,
    ProjectVillage,
    VillageScore,
)

from .. import factories as f

D = dt.date
T = dt.datetime
Q3 = Period(D(2026, 7, 1), D(2026, 9, 30))
TODAY = D(2026, 11, 23)
EQUAL = dict.fromkeys(RANKING_ASSESSORS, 1.0)
_ids = itertools.count(1)


@pytest.fixture
def conn(engine):
    with engine.begin() as conn:
        yield conn


@pytest.fixture
def villages(conn) -> dict[str, int]:
    """Three villages with centres; 尚仁村 has a grid."""
    centres = (("倪宅村", 28.92, 119.96), ("凤凰村", 28.92, 119.98), ("尚仁村", 28.96, 119.94))
    ids = {name: f.village(conn, name, center_lat=lat, center_lon=lon) for name, lat, lon in centres}
    ids["尚仁村第1网格"] = f.grid(conn, ids["尚仁村"], "尚仁村第1网格")
    return ids


def _insert(conn: Connection, model, **values) -> int:
    values = {"source_id": f"X{next(_ids)}", **values}
    return conn.execute(insert(model).values(**values).returning(model.id)).scalar_one()


# ---------------------------------------------------------------- stability risks


def test_stability_counts_what_the_seed_counts(conn, villages):
    ni, fh = villages["倪宅村"], villages["凤凰村"]
    f.hazard(conn, ni, T(2026, 7, 1), category="涉稳", mass_incident_risk=True, deadline=D(2026, 8, 1))
    f.hazard(conn, ni, T(2026, 8, 1), category="涉稳", status="已化解", resolved_at=T(2026, 9, 30, 23, 59))
    f.hazard(conn, ni, T(2026, 9, 1), category="涉稳", status="已化解", resolved_at=T(2026, 10, 1))  # after P
    f.hazard(conn, fh, T(2026, 9, 30, 23), category="涉稳", mass_incident_risk=True)
    f.hazard(conn, ni, T(2026, 6, 30, 23), category="涉稳", status="已化解",
             resolved_at=T(2026, 7, 2))  # found before P
    f.hazard(conn, ni, T(2026, 8, 1), category="矛盾纠纷")  # another category
    assert stability.kpis(conn, Filters(Q3)) == {"found": 4, "resolved": 1, "mass_incident_risks": 2}
    assert stability.kpis(conn, Filters(Q3, villages=("凤凰村",))) == {"found": 1, "resolved": 0,
                                                                       "mass_incident_risks": 1}
    # The ledger is one category: a category chosen in the filter does not narrow it.
    assert stability.kpis(conn, Filters(Q3, categories=("消防",)))["found"] == 4


def test_stability_risks_list_mass_incident_first_then_open_and_overdue(conn, villages):
    ni = villages["倪宅村"]
    def risk(found, **kw):
        return f.hazard(conn, ni, found, category="涉稳", **kw)

    resolved = risk(T(2026, 8, 1), status="已化解", resolved_at=T(2026, 8, 5))
    green = risk(T(2026, 8, 2), deadline=D(2026, 12, 31), level="重大")
    red = risk(T(2026, 8, 3), deadline=D(2026, 9, 1), responsible_person="王小明")
    flagged = risk(T(2026, 8, 4), mass_incident_risk=True, deadline=D(2026, 12, 1))
    carried = risk(T(2026, 1, 4), deadline=D(2026, 11, 24))  # open, found before P
    risk(T(2026, 1, 5), status="已化解", resolved_at=T(2026, 2, 1))  # neither found in P nor open
    listed = stability.risks(conn, Filters(Q3), TODAY)
    assert list(listed["id"]) == [flagged, red, green, carried, resolved]  # green is 重大, carried 一般
    # The reference day is the period's end (30 September), not today.
    assert [None if pd.isna(w) else w for w in listed["warning"]] == ["green", "red", "green", "green", None]
    assert list(listed["mass_incident_risk"]) == [True, False, False, False, False]
    assert mask_frame(listed)["responsible_person"].iloc[1] == "王*明"


# ---------------------------------------------------------------- first petitions


def test_petitions_received_and_resolved_by_the_periods_end(conn, villages):
    ni, sh, grid = villages["倪宅村"], villages["尚仁村"], villages["尚仁村第1网格"]

    def petition(village, received, resolved=None, **kw):
        return _insert(conn, Petition, village_id=village, received_at=received, resolved_at=resolved, **kw)

    petition(ni, T(2026, 7, 1), T(2026, 7, 2), petitioner="李春花", contact_leader="应国华")
    after = petition(ni, T(2026, 9, 30, 23, 59), T(2026, 10, 1))  # resolved after the quarter
    petition(sh, T(2026, 8, 1), T(2026, 9, 30, 23, 59, 59), grid_id=grid)
    late = petition(sh, T(2026, 8, 2))  # not resolved
    petition(ni, T(2026, 6, 30, 23, 59), T(2026, 7, 1))  # received before the quarter
    assert petitions.kpis(conn, Filters(Q3)) == {"received": 4, "resolved": 2}
    assert petitions.kpis(conn, Filters(Q3, grids=("尚仁村第1网格",))) == {"received": 1, "resolved": 1}
    per_village = petitions.by_village(conn, Filters(Q3))
    assert sorted(per_village.itertuples(index=False, name=None)) == [("倪宅村", 2, 1), ("尚仁村", 2, 1)]
    listed, matching = petitions.records(conn, Filters(Q3), limit=2)
    assert matching == 4 and list(listed["id"]) == [after, late]  # unresolved by the end first, newest first
    masked = mask_frame(petitions.records(conn, Filters(Q3))[0])
    assert {"李*花", "应*华"} <= set(masked["petitioner"]) | set(masked["contact_leader"])


# ---------------------------------------------------------------- mediated disputes


def test_disputes_mediated_amounts_and_alert_pushes(conn, villages):
    ni, fh = villages["倪宅村"], villages["凤凰村"]

    def dispute(village, mediated, amount=None, pushed=False):
        _insert(conn, Dispute, village_id=village, received_at=T(2026, 6, 1), mediated_at=mediated,
                amount_yuan=amount, alert_pushed=pushed, mediator="徐美英")

    dispute(ni, T(2026, 7, 1), 35_000, pushed=True)
    dispute(ni, T(2026, 9, 30, 23, 59), 13_000)
    dispute(fh, T(2026, 8, 1))  # no money involved
    dispute(fh, T(2026, 10, 1), 99_000, pushed=True)  # after the quarter
    dispute(fh, None, 5_000)  # not mediated yet
    assert disputes.kpis(conn, Filters(Q3)) == {"mediated": 3, "amount_yuan": 48_000, "alert_pushes": 1}
    assert disputes.kpis(conn, Filters(Period(D(2026, 1, 1), D(2026, 6, 30)))) == {
        "mediated": 0, "amount_yuan": 0, "alert_pushes": 0}
    assert disputes.by_village(conn, Filters(Q3)).to_dict("records") == [
        {"village": "倪宅村", "mediated": 2, "amount_yuan": 48_000, "alert_pushes": 1},
        {"village": "凤凰村", "mediated": 1, "amount_yuan": 0, "alert_pushes": 0},
    ]
    listed, matching = disputes.records(conn, Filters(Q3))
    assert matching == 3 and list(listed["alert_pushed"]) == [False, False, True]  # newest first
    assert set(mask_frame(listed)["mediator"]) == {"徐*英"}


# ---------------------------------------------------------------- the three side by side (their view)


def test_the_three_ledgers_per_village_and_per_month(conn, villages):
    """ledgers.by_village and ledgers.trend: each ledger's counts under its own name, 0 where a
    village or a month has none of one, villages with the most records first."""
    ni, fh, sh = villages["倪宅村"], villages["凤凰村"], villages["尚仁村"]
    f.hazard(conn, ni, T(2026, 7, 3), category="涉稳", mass_incident_risk=True)
    f.hazard(conn, ni, T(2026, 9, 3), category="涉稳", status="已化解", resolved_at=T(2026, 9, 4))
    f.hazard(conn, fh, T(2026, 8, 3), category="消防")  # not a stability risk
    for received, resolved in ((T(2026, 7, 5), T(2026, 7, 6)), (T(2026, 7, 9), None), (T(2026, 10, 1), None)):
        _insert(conn, Petition, village_id=fh, received_at=received, resolved_at=resolved)
    _insert(conn, Dispute, village_id=sh, received_at=T(2026, 8, 1), mediated_at=T(2026, 8, 9),
            amount_yuan=12_000, alert_pushed=True)
    _insert(conn, Dispute, village_id=ni, received_at=T(2026, 8, 1), mediated_at=T(2026, 9, 9))
    per_village = ledgers.by_village(conn, Filters(Q3))
    assert per_village.to_dict("records") == [
        {"village": "倪宅村", "stability_found": 2, "stability_resolved": 1, "mass_incident_risks": 1,
         "petitions_received": 0, "petitions_resolved": 0, "disputes_mediated": 1, "amount_yuan": 0,
         "alert_pushes": 0},
        {"village": "凤凰村", "stability_found": 0, "stability_resolved": 0, "mass_incident_risks": 0,
         "petitions_received": 2, "petitions_resolved": 1, "disputes_mediated": 0, "amount_yuan": 0,
         "alert_pushes": 0},
        {"village": "尚仁村", "stability_found": 0, "stability_resolved": 0, "mass_incident_risks": 0,
         "petitions_received": 0, "petitions_resolved": 0, "disputes_mediated": 1, "amount_yuan": 12_000,
         "alert_pushes": 1},
    ]
    assert list(ledgers.by_village(conn, Filters(Q3, villages=("尚仁村",)))["village"]) == ["尚仁村"]
    monthly = ledgers.trend(conn, Filters(Q3), "month")
    assert [(str(b), s, p, d) for b, s, p, d in monthly.itertuples(index=False, name=None)] == [
        ("2026-07-01", 1, 2, 0), ("2026-08-01", 0, 0, 1), ("2026-09-01", 1, 0, 1)]
    assert stability.trend(conn, Filters(Q3), "month")["resolved"].tolist() == [0, 1]
    weekly = petitions.trend(conn, Filters(Q3), "week")
    assert weekly[["received", "resolved"]].values.tolist() == [[1, 1], [1, 0]]
    assert disputes.trend(conn, Filters(Q3, villages=("尚仁村",)), "month").to_dict("records") == [
        {"bucket": D(2026, 8, 1), "mediated": 1, "amount_yuan": 12_000, "alert_pushes": 1}]
    nothing = Filters(Period(D(2001, 1, 1), D(2001, 1, 31)))
    assert ledgers.by_village(conn, nothing).empty and ledgers.trend(conn, nothing).empty


# ---------------------------------------------------------------- key projects


@pytest.fixture
def war_map(conn, villages) -> dict[str, int]:
    """Four projects as of TODAY: one overdue, one due soon, one done, one with no deadline."""

    def project(name, status="推进中", progress=50, deadline=None, involved=(), steps=()):
        pid = _insert(conn, Project, name=name, leader="应国华", status=status, progress=progress,
                      deadline=deadline)
        for village in involved:
            _insert(conn, ProjectVillage, project_id=pid, village_id=villages[village],
                    responsible_person="倪建明")
        for step, (deadline_, done) in enumerate(steps):
            _insert(conn, ProjectMilestone, project_id=pid, name=f"节点{step}", deadline=deadline_,
                    done_at=done)
        return pid

    return {
        "red": project("西北三环", progress=78, deadline=D(2026, 12, 31), involved=("倪宅村", "凤凰村"),
                       steps=((D(2026, 11, 1), D(2026, 11, 2)), (D(2026, 11, 18), None))),
        "yellow": project("双舟线", progress=55, deadline=D(2026, 11, 26), involved=("尚仁村",),
                          steps=((D(2026, 12, 20), None),)),  # its own deadline comes first
        "done": project("水表安装", status="已完成", progress=100, deadline=D(2026, 11, 1),
                        involved=("尚仁村",), steps=((D(2026, 10, 1), None),)),
        "green": project("小微园", progress=None, involved=("凤凰村",)),
    }


def test_projects_three_colours_against_the_next_deadline(conn, war_map):
    board = projects.board(conn, Filters(Period(D(2026, 11, 1), TODAY)), TODAY)
    assert list(board["project"]) == ["水表安装", "西北三环", "双舟线", "小微园"]  # furthest first, none last
    by_name = board.set_index("project")
    assert by_name.loc["西北三环", "warning"] == "red" and by_name.loc["西北三环", "days_left"] == -5
    assert by_name.loc["双舟线", "next_deadline"] == D(2026, 11, 26)
    assert by_name.loc["双舟线", "warning"] == "yellow" and by_name.loc["小微园", "warning"] == "green"
    assert pd.isna(by_name.loc["水表安装", "warning"])  # done: no colour
    assert (by_name.loc["西北三环", "villages"], by_name.loc["西北三环", "milestones"],
            by_name.loc["西北三环", "milestones_done"]) == (2, 2, 1)
    assert projects.kpis(conn, Filters(Period(D(2026, 11, 1), TODAY)), TODAY) == {
        "total": 4, "on_track": 2, "overdue": 1, "done": 1}
    # On 31 October the first milestone was not done yet (done on 2 November), its deadline close.
    october = projects.board(conn, Filters(Period(D(2026, 10, 1), D(2026, 10, 31))), TODAY)
    october = october.set_index("project")
    assert october.loc["西北三环", "next_deadline"] == D(2026, 11, 1)
    assert october.loc["西北三环", "warning"] == "yellow" and october.loc["西北三环", "milestones_done"] == 0


def test_war_map_draws_each_project_over_all_its_villages(conn, war_map):
    period = Period(D(2026, 11, 1), TODAY)
    shown = projects.war_map(conn, Filters(period, villages=("凤凰村",)), TODAY)
    assert sorted(set(shown["project"])) == ["小微园", "西北三环"]
    west = shown[shown["project"] == "西北三环"]
    assert sorted(west["village"]) == sorted(["倪宅村", "凤凰村"])  # the village not chosen too
    assert west["project_lon"].tolist() == pytest.approx([119.97, 119.97])
    assert set(west["warning"]) == {"red"} and set(mask_frame(west)["leader"]) == {"应*华"}
    assert projects.kpis(conn, Filters(period, villages=("凤凰村",)), TODAY)["total"] == 2
    mine = projects.of_village(conn, Filters(period), TODAY, "尚仁村")
    assert sorted(mine["project"]) == sorted(["双舟线", "水表安装"])
    assert set(mine["responsible_person"]) == {"倪建明"}
    # A village with no centre is not drawn, but its projects are still its projects.
    no_centre = f.village(conn, "金杜村")
    _insert(conn, ProjectVillage, project_id=war_map["green"], village_id=no_centre)
    assert "金杜村" not in set(projects.war_map(conn, Filters(period), TODAY)["village"])
    assert list(projects.of_village(conn, Filters(period), TODAY, "金杜村")["project"]) == ["小微园"]
    steps = projects.milestones(conn, war_map["red"], TODAY)
    assert [None if pd.isna(w) else w for w in steps["warning"]] == [None, "red"]
    assert [None if pd.isna(d) else d for d in steps["days_left"]] == [None, -5]



def test_projects_standing_splits_those_under_way_by_colour(conn, war_map):
    period = Period(D(2026, 11, 1), TODAY)
    assert projects.standing(conn, Filters(period), TODAY) == {
        "red": 1, "yellow": 1, "green": 1, "progress": round((78 + 55 + 100) / 3, 1)}  # no progress: left out
    assert projects.standing(conn, Filters(period, villages=("尚仁村",)), TODAY) == {
        "red": 0, "yellow": 1, "green": 0, "progress": 77.5}
    assert ranking.last_scored_month(conn) is None  # no score yet

# ---------------------------------------------------------------- the village ranking


def _scores(conn: Connection, village: int, month: dt.date, by_track: dict[str, dict[str, float]]) -> None:
    for track, by_assessor in by_track.items():
        for assessor, score in by_assessor.items():
            _insert(conn, VillageScore, village_id=village, month=month, track=track, assessor=assessor,
                    score=score)


def _all(score: float) -> dict[str, dict[str, float]]:
    return {track: dict.fromkeys(RANKING_ASSESSORS, score) for track in RANKING_TRACKS}


def test_ranking_weighs_assessors_averages_months_and_sums_tracks(conn, villages):
    ni, fh = villages["倪宅村"], villages["凤凰村"]
    _scores(conn, ni, D(2026, 1, 1), {"基层党建": dict(zip(RANKING_ASSESSORS, (90, 80, 70, 60)))})
    _scores(conn, ni, D(2026, 2, 1), {"基层党建": {"镇党委": 100}})  # the others did not score it this month
    _scores(conn, ni, D(2026, 2, 1), {"集体经济": {"党员群众": 50}})
    _scores(conn, fh, D(2026, 3, 1), {"基层党建": {"镇党委": 95, "党员群众": 85}})
    period = Filters(Period(D(2026, 1, 15), D(2026, 3, 2)))  # touches January to March
    table = ranking.ranking(conn, period, EQUAL).set_index("village")
    assert table.loc["倪宅村", "基层党建"] == pytest.approx((75 + 100) / 2)
    assert table.loc["倪宅村", "total"] == pytest.approx(87.5 + 50)
    assert table.loc["凤凰村", "total"] == pytest.approx(90)
    assert table.loc["凤凰村", ["集体经济", "重点项目"]].isna().all()
    weighted = ranking.ranking(conn, period, EQUAL | {"镇党委": 3.0}).set_index("village")
    assert weighted.loc["倪宅村", "基层党建"] == pytest.approx(((270 + 80 + 70 + 60) / 6 + 100) / 2)
    assert weighted.loc["凤凰村", "total"] == pytest.approx((3 * 95 + 85) / 4)
    # An assessor weighing nothing: 倪宅村's 集体经济 had only 党员群众's score, so it has none.
    silent = ranking.ranking(conn, period, EQUAL | {"党员群众": 0.0}).set_index("village")
    assert silent.loc["倪宅村", "total"] == pytest.approx((80 + 100) / 2)
    assert pd.isna(silent.loc["倪宅村", "集体经济"])


def test_ranking_ranks_moves_and_flags_the_last_three(conn, villages):
    names = [f"村{k}" for k in range(5)]
    ids = [f.village(conn, name) for name in names]
    before, now = D(2026, 5, 1), D(2026, 6, 1)
    for village, last_month, this_month in zip(ids, (70, 90, 80, 60, 85), (95, 90, 80, 80, 60)):
        _scores(conn, village, before, _all(last_month))
        _scores(conn, village, now, _all(this_month))
    june = Filters(ranking.period_of("month", D(2026, 6, 17)))
    table = ranking.ranking(conn, june, EQUAL)
    assert list(table["village"]) == ["村0", "村1", "村2", "村3", "村4"]
    assert list(table["rank"]) == [1, 2, 3, 3, 5]  # 村2 and 村3 tie
    assert list(table["total"]) == [475, 450, 400, 400, 300]
    assert list(table["change"]) == [3, -1, 0, 2, -3]  # May: 村1, 村4, 村2, 村0, 村3
    assert list(table["rectify"]) == [False, False, True, True, True]
    only = ranking.ranking(conn, Filters(june.period, villages=("村3", "村1")), EQUAL)
    assert list(zip(only["village"], only["rank"])) == [("村1", 2), ("村3", 3)]  # the town's ranks
    assert list(ranking.by_village(conn, june)["value"]) == [1, 2, 3, 3, 5]
    first = ranking.ranking(conn, Filters(ranking.period_of("month", before)), EQUAL)
    assert first["change"].isna().all()  # nothing scored in April



def test_the_ranking_summary_names_the_first_the_climber_and_the_bottom(conn, villages):
    ids = [f.village(conn, f"村{k}") for k in range(5)]
    for village, last_month, this_month in zip(ids, (70, 90, 80, 60, 85), (95, 90, 80, 80, 60)):
        _scores(conn, village, D(2026, 5, 1), _all(last_month))
        _scores(conn, village, D(2026, 6, 1), _all(this_month))
    june = Filters(ranking.period_at("month", D(2026, 6, 30)))
    assert june.period == Period(D(2026, 6, 1), D(2026, 6, 30))
    assert ranking.summary(ranking.ranking(conn, june, EQUAL)) == {
        "villages": 5, "first": "村0", "first_rank": 1, "first_total": 475.0, "mean_total": 405.0,
        "climber": "村0", "climb": 3, "rectify": ["村2", "村3", "村4"]}
    narrowed = ranking.summary(ranking.ranking(conn, Filters(june.period, villages=("村1", "村4")), EQUAL))
    assert (narrowed["first"], narrowed["first_rank"], narrowed["climber"]) == ("村1", 2, None)  # nobody climbed
    assert ranking.summary(ranking.ranking(conn, Filters(ranking.period_at("month", D(2026, 6, 29))), EQUAL)
                           )["first"] == "村1"  # June not over yet: May's ranking
    # In August, July's scores not in yet: June's ranking still.
    assert ranking.last_scored_month(conn) == D(2026, 6, 1)
    assert ranking.period_at("month", D(2026, 8, 3), ranking.last_scored_month(conn)) == june.period
    assert ranking.period_at("quarter", D(2026, 10, 3), D(2026, 6, 1)) == Period(D(2026, 4, 1), D(2026, 6, 30))
    assert ranking.period_at("month", D(2026, 5, 31), D(2026, 6, 1)) == Period(D(2026, 5, 1), D(2026, 5, 31))
    assert ranking.summary(ranking.ranking(conn, Filters(Period(D(2001, 1, 1), D(2001, 1, 31))), EQUAL)) == {
        "villages": 0, "first": None, "first_rank": None, "first_total": None, "mean_total": None,
        "climber": None, "climb": None, "rectify": []}

def test_a_village_tied_with_the_third_last_also_owes_a_note(conn, villages):
    ids = [f.village(conn, f"村{k}") for k in range(6)]
    for village, score in zip(ids, (100, 95, 80, 80, 70, 60)):
        _scores(conn, village, D(2026, 7, 1), _all(score))
    table = ranking.ranking(conn, Filters(ranking.period_of("month", D(2026, 7, 1))), EQUAL)
    assert list(table["rank"]) == [1, 2, 3, 3, 5, 6]
    assert list(table["rectify"]) == [False, False, True, True, True, True]


def test_ranking_periods():
    assert ranking.period_of("quarter", D(2026, 11, 23)) == Period(D(2026, 10, 1), D(2026, 12, 31))
    assert ranking.last_full("half_year", D(2026, 11, 23)) == Period(D(2026, 1, 1), D(2026, 6, 30))
    assert ranking.last_full("half_year", D(2026, 6, 30)) == Period(D(2025, 7, 1), D(2025, 12, 31))
    assert ranking.last_full("month", D(2026, 1, 5)) == Period(D(2025, 12, 1), D(2025, 12, 31))
    assert ranking.previous_months(Period(D(2026, 1, 1), D(2026, 6, 30))) == (D(2025, 7, 1), D(2025, 12, 1))
    assert ranking.previous_months(Period(D(2026, 3, 31), D(2026, 3, 31))) == (D(2026, 2, 1), D(2026, 2, 1))
    # A view ranks the last whole period by its filter's reference day (that day may end it).
    assert ranking.period_at("half_year", D(2026, 11, 23)) == Period(D(2026, 1, 1), D(2026, 6, 30))
    assert ranking.period_at("quarter", D(2026, 9, 30)) == Period(D(2026, 7, 1), D(2026, 9, 30))
    assert ranking.period_at("month", D(2026, 1, 1)) == Period(D(2025, 12, 1), D(2025, 12, 31))


@pytest.mark.parametrize("text", [
    "镇党委=1",  # the others missing
    "镇党委=1,职能科室=1,工作片=1,党员群众=x",
    "镇党委=0,职能科室=0,工作片=0,党员群众=0",
    "镇党委=-1,职能科室=1,工作片=1,党员群众=1",
])
def test_bad_weights_are_refused(monkeypatch, text):
    monkeypatch.setenv("RANKING_WEIGHTS", text)
    with pytest.raises(ValueError, match="RANKING_WEIGHTS"):
        ranking.assessor_weights()


def test_weights_from_the_setting(monkeypatch):
    assert ranking.assessor_weights() == EQUAL
    monkeypatch.setenv("RANKING_WEIGHTS", " 镇党委=2， 职能科室=1.5,工作片=1,党员群众=0.5 ")
    assert ranking.assessor_weights() == {"镇党委": 2, "职能科室": 1.5, "工作片": 1, "党员群众": 0.5}


# ---------------------------------------------------------------- in the KPIs


def test_summary_has_the_ledgers(conn, villages):
    f.hazard(conn, villages["倪宅村"], T(2026, 8, 1), category="涉稳", mass_incident_risk=True)
    figures = kpis.summary(conn, Filters(Q3), TODAY)
    assert figures["stability"] == {"found": 1, "resolved": 0, "mass_incident_risks": 1}
    assert figures["petitions"] == {"received": 0, "resolved": 0}
    assert figures["disputes"] == {"mediated": 0, "amount_yuan": 0, "alert_pushes": 0}
    assert figures["projects"] == {"total": 0, "on_track": 0, "overdue": 0, "done": 0}


def test_every_person_of_the_ledgers_is_masked():
    people = ["leader", "responsible_person", "petitioner", "contact_leader", "village_cadre",
              "village_official", "mediator"]
    frame = pd.DataFrame({column: ["应国华"] for column in people} | {"project": ["双舟线白改黑"]})
    masked = mask_frame(frame)
    assert masked.iloc[0].to_dict() == dict.fromkeys(people, "应*华") | {"project": "双舟线白改黑"}
