"""Reviewing hazards: detail, the four actions, their history and version, conflicts, the workflow."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from data_access import accounts, hazards, review
from data_access.filters import Filters, Period
from data_access.models import Hazard, HazardHistory
from data_access.review import HazardChanged, InvalidAction, PermissionDenied, ReasonRequired

from .. import factories as f

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 10, 0)
FOUND = dt.datetime(2026, 11, 2, 9, 30)


@pytest.fixture
def hazard_id(engine) -> int:
    """Users of every role (named after it, plus a second leader 'leader2') and one open hazard."""
    with engine.begin() as conn:
        for name, role in [*((r, r) for r in accounts.ROLES), ("leader2", "leader")]:
            accounts.create_user(conn, name, "s3cret-pass", role, by="test")
        village = f.village(conn, "倪宅村", center_lat=28.93, center_lon=119.97)
        grid = f.grid(conn, village, "倪宅一网格")
        return f.hazard(conn, village, FOUND, source_id="H-100", title="厂房消防通道堵塞", level="重大",
                        grid_id=grid, lat=28.9301, lon=119.9702, address="倪宅村工业区3号",
                        responsible_unit="花街镇应急办", responsible_person="张小三",
                        deadline=dt.date(2026, 11, 20))


def detail(engine, hazard_id: int) -> dict:
    with engine.connect() as conn:
        return review.hazard_detail(conn, hazard_id, TODAY)


def story(engine, hazard_id: int):
    with engine.connect() as conn:
        return hazards.history(conn, hazard_id)


def act(engine, action, *args, **kw) -> dict:
    with engine.begin() as conn:
        return action(conn, *args, **kw)


# ---------------------------------------------------------------- reading


def test_detail_has_everything_about_one_item(engine, hazard_id):
    d = detail(engine, hazard_id)
    assert (d["id"], d["source_id"], d["title"], d["level"], d["status"]) == (
        hazard_id, "H-100", "厂房消防通道堵塞", "重大", "待处置")
    assert (d["village"], d["work_area"], d["grid"], d["address"]) == (
        "倪宅村", "倪宅片区", "倪宅一网格", "倪宅村工业区3号")
    assert (d["lat"], d["lon"]) == (pytest.approx(28.9301), pytest.approx(119.9702))
    assert d["deadline"] == dt.date(2026, 11, 20) and d["found_at"] == FOUND
    assert (d["days_left"], d["overdue"], d["days_overdue"], d["warning"]) == (-3, True, 3, "red")
    assert (d["version"], d["latest_instruction"], d["resolved_at"]) == (1, None, None)
    assert d["statuses_forward"] == ["整改中", "已化解", "已销号"] and d["statuses_back"] == []
    assert d["responsible_person"] == "张小三"  # the official in charge, in clear for leaders


def test_detail_of_an_item_due_later_and_one_without_deadline(engine, hazard_id):
    with engine.begin() as conn:
        later = f.hazard(conn, _village(conn), FOUND, deadline=dt.date(2026, 11, 25))
        none = f.hazard(conn, _village(conn), FOUND)
        d_later, d_none = review.hazard_detail(conn, later, TODAY), review.hazard_detail(conn, none, TODAY)
    assert (d_later["days_left"], d_later["overdue"], d_later["warning"]) == (2, False, "yellow")
    assert (d_none["days_left"], d_none["overdue"], d_none["grid"]) == (None, False, None)


def _village(conn) -> int:
    from data_access.models import Village

    return conn.execute(select(Village.id)).scalars().first()


def test_unknown_item(engine, hazard_id):
    with engine.connect() as conn, pytest.raises(review.HazardNotFound):
        review.hazard_detail(conn, hazard_id + 1000)
    with engine.begin() as conn, pytest.raises(review.HazardNotFound):
        review.add_instruction(conn, "leader", hazard_id + 1000, 1, "请核实")


# ---------------------------------------------------------------- the actions


def test_instruction_is_a_history_row_and_bumps_the_version(engine, hazard_id):
    d = act(engine, review.add_instruction, "leader", hazard_id, 1, "  请应急办三日内督促整改  ", now=NOW)
    assert d["version"] == 2
    assert d["latest_instruction"] == {"at": NOW, "actor": "leader", "text": "请应急办三日内督促整改"}
    steps = story(engine, hazard_id)
    assert steps[["kind", "actor", "old_value", "new_value", "note"]].values.tolist() == [
        ["instruction", "leader", None, None, "请应急办三日内督促整改"]]
    assert steps["at"].tolist() == [NOW]

    later = NOW + dt.timedelta(hours=1)
    d = act(engine, review.add_instruction, "admin", hazard_id, 2, "已约谈企业负责人", now=later)
    assert d["version"] == 3 and d["latest_instruction"]["text"] == "已约谈企业负责人"


@pytest.mark.parametrize("text", ["", "   ", None, "批" * (review.MAX_INSTRUCTION_CHARS + 1)])
def test_empty_or_huge_instruction_is_refused(engine, hazard_id, text):
    with pytest.raises(InvalidAction):
        act(engine, review.add_instruction, "leader", hazard_id, 1, text)
    assert detail(engine, hazard_id)["version"] == 1 and story(engine, hazard_id).empty


def test_reassign(engine, hazard_id):
    d = act(engine, review.reassign, "leader", hazard_id, 1, "倪宅村委会", "李四", note="属地管理", now=NOW)
    assert (d["responsible_unit"], d["responsible_person"], d["version"]) == ("倪宅村委会", "李四", 2)
    [row] = story(engine, hazard_id).to_dict("records")
    assert (row["kind"], row["actor"], row["old_value"], row["new_value"], row["note"]) == (
        "reassign", "leader", "花街镇应急办 / 张小三", "倪宅村委会 / 李四", "属地管理")
    # The review list filtered by the new person finds it.
    with engine.connect() as conn:
        listed, total = hazards.worst_first(conn, Filters(Period(dt.date(2026, 1, 1), TODAY)), TODAY,
                                            responsible=hazard_id)  # the person of this hazard, now 李四
    assert total == 1 and listed["id"].tolist() == [hazard_id]

    with pytest.raises(InvalidAction):
        act(engine, review.reassign, "leader", hazard_id, 2, "倪宅村委会", "李四")  # nothing changes
    with pytest.raises(InvalidAction):
        act(engine, review.reassign, "leader", hazard_id, 2, " ", None)
    assert detail(engine, hazard_id)["version"] == 2


def test_set_deadline(engine, hazard_id):
    d = act(engine, review.set_deadline, "leader", hazard_id, 1, dt.date(2026, 11, 30), now=NOW)
    assert (d["deadline"], d["version"], d["overdue"], d["days_left"]) == (dt.date(2026, 11, 30), 2, False, 7)
    [row] = story(engine, hazard_id).to_dict("records")
    assert (row["kind"], row["old_value"], row["new_value"]) == ("deadline", "2026-11-20", "2026-11-30")
    with pytest.raises(InvalidAction, match="早于"):
        act(engine, review.set_deadline, "leader", hazard_id, 2, dt.date(2026, 11, 1))
    with pytest.raises(InvalidAction):
        act(engine, review.set_deadline, "leader", hazard_id, 2, dt.date(2026, 11, 30))
    assert detail(engine, hazard_id)["version"] == 2


# ---------------------------------------------------------------- concurrency


def test_second_editor_of_the_same_version_gets_the_new_state(engine, hazard_id):
    seen_by_first = detail(engine, hazard_id)["version"]
    seen_by_second = detail(engine, hazard_id)["version"]
    act(engine, review.add_instruction, "leader", hazard_id, seen_by_first, "立即停产整改", now=NOW)
    with pytest.raises(HazardChanged) as caught:
        act(engine, review.reassign, "leader2", hazard_id, seen_by_second, "倪宅村委会", "李四")
    current = caught.value.current
    assert current["version"] == 2 and current["latest_instruction"]["text"] == "立即停产整改"
    assert current["responsible_person"] == "张小三"  # the second change was not applied
    assert "已被他人修改" in caught.value.message
    assert story(engine, hazard_id)["kind"].tolist() == ["instruction"]
    assert detail(engine, hazard_id)["version"] == 2
    # With the version just shown, the second editor succeeds.
    again = act(engine, review.reassign, "leader2", hazard_id, current["version"], "倪宅村委会", "李四")
    assert again["version"] == 3


def test_concurrent_transactions_one_wins_the_other_is_told(engine, hazard_id):
    """Two transactions at once on the same version: the second waits for the first's lock, then
    finds the version moved on. Real connections, no sleeping on the happy path."""
    outcome = {}

    def second():
        try:
            with engine.begin() as conn:
                review.change_status(conn, "leader2", hazard_id, 1, "整改中")
            outcome["second"] = "applied"
        except HazardChanged as exc:
            outcome["second"] = exc.current

    with engine.begin() as conn:
        review.change_status(conn, "leader", hazard_id, 1, "已化解", now=NOW)
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.3)  # it is blocked on our lock (or still starting); we commit now
    thread.join(30)
    assert not thread.is_alive()
    assert isinstance(outcome["second"], dict), outcome
    assert (outcome["second"]["status"], outcome["second"]["version"]) == ("已化解", 2)
    assert story(engine, hazard_id)["new_value"].tolist() == ["已化解"]


# ---------------------------------------------------------------- the status workflow


def test_status_moves_forward_and_sets_resolved_at(engine, hazard_id):
    d = act(engine, review.change_status, "leader", hazard_id, 1, "整改中", now=NOW)
    assert (d["status"], d["resolved_at"], d["version"]) == ("整改中", None, 2)
    resolved_at = NOW + dt.timedelta(days=1)
    d = act(engine, review.change_status, "leader", hazard_id, 2, "已化解", now=resolved_at)
    assert (d["status"], d["resolved_at"], d["overdue"], d["warning"]) == ("已化解", resolved_at, False, None)
    closed_at = resolved_at + dt.timedelta(days=2)
    d = act(engine, review.change_status, "leader", hazard_id, 3, "已销号", now=closed_at)
    assert (d["status"], d["resolved_at"]) == ("已销号", resolved_at)  # closing keeps when it was resolved
    steps = story(engine, hazard_id)
    assert steps[["kind", "old_value", "new_value"]].values.tolist() == [
        ["status", "待处置", "整改中"], ["status", "整改中", "已化解"], ["status", "已化解", "已销号"]]


def test_status_may_skip_forward(engine, hazard_id):
    d = act(engine, review.change_status, "leader", hazard_id, 1, "已销号", now=NOW)
    assert (d["status"], d["resolved_at"], d["statuses_forward"]) == ("已销号", NOW, [])


def test_going_back_needs_a_reason_and_clears_resolved_at(engine, hazard_id):
    act(engine, review.change_status, "leader", hazard_id, 1, "已化解", now=NOW)
    for reason in (None, "   "):
        with pytest.raises(ReasonRequired):
            act(engine, review.change_status, "leader", hazard_id, 2, "整改中", reason)
    d = detail(engine, hazard_id)
    assert (d["status"], d["version"], d["resolved_at"]) == ("已化解", 2, NOW)

    later = NOW + dt.timedelta(days=3)
    d = act(engine, review.change_status, "leader", hazard_id, 2, "整改中", "复查发现仍有堵塞", now=later)
    assert (d["status"], d["resolved_at"], d["version"]) == ("整改中", None, 3)
    last = story(engine, hazard_id).iloc[-1]
    assert (last["old_value"], last["new_value"], last["note"]) == ("已化解", "整改中", "复查发现仍有堵塞")


def test_going_back_among_resolved_statuses_keeps_resolved_at(engine, hazard_id):
    act(engine, review.change_status, "leader", hazard_id, 1, "已销号", now=NOW)
    d = act(engine, review.change_status, "leader", hazard_id, 2, "已化解", "销号材料不全",
            now=NOW + dt.timedelta(days=1))
    assert (d["status"], d["resolved_at"]) == ("已化解", NOW)


@pytest.mark.parametrize("status", ["待处置", "已完成", ""])
def test_same_or_unknown_status_is_refused(engine, hazard_id, status):
    with pytest.raises(InvalidAction):
        act(engine, review.change_status, "leader", hazard_id, 1, status)
    assert detail(engine, hazard_id)["version"] == 1


# ---------------------------------------------------------------- who may act


@pytest.mark.parametrize("actor", ["viewer", "staff", "ghost"])
@pytest.mark.parametrize("version", [1, 7])  # right version or stale: the role is refused first
def test_actions_are_for_leaders(engine, hazard_id, actor, version):
    for action, args in [
        (review.add_instruction, ("请整改",)),
        (review.reassign, ("倪宅村委会", "李四")),
        (review.set_deadline, (dt.date(2026, 12, 1),)),
        (review.change_status, ("整改中",)),
    ]:
        with pytest.raises(PermissionDenied):
            act(engine, action, actor, hazard_id, version, *args)
    assert detail(engine, hazard_id)["version"] == 1 and story(engine, hazard_id).empty


def test_a_disabled_leader_can_no_longer_act(engine, hazard_id):
    with engine.begin() as conn:
        accounts.set_active(conn, "leader", False, by="test")
    with pytest.raises(PermissionDenied):
        act(engine, review.add_instruction, "leader", hazard_id, 1, "请整改")


def test_a_refused_action_leaves_nothing_even_if_the_caller_commits(engine, hazard_id):
    with engine.begin() as conn:
        review.change_status(conn, "leader", hazard_id, 1, "已化解", now=NOW)
        with pytest.raises(ReasonRequired):  # caught here, and the transaction goes on to commit
            review.change_status(conn, "leader", hazard_id, 2, "待处置")
        with pytest.raises(PermissionDenied):
            review.add_instruction(conn, "staff", hazard_id, 2, "越权批示")
    d = detail(engine, hazard_id)
    assert (d["status"], d["version"]) == ("已化解", 2)
    with engine.connect() as conn:
        kinds = conn.execute(select(HazardHistory.kind, func.count()).group_by(HazardHistory.kind)).all()
        assert dict(kinds) == {"status": 1}
        assert conn.execute(select(Hazard.version).where(Hazard.id == hazard_id)).scalar_one() == 2
