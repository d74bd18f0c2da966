"""`python -m data_access init | demo | kpis | rebuild-summaries`: the database and its figures."""

from __future__ import annotations

import argparse
import json
import sys
import time

from sqlalchemy import text

from .. import demo, kpis, schema, summaries
from ..filters import Filters, Period, UnknownName, local_today
from ..formats import change, rate
from .shared import EXIT_BAD_INPUT, EXIT_OK, CommandError, date_argument, open_engine


def cmd_init(args: argparse.Namespace) -> int:
    engine = open_engine(must_exist=False)
    schema.upgrade(engine)
    print(f"database ready at the newest schema: {engine.url.render_as_string(hide_password=True)}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    engine = open_engine(must_exist=False)
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


def cmd_kpis(args: argparse.Namespace) -> int:
    engine = open_engine()
    today = local_today()
    try:
        period = Period(args.date_from or Period.year_to_date(today).start, args.date_to or today)
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    filters = Filters(period=period, villages=tuple(args.village or ()))
    with engine.connect() as conn:
        try:
            figures = kpis.summary(conn, filters, today)
        except UnknownName as exc:
            raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"period {figures['period']['from']} .. {figures['period']['to']}; villages: {', '.join(figures['villages'])}")
    for group in ("events", "alerts", "alerts_previous_period", "hazards", "population", "zero_days",
                  "stability", "petitions", "disputes", "projects"):
        for key, value in figures[group].items():
            if key.endswith("_rate"):
                shown = rate(value)
            elif key.endswith(("_yoy", "_mom")):
                shown = change(value)
            else:
                shown = "—" if value is None else value
            print(f"  {group}.{key:<22} {shown}")
    return EXIT_OK


def cmd_rebuild_summaries(args: argparse.Namespace) -> int:
    engine = open_engine()
    if args.check:
        with engine.connect() as conn:
            wrong = summaries.differences(conn)
        if wrong:
            tables = ", ".join(f"{t} {n:,} keys" for t, n in wrong.items())
            print(f"summaries disagree with the records: {tables}")
            return EXIT_BAD_INPUT
        print("summaries agree with the records")
        return EXIT_OK
    started = time.perf_counter()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL statement_timeout = 0"))  # a rebuild reads every record
        counts = summaries.rebuild(conn)
    rows = ", ".join(f"{table} {n:,}" for table, n in counts.items())
    print(f"summaries rebuilt in {time.perf_counter() - started:.1f} s: {rows}")
    return EXIT_OK


def register(commands) -> None:
    """Add init, demo, kpis and rebuild-summaries to the CLI's subparsers."""
    p = commands.add_parser("init", help="create the database or upgrade it to the newest schema")
    p.set_defaults(func=cmd_init)

    p = commands.add_parser("demo", help="fill the database with the deterministic demo scenario")
    p.add_argument("--scale", choices=("town", "city"), default="town", help="town (default) or city")
    p.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="random seed (default: fixed)")
    p.add_argument("--as-of", type=date_argument, help="last day of the records, YYYY-MM-DD (default: today)")
    p.add_argument("--force", action="store_true", help="even when the database holds non-demo records")
    p.set_defaults(func=cmd_demo)

    p = commands.add_parser("kpis", help="print the KPIs for a period and villages")
    p.add_argument("--village", action="append", help="a village name; repeat for several (default: all)")
    p.add_argument("--from", dest="date_from", type=date_argument, help="first day, YYYY-MM-DD (default: 1 January)")
    p.add_argument("--to", dest="date_to", type=date_argument, help="last day, YYYY-MM-DD (default: today)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_kpis)

    p = commands.add_parser(
        "rebuild-summaries",
        help="recompute the summary tables from the records (after writes that bypassed the triggers)",
    )
    p.add_argument("--check", action="store_true", help="only report whether they agree with the records")
    p.set_defaults(func=cmd_rebuild_summaries)
