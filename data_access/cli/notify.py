"""`python -m data_access watch` and `notify …`: early warning from the command line.

    watch [--once]                 evaluate the enabled rules and deliver, every WATCH_INTERVAL_S
                                   (--once: one round; exit 1 when a message failed or a rule could
                                   not be evaluated)
    notify add-channel NAME --kind dingtalk|wecom|email --url URL [--secret S|-] [--to ADDR …] [--replace]
    notify remove-channel NAME
    notify list                    channels (kind and host, never a URL or secret), rules, deliveries
    notify test NAME               send a test message to one channel

Changes are written to the audit log as done by `cli:<operating-system user>`. Exit codes as
the rest of the CLI: 0 fine, 1 bad input (unknown channel, settings that cannot work, a message
that did not get through), 2 unusable (bad arguments, no database).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import signal
import sys
import threading

from sqlalchemy.exc import SQLAlchemyError

from .. import notify, settings
from ..filters import local_now
from ..notify.channels import send
from ..notify.messages import trial_message
from ..notify.watcher import watcher_name
from .shared import EXIT_BAD_INPUT, EXIT_OK, CommandError, Parser, cli_actor, open_engine

FAILED_LISTED = 20  # the newest failed deliveries `notify list` shows
RECENT = dt.timedelta(days=7)  # the deliveries `notify list` counts


def _say(text: str, *, problem: bool = False) -> None:
    print(text, file=sys.stderr if problem else sys.stdout, flush=True)


def _report(report: notify.RoundReport, *, quiet_rounds: bool = False) -> None:
    if quiet_rounds and report.quiet:
        return
    _say(report.summary())
    for problem in report.errors:
        _say(f"problem: {problem}", problem=True)


def cmd_watch(args) -> int:
    engine = open_engine()
    with engine.begin() as conn:
        notify.ensure_rules(conn)  # rules this version added appear, enabled, in an older database
    if args.once:
        report = notify.run_round(engine)
        _report(report)
        return EXIT_OK if report.ok else EXIT_BAD_INPUT
    interval = settings.get_int("WATCH_INTERVAL_S")
    if interval <= 0:
        raise CommandError(f"WATCH_INTERVAL_S must be a positive number of seconds, not {interval}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # systemd's stop, the run script's end
    watcher = watcher_name()
    _say(f"watching {engine.url.render_as_string(hide_password=True)} every {interval} s as {watcher}")
    while not stop.is_set():
        try:
            _report(notify.run_round(engine, watcher=watcher), quiet_rounds=True)
        except SQLAlchemyError as exc:  # the database is away: say so, and try again next round
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            _say(f"problem: {local_now():%Y-%m-%d %H:%M:%S} database: {reason}", problem=True)
        stop.wait(interval)
    _say("stopped")
    return EXIT_OK


def _read_secret(value: str | None) -> str | None:
    """--secret as given, or '-': asked for on a terminal, else the first line of stdin (so that
    it is neither in the shell's history nor in the process list)."""
    if value != "-":
        return value
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass("Secret: ")
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n") or None


def cmd_add_channel(args) -> int:
    channel = notify.Channel(args.name, args.kind, args.url, _read_secret(args.secret), tuple(args.to or ()))
    try:
        with open_engine().begin() as conn:
            notify.add_channel(conn, channel, by=cli_actor(), replace=args.replace)
    except notify.InvalidChannel as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    _say(f"channel {args.name} ({args.kind}) {'set' if args.replace else 'added'}; "
         f"try it with `python -m data_access notify test {args.name}`")
    return EXIT_OK


def cmd_remove_channel(args) -> int:
    try:
        with open_engine().begin() as conn:
            dropped = notify.remove_channel(conn, args.name, by=cli_actor())
    except LookupError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    _say(f"channel {args.name} removed" + (f"; {dropped} unsent deliveries marked failed" if dropped else ""))
    return EXIT_OK


def cmd_list(args) -> int:
    with open_engine().connect() as conn:
        channels = notify.channels_table(conn)
        rules = notify.rules_table(conn)
        counts = notify.delivery_counts(conn, since=local_now() - RECENT)
        failed = notify.deliveries(conn, status="failed", limit=FAILED_LISTED)
    _say("channels:")
    if channels.empty:
        _say("  none yet: add one with `python -m data_access notify add-channel NAME --kind … --url …`")
    for c in channels.itertuples(index=False):
        _say(f"  {c.name}  {c.kind}  {c.where}" + ("" if c.enabled else "  (removed)"))
    _say("rules:" if not rules.empty else "rules: none yet (`python -m data_access watch` creates them)")
    for r in rules.itertuples(index=False):
        to = ", ".join(r.channels) or "every channel"
        _say(f"  {r.name}  {'on' if r.enabled else 'off'}  {r.severity}  {r.title}  → {to}  "
             f"{json.dumps(r.thresholds, ensure_ascii=False)}")
    _say(f"deliveries in the last {RECENT.days} days: {counts['sent']} sent, {counts['pending']} pending, "
         f"{counts['failed']} failed")
    if not failed.empty:
        _say("failed (newest first):")
    for d in failed.itertuples(index=False):
        _say(f"  {d.at:%Y-%m-%d %H:%M}  {d.channel}  {d.rule}  {d.subject}  "
             f"after {d.attempts} tries: {d.last_error}")
    return EXIT_OK


def cmd_test(args) -> int:
    try:
        with open_engine().connect() as conn:
            channel = notify.get_channel(conn, args.name)
    except LookupError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    try:
        send(channel, trial_message(channel.name))
    except notify.DeliveryError as exc:
        raise CommandError(f"channel {channel.name}: {exc}", EXIT_BAD_INPUT) from None
    _say(f"test message sent to {channel.name}")
    return EXIT_OK


def register(subparsers) -> None:
    """Add `watch` and `notify` with its sub-commands to the CLI's subparsers."""
    p = subparsers.add_parser("watch", help="evaluate the warning rules and deliver, every WATCH_INTERVAL_S")
    p.add_argument("--once", action="store_true",
                   help="one round, then exit (1 when a message failed or a rule could not be evaluated)")
    p.set_defaults(func=cmd_watch)

    p = subparsers.add_parser("notify", help="warning channels: add-channel, remove-channel, list, test")
    commands = p.add_subparsers(dest="notify_command", required=True, metavar="ACTION", parser_class=Parser)

    q = commands.add_parser("add-channel", help="add a channel the warnings go to")
    q.add_argument("name", help="e.g. 值班群")
    q.add_argument("--kind", required=True, choices=("dingtalk", "wecom", "email"))
    q.add_argument("--url", required=True,
                   help="the robot's webhook URL; e-mail: smtp://host:port (smtp+tls:// STARTTLS, "
                   "smtps:// TLS), with a user name as smtp://user@host")
    q.add_argument("--secret",
                   help="DingTalk's signing secret, or the SMTP password; '-' reads it from stdin")
    q.add_argument("--to", nargs="+", metavar="ADDR", help="e-mail: the recipients")
    q.add_argument("--replace", action="store_true",
                   help="give an existing channel of that name these settings")
    q.set_defaults(func=cmd_add_channel)

    q = commands.add_parser("remove-channel",
                            help="stop sending to a channel (its URL and secret are erased)")
    q.add_argument("name")
    q.set_defaults(func=cmd_remove_channel)

    q = commands.add_parser("list",
                            help="the channels (kind and host only), the rules, what was sent or failed")
    q.set_defaults(func=cmd_list)

    q = commands.add_parser("test", help="send a test message to a channel")
    q.add_argument("name")
    q.set_defaults(func=cmd_test)
