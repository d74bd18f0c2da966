"""The browser's viewport, as a tiny component in the page reports it: the wall screen's size
(its layout follows it, ui/wall_layout.py) and whether a page is on a phone (its compact layout).

The component reports only when what it sees differs from what this session knows, so a page
reruns once when it opens on a phone (or a wall starts) and after a resize that matters, never
in a loop. What a browser sends is checked before it is used.
"""

from __future__ import annotations

import streamlit as st

from .wall_layout import Screen, believable

COMPACT_BELOW_PX = 640  # narrower than this: a phone (Streamlit stacks columns there too)
SIZE_KEY, COMPACT_KEY = "_screen_size", "_screen_compact"  # what the session knows
# Reports [width, height] (the wall) or whether the width is under a bound (a page), when that
# differs from data.known; again after a resize, a moment after the last resize event.
REPORTER_JS = """
export default function (component) {
  const { data, setStateValue } = component;
  window.screenReport = () => {
    const seen = data.report === "size" ? [window.innerWidth, window.innerHeight]
                                         : window.innerWidth < data.compact_below;
    if (JSON.stringify(seen) !== JSON.stringify(data.known)) { setStateValue("seen", seen); }
  };
  window.screenReport();
  if (!window.screenResizeHooked) {
    window.screenResizeHooked = true;
    window.addEventListener("resize", () => {
      clearTimeout(window.screenResizeTimer);
      window.screenResizeTimer = setTimeout(() => window.screenReport(), 400);
    });
  }
}
"""
_reporter = st.components.v2.component("huajie_screen", js=REPORTER_JS)


def report_size() -> None:
    """Have the browser report the viewport's size (the wall screen)."""
    known = size_known()
    _mount("size", [known.width, known.height] if known else None, SIZE_KEY)


def report_compact() -> None:
    """Have the browser say whether it is narrower than COMPACT_BELOW_PX (every page)."""
    _mount("compact", compact(), COMPACT_KEY)


def size_known() -> Screen | None:
    """The viewport's size as last reported, None until it is."""
    return st.session_state.get(SIZE_KEY)


def compact() -> bool:
    """Whether the page is on a phone-sized screen."""
    return bool(st.session_state.get(COMPACT_KEY, False))


def _mount(report: str, known, into: str) -> None:
    with st.container(key=f"screen-reporter-{report}"):  # hidden by its CSS class: it draws nothing
        _reporter(key=f"_screen_reporter_{report}", data={"report": report, "known": known,
                                                          "compact_below": COMPACT_BELOW_PX},
                  default={"seen": None}, height=0, on_seen_change=lambda: _remember(report, into))


def _remember(report: str, into: str) -> None:
    seen = (st.session_state.get(f"_screen_reporter_{report}") or {}).get("seen")
    if report == "size":
        screen = believable(*seen) if isinstance(seen, list) and len(seen) == 2 else None
        if screen is not None:
            st.session_state[into] = screen
    elif isinstance(seen, bool):
        st.session_state[into] = seen
