"""预警 in the app with AppTest, on both engines: the view lists the open warnings worst first
(acknowledged ones below, marked, who masked below leader), acknowledging records who, when and
the note with an audit row, a viewer is refused; the admin's rules editor saves a rule and refuses
a bad threshold naming its key; the wall's header shows the open warnings' count and a ticker of
the newest, with no person in it.

One small database per engine (a village, four warnings opened by a watcher round at now); each
test starts from its warnings not acknowledged and the rules at their defaults."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import parse_qs

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import delete, insert, select, update
from streamlit.testing.v1 import AppTest

from data_access import accounts, notify
from data_access.db import forget_engines
from data_access.filters import local_now
from data_access.models import (
    AuditEntry,
    Hazard,
    NotifyChannel,
    NotifyDelivery,
    NotifyRule,
    NotifyWarning,
    Terminal,
)
from data_access.notify import watcher
from ui import shell

from .. import factories as f
from ..factories import signed_in
from .test_wall import everything_sent

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 60
PERSON = "欧阳小明"  # a hazard's person in charge: masked in the warning's title, never on the wall
HEADERS = ["级别", "状态", "规则", "村", "内容", "发出时间", "确认人", "确认时间", "确认备注", "已发送", "发送失败"]


@pytest.fixture(scope="module")
def base(databases, backend):
    """An overdue hazard (red), a late grid event (orange), a hazard due in two days and a terminal
    never seen (yellow), each a warning opened at now (the daily briefing's rule off); an account
    per role."""
    engine = databases.new_engine(backend)
    now = local_now()
    with engine.begin() as conn:
        for role in accounts.ROLES:
            accounts.create_user(conn, role, f"{role}-password", role, by="test")
        village = f.village(conn, "倪宅村")
        f.hazard(conn, village, now - dt.timedelta(days=10), title="仓库堆放杂物", level="较大",
                 deadline=now.date() - dt.timedelta(days=2), responsible_person=PERSON)
        f.hazard(conn, village, now - dt.timedelta(days=3), title="电线老化",
                 deadline=now.date() + dt.timedelta(days=2))
        f.event(conn, village, now - dt.timedelta(days=2), due_at=now - dt.timedelta(hours=3))
        conn.execute(insert(Terminal).values(source_id="T-9", name="村口摄像头", kind="摄像头", village_id=village,
                                             online=False))
        notify.ensure_rules(conn)
        notify.set_rule(conn, "admin", "daily_briefing", enabled=False)  # its PDF takes seconds
    watcher.evaluate(engine, watcher.RoundReport(now))
    return engine


@pytest.fixture
def db(base, monkeypatch):
    """The base with no warning acknowledged, no audit row, the rules at their defaults; the app
    pointed at it with nothing cached."""
    with base.begin() as conn:
        conn.execute(update(NotifyWarning).values(acknowledged_at=None, acknowledged_by=None, acknowledge_note=None))
        conn.execute(delete(AuditEntry))
        notify.ensure_rules(conn, reset=True)
    monkeypatch.setenv("DATABASE_URL", base.url.render_as_string(hide_password=False))
    forget_engines()
    st.cache_data.clear()
    return base


def app(role: str | None, view: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=RUN_TIMEOUT_S)
    if role:
        signed_in(at, role)
    for name, value in params.items():
        at.query_params[name] = value
    if view != "overview":
        at.switch_page(f"pages/{view}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def warning_ids(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(NotifyRule.name, NotifyWarning.id)
                                 .join(NotifyRule, NotifyRule.id == NotifyWarning.rule_id)
                                 .where(NotifyRule.name != "hazard_due_soon")).all())


def listed(at: AppTest):
    table = at.dataframe[0].value
    return table.data if hasattr(table, "data") else table  # a Styler (the coloured level) or a frame


# ---------------------------------------------------------------- the 预警 view


def test_open_warnings_worst_first_acknowledged_below_and_masked_below_leader(db):
    at = app("staff", "warnings")
    assert [m.value for m in at.metric[:3]] == ["4", "4", "1"]
    rows = listed(at)
    assert list(rows.columns) == HEADERS
    assert list(rows["级别"]) == ["红", "橙", "黄", "黄"] and set(rows["状态"]) == {"待确认"}
    assert list(rows["规则"][:2]) == ["隐患逾期（三色红）", "网格事件超期未办结"]
    assert "欧**明" in rows["内容"].iloc[0] and PERSON not in "".join(rows["内容"])

    with db.begin() as conn:
        notify.acknowledge(conn, "leader", warning_ids(db)["hazard_overdue"], "已通知责任单位")
    st.cache_data.clear()  # written behind the app's back
    rows = listed(app("staff", "warnings"))
    assert list(rows["级别"]) == ["橙", "黄", "黄", "红"], "the acknowledged one below the open ones"
    assert list(rows["状态"]) == ["待确认"] * 3 + ["已确认"]
    assert (rows["确认人"].iloc[-1], rows["确认备注"].iloc[-1]) == ("l****r", "已通知责任单位")
    assert listed(app("leader", "warnings"))["确认人"].iloc[-1] == "leader", "in clear for a leader"


def test_a_listed_warning_opens_what_it_is_about(db):
    """The overdue hazard's warning leads to the hazard's own page; the late event's to the
    village's events. The link is the watcher's, turned into a page and its parameters."""
    with db.connect() as conn:
        hazard_id = conn.execute(select(Hazard.id).where(Hazard.title == "仓库堆放杂物")).scalar_one()
    ids = warning_ids(db)
    at = app("staff", "warnings")
    picker = at.selectbox(key="warning_open_id")
    assert len(picker.options) == 4, "every listed warning links somewhere"
    picker.set_value(ids["hazard_overdue"]).run()
    (link,) = at.get("page_link")
    assert (link.proto.page, link.proto.query_string, link.proto.label) == ("hazard", f"id={hazard_id}", "打开")
    at.selectbox(key="warning_open_id").set_value(ids["event_overdue"]).run()
    (link,) = at.get("page_link")
    assert (link.proto.page, parse_qs(link.proto.query_string)) == ("events", {"village": ["倪宅村"]})


@pytest.mark.parametrize(("link", "page"), [
    ("/hazard?id=12", ("pages/hazard.py", {"id": ["12"]})),
    ("/alerts?village=倪宅村&from=2026-12-01&to=2026-12-03",
     ("pages/alerts.py", {"village": ["倪宅村"], "from": ["2026-12-01"], "to": ["2026-12-03"]})),
    ("/review?from=2026-12-02&to=2026-12-02", ("pages/review.py", {"from": ["2026-12-02"], "to": ["2026-12-02"]})),
    ("/admin", None), ("https://evil.example/hazard?id=1", ("pages/hazard.py", {"id": ["1"]})),
    ("/../app.py", None), ("", None), (None, None),
])
def test_a_warnings_link_leads_only_to_a_page_of_the_app(link, page):
    from ui.warnings import item_page

    assert item_page(link) == page


def test_acknowledging_records_who_when_the_note_and_an_audit_row(db):
    red = warning_ids(db)["hazard_overdue"]
    at = app("staff", "warnings")
    assert len(at.selectbox(key="warning_ack_id").options) == 4
    at.selectbox(key="warning_ack_id").set_value(red)
    at.text_area(key="warning_ack_note").input("已电话通知责任单位")
    before = local_now().replace(microsecond=0)
    at.button[0].click().run()  # the form's button
    assert not at.exception and "已确认，并记入审计日志。" in [s.value for s in at.success]
    with db.connect() as conn:
        done = notify.warning(conn, red)
        audited = conn.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.detail)
                               ).all()
    assert (done["acknowledged_by"], done["acknowledge_note"]) == ("staff", "已电话通知责任单位")
    assert before <= done["acknowledged_at"] <= local_now()
    assert [(a.actor, a.action, a.detail) for a in audited] == [("staff", "warning_ack", "已电话通知责任单位")]
    assert audited[0].target.startswith(f"notify_warning:{red} (hazard_overdue hazard:")
    rows = listed(at)
    assert list(rows["状态"]) == ["待确认"] * 3 + ["已确认"] and rows["确认人"].iloc[-1] == "s***f"
    assert len(at.selectbox(key="warning_ack_id").options) == 3


def test_a_viewer_is_refused(db, monkeypatch):
    at = app("viewer", "overview")
    with pytest.raises(ValueError, match="Known pages"):
        at.switch_page("pages/warnings.py")  # not in a viewer's menu
    monkeypatch.setattr(shell, "through_router", lambda: None)  # as if the router ran it anyway
    page = signed_in(AppTest.from_file(str(ROOT / "pages" / "warnings.py"), default_timeout=RUN_TIMEOUT_S), "viewer")
    page.run()
    assert [e.value for e in page.error] == ["需要工作人员权限。"]
    assert not page.dataframe and not page.metric and not page.get("form")


def test_a_message_given_up_after_its_last_try_is_listed_as_failed_without_its_url(db):
    red = warning_ids(db)["hazard_overdue"]
    with db.begin() as conn:
        notify.add_channel(conn, notify.Channel("值班群", "dingtalk", "http://127.0.0.1:9/robot/send?access_token=TOK-1"),
                           by="test")
        channel = conn.execute(select(NotifyChannel.id)).scalar_one()
        conn.execute(insert(NotifyDelivery).values(
            warning_id=red, channel_id=channel, status="failed", attempts=5, next_attempt_at=local_now(),
            attempted_at=local_now(), last_error="127.0.0.1 answered HTTP 500"))
    try:
        at = app("staff", "warnings")
        failed = [e for e in at.expander if "发送失败的消息" in e.label]
        assert len(failed) == 1 and "1 条" in failed[0].label
        rows = listed_in(failed[0])
        assert (rows["通道"].iloc[0], rows["尝试次数"].iloc[0], rows["原因"].iloc[0]) == \
            ("值班群", 5, "127.0.0.1 answered HTTP 500")
        assert listed(at)["发送失败"].iloc[0] == 1, "counted on its warning's row"
        assert "TOK-1" not in everything_sent(at)
    finally:
        with db.begin() as conn:
            conn.execute(delete(NotifyDelivery))
            conn.execute(delete(NotifyChannel))


def listed_in(block):
    table = block.dataframe[0].value
    return table.data if hasattr(table, "data") else table


# ---------------------------------------------------------------- the rules' editor


def rules_tab(at: AppTest, rule: str) -> AppTest:
    at.selectbox(key="rule_pick").set_value(rule).run()
    return at


def stored(engine, rule: str) -> tuple[bool, dict]:
    with engine.connect() as conn:
        row = conn.execute(select(NotifyRule.enabled, NotifyRule.thresholds).where(NotifyRule.name == rule)).one()
    return bool(row.enabled), json.loads(row.thresholds)


def test_the_admin_editor_refuses_a_bad_threshold_naming_its_key_and_saves_a_good_one(db):
    at = rules_tab(app("admin", "admin"), "terminal_offline")
    rules = next(df.value for df in at.dataframe if "阈值" in df.value.columns)
    assert len(rules) == len(notify.CONDITIONS) and set(rules["启用"]) == {"✅"}
    assert list(rules["规则"]) == list(notify.CONDITIONS), "a rule's name is no person's: not masked"
    at.number_input(key="rule_terminal_offline_hours").set_value(0)
    at.button(key="FormSubmitter:rule_edit-保存规则").click().run()
    refusals = [e.value for e in at.error]
    assert len(refusals) == 1 and "`hours`" in refusals[0] and "应为 1 到 720 之间的整数" in refusals[0], refusals
    assert not re.search("[a-z]{4,}", refusals[0].replace("hours", "")), "said in Chinese"
    assert stored(db, "terminal_offline") == (True, {"hours": 2})
    rules_tab(at, "hazard_overdue").multiselect(key="rule_hazard_overdue_levels").set_value([])
    at.button(key="FormSubmitter:rule_edit-保存规则").click().run()
    assert any("`levels`" in e.value and "至少选一项" in e.value for e in at.error), "a list left empty, too"
    assert stored(db, "hazard_overdue") == (True, {"levels": ["重大", "较大", "一般"]})

    rules_tab(at, "terminal_offline")
    at.number_input(key="rule_terminal_offline_hours").set_value(6)
    at.checkbox(key="rule_terminal_offline_enabled").uncheck()
    at.button(key="FormSubmitter:rule_edit-保存规则").click().run()
    assert not at.error and any("terminal_offline" in s.value for s in at.success)
    assert stored(db, "terminal_offline") == (False, {"hours": 6})
    with db.connect() as conn:
        audited = conn.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target)).all()
    assert [tuple(a) for a in audited] == [("admin", "rule_change", "notify_rule:terminal_offline")]


# ---------------------------------------------------------------- the wall's header

BADGE = re.compile(r'<div class="wall-warn ([a-z]*)"><span>预警</span> <b>(.*?)</b></div>')
TICKER = re.compile(r'<div class="wall-ticker-item[^"]*"[^>]*>(.*?)</div>')


def test_a_town_wide_warning_tickers_with_no_place():
    """A rule with no village (a zero counter, the daily briefing): NULL from the database, NaN
    once pandas has mixed it with others. Its line has the time and the rule only."""
    from ui import warnings

    at = dt.datetime(2026, 12, 3, 8, 5)
    ticker = pd.DataFrame({"opened_at": [at, at, at], "severity": ["red", "orange", "blue"],
                           "rule": ["zero_counter", "daily_briefing", "hazard_overdue"],
                           "rule_title": ["零发生", "每日简报", "隐患逾期"], "village": [None, float("nan"), "倪宅村"]})
    lines = [line for _, line in warnings.wall_ticker_items(ticker)]
    assert [line.split(" · ")[0] for line in lines] == ["08:05"] * 3
    assert [len(line.split(" · ")) for line in lines] == [2, 2, 3] and lines[2].endswith(" · 倪宅村"), lines


def test_the_wall_header_counts_the_open_warnings_and_tickers_the_newest_with_no_person(db):
    at = app(None, "overview", mode="wall", playlist="overview")
    header = "".join(h.value for h in at.html if "wall-header" in h.value)
    assert BADGE.findall(header) == [("alarm", "4")]
    items = TICKER.findall(header)
    assert len(items) == 4 and all(re.fullmatch(r"\d\d:\d\d · \S+ · 倪宅村", item) for item in items), items
    assert {item.split(" · ")[1] for item in items} == {"隐患逾期", "隐患临期", "事件超期", "终端离线"}
    sent = everything_sent(at)
    assert PERSON not in sent and "欧**明" not in sent and "仓库堆放杂物" not in sent, "counts and places only"

    with db.begin() as conn:  # all seen: the badge keeps the count, no longer alarmed
        for warning_id in warning_ids(db).values():
            notify.acknowledge(conn, "staff", warning_id)
        conn.execute(update(NotifyWarning).where(NotifyWarning.acknowledged_at.is_(None))
                     .values(acknowledged_at=local_now(), acknowledged_by="staff"))
    st.cache_data.clear()
    at = app(None, "overview", mode="wall", playlist="overview")
    header = "".join(h.value for h in at.html if "wall-header" in h.value)
    assert BADGE.findall(header) == [("seen", "4")] and "staff" not in header
