"""The command line: `python -m data_access COMMAND …`.

Exit codes: 0 fine; 1 a bad input (an unknown village, rejected rows, a refused demo);
2 an unusable command (bad arguments, an unreachable or uninitialised database, an
unusable file). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence

from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from . import demo, kpis, schema, settings
from .db import get_engine
from .filters import Filters, Period, UnknownName, local_today

EXIT_OK, EXIT_BAD_INPUT, EXIT_UNUSABLE = 0, 1, 2


class CommandError(Exception):
    """A failure to report in one line, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_UNUSABLE):
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2)."""

    def error(self, message: str):
        raise CommandError(f"{self.prog}: {message} (see --help)")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _engine(*, must_exist: bool = True):
    url = settings.database_url()
    try:
        engine = get_engine(url)
    except (ArgumentError, ImportError) as exc:
        raise CommandError(f"DATABASE_URL is not usable: {exc}") from None
    if must_exist and not schema.is_current(engine):
        raise CommandError("the database is not initialised at the newest schema: run `python -m data_access init`")
    return engine


def cmd_init(args) -> int:
    engine = _engine(must_exist=False)
    schema.upgrade(engine)
    print(f"database ready at the newest schema: {engine.url.render_as_string(hide_password=True)}")
    return EXIT_OK


def cmd_demo(args) -> int:
    engine = _engine(must_exist=False)
    schema.upgrade(engine)
    as_of = args.as_of or local_today()
    try:
        counts = demo.generate(
            engine, scale=args.scale, seed=args.seed, as_of=as_of, force=args.force, progress=sys.stderr.isatty()
        )
    except demo.DemoRefused as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    rows = ", ".join(f"{table} {n:,}" for table, n in counts.items())
    print(f"demo data ({args.scale}, seed {args.seed}, as of {as_of}): {rows}")
    return EXIT_OK


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.2f}%" if value < 0 else f"{value * 100:.2f}%"


def cmd_kpis(args) -> int:
    engine = _engine()
    today = local_today()
    start = args.date_from or dt.date(today.year, 1, 1)
    end = args.date_to or today
    try:
        filters = Filters(period=Period(start, end), villages=tuple(args.village or ()))
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    with engine.connect() as conn:
        try:
            figures = kpis.summary(conn, filters, today)
        except UnknownName as exc:
            raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"period {figures['period']['from']} .. {figures['period']['to']}; villages: {', '.join(figures['villages'])}")
    for group in ("events", "alerts", "alerts_previous_period", "hazards", "population", "zero_days"):
        for key, value in figures[group].items():
            shown = _percent(value) if key.endswith(("_rate", "_yoy", "_mom")) else ("—" if value is None else value)
            print(f"  {group}.{key:<22} {shown}")
    return EXIT_OK


def build_parser() -> Parser:
    parser = Parser(prog="python -m data_access", description="The micro-centre dashboard's database tools.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    p = commands.add_parser("init", help="create the database or upgrade it to the newest schema")
    p.set_defaults(func=cmd_init)

    p = commands.add_parser("demo", help="fill the database with the deterministic demo scenario")
    p.add_argument("--scale", choices=("town", "city"), default="town", help="town (default) or city")
    p.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="random seed (default: fixed)")
    p.add_argument("--as-of", type=_date, help="last day of the records, YYYY-MM-DD (default: today)")
    p.add_argument("--force", action="store_true", help="even when the database holds non-demo records")
    p.set_defaults(func=cmd_demo)

    p = commands.add_parser("kpis", help="print the KPIs for a period and villages")
    p.add_argument("--village", action="append", help="a village name; repeat for several (default: all)")
    p.add_argument("--from", dest="date_from", type=_date, help="first day, YYYY-MM-DD (default: 1 January)")
    p.add_argument("--to", dest="date_to", type=_date, help="last day, YYYY-MM-DD (default: today)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_kpis)

    _add_optional_commands(commands)
    return parser


def _add_optional_commands(commands) -> None:
    # Imported here: both modules import this one for its errors and exit codes.
    from .accounts_cli import add_user_command
    from .importing.cli import add_import_command
    from .summaries import add_summary_command

    add_import_command(commands)
    add_user_command(commands)
    add_summary_command(commands)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"error: database: {reason}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
