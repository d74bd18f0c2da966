"""`python -m data_access user …`: accounts from the command line.

    user add NAME --role viewer|staff|leader|admin   password asked twice (or one line on stdin)
    user list
    user disable NAME | user enable NAME             enable also clears a sign-in lock-out
    user passwd NAME                                 a new password (clears a lock-out)
    user role NAME ROLE

Every change is written to the audit log as done by `cli:<operating-system user>`.
Exit codes as the rest of the CLI: 0 fine, 1 bad input (unknown or existing user, weak or
mismatched password), 2 unusable (bad arguments, no database).
"""

from __future__ import annotations

import getpass
import sys

from .. import accounts
from ..models import USER_ROLES
from .shared import EXIT_BAD_INPUT, EXIT_OK, CommandError, Parser, cli_actor, open_engine, pad


def read_password(prompt: str = "Password: ") -> str:
    """The new password: asked twice on a terminal, else the first line of stdin."""
    if sys.stdin is None:
        raise CommandError("no password given: type it on a terminal or pipe it on stdin", EXIT_BAD_INPUT)
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if password.endswith("\r"):
            password = password[:-1]
        if not password:
            raise CommandError("no password on stdin", EXIT_BAD_INPUT)
        return password
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise CommandError("the two passwords differ", EXIT_BAD_INPUT)
    return first


def _run(change) -> None:
    """Run `change(conn)` in one transaction, turning an AccountError into a one-line bad-input error."""
    engine = open_engine()
    try:
        with engine.begin() as conn:
            change(conn)
    except accounts.AccountError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None


def cmd_add(args) -> int:
    password = read_password()
    try:
        accounts.check_password_rules(password)
    except accounts.AccountError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    _run(lambda conn: accounts.create_user(conn, args.name, password, args.role, by=cli_actor()))
    print(f"user {args.name} added ({args.role})")
    return EXIT_OK


def cmd_list(args) -> int:
    with open_engine().connect() as conn:
        users = accounts.list_users(conn)
    if users.empty:
        print("no users yet: add one with `python -m data_access user add NAME --role admin`")
        return EXIT_OK
    print(f"{'name':<20} {'role':<7} {'state':<9} {'last sign-in':<17} locked until")
    for u in users.itertuples(index=False):
        state = ("active" if u.active else "disabled") + (" demo" if u.is_demo else "")
        last = u.last_login_at.strftime("%Y-%m-%d %H:%M") if _present(u.last_login_at) else "never"
        locked = u.locked_until.strftime("%Y-%m-%d %H:%M:%S") if _present(u.locked_until) else ""
        print(f"{pad(u.name, 20)} {u.role:<7} {state:<9} {last:<17} {locked}".rstrip())
    return EXIT_OK


def _present(value) -> bool:
    return value is not None and value == value  # NaT != NaT


def cmd_disable(args) -> int:
    _run(lambda conn: accounts.set_active(conn, args.name, False, by=cli_actor()))
    print(f"user {args.name} disabled")
    return EXIT_OK


def cmd_enable(args) -> int:
    _run(lambda conn: accounts.set_active(conn, args.name, True, by=cli_actor()))
    print(f"user {args.name} enabled")
    return EXIT_OK


def cmd_passwd(args) -> int:
    password = read_password("New password: ")
    try:
        accounts.check_password_rules(password)
    except accounts.AccountError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    _run(lambda conn: accounts.set_password(conn, args.name, password, by=cli_actor()))
    print(f"password of {args.name} changed")
    return EXIT_OK


def cmd_role(args) -> int:
    _run(lambda conn: accounts.set_role(conn, args.name, args.role, by=cli_actor()))
    print(f"user {args.name} is now {args.role}")
    return EXIT_OK


def register(subparsers) -> None:
    """Add `user` and its sub-commands to the CLI's subparsers."""
    p = subparsers.add_parser("user", help="sign-in accounts: add, list, disable, enable, passwd, role")
    users = p.add_subparsers(dest="user_command", required=True, metavar="ACTION", parser_class=Parser)

    q = users.add_parser("add", help="add an account; the password is asked twice (or read from stdin)")
    q.add_argument("name")
    q.add_argument("--role", required=True, choices=USER_ROLES, help="viewer < staff < leader < admin")
    q.set_defaults(func=cmd_add)

    q = users.add_parser("list", help="list the accounts")
    q.set_defaults(func=cmd_list)

    q = users.add_parser("disable", help="disable an account: it can no longer sign in or act")
    q.add_argument("name")
    q.set_defaults(func=cmd_disable)

    q = users.add_parser("enable", help="enable an account again and clear its sign-in lock-out")
    q.add_argument("name")
    q.set_defaults(func=cmd_enable)

    q = users.add_parser("passwd", help="set a new password (asked twice, or read from stdin)")
    q.add_argument("name")
    q.set_defaults(func=cmd_passwd)

    q = users.add_parser("role", help="give an account another role")
    q.add_argument("name")
    q.add_argument("role", choices=USER_ROLES)
    q.set_defaults(func=cmd_role)
