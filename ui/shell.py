"""What every view shares around its own content: the sign-in gate, the language, the filter
bar, the demo and outage banners, and the guard that sends a page opened directly through
the router.

app.py wraps the current page in `frame(...)`; a page's first line is `ctx = shell.page(role)`.
The wall screen runs the same page scripts on its board (`run_on_wall`), with `ctx.wall` set.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import runpy
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from data_access import areas
from data_access.filters import Filters, local_now, local_today

from . import assets, auth, data, filter_bar, maps, screen
from .i18n import DEFAULT_LANGUAGE, LANGUAGES, t

APP_SCRIPT = Path(__file__).resolve().parent.parent / "app.py"
PAGES_DIR = APP_SCRIPT.parent / "pages"
# Set while the router runs a page. Kept per thread (a script run has its own), not in session
# state: after st.stop() session state can no longer be written, so a flag there would stay set.
_this_run = threading.local()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What a page needs to know: which view, the filter, 'today' for 'now' figures, and whether
    it is drawn on the wall screen (counts only, no controls, one screen: see ui/widgets.py)."""

    view: str
    filters: Filters
    today: dt.date
    wall: bool = False


def start() -> None:
    """First thing in every run: forget the last run's outage, take the language from the URL,
    and check the signed-in session (idle expiry, account still active, its role now)."""
    data.start_run()
    if "lang" not in st.session_state:
        lang = st.query_params.get("lang", DEFAULT_LANGUAGE)
        st.session_state["lang"] = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    auth.refresh()


@contextmanager
def frame(view: str, categories: tuple[str, ...] | Callable[[], tuple[str, ...]] = (), *, wall: bool = False):
    """Run a page inside the shared frame: the sign-in gate, banners, filter bar, and a friendly
    outage message.

    Every view but the wall screen needs a signed-in account (any role): without one the
    frame shows the sign-in form and the page does not run. `categories` are the view's
    category choices, or a function that looks them up. The wall screen has no sidebar and
    draws its own banners, so it gets only the filter from the URL."""
    if not data.schema_ready():
        st.error(t("schema_not_ready"), icon="🛠️")
        st.stop()
    banner = st.empty()
    _this_run.routed, _this_run.wall = True, wall
    try:
        if not wall:  # (the wall screen has its own stylesheet and reports its exact size)
            st.html(assets.stylesheet("page.css"))
            screen.report_compact()  # a phone: once known, the views draw their compact layout
            auth.require("viewer")  # signed out: the sign-in form, then st.stop()
            auth.account_box()
        try:
            st.session_state["_context"] = None  # until the filter is known
            if callable(categories):
                categories = categories()
            filters, messages = filter_bar.render(view, categories, show=not wall)
            if not wall:
                filter_bar.show_messages(messages)
            if not wall and data.query(areas.has_demo_records):
                st.info(t("demo_banner"), icon="🧪")
            st.session_state["_context"] = Context(view=view, filters=filters, today=local_today(), wall=wall)
        except data.DataUnavailable:
            pass  # the page's context() raises it again, and it is reported below
        try:
            yield
        except data.DataUnavailable:
            st.warning(t("data_unavailable"), icon="⏳")
        except Exception:  # (Streamlit's stop and rerun are BaseExceptions: they pass through)
            report_failure(view)
    finally:
        _this_run.routed = False
    down, last_ok = data.outage()
    if down and not wall:
        shown = last_ok.strftime("%H:%M") if last_ok else "—"
        banner.error(t("stale_banner", time=shown), icon="⚠️")


def report_failure(view: str) -> None:
    """What escaped a page: the traceback into the server's log with the view and the time, and
    for the visitor a short message with that time (to quote to whoever reads the log), never
    the traceback or a server path. Call it from an `except` block."""
    at = local_now()
    log.exception("view %s failed at %s", view, at.isoformat(timespec="seconds"))
    st.error(t("page_failed", time=f"{at:%H:%M:%S}"), icon="⚠️")


def through_router() -> None:
    """Send a page opened straight from its file (a deep link right after the server started)
    through the router instead, so that it gets the same frame and sign-in gate; then stop."""
    if not getattr(_this_run, "routed", False):
        runpy.run_path(str(APP_SCRIPT), run_name="__main__")
        st.stop()


def page(role: str) -> Context:
    """A view's entry: its context once the signed-in role allows `role` (the wall screen needs no
    sign-in: it shows counts only). A page opened straight from its file is first sent through
    the router, whose frame checks the sign-in before any page runs."""
    through_router()
    if not getattr(_this_run, "wall", False):
        auth.require(role)
    return context()


def context() -> Context:
    """The current view's context."""
    if st.session_state.get("_context") is None:
        raise data.DataUnavailable("the filter could not be read")
    return st.session_state["_context"]


def on_wall() -> bool:
    """Whether this run draws the wall screen (widgets then draw big, and never a record)."""
    current = st.session_state.get("_context")
    return current is not None and current.wall


def shows_records() -> bool:
    """Whether this run may show records (a hazard's title, a person masked): staff and above,
    and never on the wall. Viewers and the wall get counts and points only."""
    return not on_wall() and auth.allows("staff")


def run_on_wall(view: str, filters: Filters) -> None:
    """Run `view`'s own page script on the wall screen's board: the wall's filter, no sign-in,
    ctx.wall set. The board is a fragment that reruns without app.py, so the run is marked as
    routed here, as the frame marks it."""
    script = PAGES_DIR / f"{view}.py"
    if not script.is_file():
        raise ValueError(f"no page for view {view!r}")
    routed, wall = getattr(_this_run, "routed", False), getattr(_this_run, "wall", False)
    _this_run.routed, _this_run.wall = True, True
    st.session_state["_context"] = Context(view=view, filters=filters, today=local_today(), wall=True)
    try:
        _run_script(script)
    finally:
        _this_run.routed, _this_run.wall = routed, wall


def _run_script(script: Path) -> None:
    """`script` run as runpy.run_path runs it (the same globals), from its code compiled once per
    version of the file: run_path read and compiled the page again on every refresh of the wall."""
    stat = script.stat()
    code = _compiled(str(script), stat.st_mtime_ns, stat.st_size)
    exec(code, {"__name__": "<run_path>", "__file__": str(script), "__cached__": None, "__doc__": None,  # noqa: S102
                "__loader__": None, "__package__": "", "__spec__": None})


@functools.lru_cache(maxsize=64)
def _compiled(path: str, modified_ns: int, size: int):
    """The code of the page at `path` as it was at (`modified_ns`, `size`); compiled as runpy
    compiles it (dont_inherit: no __future__ flags of this module)."""
    return compile(Path(path).read_bytes(), path, "exec", dont_inherit=True)


def clicked_village(map_state: dict | None) -> None:
    """Filter to the village clicked on a map (if any) and rerun."""
    name = maps.clicked_village(map_state)
    if name and [name] != list(st.session_state.get("f_villages", [])):
        filter_bar.select_village(name)
        st.rerun()


def now() -> dt.datetime:
    return local_now()
