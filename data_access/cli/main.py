"""The parser of every command and the entry point: `python -m data_access COMMAND …`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from . import database, imports, ledgers, notify, users
from .shared import EXIT_UNUSABLE, CommandError, Parser

COMMAND_MODULES = (database, imports, ledgers, users, notify)


def build_parser() -> Parser:
    parser = Parser(prog="python -m data_access", description="The micro-centre dashboard's database tools.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code (errors are one line on stderr)."""
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
