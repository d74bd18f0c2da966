"""Accounts, sign-in throttle, roles, sessions, the audit log and the `user` command, on real databases."""

from __future__ import annotations

import datetime as dt
import io
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from sqlalchemy import func, select

from data_access import accounts, audit
from data_access.accounts import PermissionDenied
from data_access.cli import main as cli_main
from data_access.cli.shared import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNUSABLE
from data_access.filters import local_now
from data_access.models import AuditEntry, PopulationStay, SignInFailure, User

from .. import factories as f

T0 = dt.datetime(2026, 11, 23, 9, 0, 0)


def add_user(engine, name: str, role: str, password: str = "s3cret-pass", **kw) -> None:
    with engine.begin() as conn:
        accounts.create_user(conn, name, password, role, by="test", **kw)


def user_row(engine, name: str):
    with engine.connect() as conn:
        return conn.execute(select(User).where(User.name == name)).one()


# ---------------------------------------------------------------- passwords


def test_password_is_stored_as_a_bcrypt_hash_only(engine):
    add_user(engine, "ni", "staff", "correct horse")
    stored = user_row(engine, "ni").password_hash
    assert stored.startswith("$2b$") and "correct horse" not in stored
    assert accounts.verify_password("correct horse", stored)
    assert not accounts.verify_password("correct horsE", stored)
    assert accounts.hash_password("correct horse") != accounts.hash_password("correct horse")  # salted
    assert not accounts.verify_password("anything", "not a hash")


def test_new_hashes_cost_12_rounds_unless_the_setting_lowers_it(monkeypatch):
    assert accounts.hash_password("correct horse").startswith("$2b$04$"), "the tests' own cost (conftest)"
    monkeypatch.delenv("BCRYPT_ROUNDS")
    assert accounts.hash_password("correct horse").startswith("$2b$12$")


@pytest.mark.parametrize("password", ["short", "长" * 25])  # 7 characters; 75 bytes, over bcrypt's 72
def test_passwords_too_short_or_too_long_are_refused(engine, password):
    with pytest.raises(accounts.AccountError):
        add_user(engine, "ni", "staff", password)


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "semi;colon"])
def test_unusable_user_names_are_refused(engine, name):
    with pytest.raises(accounts.AccountError):
        add_user(engine, name, "staff")


def test_a_name_is_taken_once(engine):
    add_user(engine, "倪宅网格员", "staff")  # Chinese names are fine
    with pytest.raises(accounts.AccountError, match="exists"):
        add_user(engine, "倪宅网格员", "leader")


# ---------------------------------------------------------------- signing in and the throttle


def test_sign_in_right_and_wrong(engine):
    add_user(engine, "lead", "leader", "leader-pass")
    good = accounts.sign_in(engine, " lead ", "leader-pass", now=T0)
    assert good.ok and good.account == accounts.Account("lead", "leader", False) and good.message == ""
    assert user_row(engine, "lead").last_login_at == T0
    bad = accounts.sign_in(engine, "lead", "leader-pasS", now=T0)
    assert not bad.ok and bad.reason == "wrong" and bad.message == "用户名或密码错误。"
    assert accounts.sign_in(engine, "lead", "", now=T0).reason == "wrong"


def test_lockout_delay_grows_exponentially_to_a_cap():
    free = [accounts.lockout_delay(n) for n in range(accounts.FREE_FAILURES)]
    assert free == [dt.timedelta(0)] * accounts.FREE_FAILURES
    n = accounts.FREE_FAILURES
    assert [accounts.lockout_delay(n + i).total_seconds() for i in range(4)] == [30, 60, 120, 240]
    assert accounts.lockout_delay(n + 50) == accounts.MAX_LOCKOUT == accounts.lockout_delay(10**6)


def test_repeated_failures_lock_the_account_until_the_delay_passes(engine):
    add_user(engine, "lead", "leader", "leader-pass")
    for i in range(accounts.FREE_FAILURES - 1):
        assert accounts.sign_in(engine, "lead", "guess", now=T0 + dt.timedelta(seconds=i)).reason == "wrong"
    t5 = T0 + dt.timedelta(seconds=10)
    fifth = accounts.sign_in(engine, "lead", "guess", now=t5)
    assert fifth.reason == "locked" and fifth.retry_at == t5 + dt.timedelta(seconds=30)
    assert "后再试" in fifth.message
    row = user_row(engine, "lead")  # the throttle lives in the database: every process sees it
    assert (row.failed_count, row.locked_until) == (accounts.FREE_FAILURES, t5 + dt.timedelta(seconds=30))

    # While locked, even the right password is refused (and not checked, nor counted).
    during = accounts.sign_in(engine, "lead", "leader-pass", now=t5 + dt.timedelta(seconds=29))
    assert during.reason == "locked" and user_row(engine, "lead").failed_count == accounts.FREE_FAILURES

    # The next failure after the delay doubles it.
    t6 = t5 + dt.timedelta(seconds=31)
    sixth = accounts.sign_in(engine, "lead", "guess", now=t6)
    assert sixth.reason == "locked" and sixth.retry_at == t6 + dt.timedelta(seconds=60)

    # Once it has passed, the right password signs in and clears the count.
    t7 = t6 + dt.timedelta(seconds=61)
    assert accounts.sign_in(engine, "lead", "leader-pass", now=t7).ok
    row = user_row(engine, "lead")
    assert (row.failed_count, row.locked_until, row.last_login_at) == (0, None, t7)


@pytest.mark.parametrize("who", ["lead", "nobody"])
def test_guesses_sent_at_once_are_counted_before_any_is_checked(engine, who):
    """Twelve guesses in parallel, the right password among them, one failure short of the
    lock-out: one guess is checked and locks it; the others are refused unchecked."""
    add_user(engine, "lead", "leader", "leader-pass")
    for _ in range(accounts.FREE_FAILURES - 1):
        accounts.sign_in(engine, who, "guess", now=T0)
    passwords = ["guess"] * 11 + ["leader-pass"]
    checked = []
    real_verify = accounts.verify_password

    def verify(password, password_hash):
        checked.append(password)
        time.sleep(0.05)  # as slow as bcrypt at its real cost: the guesses overlap
        return real_verify(password, password_hash)

    barrier = threading.Barrier(len(passwords))

    def guess(password):
        barrier.wait()
        return accounts.sign_in(engine, who, password, now=T0 + dt.timedelta(seconds=1))

    with mock.patch.object(accounts, "verify_password", verify), ThreadPoolExecutor(len(passwords)) as pool:
        results = list(pool.map(guess, passwords))
    signed_in = [r for r in results if r.ok]
    if checked[0] == "leader-pass" and who == "lead":
        # The right password reached the lock-out first and signed in, which clears the count:
        # the guesses after it are fresh failures, counted from zero and locked again at the limit.
        assert len(signed_in) == 1 and len(checked) <= 1 + accounts.FREE_FAILURES
        assert user_row(engine, "lead").failed_count == len(checked) - 1
        return
    assert len(checked) == 1, f"only the guess that reached the lock-out is checked, not {len(checked)}"
    assert signed_in == []
    assert [r.reason for r in results] == ["locked"] * len(passwords)
    if who == "lead":  # counted once, at the lock-out's count
        assert user_row(engine, "lead").failed_count == accounts.FREE_FAILURES


def test_names_that_are_no_account_are_throttled_alike(engine):
    add_user(engine, "lead", "leader")
    results = [accounts.sign_in(engine, "nobody", "guess", now=T0) for _ in range(accounts.FREE_FAILURES)]
    assert [r.reason for r in results[:-1]] == ["wrong"] * (accounts.FREE_FAILURES - 1)
    assert results[-1].reason == "locked" and results[-1].retry_at == T0 + accounts.FIRST_LOCKOUT
    assert accounts.sign_in(engine, "nobody", "guess", now=T0 + dt.timedelta(seconds=5)).reason == "locked"
    with engine.connect() as conn:
        count = conn.execute(
            select(SignInFailure.failed_count).where(SignInFailure.name == "nobody")
        ).scalar_one()
    assert count == accounts.FREE_FAILURES
    # Another name, and the real account, are not affected.
    assert accounts.sign_in(engine, "lead", "s3cret-pass", now=T0).ok

    # An old, unlocked record of an unknown name is forgotten at the next failure.
    later = T0 + accounts.FORGET_UNKNOWN_NAME_AFTER + dt.timedelta(hours=2)
    assert accounts.sign_in(engine, "someone", "guess", now=later).reason == "wrong"
    with engine.connect() as conn:
        assert conn.execute(select(SignInFailure.name)).scalars().all() == ["someone"]


def test_disabled_accounts_cannot_sign_in_or_act(engine):
    add_user(engine, "lead", "leader", "leader-pass")
    with engine.begin() as conn:
        accounts.set_active(conn, "lead", False, by="test")
    # The right password gets the wrong password's answer: it never confirms a password.
    right, wrong = (accounts.sign_in(engine, "lead", pw, now=T0) for pw in ("leader-pass", "wrong-pass"))
    assert (right.reason, right.message) == (wrong.reason, wrong.message) == ("wrong", "用户名或密码错误。")
    with engine.connect() as conn, pytest.raises(PermissionDenied):
        accounts.require_role(conn, "lead", "viewer")
    with engine.begin() as conn:
        accounts.set_active(conn, "lead", True, by="test")
    assert accounts.sign_in(engine, "lead", "leader-pass", now=T0).ok


def test_enable_and_passwd_clear_a_lock_out(engine):
    add_user(engine, "lead", "leader", "leader-pass")
    for _ in range(accounts.FREE_FAILURES):
        accounts.sign_in(engine, "lead", "guess", now=T0)
    with engine.begin() as conn:
        accounts.set_password(conn, "lead", "a-new-password", by="test")
    row = user_row(engine, "lead")
    assert (row.failed_count, row.locked_until) == (0, None)
    assert accounts.sign_in(engine, "lead", "a-new-password", now=T0).ok
    assert not accounts.sign_in(engine, "lead", "leader-pass", now=T0).ok


# ---------------------------------------------------------------- roles and sessions


@pytest.mark.parametrize("role", accounts.ROLES)
@pytest.mark.parametrize("needed", accounts.ROLES)
def test_roles_are_ordered(role, needed):
    assert accounts.role_allows(role, needed) == (accounts.ROLES.index(role) >= accounts.ROLES.index(needed))


def test_roles_order_and_unknown_roles():
    assert accounts.ROLES == ("viewer", "staff", "leader", "admin")
    assert accounts.role_allows("admin", "leader") and not accounts.role_allows("staff", "leader")
    assert not accounts.role_allows(None, "viewer") and not accounts.role_allows("root", "viewer")
    with pytest.raises(ValueError):
        accounts.role_allows("admin", "superuser")


def test_role_check_reads_the_database(engine):
    add_user(engine, "lead", "leader")
    with engine.begin() as conn:
        assert accounts.require_role(conn, "lead", "leader").role == "leader"
        accounts.set_role(conn, "lead", "staff", by="test")
        with pytest.raises(PermissionDenied):
            accounts.require_role(conn, "lead", "leader")
        with pytest.raises(PermissionDenied):
            accounts.require_role(conn, "ghost", "viewer")
        with pytest.raises(accounts.AccountError):
            accounts.set_role(conn, "lead", "root", by="test")


def test_active_account_reads_the_role_now_and_drops_disabled_accounts(engine):
    add_user(engine, "lead", "leader")
    with engine.begin() as conn:
        assert accounts.active_account(conn, "lead") == accounts.Account("lead", "leader", False)
        accounts.set_role(conn, "lead", "staff", by="test")
        assert accounts.active_account(conn, "lead").role == "staff"
        accounts.set_active(conn, "lead", False, by="test")
        assert accounts.active_account(conn, "lead") is None
        assert accounts.active_account(conn, "ghost") is None


def test_the_admin_page_account_changes_need_an_admin_and_are_logged(engine):
    add_user(engine, "boss", "admin")
    add_user(engine, "lead", "leader")
    with engine.begin() as conn:
        assert accounts.add_account(conn, "boss", "newbie", "a-good-password", "staff").role == "staff"
        accounts.set_account_active(conn, "boss", "newbie", False)
        with pytest.raises(PermissionDenied):
            accounts.add_account(conn, "lead", "other", "a-good-password", "staff")
        with pytest.raises(PermissionDenied):
            accounts.set_account_active(conn, "lead", "newbie", True)
        with pytest.raises(accounts.AccountError):
            accounts.set_account_active(conn, "boss", "boss", False)  # would lock the admin out
        log = conn.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target)
                           .where(AuditEntry.actor == "boss").order_by(AuditEntry.id)).all()
    assert [tuple(r) for r in log] == [("boss", "user_add", "user:newbie"), ("boss", "user_disable", "user:newbie")]
    assert not user_row(engine, "newbie").active and user_row(engine, "boss").active


def test_session_expires_after_idle_minutes(monkeypatch):
    monkeypatch.delenv("SESSION_IDLE_MINUTES", raising=False)
    assert accounts.session_expired(None, T0)
    assert not accounts.session_expired(T0, T0 + dt.timedelta(minutes=29))
    assert not accounts.session_expired(T0, T0 + dt.timedelta(minutes=30))
    assert accounts.session_expired(T0, T0 + dt.timedelta(minutes=30, seconds=1))
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "5")
    assert accounts.session_expired(T0, T0 + dt.timedelta(minutes=6))


# ---------------------------------------------------------------- demo accounts


def test_demo_accounts_one_per_role(engine):
    with engine.begin() as conn:
        passwords = accounts.create_demo_accounts(conn)
    assert passwords == accounts.DEMO_PASSWORDS == {
        "viewer": "viewer-demo", "staff": "staff-demo", "leader": "leader-demo", "admin": "admin-demo"}
    for name, password in passwords.items():
        result = accounts.sign_in(engine, name, password, now=T0)
        assert result.ok and result.account.role == name and result.account.is_demo
    with engine.begin() as conn:  # again: same accounts, nothing duplicated
        assert accounts.create_demo_accounts(conn) == passwords
        assert conn.execute(select(func.count()).select_from(User)).scalar_one() == 4


def test_demo_accounts_leave_a_real_account_alone(engine):
    add_user(engine, "admin", "admin", "the-real-admin")
    with engine.begin() as conn:
        passwords = accounts.create_demo_accounts(conn)
    assert "admin" not in passwords and set(passwords) == {"viewer", "staff", "leader"}
    assert accounts.sign_in(engine, "admin", "the-real-admin", now=T0).ok
    assert not user_row(engine, "admin").is_demo


# ---------------------------------------------------------------- unmasking and the audit log


@pytest.fixture
def people(engine):
    """A user of every role, named after it, and one floating-population stay (source id P-1)."""
    for role in accounts.ROLES:
        add_user(engine, role, role)
    with engine.begin() as conn:
        village = f.village(conn, "倪宅村")
        house = f.house(conn, village, 4, landlord="王大明", landlord_phone="13900001111",
                        address="倪宅村1号")
        f.stay(conn, village, dt.date(2026, 3, 1), source_id="P-1", name="张小三", phone="13812345678",
               house_id=house)


def stay_id(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(PopulationStay.id).where(PopulationStay.source_id == "P-1")).scalar_one()


def audit_rows(engine, action: str) -> list:
    with engine.connect() as conn:
        return conn.execute(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()


def test_leader_unmasks_one_stay_with_a_reason_and_it_is_logged(engine, people):
    sid = stay_id(engine)
    with engine.begin() as conn:
        clear = audit.unmask_stay(conn, "leader", sid, "  核查群租线索 ", now=T0)
    assert clear["name"] == "张小三" and clear["phone"] == "13812345678"
    assert clear["id_number"] == f.id_number() and clear["village"] == "倪宅村"
    assert (clear["landlord"], clear["landlord_phone"]) == ("王大明", "13900001111")
    [row] = audit_rows(engine, "unmask")
    assert (row.at, row.actor, row.reason) == (T0, "leader", "核查群租线索")
    assert row.target == f"population_stay:{sid} (P-1)" and "id_number" in row.detail


@pytest.mark.parametrize("actor", ["viewer", "staff", "ghost"])
def test_unmasking_is_refused_below_leader(engine, people, actor):
    with engine.begin() as conn, pytest.raises(PermissionDenied):
        audit.unmask_stay(conn, actor, stay_id(engine), "核查")
    assert audit_rows(engine, "unmask") == []


@pytest.mark.parametrize("reason", [None, "", "   ", "x"])
def test_unmasking_needs_a_reason(engine, people, reason):
    with engine.begin() as conn, pytest.raises(audit.ReasonRequired):
        audit.unmask_stay(conn, "leader", stay_id(engine), reason)
    assert audit_rows(engine, "unmask") == []


def test_unmasking_an_unknown_stay(engine, people):
    with engine.begin() as conn, pytest.raises(LookupError):
        audit.unmask_stay(conn, "admin", 999_999, "核查")


def test_exports_are_logged_and_refused_to_viewers(engine, people):
    with engine.begin() as conn:
        audit.record_export(conn, "staff", "风险隐患清单 (xlsx)", "村：倪宅村", now=T0)
        with pytest.raises(PermissionDenied):
            audit.record_export(conn, "viewer", "风险隐患清单 (xlsx)", "村：倪宅村")
    [row] = audit_rows(engine, "export")
    assert (row.at, row.actor, row.target, row.detail) == (T0, "staff", "风险隐患清单 (xlsx)", "村：倪宅村")


def test_audit_log_is_for_admins_newest_first_and_filterable(engine, people):
    t0 = local_now() + dt.timedelta(days=1)  # after the fixture's account rows
    with engine.begin() as conn:
        audit.record_export(conn, "staff", "清单", "全部", now=t0)
        audit.unmask_stay(conn, "leader", stay_id(engine), "核查", now=t0 + dt.timedelta(hours=1))
        log = audit.audit_log(conn, "admin")
        assert list(log.columns) == ["at", "actor", "action", "target", "reason", "detail"]
        assert log["action"].tolist()[:2] == ["unmask", "export"]
        assert set(log["action"]) >= {"user_add"}  # account changes are logged too
        assert audit.audit_log(conn, "admin", action="export")["actor"].tolist() == ["staff"]
        assert audit.audit_log(conn, "admin", who="leader")["action"].tolist() == ["unmask"]
        window = audit.audit_log(conn, "admin", since=t0, until=t0 + dt.timedelta(minutes=1))
        assert window["action"].tolist() == ["export"]
        with pytest.raises(PermissionDenied):
            audit.audit_log(conn, "leader")


# ---------------------------------------------------------------- the `user` command


def user_command(*args: str, stdin: str = "") -> int:
    """Run `python -m data_access user ARGS` in this process, as main() does."""
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return cli_main(["user", *args])
    finally:
        sys.stdin = old_stdin


@pytest.fixture
def url(engine, monkeypatch) -> str:
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_user_add_list_disable_enable_passwd_role(engine, url, capsys):
    assert user_command("add", "倪宅片长", "--role", "leader", stdin="leader-pass\n") == EXIT_OK
    assert accounts.sign_in(engine, "倪宅片长", "leader-pass", now=T0).ok
    assert user_command("add", "倪宅片长", "--role", "staff", stdin="other-pass\n") == EXIT_BAD_INPUT
    assert "exists" in capsys.readouterr().err
    assert user_command("add", "weak", "--role", "staff", stdin="short\n") == EXIT_BAD_INPUT
    assert user_command("add", "nopass", "--role", "staff", stdin="") == EXIT_BAD_INPUT
    assert user_command("add", "x", "--role", "root", stdin="whatever-pass\n") == EXIT_UNUSABLE

    capsys.readouterr()
    assert user_command("list") == EXIT_OK
    out = capsys.readouterr().out
    assert "倪宅片长" in out and "leader" in out and "active" in out and "$2b$" not in out

    assert user_command("disable", "倪宅片长") == EXIT_OK
    assert accounts.sign_in(engine, "倪宅片长", "leader-pass", now=T0).reason == "wrong"
    user_command("list")
    assert "disabled" in capsys.readouterr().out
    assert user_command("disable", "ghost") == EXIT_BAD_INPUT
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1 and error.startswith("error:") and "ghost" in error
    assert user_command("enable", "倪宅片长") == EXIT_OK
    assert user_command("passwd", "倪宅片长", stdin="brand-new-pass\n") == EXIT_OK
    assert accounts.sign_in(engine, "倪宅片长", "brand-new-pass", now=T0).ok
    assert user_command("role", "倪宅片长", "admin") == EXIT_OK
    assert user_row(engine, "倪宅片长").role == "admin"

    actions = [r.action for r in audit_rows(engine, "user_add") + audit_rows(engine, "user_disable")]
    assert actions == ["user_add", "user_disable"]
    assert audit_rows(engine, "user_add")[0].actor.startswith("cli")
