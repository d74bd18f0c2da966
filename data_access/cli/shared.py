"""What every command module shares: exit codes, the one-line error, the parser, the engine.

Exit codes: 0 fine; 1 a bad input (an unknown village or user, rejected rows, a refused demo);
2 an unusable command (bad arguments, an unreachable or uninitialised database, an unusable
file). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import unicodedata

from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError

from .. import schema, settings
from ..db import get_engine

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


def date_argument(value: str) -> dt.date:
    """An argparse type: YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def open_engine(*, must_exist: bool = True) -> Engine:
    """The engine of DATABASE_URL; with `must_exist`, a database at the newest schema."""
    url = settings.database_url()
    try:
        engine = get_engine(url)
    except (ArgumentError, ImportError) as exc:
        raise CommandError(f"DATABASE_URL is not usable: {exc}") from None
    if must_exist and not schema.is_current(engine):
        raise CommandError("the database is not initialised at the newest schema: run `python -m data_access init`")
    return engine


def login_name(default: str = "cli") -> str:
    """Who runs the command, by the operating system's login name (`default` when there is none)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        return default


def cli_actor() -> str:
    """Who the audit log names for a change made on the command line: cli:<login name>."""
    name = login_name("")
    return f"cli:{name}" if name else "cli"


def pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - used, 0)
