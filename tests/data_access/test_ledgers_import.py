"""Importing the seeds' other ledgers (issue 18), both engines: each rule with a row that keeps it
(row 2) and one that breaks it (row 3); the samples with their Chinese headers; importing again
changes nothing, a changed row is updated; references to projects; the hazards' new column."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data_access.importing import import_file
from data_access.models import (
    Dispute,
    Hazard,
    Petition,
    Project,
    ProjectMilestone,
    ProjectVillage,
    VillageScore,
)

from ..import_support import SAMPLES, base_row, counts, csv_bytes, load_sample_villages, reasons, run

FUTURE = (dt.date.today() + dt.timedelta(days=400)).isoformat()
LEDGER_SAMPLES = ("scores", "projects", "project_villages", "project_milestones", "petitions", "disputes")


def row(kind: str, n: int = 1) -> dict[str, str]:
    """A valid row of `kind` (English headers) for the sample villages; `n` makes its key unique."""
    rows = {
        "scores": {"village": "倪宅村", "month": f"2026-{n:02d}", "track": "基层党建", "assessor": "镇党委",
                   "score": "90"},
        "projects": {"project_id": f"P{n}", "project_name": f"重点工程{n}", "status": "推进中"},
        "project_villages": {"project_id": "P-KNOWN", "village": ("倪宅村", "凤凰村", "桃源村")[n % 3]},
        "project_milestones": {"project_id": "P-KNOWN", "milestone": f"节点{n}", "deadline": "2026-12-31"},
        "petitions": {"source_id": f"XF{n}", "received_at": "2026-03-01 09:05:00", "village": "倪宅村"},
        "disputes": {"source_id": f"TJ{n}", "received_at": "2026-03-01 09:05:00", "village": "倪宅村"},
    }
    return dict(rows[kind]) if kind in rows else base_row(kind, n)


# (kind, column, what the good row sets, what the bad row sets, the reason's words)
RULES = [
    ("scores", "village", {}, {"village": "不存在村"}, "unknown village"),
    ("scores", "month", {"month": "2026年3月"}, {"month": "2026-13"}, "not a real month"),
    ("scores", "month", {"month": "2026/3/15"}, {"month": "三月"}, "not a month"),
    ("scores", "month", {}, {"month": FUTURE[:7]}, "in the future"),
    ("scores", "track", {"track": "平安建设"}, {"track": "党建"}, "must be one of"),
    ("scores", "assessor", {"assessor": "党员群众"}, {"assessor": "村民"}, "must be one of"),
    ("scores", "score", {"score": "100"}, {"score": "100.5"}, "between 0 and 100"),
    ("scores", "score", {"score": "0"}, {"score": "优"}, "not a number"),
    ("scores", "village", {}, {"month": "2026-01"}, "repeats the 所属村, 考评月份, 赛道, 考评主体 of row 2"),
    ("projects", "status", {"status": "已完成"}, {"status": "已竣工"}, "must be one of"),
    ("projects", "progress", {"progress": "65%"}, {"progress": "120%"}, "percentage from 0 to 100"),
    ("projects", "deadline", {"deadline": "2026/12/31"}, {"deadline": "年底"}, "not a date"),
    ("projects", "project_name", {}, {"project_name": ""}, "required"),
    ("project_villages", "project_id", {}, {"project_id": "P-UNKNOWN"}, "no key project has this 项目编号"),
    ("project_villages", "village", {}, {"village": "不存在村"}, "unknown village"),
    ("project_villages", "project_id", {}, {"village": "凤凰村"},
     "repeats the 项目编号, 涉及行政村 of row 2"),
    ("project_milestones", "deadline", {}, {"deadline": ""}, "required"),
    ("project_milestones", "done_at", {"done_at": "2026-03-01"}, {"done_at": FUTURE}, "in the future"),
    ("project_milestones", "project_id", {}, {"project_id": "P-UNKNOWN"}, "no key project"),
    ("petitions", "received_at", {}, {"received_at": ""}, "required"),
    ("petitions", "resolved_at", {"resolved_at": "2026-03-01 09:05"}, {"resolved_at": "2026-02-28"},
     "is before 登记时间"),
    ("petitions", "form", {"form": "网上信访"}, {"form": "微信"}, "must be one of"),
    ("disputes", "amount_yuan", {"amount_yuan": "4.48万元"}, {"amount_yuan": "很多"}, "not an amount"),
    ("disputes", "amount_yuan", {"amount_yuan": "0"}, {"amount_yuan": "-300"}, "not an amount"),
    ("disputes", "mediated_at", {"mediated_at": "2026-03-02"}, {"mediated_at": "2026-02-28"},
     "is before 受理时间"),
    ("disputes", "mediated_at", {}, {"mediated_at": FUTURE}, "in the future"),
    ("disputes", "alert_pushed", {"alert_pushed": "是"}, {"alert_pushed": "可能"}, "yes/no"),
    ("hazards", "mass_incident_risk", {"category": "涉稳", "mass_incident_risk": "是"},
     {"category": "消防", "mass_incident_risk": "是"}, "only a 涉稳 hazard can be flagged"),
    ("hazards", "mass_incident_risk", {}, {"mass_incident_risk": "也许"}, "yes/no"),
]


@pytest.mark.parametrize(("kind", "column", "good", "bad", "reason"), RULES)
def test_rule_keeps_the_good_row_and_reports_the_bad_one(engine, kind, column, good, bad, reason):
    load_sample_villages(engine)
    assert run(engine, "projects", [row("projects") | {"project_id": "P-KNOWN"}]).ok
    report = run(engine, kind, [{**row(kind, 1), **good}, {**row(kind, 2), **bad}])
    assert report.inserted == 1, reasons(report)
    assert report.rejected and not report.file_error
    assert {e.row for e in report.rejected} == {3}, reasons(report)
    assert any(reason in e.reason for e in report.rejected), reasons(report)
    assert all(e.column == column for e in report.rejected if reason in e.reason), reasons(report)


def _import_samples(engine) -> list:
    return [import_file(engine, kind, SAMPLES / f"{kind}.csv") for kind in LEDGER_SAMPLES]


def test_the_samples_import_with_their_chinese_headers_and_again_change_nothing(engine):
    load_sample_villages(engine)
    first = _import_samples(engine)
    assert all(r.ok for r in first), [reasons(r) for r in first]
    before = counts(engine)
    assert [before[t] for t in ("village_scores", "projects", "project_villages", "project_milestones",
                                "petitions", "disputes")] == [r.inserted for r in first]
    again = _import_samples(engine)
    assert [(r.inserted, r.updated) for r in again] == [(0, 0)] * len(LEDGER_SAMPLES)
    assert counts(engine) == before
    with engine.connect() as conn:
        scores = conn.execute(select(VillageScore.source_id, VillageScore.month, VillageScore.score)).all()
        assert ("桃源村|2026-05|平安建设|镇党委", dt.date(2026, 5, 1), 86.0) in scores
        project = dict(conn.execute(select(Project.source_id, Project.id)).all())["ZDGC-01"]
        link = select(ProjectVillage.project_id).where(ProjectVillage.source_id == "ZDGC-01|倪宅村")
        assert conn.execute(link).scalar_one() == project  # the project's row id, found from its 项目编号
        done = conn.execute(select(ProjectMilestone.done_at).where(ProjectMilestone.name == "完成政策处理"))
        assert done.scalar_one() == dt.date(2026, 8, 25)
        assert conn.execute(select(Project.progress).where(Project.id == project)).scalar_one() == 65
        amounts = dict(conn.execute(select(Dispute.source_id, Dispute.amount_yuan)).all())
        assert amounts == {"TJ2026-0001": 35_000, "TJ2026-0002": 0}  # 3.5万元 and 0
        pushed = select(Dispute.alert_pushed, Dispute.alert_source_id).where(Dispute.alert_pushed.is_(True))
        assert conn.execute(pushed).all() == [(True, "JQ20260105001")]
        cadres = select(Petition.contact_leader, Petition.village_cadre, Petition.village_official)
        assert conn.execute(cadres.order_by(Petition.source_id)).first() == ("应国华", "吕晓东", "倪建明")


def test_a_changed_score_is_updated_and_a_dry_run_writes_nothing(engine):
    load_sample_villages(engine)
    rows = [row("scores", 1), row("scores", 2)]
    assert run(engine, "scores", rows).inserted == 2
    rows[1]["score"] = "77.5"
    assert run(engine, "scores", rows, dry_run=True).updated == 1
    with engine.connect() as conn:
        assert sorted(conn.execute(select(VillageScore.score)).scalars()) == [90.0, 90.0]
    report = run(engine, "scores", rows)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    with engine.connect() as conn:
        assert sorted(conn.execute(select(VillageScore.score)).scalars()) == [77.5, 90.0]


def test_hazards_take_the_flag_and_baoan_leader_headers(engine):
    load_sample_villages(engine)
    flagged = {**base_row("hazards", 1), "category": "涉稳", "mass_incident_risk": "是",
               "responsible_person": "应国华"}
    rows = [flagged, base_row("hazards", 2)]
    header = ["隐患编号", "隐患名称", "隐患类别", "隐患等级", "所属村", "发现时间", "处置状态",
              "容易引起群体性事件", "包案领导"]
    report = import_file(engine, "hazards", csv_bytes(rows, header=header), filename="涉稳.csv")
    assert (report.ok, report.inserted) == (True, 2), reasons(report)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(Hazard.source_id, Hazard.mass_incident_risk)).all())
        person = conn.execute(select(Hazard.responsible_person).where(Hazard.source_id == "H1")).scalar_one()
    assert stored == {"H1": True, "H2": False} and person == "应国华"
    # A file without the column leaves the flag alone.
    assert run(engine, "hazards", [{**base_row("hazards", 1), "category": "涉稳"}]).unchanged == 1
