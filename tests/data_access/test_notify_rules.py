"""Early warning's rules on hand-built records (both engines): when each condition holds and
clears, episodes, thresholds, acknowledgement, the lists for the page and the wall, channel
settings, and what leaves masked."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, insert, select, update

from data_access import accounts, notify
from data_access.masking import mask_in_text
from data_access.models import (
    AuditEntry,
    Hazard,
    NotifyChannel,
    NotifyDelivery,
    NotifyRule,
    NotifyWarning,
    Terminal,
    User,
)
from data_access.notify import channels, watcher
from data_access.notify.channels import Channel, InvalidChannel
from data_access.notify.conditions import Finding
from data_access.notify.messages import compose

from .. import factories as f

NOW = dt.datetime(2026, 11, 23, 9, 0)
TODAY = NOW.date()


@pytest.fixture
def village(engine) -> int:
    """倪宅村, the default rules but the daily briefing (its own test turns it on), a channel (never
    sent to here), and an account per role."""
    with engine.begin() as conn:
        notify.ensure_rules(conn)
        notify.add_channel(conn, Channel("群", "dingtalk", "http://127.0.0.1:9/robot/send?access_token=T"),
                           by="test")
        for role in accounts.ROLES:
            accounts.create_user(conn, role, "s3cret-pass", role, by="test")
        notify.set_rule(conn, "admin", "daily_briefing", enabled=False)
        return f.village(conn, "倪宅村")


def round_at(engine, now: dt.datetime = NOW) -> watcher.RoundReport:
    """Evaluate the rules at `now` (nothing is sent)."""
    report = watcher.RoundReport(now)
    watcher.evaluate(engine, report)
    return report


def warnings_of(engine, rule: str, *, open_only: bool = True) -> list:
    stmt = (select(NotifyWarning.subject, NotifyWarning.episode, NotifyWarning.title, NotifyWarning.cleared_at,
                   NotifyWarning.detail, NotifyWarning.attachment)
            .join(NotifyRule, NotifyRule.id == NotifyWarning.rule_id).where(NotifyRule.name == rule)
            .order_by(NotifyWarning.id))
    if open_only:
        stmt = stmt.where(NotifyWarning.cleared_at.is_(None))
    with engine.connect() as conn:
        return conn.execute(stmt).all()


def subjects(engine, rule: str) -> set[str]:
    return {w.subject for w in warnings_of(engine, rule)}


def deliveries_of(engine, rule: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(NotifyDelivery)
                            .join(NotifyWarning, NotifyWarning.id == NotifyDelivery.warning_id)
                            .join(NotifyRule, NotifyRule.id == NotifyWarning.rule_id)
                            .where(NotifyRule.name == rule)).scalar_one()


def set_rule(engine, name: str, **changes) -> None:
    with engine.begin() as conn:
        notify.set_rule(conn, "admin", name, **changes)


# ---------------------------------------------------------------- the conditions


def test_a_hazard_goes_yellow_then_red_clears_and_comes_back_as_a_new_episode(engine, village):
    with engine.begin() as conn:
        hazard = f.hazard(conn, village, NOW - dt.timedelta(days=10), title="消防通道堵塞",
                          deadline=TODAY + dt.timedelta(days=2), responsible_unit="花街镇消防站",
                          responsible_person="张小三")
    subject = f"hazard:{hazard}"
    assert round_at(engine).opened == 1
    assert subjects(engine, "hazard_due_soon") == {subject} and not subjects(engine, "hazard_overdue")
    [yellow] = warnings_of(engine, "hazard_due_soon")
    assert "剩 2 天" in yellow.title and "张*三" in yellow.title and "张小三" not in yellow.title

    report = round_at(engine, NOW + dt.timedelta(days=3))  # the deadline has passed: red
    assert (report.opened, report.cleared) == (1, 1)
    assert subjects(engine, "hazard_overdue") == {subject} and not subjects(engine, "hazard_due_soon")

    assert round_at(engine, NOW + dt.timedelta(days=3)).opened == 0  # still red: nothing new
    with engine.begin() as conn:
        conn.execute(update(Hazard).where(Hazard.id == hazard).values(status="已化解", resolved_at=NOW))
    assert round_at(engine, NOW + dt.timedelta(days=4)).cleared == 1
    with engine.begin() as conn:
        conn.execute(update(Hazard).where(Hazard.id == hazard).values(status="整改中", resolved_at=None))
    assert round_at(engine, NOW + dt.timedelta(days=5)).opened == 1
    assert [w.episode for w in warnings_of(engine, "hazard_overdue", open_only=False)] == [1, 2]
    assert deliveries_of(engine, "hazard_overdue") == 2  # sent again: it came back after clearing

    set_rule(engine, "hazard_overdue", thresholds={"levels": ["重大"]})  # only 重大 ones: this one clears
    assert round_at(engine, NOW + dt.timedelta(days=5)).cleared == 1


def test_a_major_hazard_found_is_told_for_a_week(engine, village):
    with engine.begin() as conn:
        recent = f.hazard(conn, village, NOW - dt.timedelta(days=2), level="重大", title="危房")
        f.hazard(conn, village, NOW - dt.timedelta(days=9), level="重大")  # found before the week
        f.hazard(conn, village, NOW - dt.timedelta(days=1), level="较大")
        f.hazard(conn, village, NOW - dt.timedelta(days=1), level="重大", status="已化解", resolved_at=NOW)
    round_at(engine)
    assert subjects(engine, "hazard_major_found") == {f"hazard:{recent}"}
    round_at(engine, NOW + dt.timedelta(days=6))
    assert not subjects(engine, "hazard_major_found")


def _alerts(conn, village: int, per_day: float, recent: int, *, effective: bool = True) -> None:
    """`per_day` effective alerts a day over the 28 days before the last 24 hours, and `recent`
    in the last 24 hours."""
    baseline = int(per_day * 28)
    start = NOW - dt.timedelta(hours=24)
    for i in range(baseline):
        f.alert(conn, village, start - dt.timedelta(days=28) * (i + 0.5) / baseline, effective=effective)
    for i in range(recent):
        f.alert(conn, village, NOW - dt.timedelta(minutes=30 + i), effective=effective)


@pytest.mark.parametrize(("per_day", "recent", "surges"), [
    (0, 3, False),  # not more than 3
    (0, 4, True),
    (1, 4, True),  # more than both 3 and 2 × 1
    (2, 4, False),  # not more than 2 × 2
    (2, 5, True),
])
def test_a_village_s_alerts_surge_above_three_and_twice_its_daily_mean(engine, village, per_day, recent, surges):
    with engine.begin() as conn:
        _alerts(conn, village, per_day, recent)
        _alerts(conn, village, 0, 10, effective=False)  # not effective: never counted
    round_at(engine)
    assert subjects(engine, "alert_surge") == ({f"village:{village}"} if surges else set())
    if surges:
        [w] = warnings_of(engine, "alert_surge")
        assert w.title == f"倪宅村：近 24 小时有效警情 {recent} 起，此前 28 天日均 {per_day:.1f} 起"


def test_a_case_that_breaks_a_zero_counter(engine, village):
    with engine.begin() as conn:
        f.alert(conn, village, NOW - dt.timedelta(days=2), category="电信网络诈骗", became_case=True)
        f.alert(conn, village, NOW - dt.timedelta(days=1), category="电信网络诈骗")  # no case: no count
        f.alert(conn, village, NOW - dt.timedelta(days=10), civil_to_criminal=True)  # before the week
        f.alert(conn, village, NOW - dt.timedelta(hours=3), category="安全事故", major_accident=True)
    round_at(engine)
    found = warnings_of(engine, "zero_counter_broken")
    assert len(found) == 2
    assert found[0].title.startswith("电信网络诈骗零发生中断 · 倪宅村")
    assert found[1].title.startswith("重大安全事故零发生中断 · 倪宅村")
    set_rule(engine, "zero_counter_broken", thresholds={"counters": ["major_accident"]})
    assert round_at(engine).cleared == 1


def test_a_terminal_offline_for_more_than_two_hours(engine, village):
    seen = {"offline, 3 h": (False, NOW - dt.timedelta(hours=3)), "offline, 1 h": (False, NOW - dt.timedelta(hours=1)),
            "online, 5 h": (True, NOW - dt.timedelta(hours=5)), "offline, never seen": (False, None)}
    ids = {}
    with engine.begin() as conn:
        for name, (online, last_seen_at) in seen.items():
            ids[name] = conn.execute(insert(Terminal).values(
                source_id=name, name=name, kind="摄像头", village_id=village, online=online,
                last_seen_at=last_seen_at).returning(Terminal.id)).scalar_one()
    round_at(engine)
    assert subjects(engine, "terminal_offline") == {f"terminal:{ids['offline, 3 h']}",
                                                    f"terminal:{ids['offline, never seen']}"}
    assert any("从未上线" in w.title for w in warnings_of(engine, "terminal_offline"))


def test_a_grid_event_past_its_due_time_unclosed(engine, village):
    with engine.begin() as conn:
        f.event(conn, village, NOW - dt.timedelta(days=3), source_id="E-late", due_at=NOW - dt.timedelta(hours=1))
        f.event(conn, village, NOW - dt.timedelta(days=3), source_id="E-due", due_at=NOW + dt.timedelta(hours=1))
        f.event(conn, village, NOW - dt.timedelta(days=3), source_id="E-done", due_at=NOW - dt.timedelta(days=1),
                closed_at=NOW - dt.timedelta(hours=2))
        f.event(conn, village, NOW - dt.timedelta(days=3), source_id="E-open")  # no due time
    round_at(engine)
    [late] = warnings_of(engine, "event_overdue")
    assert "E-late" in late.title and "已过" in late.title
    round_at(engine, NOW + dt.timedelta(hours=2))
    assert len(warnings_of(engine, "event_overdue")) == 2  # E-due is late now too


def test_the_daily_briefing_from_eight_as_text_and_pdf_by_the_watcher_s_account(engine, village):
    with engine.begin() as conn:
        f.hazard(conn, village, NOW - dt.timedelta(days=5), level="重大", title="山塘渗漏")
    set_rule(engine, "daily_briefing", enabled=True)
    round_at(engine, NOW.replace(hour=7, minute=59))
    assert not warnings_of(engine, "daily_briefing")
    round_at(engine, NOW.replace(hour=8, minute=0))
    [briefing] = warnings_of(engine, "daily_briefing")
    assert briefing.subject == f"day:{TODAY}" and briefing.title == f"每日简报 {TODAY - dt.timedelta(days=1)}"
    assert "本期指标" in briefing.detail and "山塘渗漏" in briefing.detail
    assert bytes(briefing.attachment).startswith(b"%PDF")
    with engine.connect() as conn:
        account = conn.execute(select(User.role, User.password_hash).where(User.name == notify.WATCHER_ACCOUNT)).one()
        exports = conn.execute(select(AuditEntry.actor).where(AuditEntry.action == "export")).scalars().all()
    assert account.role == "staff" and account.password_hash == accounts.NO_PASSWORD
    assert exports == [notify.WATCHER_ACCOUNT]
    assert not accounts.sign_in(engine, notify.WATCHER_ACCOUNT, accounts.NO_PASSWORD).ok

    round_at(engine, NOW.replace(hour=7) + dt.timedelta(days=1))  # the next day, before eight
    assert not warnings_of(engine, "daily_briefing")
    with engine.begin() as conn:  # an admin disabled the watcher's account: no briefing, the rest go on
        accounts.set_active(conn, notify.WATCHER_ACCOUNT, False, by="admin")
    report = round_at(engine, NOW + dt.timedelta(days=1))
    assert len(report.errors) == 1 and "daily_briefing" in report.errors[0] and "PermissionDenied" in report.errors[0]
    assert subjects(engine, "hazard_major_found")


def test_a_program_never_acts_as_a_person(engine, village):
    set_rule(engine, "daily_briefing", enabled=True)
    with engine.begin() as conn:
        accounts.create_user(conn, notify.WATCHER_ACCOUNT, "s3cret-pass", "admin", by="test")
    report = round_at(engine, NOW.replace(hour=8))
    assert "AccountError" in report.errors[0]
    with engine.connect() as conn:
        assert not conn.execute(select(AuditEntry).where(AuditEntry.action == "export")).first()


# ---------------------------------------------------------------- episodes, rules, channels


def test_an_episode_opens_once_however_many_watchers_try(engine, village):
    with engine.connect() as conn:
        [rule] = [r for r in notify.config.load_rules(conn) if r.name == "hazard_overdue"]
    finding = Finding("hazard:1", "一项隐患")
    with engine.begin() as conn:
        assert watcher._open(conn, rule, finding, [], NOW)
    with engine.begin() as conn:  # what a second watcher's insert meets: the open one
        assert not watcher._open(conn, rule, finding, [], NOW)
    assert len(warnings_of(engine, "hazard_overdue")) == 1


def test_a_switched_off_rule_clears_and_a_rule_goes_only_to_its_channels(engine, village):
    with engine.begin() as conn:
        f.hazard(conn, village, NOW - dt.timedelta(days=10), deadline=TODAY - dt.timedelta(days=1))
        f.hazard(conn, village, NOW - dt.timedelta(days=10), deadline=TODAY + dt.timedelta(days=1))
        notify.add_channel(conn, Channel("邮箱", "email", "smtp://127.0.0.1:9", None, ("duty@example.cn",)),
                           by="test")
    set_rule(engine, "hazard_overdue", channels=["邮箱"])
    round_at(engine)
    with engine.connect() as conn:
        sent_to = dict(conn.execute(
            select(NotifyRule.name, func.count()).select_from(NotifyDelivery)
            .join(NotifyWarning, NotifyWarning.id == NotifyDelivery.warning_id)
            .join(NotifyRule, NotifyRule.id == NotifyWarning.rule_id)
            .join(NotifyChannel, NotifyChannel.id == NotifyDelivery.channel_id)
            .where(NotifyChannel.name == "邮箱").group_by(NotifyRule.name)).all())
    assert sent_to == {"hazard_overdue": 1, "hazard_due_soon": 1}  # overdue to 邮箱 only; the rest to all
    assert deliveries_of(engine, "hazard_overdue") == 1 and deliveries_of(engine, "hazard_due_soon") == 2
    set_rule(engine, "hazard_overdue", enabled=False)
    assert round_at(engine).cleared == 1 and not subjects(engine, "hazard_overdue")


def test_a_rule_spoilt_by_hand_is_reported_and_the_others_go_on(engine, village):
    with engine.begin() as conn:
        f.hazard(conn, village, NOW - dt.timedelta(days=10), deadline=TODAY - dt.timedelta(days=1))
        conn.execute(update(NotifyRule).where(NotifyRule.name == "terminal_offline")
                     .values(thresholds='{"hours": "two"}'))
    report = round_at(engine)
    assert len(report.errors) == 1 and report.errors[0].startswith("rule terminal_offline: InvalidThresholds")
    assert subjects(engine, "hazard_overdue")
    with engine.connect() as conn:
        shown = notify.rules_table(conn).set_index("name").loc["terminal_offline", "thresholds"]
    assert shown == {"unusable": '{"hours": "two"}'}


@pytest.mark.parametrize(("name", "thresholds", "fragment"), [
    ("hazard_overdue", {"within_days": 3}, "takes no threshold within_days"),
    ("hazard_overdue", {"levels": ["特大"]}, "levels must be"),
    ("hazard_overdue", {"levels": []}, "levels must be"),
    ("daily_briefing", {"at": "8:00"}, "at must be a time of day"),
    ("terminal_offline", {"hours": 0}, "hours must be a whole number"),
    ("alert_surge", {"factor": "2"}, "factor must be a number"),
    ("event_overdue", {"hours": 1}, "it takes: none"),
])
def test_thresholds_are_checked(engine, village, name, thresholds, fragment):
    with pytest.raises(notify.InvalidThresholds, match=fragment), engine.begin() as conn:
        notify.set_rule(conn, "admin", name, thresholds=thresholds)


def test_only_an_admin_changes_rules_and_each_change_is_audited(engine, village):
    with pytest.raises(accounts.PermissionDenied), engine.begin() as conn:
        notify.set_rule(conn, "leader", "alert_surge", enabled=False)
    for bad in ({"name": "no_such_rule"}, {"name": "alert_surge", "channels": ["无此通道"]}):
        with pytest.raises(LookupError), engine.begin() as conn:
            notify.set_rule(conn, "admin", **{"enabled": False, **bad})
    set_rule(engine, "alert_surge", thresholds={"min_alerts": 5}, channels=["群"])
    with engine.connect() as conn:
        rules = notify.rules_table(conn).set_index("name")
        audited = conn.execute(select(AuditEntry.actor, AuditEntry.target, AuditEntry.detail)
                               .where(AuditEntry.action == "rule_change").order_by(AuditEntry.id)).all()[-1]
    assert rules.loc["alert_surge", "thresholds"] == {"hours": 24, "baseline_days": 28, "min_alerts": 5, "factor": 2}
    assert rules.loc["alert_surge", "channels"] == ["群"] and rules.loc["alert_surge", "enabled"]
    assert tuple(audited) == ("admin", "notify_rule:alert_surge", 'thresholds={"hours": 24, "baseline_days": 28, '
                              '"min_alerts": 5, "factor": 2}; channels=群')


# ---------------------------------------------------------------- acknowledging, and what the page lists


@pytest.fixture
def three_warnings(engine, village) -> dict[str, int]:
    """An overdue hazard (red), a late event (orange) and a terminal offline (yellow): {rule: id}."""
    with engine.begin() as conn:
        f.hazard(conn, village, NOW - dt.timedelta(days=10), deadline=TODAY - dt.timedelta(days=1))
        f.event(conn, village, NOW - dt.timedelta(days=1), due_at=NOW - dt.timedelta(hours=1))
        conn.execute(insert(Terminal).values(source_id="T-1", kind="烟感", village_id=village, online=False,
                                             last_seen_at=NOW - dt.timedelta(days=1)))
    round_at(engine)
    with engine.connect() as conn:
        return dict(conn.execute(select(NotifyRule.name, NotifyWarning.id)
                                 .join(NotifyRule, NotifyRule.id == NotifyWarning.rule_id)).all())


def test_staff_acknowledge_once_with_a_note_and_it_is_audited(engine, three_warnings):
    red = three_warnings["hazard_overdue"]
    with engine.begin() as conn:
        done = notify.acknowledge(conn, "staff", red, "  已电话通知责任单位  ", now=NOW)
    assert (done["acknowledged_by"], done["acknowledged_at"], done["acknowledge_note"]) == \
        ("staff", NOW, "已电话通知责任单位")
    with pytest.raises(notify.AlreadyAcknowledged) as second, engine.begin() as conn:
        notify.acknowledge(conn, "leader", red, "我也看到了")
    assert second.value.current["acknowledged_by"] == "staff"
    with engine.connect() as conn:
        audited = conn.execute(select(AuditEntry.actor, AuditEntry.target, AuditEntry.detail)
                               .where(AuditEntry.action == "warning_ack")).all()
    subject = warnings_of(engine, "hazard_overdue")[0].subject
    assert audited == [("staff", f"notify_warning:{red} (hazard_overdue {subject})", "已电话通知责任单位")]


def test_a_viewer_may_not_acknowledge_and_nothing_is_written(engine, three_warnings):
    orange = three_warnings["event_overdue"]
    with pytest.raises(accounts.PermissionDenied), engine.begin() as conn:
        notify.acknowledge(conn, "viewer", orange)
    with engine.begin() as conn:
        assert notify.warning(conn, orange)["acknowledged_at"] is None
        with pytest.raises(notify.WarningNotFound):
            notify.acknowledge(conn, "staff", 999_999)
        with pytest.raises(ValueError, match="备注"):
            notify.acknowledge(conn, "staff", orange, "长" * 501)
        notify.acknowledge(conn, "admin", orange)  # above staff may too; the note is optional


def test_open_warnings_worst_first_and_what_the_wall_gets(engine, three_warnings):
    with engine.begin() as conn:
        notify.acknowledge(conn, "staff", three_warnings["hazard_overdue"], now=NOW)
    with engine.connect() as conn:
        listed, total = notify.open_warnings(conn)
        counts = notify.warning_counts(conn)
        ticker = notify.ticker(conn)
    assert total == 3
    assert list(listed["rule"]) == ["event_overdue", "terminal_offline", "hazard_overdue"]  # unacknowledged first
    assert list(listed["severity"]) == ["orange", "yellow", "red"]
    assert list(listed["pending"]) == [1, 1, 1] and listed.loc[2, "acknowledged_by"] == "staff"
    assert listed.loc[0, "rule_title"] == "网格事件超期未办结" and listed.loc[0, "link"].startswith("/events?village=")
    assert counts == {"open": 3, "unacknowledged": 2, "red": 1, "orange": 1, "yellow": 1, "blue": 0}
    assert list(ticker.columns) == ["opened_at", "severity", "rule", "rule_title", "village"]  # no item, no person
    assert set(ticker["village"]) == {"倪宅村"}


# ---------------------------------------------------------------- channels and messages


@pytest.mark.parametrize(("channel", "fragment"), [
    (Channel("群", "dingtalk", "file:///etc/passwd"), "http(s) URL"),
    (Channel("群", "dingtalk", "https://oapi.dingtalk.com/robot/send", recipients=("a@b.cn",)), "only e-mail"),
    (Channel("群", "wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K", "S"), "takes no secret"),
    (Channel("邮箱", "email", "smtp://mail.example.cn"), "at least one recipient"),
    (Channel("邮箱", "email", "smtp://u:pw@mail.example.cn", recipients=("a@b.cn",)), "not in the URL"),
    (Channel("邮箱", "email", "http://mail.example.cn", recipients=("a@b.cn",)), "smtp://host:port"),
    (Channel("邮箱", "email", "smtp://mail.example.cn", recipients=("not-an-address",)), "not an e-mail address"),
    (Channel("群 1", "dingtalk", "https://oapi.dingtalk.com/robot/send"), "not a usable channel name"),
    (Channel("群", "sms", "https://example.cn"), "unknown kind"),
])
def test_channel_settings_that_cannot_work_are_refused(channel, fragment):
    with pytest.raises(InvalidChannel, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        channels.check(channel)


def test_a_channel_is_described_without_its_token_or_secret():
    robot = Channel("群", "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abcdef123456", "SECxyz789")
    mail = Channel("邮箱", "email", "smtp+tls://robot@mail.example.cn", "pw-123456", ("a@b.cn", "c@d.cn"))
    assert channels.describe(robot) == "oapi.dingtalk.com, signed"
    assert channels.describe(mail) == "mail.example.cn:587, STARTTLS, 2 recipient(s)"
    assert channels.sender(mail) == "noreply@mail.example.cn"


def test_dingtalk_signs_the_timestamp_with_the_secret():
    url = channels.dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=abc", "SECret", 1_700_000_000_000)
    query = parse_qs(urlsplit(url).query)
    expected = base64.b64encode(hmac.new(b"SECret", b"1700000000000\nSECret", hashlib.sha256).digest()).decode()
    assert query == {"access_token": ["abc"], "timestamp": ["1700000000000"], "sign": [expected]}
    assert "+" not in url.split("sign=")[1] and "/" not in url.split("sign=")[1]  # URL-encoded
    assert channels.dingtalk_url("https://x/robot/send?access_token=abc", None, 1) == "https://x/robot/send?access_token=abc"


def test_removing_a_channel_erases_its_secret_and_gives_up_what_it_had_to_send(engine, village):
    with engine.begin() as conn:
        f.hazard(conn, village, NOW - dt.timedelta(days=10), deadline=TODAY - dt.timedelta(days=1))
    round_at(engine)
    with engine.begin() as conn:
        assert notify.remove_channel(conn, "群", by="test") == 1
        row = conn.execute(select(NotifyChannel.url, NotifyChannel.secret, NotifyChannel.enabled)).one()
        assert tuple(row) == ("", None, False)
        assert set(conn.execute(select(NotifyDelivery.status)).scalars()) == {"failed"}
        assert notify.channels_table(conn).loc[0, "where"] == "removed"
        notify.add_channel(conn, Channel("群", "wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"),
                           by="test")  # its name may be used again
        actions = conn.execute(select(AuditEntry.action).where(AuditEntry.action.like("channel_%"))
                               .order_by(AuditEntry.id)).scalars().all()
    assert actions == ["channel_add", "channel_remove", "channel_add"]


def test_messages_mask_what_an_upstream_text_let_through():
    assert mask_in_text("村民13812345678，身份证330702199001011234，电话0579-87654321") == \
        "村民138****5678，身份证3307**********1234，电话0579-87654321"
    assert mask_in_text("编号DEMO-00012345678901234 no 330702199001011234X5") == \
        "编号DEMO-00012345678901234 no 330702199001011234X5"  # part of a longer code: not a number alone
    message = compose("隐患逾期", "red", [{"title": "业主13812345678家中隐患", "link": "/hazard?id=3",
                                          "detail": None, "attachment": None}], "https://d.example.cn/")
    assert "138****5678" in message.markdown() and "13812345678" not in message.markdown() + message.text()
    assert "[查看](https://d.example.cn/hazard?id=3)" in message.markdown()
    listed = compose("事件", "orange", [{"title": f"事件{i}", "link": None} for i in range(13)], "")
    assert listed.title == "🟠 事件（13 项）" and len(listed.items) == 10 and "另有 3 项" in listed.text()


def test_rules_are_kept_as_json_with_their_defaults(engine, village):
    with engine.connect() as conn:
        stored = dict(conn.execute(select(NotifyRule.name, NotifyRule.thresholds)).all())
    assert json.loads(stored["alert_surge"]) == {"hours": 24, "baseline_days": 28, "min_alerts": 3, "factor": 2}
    assert set(stored) == set(notify.CONDITIONS)


def test_starttls_asked_for_and_not_offered_sends_nothing_in_clear():
    """smtp+tls:// needs STARTTLS: a server that does not offer it gets neither the password nor
    the message (no falling back to plain text), and the reason names no secret."""
    from data_access.notify.messages import trial_message

    from ..receivers import Mailbox

    mailbox = Mailbox()
    try:
        channel = Channel("邮箱", "email", mailbox.url.replace("smtp://", "smtp+tls://robot@"), "pw-123456",
                          ("a@b.cn",))
        with pytest.raises(channels.DeliveryError, match="STARTTLS") as refused:
            channels.send(channel, trial_message(channel.name))
    finally:
        mailbox.close()
    assert mailbox.messages == [] and "pw-123456" not in str(refused.value)
