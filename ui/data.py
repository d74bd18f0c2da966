"""The pages' one door to data_access: cached for CACHE_TTL_S, and through a database outage
it answers with the last good result and raises the stale-data banner instead of failing.

Pages call `query(hazards.kpis, filters, today)`: the data_access function gets a fresh
connection as its first argument. Only functions of data_access modules may be called.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections import OrderedDict

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from data_access import settings
from data_access.db import get_engine
from data_access.filters import local_now

log = logging.getLogger(__name__)

CACHE_TTL_S = settings.get_int("CACHE_TTL_S")
LAST_GOOD_ENTRIES = 200  # results remembered per session for an outage
# What a failing database raises: SQLAlchemy's errors, and OSError for a file that vanished.
OUTAGE_ERRORS = (SQLAlchemyError, OSError)


class DataUnavailable(RuntimeError):
    """The database failed and this session has no earlier answer to show."""


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=2000)
def _cached(qualified_name: str, url: str, args: tuple, kwargs: tuple):
    module_name, _, function_name = qualified_name.rpartition(".")
    function = getattr(importlib.import_module(module_name), function_name)
    with get_engine(url).connect() as conn:
        return function(conn, *args, **dict(kwargs))


def _last_good() -> OrderedDict:
    return st.session_state.setdefault("_last_good", OrderedDict())


def query(function, *args, **kwargs):
    """`function(conn, *args, **kwargs)` through the cache, or its last good result in an outage."""
    if not function.__module__.startswith("data_access."):
        raise ValueError(f"{function.__qualname__} is not a data_access query")
    key = (f"{function.__module__}.{function.__qualname__}", args, tuple(sorted(kwargs.items())))
    try:
        value = _cached(key[0], settings.database_url(), key[1], key[2])
    except OUTAGE_ERRORS as exc:
        log.warning("query %s failed: %s", key[0], str(exc).splitlines()[0] if str(exc) else type(exc))
        st.session_state.setdefault("_outage_since", local_now())
        remembered = _last_good()
        if key not in remembered:
            raise DataUnavailable(str(exc)) from exc
        return remembered[key]
    remembered = _last_good()
    remembered[key] = value
    remembered.move_to_end(key)
    while len(remembered) > LAST_GOOD_ENTRIES:
        remembered.popitem(last=False)
    st.session_state["_last_ok_at"] = local_now()
    return value


def outage() -> tuple[bool, dt.datetime | None]:
    """Whether this run hit a database failure, and when data was last fetched fine."""
    return "_outage_since" in st.session_state, st.session_state.get("_last_ok_at")


def start_run() -> None:
    """Forget the previous run's outage: each run finds out afresh whether the database is back."""
    st.session_state.pop("_outage_since", None)


def write(function, *args, **kwargs):
    """Run a data_access function that changes (or checks against) data: `function(engine, *args, **kwargs)`.

    Not cached; afterwards every cached answer is dropped, so the views show the change."""
    try:
        return function(get_engine(settings.database_url()), *args, **kwargs)
    finally:
        _cached.clear()
