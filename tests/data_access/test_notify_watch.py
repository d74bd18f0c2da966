"""Early warning end to end on the demo, both engines: `watch --once` (run in-process, as the
command line runs it) delivers to a local DingTalk robot messages it can verify (JSON, signature)
with no personal data, and only once; a robot that fails is retried, then listed as failed;
WeCom gets its markdown JSON; e-mail carries the daily briefing's PDF; and on PostgreSQL two
watcher processes send each warning once."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import delete, func, select

from data_access import demo, notify
from data_access.cli import main
from data_access.filters import local_now, local_today
from data_access.models import (
    AuditEntry,
    Hazard,
    NotifyChannel,
    NotifyDelivery,
    NotifyRuleChannel,
    NotifyWarning,
    PopulationStay,
    Village,
)
from data_access.notify import watcher

from .. import factories as f
from ..conftest import POSTGRESQL_ONLY
from ..receivers import FULL_ID, FULL_PHONE, Mailbox, Robot, dingtalk_signature_ok

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PUBLIC_URL = "https://dashboard.example.cn"
SECRET = "SEC-test-secret-0123456789"
TOKEN = "TOKEN-abc123"
# An upstream title with a phone number and an ID number in it: the messages must mask both.
LEAKY_TITLE = "村民13812345678反映330702199001011234名下房屋裂缝"
LISTED = re.compile(r"^- (?!另有)", re.MULTILINE)
MORE = re.compile(r"另有 (\d+) 项")


@pytest.fixture(scope="module")
def demo_engine(databases, backend):
    """The demo as of today (the watcher looks at now), with one 重大 hazard found yesterday whose
    title holds a phone and an ID number; built once per engine."""
    engine = databases.new_engine(backend)
    demo.generate(engine, as_of=local_today())
    with engine.begin() as conn:
        village = conn.execute(select(Village.id).where(Village.name == "倪宅村")).scalar_one()
        f.hazard(conn, village, local_now() - dt.timedelta(days=1), title=LEAKY_TITLE, level="重大",
                 deadline=local_today() - dt.timedelta(days=1), responsible_person="欧阳小明")
    return engine


@pytest.fixture(scope="module")
def robot():
    robot = Robot()
    yield robot
    robot.close()


@pytest.fixture
def db(demo_engine, robot, monkeypatch):
    """The demo with no channel and no warning yet, its rules as the demo makes them but the daily
    briefing off (its PDF takes seconds: one test has it); DATABASE_URL and PUBLIC_URL set."""
    monkeypatch.setenv("DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PUBLIC_URL", PUBLIC_URL)
    robot.reset()
    with demo_engine.begin() as conn:
        for table in (NotifyDelivery, NotifyWarning, NotifyRuleChannel, NotifyChannel):
            conn.execute(delete(table))
        notify.ensure_rules(conn, reset=True)
        notify.set_rule(conn, "admin", "daily_briefing", enabled=False)
    return demo_engine


def add_dingtalk(robot: Robot, name: str = "值班群") -> None:
    assert main(["notify", "add-channel", name, "--kind", "dingtalk", "--url", robot.url(),
                 "--secret", SECRET]) == 0


def texts(robot: Robot) -> list[str]:
    return [r.body["markdown"].get("text") or r.body["markdown"].get("content") for r in robot.requests]


def items_in(text: str) -> int:
    """How many warnings one message covers: its listed lines and the ones it counts."""
    more = MORE.search(text)
    return len(LISTED.findall(text)) + (int(more.group(1)) if more else 0)


def rule_of(title: str) -> str:
    """A message's rule, from its title: 🔴 隐患逾期（三色红）（18 项） → 隐患逾期（三色红）."""
    return re.sub(r"（\d+ 项）$", "", title.split(" ", 1)[1])


def count(engine, what, where=None) -> int:
    stmt = select(func.count()).select_from(what)
    with engine.connect() as conn:
        return conn.execute(stmt if where is None else stmt.where(where)).scalar_one()


def full_names(engine) -> set[str]:
    """Names a message must never hold in clear (three characters or more, so that no village or
    word is mistaken for one)."""
    with engine.connect() as conn:
        names = set(conn.execute(select(Hazard.responsible_person)).scalars())
        names |= set(conn.execute(select(PopulationStay.name).limit(2000)).scalars())
    return {n for n in names if n and len(n) >= 3}


# ---------------------------------------------------------------- DingTalk


def test_watch_once_sends_signed_dingtalk_messages_without_personal_data(db, robot, capsys):
    add_dingtalk(robot)
    assert main(["watch", "--once"]) == 0, capsys.readouterr().err
    opened = count(db, NotifyWarning)
    assert opened > 20 and len(robot.requests) >= 5  # overdue hazards and events, terminals, 重大 …
    for request in robot.requests:
        assert request.path == "/robot/send" and request.query["access_token"] == [TOKEN]
        assert dingtalk_signature_ok(request, SECRET)
        assert request.body["msgtype"] == "markdown"
        assert set(request.body["markdown"]) == {"title", "text"}
        assert all(isinstance(v, str) and v for v in request.body["markdown"].values())
    bodies = texts(robot)
    assert sum(items_in(text) for text in bodies) == opened  # every warning, in one message each
    assert count(db, NotifyDelivery, NotifyDelivery.status == "sent") == opened
    everything = "\n".join(bodies + [r.body["markdown"]["title"] for r in robot.requests])
    assert not FULL_ID.search(everything) and not FULL_PHONE.search(everything)
    assert not {name for name in full_names(db) if name in everything}
    assert "138****5678" in everything and "3307**********1234" in everything and "欧**明" in everything
    assert f"{PUBLIC_URL}/hazard?id=" in everything and f"{PUBLIC_URL}/events?village=" in everything
    for title in ("隐患逾期", "发现重大隐患", "智能终端离线", "网格事件超期未办结"):
        assert any(title in r.body["markdown"]["title"] for r in robot.requests), title


def test_a_second_round_sends_nothing_new(db, robot, capsys):
    add_dingtalk(robot)
    assert main(["watch", "--once"]) == 0
    first = len(robot.requests)
    assert main(["watch", "--once"]) == 0
    assert len(robot.requests) == first
    assert "0 warnings opened" in capsys.readouterr().out.splitlines()[-1]
    with db.connect() as conn:
        assert conn.execute(select(func.max(NotifyDelivery.attempts))).scalar() == 1


def test_a_failing_robot_is_retried_then_listed_as_failed(db, robot, monkeypatch, capsys):
    monkeypatch.setattr(watcher, "RETRY_DELAYS", (dt.timedelta(0),) * 4)  # every round retries at once
    robot.reset(status=500)
    add_dingtalk(robot)
    tries = len(watcher.RETRY_DELAYS) + 1
    for attempt in range(1, tries + 1):
        assert main(["watch", "--once"]) == 1
        with db.connect() as conn:
            statuses = dict(conn.execute(select(NotifyDelivery.status, func.count())
                                         .group_by(NotifyDelivery.status)).all())
        assert statuses == ({"failed": count(db, NotifyWarning)} if attempt == tries
                            else {"pending": count(db, NotifyWarning)})
    messages = len(robot.requests) // tries
    assert messages >= 5 and len(robot.requests) == messages * tries  # each message tried `tries` times
    assert main(["watch", "--once"]) == 0 and len(robot.requests) == messages * tries  # given up
    capsys.readouterr()
    assert main(["notify", "list"]) == 0
    listed = capsys.readouterr().out
    assert f"{count(db, NotifyWarning)} failed" in listed
    assert f"after {tries} tries: 127.0.0.1 answered HTTP 500" in listed
    assert TOKEN not in listed and SECRET not in listed
    with db.connect() as conn:
        failed = notify.deliveries(conn, status="failed")
    assert len(failed) == count(db, NotifyWarning) and set(failed["attempts"]) == {tries}


def test_a_refusal_is_a_failure_whose_reason_names_no_token(db, robot, capsys):
    robot.reset(answer={"errcode": 310000, "errmsg": f"sign not match, token {TOKEN}"})
    add_dingtalk(robot)
    assert main(["watch", "--once"]) == 1
    err = capsys.readouterr().err
    assert "errcode 310000" in err and TOKEN not in err and SECRET not in err
    with db.connect() as conn:
        errors = set(conn.execute(select(NotifyDelivery.last_error)).scalars())
    assert errors and all("errcode 310000" in e and TOKEN not in e for e in errors)


def test_notify_list_and_test_show_no_secret(db, robot, capsys):
    add_dingtalk(robot)
    capsys.readouterr()
    assert main(["notify", "test", "值班群"]) == 0
    assert "测试消息" in robot.requests[-1].body["markdown"]["title"]
    assert dingtalk_signature_ok(robot.requests[-1], SECRET)
    assert main(["notify", "list"]) == 0
    out = capsys.readouterr().out
    assert "值班群  dingtalk  127.0.0.1, signed" in out
    assert TOKEN not in out and SECRET not in out and "access_token" not in out


# ---------------------------------------------------------------- WeCom, e-mail


def test_wecom_gets_its_markdown_json(db, robot):
    assert main(["notify", "add-channel", "企业微信群", "--kind", "wecom", "--url",
                 robot.url("/cgi-bin/webhook/send?key=KEY-0001")]) == 0
    assert main(["watch", "--once"]) == 0
    assert len(robot.requests) >= 5
    for request in robot.requests:
        assert request.path == "/cgi-bin/webhook/send" and request.query == {"key": ["KEY-0001"]}
        assert set(request.body) == {"msgtype", "markdown"} and request.body["msgtype"] == "markdown"
        assert set(request.body["markdown"]) == {"content"}
        assert len(request.body["markdown"]["content"].encode()) <= 4096  # WeCom's limit
    assert sum(items_in(text) for text in texts(robot)) == count(db, NotifyWarning)


def test_email_carries_the_warnings_and_the_daily_briefing_pdf(db):
    with db.begin() as conn:
        notify.set_rule(conn, "admin", "daily_briefing", enabled=True, thresholds={"at": "00:00"})
    mailbox = Mailbox()
    try:
        assert main(["notify", "add-channel", "值班邮箱", "--kind", "email", "--url", mailbox.url,
                     "--to", "duty@example.cn", "leader@example.cn"]) == 0
        assert main(["watch", "--once"]) == 0
    finally:
        mailbox.close()
    assert len(mailbox.messages) >= 5
    briefings = [mail for _, mail in mailbox.messages if "每日简报" in mail["Subject"]]
    assert len(briefings) == 1
    pdf = next(briefings[0].iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content().startswith(b"%PDF")
    assert pdf.get_filename().startswith("每日简报 ") and pdf.get_filename().endswith(".pdf")
    assert "本期指标" in briefings[0].get_body(("plain",)).get_content()
    for recipients, mail in mailbox.messages:
        assert recipients == ["duty@example.cn", "leader@example.cn"]
        assert mail["From"] == "noreply@127.0.0.1"
        text = mail.get_body(("plain",)).get_content()
        assert not FULL_ID.search(text) and not FULL_PHONE.search(text)
    with db.connect() as conn:  # built as an export, by the watcher's own account
        exported = conn.execute(select(AuditEntry.actor).where(AuditEntry.action == "export")
                                .order_by(AuditEntry.id.desc())).scalars().first()
    assert exported == notify.WATCHER_ACCOUNT


# ---------------------------------------------------------------- two watchers


@POSTGRESQL_ONLY  # SQLite has one writer at a time: a second claim waits for the first
def test_claims_skip_what_another_watcher_holds(db, monkeypatch):
    """What makes two watchers send each delivery once, shown step by step: a claim skips rows
    another transaction has locked (PostgreSQL: FOR UPDATE SKIP LOCKED) and rows under another's
    lease; a lease that ran out (a watcher that died) is claimed again."""
    with db.begin() as conn:
        notify.add_channel(conn, notify.Channel("群", "dingtalk", "http://127.0.0.1:9/robot/send"), by="test")
    now = local_now()
    watcher.evaluate(db, watcher.RoundReport(now))  # pending deliveries, none sent
    monkeypatch.setattr(watcher, "CLAIM_LIMIT", 3)
    with db.connect() as a, db.connect() as b:
        with a.begin():
            held_by_a = {row.id for row in watcher.claim(a, "A", now)}
            with b.begin():  # while A's transaction is open: B neither waits nor takes A's rows
                held_by_b = {row.id for row in watcher.claim(b, "B", now)}
        with a.begin():
            assert not held_by_a & {row.id for row in watcher.claim(a, "C", now)}  # leases hold
        with a.begin():
            again = {row.id for row in watcher.claim(a, "D", now + watcher.LEASE + dt.timedelta(seconds=1))}
    assert len(held_by_a) == len(held_by_b) == 3 and not held_by_a & held_by_b
    assert again == held_by_a  # the oldest rows again: their lease ran out


@POSTGRESQL_ONLY  # two watchers share a PostgreSQL; on SQLite one writer at a time is the rule
def test_two_watcher_processes_send_each_warning_once(db, robot):
    add_dingtalk(robot)
    robot.reset(delay=0.2)  # slow, so that the two overlap
    env = {**os.environ, "DATABASE_URL": db.url.render_as_string(hide_password=False), "PUBLIC_URL": PUBLIC_URL}
    watchers = [subprocess.Popen([sys.executable, "-m", "data_access", "watch", "--once"], cwd=PROJECT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [w.communicate(timeout=120) for w in watchers]
    assert [w.returncode for w in watchers] == [0, 0], outputs
    opened = count(db, NotifyWarning)
    assert opened > 20
    bodies = texts(robot)
    assert sum(items_in(text) for text in bodies) == opened  # none twice, none left out
    hazards = [(rule_of(r.body["markdown"]["title"]), hazard)  # a hazard may be under two rules
               for r in robot.requests for hazard in re.findall(r"/hazard\?id=(\d+)\)", r.body["markdown"]["text"])]
    assert hazards and len(hazards) == len(set(hazards))
    with db.connect() as conn:
        assert set(conn.execute(select(NotifyDelivery.status, NotifyDelivery.attempts))) == {("sent", 1)}
        # one episode per rule and subject
        assert conn.execute(select(func.max(NotifyWarning.episode))).scalar() == 1
