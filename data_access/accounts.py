"""Accounts: sign-in with a name and a password, roles, the failure throttle, session expiry.

Roles are ordered (models.USER_ROLES), each allowed what the ones before it are:

- ``viewer``: aggregates only, what the wall screen shows;
- ``staff``: filters, lists with personal data masked, imports, exports;
- ``leader``: the review actions (批示, reassign, deadline, status) and unmasking one
  record with a reason (logged);
- ``admin``: accounts and the audit log.

Passwords are kept only as bcrypt hashes. Failed sign-ins are counted in the database
(per account in ``users``, per name in ``sign_in_failures`` for names that are no
account), so the throttle holds across processes and restarts: after FREE_FAILURES
failures in a row, sign-in is refused for FIRST_LOCKOUT, doubling with each further
failure up to MAX_LOCKOUT. A good sign-in clears the count; so do ``user enable`` and
``user passwd``.

For a page::

    result = accounts.sign_in(engine, name, password)
    if result.ok:
        st.session_state["account"] = result.account      # Account(name, role, is_demo)
        st.session_state["last_seen"] = filters.local_now()
    else:
        st.error(result.message)                           # Chinese, the same for a wrong name or password

    # on every rerun:
    if accounts.session_expired(st.session_state.get("last_seen"), filters.local_now()): sign out
    else: st.session_state["last_seen"] = filters.local_now()
    if not accounts.role_allows(account.role, "leader"): hide the review actions

The data layer checks roles again in every action (review, audit, exports): it looks the
actor's name up in ``users``, so a disabled or demoted account loses its rights at once,
whatever its session still holds.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

import bcrypt
import pandas as pd
from sqlalchemy import Connection, Engine, case, delete, insert, null, select, update
from sqlalchemy.dialects import postgresql, sqlite

from . import settings
from .filters import local_now
from .models import USER_ROLES, AuditEntry, SignInFailure, User
from .sql import read_frame

ROLES = USER_ROLES
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further; longer passwords are refused, not cut
NAME_PATTERN = re.compile(r"[\w.@-]{1,64}")  # \w includes Chinese characters

FREE_FAILURES = 5  # failures in a row before the first lock-out
FIRST_LOCKOUT = dt.timedelta(seconds=30)
MAX_LOCKOUT = dt.timedelta(hours=1)
# A name that is no account keeps its failure count this long after its last failure.
FORGET_UNKNOWN_NAME_AFTER = dt.timedelta(days=1)

# The demo's accounts, one per role: for the demo only (they are flagged is_demo).
DEMO_PASSWORDS = {
    "viewer": "viewer-demo", "staff": "staff-demo", "leader": "leader-demo", "admin": "admin-demo",
}

# A disabled account is answered as a wrong password: the answer never confirms a password.
SIGN_IN_MESSAGES = {
    "wrong": "用户名或密码错误。",
    "locked": "登录失败次数过多，请于 {retry_at:%H:%M:%S} 后再试。",
}


class PermissionDenied(Exception):
    """The actor's role (or a disabled account) does not allow the action."""


class AccountError(ValueError):
    """An account request that cannot be carried out: bad name, weak password, unknown or existing user."""


@dataclass(frozen=True)
class Account:
    """What a signed-in session keeps: the name (the actor of every action) and the role."""

    name: str
    role: str
    is_demo: bool = False


@dataclass(frozen=True)
class SignInResult:
    """The outcome of sign_in: `account` when it succeeded, else `reason` (wrong | locked)."""

    account: Account | None = None
    reason: str | None = None
    retry_at: dt.datetime | None = None  # when reason is "locked"

    @property
    def ok(self) -> bool:
        return self.account is not None

    @property
    def message(self) -> str:
        """The Chinese sentence to show the person signing in ('' when it succeeded)."""
        if self.reason is None:
            return ""
        return SIGN_IN_MESSAGES[self.reason].format(retry_at=self.retry_at)


# ---------------------------------------------------------------- roles and sessions


def role_allows(role: str | None, needed: str) -> bool:
    """True when `role` is `needed` or above it; an unknown or missing role allows nothing."""
    if needed not in ROLES:
        raise ValueError(f"unknown role {needed!r}")
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def session_expired(last_seen: dt.datetime | None, now: dt.datetime) -> bool:
    """True when a session last seen at `last_seen` has been idle longer than SESSION_IDLE_MINUTES."""
    if last_seen is None:
        return True
    return now - last_seen > dt.timedelta(minutes=settings.get_int("SESSION_IDLE_MINUTES"))


def require_role(conn: Connection, actor: str, needed: str, doing: str = "do this") -> Account:
    """The actor's account when it is active and its role allows `needed`; else PermissionDenied."""
    row = conn.execute(
        select(User.name, User.role, User.active, User.is_demo).where(User.name == actor)
    ).first()
    if row is None or not row.active:
        raise PermissionDenied(f"{actor!r} is no active account and may not {doing}")
    if not role_allows(row.role, needed):
        raise PermissionDenied(f"{actor!r} ({row.role}) may not {doing}: it needs the {needed} role")
    return Account(row.name, row.role, row.is_demo)


# ---------------------------------------------------------------- passwords


def check_password_rules(password: str) -> None:
    """AccountError when `password` is too short or too long for bcrypt."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise AccountError(f"the password may have at most {MAX_PASSWORD_BYTES} bytes (UTF-8)")


def bcrypt_rounds() -> int:
    """The cost of new hashes (setting BCRYPT_ROUNDS); a check reads the cost from the hash itself."""
    return settings.get_int("BCRYPT_ROUNDS")


def hash_password(password: str) -> str:
    """A bcrypt hash of `password` (with its own salt), after checking the password rules."""
    check_password_rules(password)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(bcrypt_rounds())).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """True when `password` matches `password_hash`; False for anything unusable."""
    data = password.encode("utf-8")
    if len(data) > MAX_PASSWORD_BYTES:
        return False
    try:
        return bcrypt.checkpw(data, password_hash.encode("ascii"))
    except ValueError:  # not a bcrypt hash
        return False


@cache
def _dummy_hash(rounds: int) -> str:
    # Checked against when the name is no account, so that the answer takes as long.
    return bcrypt.hashpw(b"no such account", bcrypt.gensalt(rounds)).decode("ascii")


# ---------------------------------------------------------------- signing in


def lockout_delay(failed_count: int) -> dt.timedelta:
    """How long sign-in stays refused after `failed_count` failures in a row (0 while below the limit)."""
    if failed_count < FREE_FAILURES:
        return dt.timedelta(0)
    doublings = min(failed_count - FREE_FAILURES, 20)  # 2**20 × 30 s is far past the cap
    return min(FIRST_LOCKOUT * 2**doublings, MAX_LOCKOUT)


@dataclass(frozen=True)
class _Attempt:
    """One sign-in attempt, counted before the password is checked: the account (None for a name
    that is no account), the failures counted so far with this one, or the lock that refused it."""

    user: object | None = None
    count: int = 0
    locked_until: dt.datetime | None = None


def sign_in(engine: Engine, name: str, password: str, *, now: dt.datetime | None = None) -> SignInResult:
    """Check a name and password, counting failures in the database; see the module doc.

    The attempt is counted as a failure, atomically, before the password is checked (one UPDATE
    … RETURNING that also sets the lock-out when the count reaches it), and a good password
    clears it again. So guesses sent at the same moment are counted one after another, and once
    one of them reaches the lock-out the others are refused unchecked: at most the FREE_FAILURES
    left are ever checked. Takes the engine rather than a connection, unlike the other actions:
    the count must be committed even though the sign-in fails, and the slow bcrypt check must
    not hold a write transaction open. A disabled account fails as a wrong password does.
    """
    now = now or local_now()
    name = (name or "").strip()[: User.__table__.c.name.type.length]
    if not name or not password:
        return SignInResult(reason="wrong")
    with engine.begin() as conn:
        attempt = _count_attempt(conn, name, now)
    if attempt.locked_until is not None:
        return SignInResult(reason="locked", retry_at=attempt.locked_until)

    user = attempt.user
    good = verify_password(password, user.password_hash if user else _dummy_hash(bcrypt_rounds()))
    if good and user.active:
        with engine.begin() as conn:
            conn.execute(
                update(User).where(User.id == user.id)
                .values(failed_count=0, locked_until=None, last_login_at=now)
            )
        return SignInResult(account=Account(user.name, user.role, user.is_demo))
    delay = lockout_delay(attempt.count)
    if delay:
        return SignInResult(reason="locked", retry_at=now + delay)
    return SignInResult(reason="wrong")


def _lock_after(count, now: dt.datetime):
    """SQL for the lock-out that `count` failures in a row (an expression) earn from `now`:
    NULL below FREE_FAILURES, then lockout_delay's doubling steps up to MAX_LOCKOUT."""
    steps = []
    n = FREE_FAILURES
    while lockout_delay(n) < MAX_LOCKOUT:
        steps.append((count == n, now + lockout_delay(n)))
        n += 1
    return case(*steps, (count >= n, now + MAX_LOCKOUT), else_=null())


def _count_attempt(conn: Connection, name: str, now: dt.datetime) -> _Attempt:
    """Count an attempt at `name` as a failure, unless sign-in to it is locked now."""
    unlocked = User.locked_until.is_(None) | (User.locked_until <= now)
    user = conn.execute(
        update(User).where((User.name == name) & unlocked)
        .values(failed_count=User.failed_count + 1, locked_until=_lock_after(User.failed_count + 1, now))
        .returning(User.id, User.name, User.role, User.active, User.is_demo, User.password_hash, User.failed_count)
    ).first()
    if user is not None:
        return _Attempt(user=user, count=user.failed_count)
    locked = conn.execute(select(User.locked_until).where(User.name == name)).scalar()
    if locked is not None:
        return _Attempt(locked_until=locked)
    # A name that is no account is throttled the same way, so that the two cannot be told apart.
    conn.execute(
        delete(SignInFailure).where(
            (SignInFailure.last_failed_at < now - FORGET_UNKNOWN_NAME_AFTER)
            & ((SignInFailure.locked_until.is_(None)) | (SignInFailure.locked_until < now))
        )
    )
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = dialect_insert(SignInFailure).values(name=name, failed_count=1, last_failed_at=now)
    count = SignInFailure.failed_count + 1
    stmt = stmt.on_conflict_do_update(
        index_elements=[SignInFailure.name],
        set_={"failed_count": count, "last_failed_at": now, "locked_until": _lock_after(count, now)},
        where=SignInFailure.locked_until.is_(None) | (SignInFailure.locked_until <= now),
    ).returning(SignInFailure.failed_count)
    counted = conn.execute(stmt).scalar()
    if counted is None:  # the conflict's WHERE refused it: locked
        return _Attempt(locked_until=conn.execute(
            select(SignInFailure.locked_until).where(SignInFailure.name == name)).scalar_one())
    return _Attempt(count=counted)


# ---------------------------------------------------------------- managing accounts
# Each takes the caller's connection (one transaction: `with engine.begin() as conn`) and
# writes an audit row; `by` names who did it (the CLI passes "cli:<os user>").


def _audit(conn: Connection, by: str, action: str, name: str, detail: str | None = None) -> None:
    conn.execute(insert(AuditEntry).values(at=local_now(), actor=by, action=action, target=f"user:{name}",
                                           detail=detail))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: one of {', '.join(ROLES)}")


def create_user(
    conn: Connection, name: str, password: str, role: str, *, by: str, is_demo: bool = False
) -> Account:
    """A new active account; AccountError when the name is taken or invalid, the role unknown or
    the password weak."""
    if not NAME_PATTERN.fullmatch(name or ""):
        raise AccountError(f"not a usable user name: {name!r} (1-64 letters, digits, '.', '@', '-', '_')")
    _check_role(role)
    password_hash = hash_password(password)
    if conn.execute(select(User.id).where(User.name == name)).first() is not None:
        raise AccountError(f"user {name!r} exists already")
    conn.execute(insert(User).values(name=name, password_hash=password_hash, role=role, active=True,
                                     failed_count=0, is_demo=is_demo))
    _audit(conn, by, "user_add", name, f"role={role}")
    return Account(name, role, is_demo)


def _update_account(
    conn: Connection, name: str, values: dict, *, by: str, action: str, detail: str | None = None
) -> None:
    """Set `values` on account `name` and log `action` in the audit log, in the caller's transaction."""
    result = conn.execute(update(User).where(User.name == name).values(**values))
    if result.rowcount == 0:
        raise AccountError(f"no user {name!r}")
    _audit(conn, by, action, name, detail)


def set_active(conn: Connection, name: str, active: bool, *, by: str) -> None:
    """Disable an account (it can no longer sign in or act) or enable it again (clearing any lock-out)."""
    values = {"active": active} | ({"failed_count": 0, "locked_until": None} if active else {})
    _update_account(conn, name, values, by=by, action="user_enable" if active else "user_disable")


def set_password(conn: Connection, name: str, password: str, *, by: str) -> None:
    """A new password for `name` (clearing any lock-out)."""
    _update_account(conn, name, {"password_hash": hash_password(password), "failed_count": 0,
                                 "locked_until": None}, by=by, action="user_passwd")


def set_role(conn: Connection, name: str, role: str, *, by: str) -> None:
    """Give `name` another role."""
    _check_role(role)
    _update_account(conn, name, {"role": role}, by=by, action="user_role", detail=f"role={role}")


def active_account(conn: Connection, name: str) -> Account | None:
    """The account `name` as it stands now (its current role), or None when it is disabled or gone.

    A signed-in session asks this on every run, so that a disabled or demoted account loses
    its rights in the app too, not only in the actions."""
    row = conn.execute(
        select(User.name, User.role, User.is_demo).where((User.name == name) & User.active.is_(True))
    ).first()
    return None if row is None else Account(row.name, row.role, row.is_demo)


def add_account(conn: Connection, actor: str, name: str, password: str, role: str) -> Account:
    """create_user for the admin page: PermissionDenied unless `actor` is an active admin."""
    require_role(conn, actor, "admin", "manage accounts")
    return create_user(conn, name, password, role, by=actor)


def set_account_active(conn: Connection, actor: str, name: str, active: bool) -> None:
    """set_active for the admin page: PermissionDenied unless `actor` is an active admin;
    AccountError when an admin would disable their own account (and so lock themselves out)."""
    require_role(conn, actor, "admin", "manage accounts")
    if not active and name == actor:
        raise AccountError("an admin cannot disable their own account")
    set_active(conn, name, active, by=actor)


def list_users(conn: Connection) -> pd.DataFrame:
    """Every account, by name: name, role, active, is_demo, last_login_at, failed_count, locked_until
    (never the hashes)."""
    return read_frame(conn, select(User.name, User.role, User.active, User.is_demo, User.last_login_at,
                              User.failed_count, User.locked_until).order_by(User.name))


# A program's account (the early-warning watcher) has this instead of a bcrypt hash: no password
# matches it (verify_password is False), so nobody can sign in as it.
NO_PASSWORD = "!no-password"


def ensure_system_account(conn: Connection, name: str, role: str, *, by: str) -> Account:
    """The account a program acts as, created active with `role` and no password when missing (the
    data layer checks a program's role as a person's). One that an admin disabled stays disabled,
    and the program may then not act. AccountError when `name` is a person's account (it has a
    password): a program never acts in a person's name."""
    _check_role(role)
    row = conn.execute(select(User.name, User.role, User.password_hash, User.is_demo)
                       .where(User.name == name)).first()
    if row is None:
        conn.execute(insert(User).values(name=name, password_hash=NO_PASSWORD, role=role, active=True,
                                         failed_count=0, is_demo=False))
        _audit(conn, by, "user_add", name, f"role={role}; a program's account, no password")
        return Account(name, role)
    if row.password_hash != NO_PASSWORD:
        raise AccountError(f"{name!r} is a person's account; a program may not act as it")
    return Account(row.name, row.role, row.is_demo)


def create_demo_accounts(conn: Connection) -> dict[str, str]:
    """One demo account per role, named after it, with the password in DEMO_PASSWORDS: {name: password}.

    Re-running resets their role, password and lock-out. A real (non-demo) account that
    happens to have one of these names is left alone and is not in the answer.
    """
    created = {}
    for role, password in DEMO_PASSWORDS.items():
        existing = conn.execute(select(User.is_demo).where(User.name == role)).first()
        if existing is None:
            create_user(conn, role, password, role, by="demo", is_demo=True)
        elif existing.is_demo:
            conn.execute(update(User).where(User.name == role).values(
                password_hash=hash_password(password), role=role, active=True, failed_count=0,
                locked_until=None))
        else:
            continue
        created[role] = password
    return created
