"""The demo's ledgers (issue 18) on real databases: seed 000's figures in the last full quarter
before several as-of days, counted here with our own SQL and through kpis.summary; 倪宅村 first
in every half-year; the war map's five projects; records that hang together; and the issue's
done-when commands as a user runs them."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, case, func, select

from data_access import demo, kpis, projects, ranking
from data_access.demo.town import KEY_PROJECTS
from data_access.filters import Filters, Period
from data_access.models import (
    Alert,
    Dispute,
    Grid,
    Hazard,
    Petition,
    Project,
    ProjectMilestone,
    ProjectVillage,
    Village,
    VillageScore,
)

D = dt.date
T = dt.datetime
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# as-of day → the last full quarter before it
QUARTERS = {
    D(2026, 11, 23): Period(D(2026, 7, 1), D(2026, 9, 30)),
    D(2027, 2, 10): Period(D(2026, 10, 1), D(2026, 12, 31)),
    D(2026, 4, 1): Period(D(2026, 1, 1), D(2026, 3, 31)),
}
AS_OF = D(2026, 11, 23)
SEED_PROJECTS = {"330国道南移", "西北三环建设政策处理", "小微园配套设施建设", "双舟线白改黑",
                 "20个扩网村自来水表安装"}


def n_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@pytest.fixture(scope="module")
def town(databases, backend) -> Callable[[D], Engine]:
    """The town scenario as of a day, built once per backend and day."""
    built: dict[D, Engine] = {}

    def at(as_of: D) -> Engine:
        if as_of not in built:
            engine = databases.new_engine(backend)
            demo.generate(engine, as_of=as_of)
            built[as_of] = engine
        return built[as_of]

    return at


@pytest.mark.parametrize("as_of", list(QUARTERS))
def test_last_full_quarter_has_the_seeds_ledger_figures(town, as_of):
    engine = town(as_of)
    quarter = QUARTERS[as_of]
    start, end = quarter.begins, quarter.ends
    with engine.connect() as conn:
        found = (Hazard.category == "涉稳") & (Hazard.found_at >= start) & (Hazard.found_at < end)
        stability = conn.execute(select(
            func.count(), n_if(Hazard.resolved_at < end), n_if(Hazard.mass_incident_risk.is_(True)),
            n_if(Hazard.mass_incident_risk.is_(True) & Hazard.status.in_(("待处置", "整改中"))),
        ).where(found)).one()  # fmt: skip
        received = (Petition.received_at >= start) & (Petition.received_at < end)
        petitions = conn.execute(select(func.count(), n_if(Petition.resolved_at < end)).where(received)).one()
        mediated = (Dispute.mediated_at >= start) & (Dispute.mediated_at < end)
        pushed, amount = n_if(Dispute.alert_pushed.is_(True)), func.sum(Dispute.amount_yuan)
        disputes = conn.execute(select(func.count(), amount, pushed).where(mediated)).one()
        figures = kpis.summary(conn, Filters(quarter), as_of)
    assert tuple(stability) == (44, 5, 2, 2)  # the two mass-incident risks still being handled
    assert tuple(petitions) == (368, 318)
    assert tuple(disputes) == (27, 448_000, 2)
    assert figures["stability"] == {"found": 44, "resolved": 5, "mass_incident_risks": 2}
    assert figures["petitions"] == {"received": 368, "resolved": 318}
    assert figures["disputes"] == {"mediated": 27, "amount_yuan": 448_000, "alert_pushes": 2}
    # The quarter before: similar, not the seed's.
    before = Filters(Period(quarter.start - dt.timedelta(days=91), quarter.start - dt.timedelta(days=1)))
    with engine.connect() as conn:
        earlier = kpis.summary(conn, before, as_of)
    assert 15 <= earlier["stability"]["found"] <= 35 and 280 <= earlier["petitions"]["received"] <= 440
    assert 10 <= earlier["disputes"]["mediated"] <= 45


def test_stability_risks_lie_outside_the_micro_centre(town):
    engine = town(AS_OF)
    micro = select(Village.id).where(Village.in_micro_centre.is_(True))
    with engine.connect() as conn:
        inside, total, flagged = conn.execute(select(
            n_if(Hazard.village_id.in_(micro)), func.count(), n_if(Hazard.mass_incident_risk.is_(True)),
        ).where(Hazard.category == "涉稳")).one()  # fmt: skip
        elsewhere = conn.execute(select(func.count()).where(Hazard.mass_incident_risk.is_(True),
                                                            Hazard.category != "涉稳")).scalar_one()
    assert inside == 0 and total > 200 and 2 < flagged < total / 5 and elsewhere == 0


@pytest.mark.parametrize("as_of", [AS_OF, D(2027, 2, 10)])
def test_nizhai_ranks_first_in_every_half_year(town, as_of):
    engine = town(as_of)
    with engine.connect() as conn:
        first, last = conn.execute(select(func.min(VillageScore.month), func.max(VillageScore.month))).one()
        per_month = conn.execute(select(VillageScore.month, func.count()).group_by(VillageScore.month)).all()
        assert {n for _, n in per_month} == {26 * 5 * 4}  # every village, track and assessor each month
        assert last == ranking.last_full("month", as_of).start  # scored up to the last full month
        half = ranking.period_of("half_year", first)
        while half.start <= last:
            table = ranking.ranking(conn, Filters(half))
            assert table["village"].iloc[0] == "倪宅村" and list(table["rank"][:2]) == [1, 2], half
            half = ranking.period_of("half_year", half.end + dt.timedelta(days=1))
        months = [ranking.ranking(conn, Filters(ranking.period_of("month", m))) for m, _ in per_month[-12:]]
    assert any(m["village"].iloc[0] != "倪宅村" for m in months)  # a month is a closer race
    assert all(list(m["rectify"]) == [False] * 23 + [True] * 3 for m in months)
    assert any(m["change"].dropna().abs().sum() > 0 for m in months)


def test_the_war_map_has_the_seeds_five_projects(town):
    engine = town(AS_OF)
    with engine.connect() as conn:
        names = set(conn.execute(select(Project.name)).scalars())
        per_village = Counter(conn.execute(select(ProjectVillage.village_id)).scalars())
        water = conn.execute(select(func.count()).select_from(ProjectVillage).join(Project)
                             .where(Project.name == "20个扩网村自来水表安装")).scalar_one()  # fmt: skip
        latest_done = conn.execute(select(func.max(ProjectMilestone.done_at))).scalar_one()
        figures = projects.kpis(conn, Filters(Period(D(2026, 1, 1), AS_OF)), AS_OF)
        board = projects.board(conn, Filters(Period(D(2026, 1, 1), AS_OF)), AS_OF)
        war_map = projects.war_map(conn, Filters(Period(D(2026, 1, 1), AS_OF)), AS_OF)
        villages = conn.execute(select(func.count()).select_from(Village)).scalar_one()
    assert names == SEED_PROJECTS == {p.name for p in KEY_PROJECTS}
    assert max(per_village.values()) == 3 and water == 20  # "最多的一个村就涉及3项"
    assert len(per_village) >= villages - 2  # "几乎每个行政村都涉及重点工程"
    assert latest_done <= AS_OF
    assert figures == {"total": 5, "on_track": 3, "overdue": 1, "done": 1}
    assert sorted(board["warning"].dropna()) == ["green", "green", "red", "yellow"]
    assert len(war_map) == sum(per_village.values()) and war_map["lat"].notna().all()


def test_ledger_records_hang_together(town):
    engine = town(AS_OF)
    last = T(2026, 11, 24)
    with engine.connect() as conn:
        bad_petitions = conn.execute(select(func.count()).select_from(Petition).outerjoin(Grid).where(
            (Petition.resolved_at < Petition.received_at) | (Petition.resolved_at >= last)
            | (Petition.received_at >= last) | (Grid.village_id != Petition.village_id)
            | Petition.contact_leader.is_(None) | Petition.village_cadre.is_(None)
            | Petition.village_official.is_(None)
        )).scalar_one()  # fmt: skip
        bad_disputes = conn.execute(select(func.count()).select_from(Dispute).outerjoin(Grid).where(
            (Dispute.mediated_at < Dispute.received_at) | (Dispute.mediated_at >= last)
            | (Dispute.amount_yuan < 0) | (Grid.village_id != Dispute.village_id)
        )).scalar_one()  # fmt: skip
        pushed = conn.execute(
            select(Alert.category, Alert.effective, Alert.village_id == Dispute.village_id,
                   Alert.received_at <= Dispute.received_at, Dispute.received_at < Dispute.mediated_at)
            .select_from(Dispute).join(Alert, Alert.source_id == Dispute.alert_source_id)
            .where(Dispute.alert_pushed.is_(True))
        ).all()  # fmt: skip
        n_pushed = conn.execute(select(func.count()).where(Dispute.alert_pushed.is_(True))).scalar_one()
        pending = conn.execute(select(func.count()).where(Dispute.mediated_at.is_(None))).scalar_one()
    assert (bad_petitions, bad_disputes) == (0, 0)
    assert n_pushed == len(pushed) > 2  # each pushed dispute names a real alert …
    assert {tuple(bool(v) if not isinstance(v, str) else v for v in row) for row in pushed} == {
        ("纠纷", True, True, True, True)}  # … an effective dispute alert of its village, received first
    assert pending > 0


# ---------------------------------------------------------------- as a user runs it


def run(*args: str, url: str, **settings: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, **settings}
    return subprocess.run([sys.executable, "-m", "data_access", *args], capture_output=True, text=True,
                          env=env, cwd=PROJECT_ROOT, timeout=300)


def test_the_issues_done_when_commands(databases):
    """As a user runs them, on the embedded default (the same figures on PostgreSQL are checked
    in-process above, for three as-of days)."""
    url = databases.new_url("sqlite")
    assert run("demo", "--as-of", "2026-11-23", url=url).returncode == 0
    result = run("kpis", "--json", "--from", "2026-07-01", "--to", "2026-09-30", url=url)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["stability"] == {"found": 44, "resolved": 5, "mass_incident_risks": 2}
    assert figures["petitions"] == {"received": 368, "resolved": 318}
    assert figures["disputes"] == {"mediated": 27, "amount_yuan": 448_000, "alert_pushes": 2}
    assert set(figures["projects"]) == {"total", "on_track", "overdue", "done"}
    assert figures["events"]["new"] == 3755  # the same quarter as the seed's events
    result = run("ranking", "--from", "2026-01-01", "--to", "2026-06-30", "--json", url=url)
    assert result.returncode == 0, result.stderr
    table = json.loads(result.stdout)
    assert table[0]["village"] == "倪宅村" and table[0]["rank"] == 1 and len(table) == 26
    assert set(table[0]) >= {"village", "rank", "total", "tracks", "change"}
    assert set(table[0]["tracks"]) == {"基层党建", "集体经济", "重点项目", "美丽乡村", "平安建设"}
    assert [row["rank"] for row in table] == sorted(row["rank"] for row in table)
    assert sum(row["rectify"] for row in table) == 3
    text = run("ranking", "--from", "2026-01-01", "--to", "2026-06-30", url=url)
    assert text.returncode == 0 and "倪宅村" in text.stdout.splitlines()[2] and "整改说明" in text.stdout
    refused = run("ranking", url=url, RANKING_WEIGHTS="镇党委=1")
    assert refused.returncode == 1 and refused.stderr.startswith("error: RANKING_WEIGHTS")
    assert len(refused.stderr.strip().splitlines()) == 1
