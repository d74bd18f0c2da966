"""The pages' one door to data_access: cached for CACHE_TTL_S, and through a database outage
it answers with the last good result and raises the stale-data banner instead of failing.

Pages call `query(hazards.kpis, filters, today)`: the data_access function gets a fresh
connection as its first argument. Only functions of data_access modules may be called.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import importlib
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from decimal import Decimal

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from data_access import schema, settings
from data_access.db import get_engine
from data_access.filters import local_now

log = logging.getLogger(__name__)

CACHE_TTL_S = settings.get_int("CACHE_TTL_S")
LAST_GOOD_ENTRIES = 200  # results remembered per session for an outage
# What a failing database raises: SQLAlchemy's errors, and OSError for a file that vanished.
OUTAGE_ERRORS = (SQLAlchemyError, OSError)
_current_schemas: set[str] = set()  # database URLs found at the newest schema (they stay so)


class DataUnavailable(RuntimeError):
    """The database failed and this session has no earlier answer to show."""


# Bumped for a data_access module when a write changes what its queries answer: its cached
# answers are then passed by (they expire by CACHE_TTL_S), and every other module's are kept.
_generations: dict[str, int] = {}
_generations_lock = threading.Lock()
EVERYTHING = None  # write(..., changes=EVERYTHING): e.g. an import, which may touch any record


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=2000)
def _cached(qualified_name: str, url: str, generation: int, args: tuple, kwargs: tuple):
    return _run(qualified_name, url, args, kwargs)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=2000)
def _cached_by_key(key: str, _qualified_name: str, _url: str, _args: tuple, _kwargs: tuple):
    """_cached for a call whose arguments are all plain values (call_key): Streamlit hashes only
    `key` (arguments named with a leading _ it leaves out), not every argument again on every
    hit. With the time it was computed (for _answers)."""
    return time.time(), _run(_qualified_name, _url, _args, _kwargs)


@st.cache_data(show_spinner=False)
def _cache_epoch() -> str:
    """A token that is new once st.cache_data has been cleared (tests, an operator): the answers
    kept in _answers under an older one are passed by."""
    return uuid.uuid4().hex


# The answers of _cached_by_key as objects, with the time each was computed, by epoch and call
# key: a hit of st.cache_data unpickles its answer anew, the largest part of a warm rerun's
# queries. Each caller gets a copy (_fresh), as it got an unpickled copy before. Bounded, least
# recently used first; an answer older than CACHE_TTL_S is asked of st.cache_data again.
ANSWER_ENTRIES = 512
_answers: OrderedDict[tuple[str, str], tuple[float, object]] = OrderedDict()
_answers_lock = threading.Lock()


def _kept_answer(cheap: str, qualified_name: str, url: str, args: tuple, kwargs: tuple):
    """_cached_by_key's answer, from _answers while it is younger than CACHE_TTL_S."""
    key = (_cache_epoch(), cheap)
    with _answers_lock:
        kept = _answers.get(key)
        if kept is not None and time.time() - kept[0] < CACHE_TTL_S:
            _answers.move_to_end(key)
            return _fresh(kept[1])
    computed_at, value = _cached_by_key(cheap, qualified_name, url, args, kwargs)
    with _answers_lock:
        _answers[key] = (computed_at, value)
        _answers.move_to_end(key)
        while len(_answers) > ANSWER_ENTRIES:
            _answers.popitem(last=False)
    return _fresh(value)


def _fresh(value):
    """A copy of a kept answer that its caller may change without changing the answer: frames
    copied shallowly (pandas copies on write, so a change to the copy never reaches the kept
    frame), containers afresh, plain values as they are, anything else deep-copied."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=False)
    if isinstance(value, PLAIN_TYPES):
        return value
    if type(value) is tuple:
        return tuple(_fresh(item) for item in value)
    if type(value) is list:
        return [_fresh(item) for item in value]
    if type(value) is dict:
        return {key: _fresh(item) for key, item in value.items()}
    return copy.deepcopy(value)


PLAIN_TYPES = (str, int, float, bool, type(None), dt.date, dt.time, dt.timedelta, Decimal)


def call_key(*parts) -> str | None:
    """A text that tells calls apart exactly, when `parts` hold only plain values (those of
    PLAIN_TYPES, tuples and lists of them, dataclasses of them): their repr, which keeps every
    type apart (1, 1.0, True, '1', a date and a datetime); None for anything else."""
    try:
        return repr(_plain(parts))
    except TypeError:
        return None


def _plain(value):
    if isinstance(value, PLAIN_TYPES):
        return value
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (f"{type(value).__module__}.{type(value).__qualname__}",
                *(_plain(getattr(value, field.name)) for field in dataclasses.fields(value)))
    raise TypeError(f"not a plain value: {type(value).__name__}")


def _run(qualified_name: str, url: str, args: tuple, kwargs: tuple):
    module_name, _, function_name = qualified_name.rpartition(".")
    function = getattr(importlib.import_module(module_name), function_name)
    engine = get_engine(url)
    _check_sqlite_file(engine)
    with engine.connect() as conn:
        return function(conn, *args, **dict(kwargs))


_sqlite_files: dict[str, tuple[int, int]] = {}  # database path -> (device, inode) last seen
_sqlite_files_lock = threading.Lock()


def _check_sqlite_file(engine: Engine) -> None:
    """A SQLite file that vanished is an outage; one replaced by another file is reopened.

    Pooled connections keep reading the file they opened, even after it was renamed away or
    replaced (a restored backup moved into place): the screen would show the old file's
    figures for ever, with no banner. So when the path now names another file, the pool is
    emptied and the next connection opens whatever is there now. (Without this check a
    missing file would also be created afresh, empty, by the next connection.)"""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
        return
    stat = os.stat(path)  # FileNotFoundError (an OSError): the outage path in query()
    identity = (stat.st_dev, stat.st_ino)
    with _sqlite_files_lock:
        previous = _sqlite_files.setdefault(path, identity)
        if previous != identity:
            _sqlite_files[path] = identity
            log.warning("database file %s was replaced: reopening it", path)
            engine.dispose()


def _last_good() -> OrderedDict:
    return st.session_state.setdefault("_last_good", OrderedDict())


def query(function, *args, **kwargs):
    """`function(conn, *args, **kwargs)` through the cache, or its last good result in an outage."""
    if not function.__module__.startswith("data_access."):
        raise ValueError(f"{function.__qualname__} is not a data_access query")
    key = (f"{function.__module__}.{function.__qualname__}", args, tuple(sorted(kwargs.items())))
    url, generation = settings.database_url(), _generation(function.__module__)
    try:
        cheap = call_key(key[0], url, generation, key[1], key[2])
        if cheap is not None:
            value = _kept_answer(cheap, key[0], url, key[1], key[2])
        else:
            value = _cached(key[0], url, generation, key[1], key[2])
    except OUTAGE_ERRORS as exc:
        log.warning("query %s failed: %s", key[0], _first_line(exc))
        st.session_state.setdefault("_outage_since", local_now())
        remembered = _last_good()
        if key in remembered:
            return remembered[key]
        # A query asked at a new 'now' (the backlog at this minute, 'today' after midnight)
        # was never answered: its latest answer at an earlier 'now' is the last good one.
        last_ok = st.session_state.get("_last_ok_at")
        moving = {local_now().date(), *([last_ok.date()] if last_ok else [])}
        for earlier in reversed(remembered):
            if _without_now(earlier, moving) == _without_now(key, moving):
                return remembered[earlier]
        raise DataUnavailable(str(exc)) from exc
    remembered = _last_good()
    remembered[key] = value
    remembered.move_to_end(key)
    while len(remembered) > LAST_GOOD_ENTRIES:
        remembered.popitem(last=False)
    st.session_state["_last_ok_at"] = local_now()
    return value


def _first_line(exc: BaseException) -> str:
    """An error's first line for the log (SQLAlchemy's messages run to several lines)."""
    return next(iter(str(exc).splitlines()), type(exc).__name__)


def _without_now(value, moving: set[dt.date]):
    """`value` with every date and time on one of the `moving` days ('now', also inside a
    Filters' Period) replaced by a marker; other dates, e.g. a period in the past, stay."""
    if isinstance(value, dt.datetime):
        return "<now>" if value.date() in moving else value
    if isinstance(value, dt.date):
        return "<now>" if value in moving else value
    if isinstance(value, tuple):
        return tuple(_without_now(v, moving) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, *(_without_now(getattr(value, f.name), moving)
                                        for f in dataclasses.fields(value)))
    return value


def schema_ready() -> bool:
    """False when the database answers but is not at the newest schema (never initialised, or
    older than this code): the app then says how to put it right rather than fail on every query.
    An unreachable database counts as ready here: the outage banner speaks for it."""
    url = settings.database_url()
    if url in _current_schemas:
        return True
    try:
        current = schema.is_current(get_engine(url))
    except OUTAGE_ERRORS:
        return True
    if current:
        _current_schemas.add(url)
    return current


def outage() -> tuple[bool, dt.datetime | None]:
    """Whether this run hit a database failure, and when data was last fetched fine."""
    return "_outage_since" in st.session_state, st.session_state.get("_last_ok_at")


def start_run() -> None:
    """Forget the previous run's outage: each run finds out afresh whether the database is back."""
    st.session_state.pop("_outage_since", None)


def _generation(module: str) -> int:
    return _generations.get(module, 0) + _generations.get(EVERYTHING, 0)


def _changed(modules) -> None:
    """Pass by the cached answers of `modules` (names of data_access modules; EVERYTHING: all)."""
    with _generations_lock:
        for module in [EVERYTHING] if modules is EVERYTHING else modules:
            name = module if module is EVERYTHING else f"data_access.{module}"
            _generations[name] = _generations.get(name, 0) + 1


def write(function, *args, changes=EVERYTHING, **kwargs):
    """Run a data_access function that changes (or checks against) data: `function(engine, *args, **kwargs)`.

    Not cached. `changes` names the data_access modules whose answers it may change (e.g.
    ("hazards", "kpis", "review")); only their cached answers are passed by, so the views show
    the change and nothing else is asked again: a sign-in (changes=()) costs no other view a
    query. A failing database raises DataUnavailable (nothing was changed: each write is one
    transaction)."""
    try:
        return function(get_engine(settings.database_url()), *args, **kwargs)
    except OUTAGE_ERRORS as exc:
        log.warning("write %s failed: %s", getattr(function, "__qualname__", function), _first_line(exc))
        st.session_state.setdefault("_outage_since", local_now())
        raise DataUnavailable(str(exc)) from exc
    finally:
        _changed(changes)


def transact(function, *args, changes=EVERYTHING, **kwargs):
    """`write` for a data_access function that takes a connection: `function(conn, *args, **kwargs)`
    in one transaction of its own (review actions, exports, unmasking, account changes: each
    writes its audit or history row in the same transaction as the change)."""
    return write(_in_transaction, function, *args, changes=changes, **kwargs)


def _in_transaction(engine: Engine, function, *args, **kwargs):
    with engine.begin() as conn:
        return function(conn, *args, **kwargs)
