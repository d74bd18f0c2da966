"""What every view shares around its own content: the language, the filter bar, the demo
and outage banners, and the guard that sends a page opened directly through the router.

app.py wraps the current page in `frame(...)`; a page asks for `context()` first.
"""

from __future__ import annotations

import datetime as dt
import runpy
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from data_access import areas
from data_access.filters import Filters, local_now, local_today

from . import data, filter_bar, maps
from .i18n import DEFAULT_LANGUAGE, LANGUAGES, t

APP_SCRIPT = Path(__file__).resolve().parent.parent / "app.py"
_ROUTED = "_routed"  # set while the router runs a page


@dataclass(frozen=True)
class Context:
    """What a page needs to know: which view, the filter, and 'today' for 'now' figures."""

    view: str
    filters: Filters
    today: dt.date


def start() -> None:
    """First thing in every run: forget the last run's outage, take the language from the URL."""
    data.start_run()
    if "lang" not in st.session_state:
        lang = st.query_params.get("lang", DEFAULT_LANGUAGE)
        st.session_state["lang"] = lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@contextmanager
def frame(view: str, categories: tuple[str, ...] | Callable[[], tuple[str, ...]] = (), *, wall: bool = False):
    """Run a page inside the shared frame: banners, filter bar, and a friendly outage message.

    `categories` are the view's category choices, or a function that looks them up. The wall
    screen has no sidebar and draws its own banners, so it gets only the filter from the URL."""
    banner = st.empty()
    st.session_state[_ROUTED] = True
    try:
        st.session_state["_context"] = None  # until the filter is known
        if callable(categories):
            categories = categories()
        filters, messages = filter_bar.render(view, categories, show=not wall)
        if not wall:
            filter_bar.show_messages(messages)
        if not wall and data.query(areas.has_demo_records):
            st.info(t("demo_banner"), icon="🧪")
        st.session_state["_context"] = Context(view=view, filters=filters, today=local_today())
    except data.DataUnavailable:
        pass  # the page's context() raises it again, and it is reported below
    try:
        yield
    except data.DataUnavailable:
        st.warning(t("data_unavailable"), icon="⏳")
    finally:
        st.session_state.pop(_ROUTED, None)
    down, last_ok = data.outage()
    if down and not wall:
        shown = last_ok.strftime("%H:%M") if last_ok else "—"
        banner.error(t("stale_banner", time=shown), icon="⚠️")


def context() -> Context:
    """The current view's context. A page opened straight from its file (a deep link right
    after the server started) is sent through the router instead, so it gets the same frame."""
    if not st.session_state.get(_ROUTED):
        runpy.run_path(str(APP_SCRIPT), run_name="__main__")
        st.stop()
    if st.session_state.get("_context") is None:
        raise data.DataUnavailable("the filter could not be read")
    return st.session_state["_context"]


def clicked_village(map_state: dict | None) -> None:
    """Filter to the village clicked on a map (if any) and rerun."""
    name = maps.clicked_village(map_state)
    if name and [name] != list(st.session_state.get("f_villages", [])):
        filter_bar.select_village(name)
        st.rerun()


def now() -> dt.datetime:
    return local_now()
