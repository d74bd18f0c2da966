"""The shared filter bar (sidebar) and its twin in the URL.

The URL opens any view already filtered (`?village=倪宅村&village=凤凰村&from=2026-01-01&to=
2026-03-31&lang=en`) and every change is written back, so a leader can send the link.
Values from the URL are checked against what the database knows; anything unknown or
malformed is reported in a message and replaced by the default, never passed on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import streamlit as st

from data_access import areas
from data_access.filters import Filters, Period, local_today, resolve

from . import data, url
from .i18n import DEFAULT_LANGUAGE, LANGUAGES, t, tv
from .markdown import literal

PRESETS = ("today", "7d", "30d", "quarter", "year", "custom")
DEFAULT_PRESET = "year"
MAX_PARAM_LENGTH = 64  # longer URL values are not names of anything we know
URL_KEYS = ("village", "grid", "period", "from", "to", "category", "lang")


def preset_period(preset: str, today: dt.date) -> Period:
    """The period a preset stands for, ending today."""
    if preset == "today":
        return Period(today, today)
    if preset in ("7d", "30d"):
        return Period(today - dt.timedelta(days=int(preset[:-1]) - 1), today)
    if preset == "quarter":
        return Period(dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today)
    return Period(dt.date(today.year, 1, 1), today)


@dataclass(frozen=True)
class UrlFilter:
    """The filter a link asks for, checked: what goes into the filter bar, and what was dropped."""

    lang: str
    villages: list[str]
    grids: list[str]  # checked against the chosen villages' grids when the bar is drawn
    categories: list[str]  # checked against the view's categories when the bar is drawn
    preset: str
    period: Period
    messages: list  # message keys, or (key, the values dropped)


def parse_url(
    query: Mapping[str, Sequence[str]], village_names: Collection[str], today: dt.date
) -> UrlFilter:
    """The filter of a link: `query` holds every value of each parameter (as st.query_params.get_all
    gives them; a parameter given once is read from its last value, as Streamlit does). An unknown
    or malformed value is replaced by the default and named in `messages`."""
    messages = []

    def names(key: str) -> list[str]:
        return [v[:MAX_PARAM_LENGTH] for v in query.get(key, ())]

    def last(key: str) -> str | None:
        values = query.get(key, ())
        return values[-1] if values else None

    lang = last("lang")
    if lang is None:
        lang = DEFAULT_LANGUAGE
    elif lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
        messages.append("bad_language")

    wanted = names("village")
    known = [v for v in wanted if v in village_names]
    if len(known) < len(wanted):
        messages.append(("bad_village", [v for v in wanted if v not in village_names]))
    parts = {"lang": lang, "villages": list(dict.fromkeys(known)), "grids": names("grid"),
             "categories": names("category")}

    preset = last("period")
    start, end = last("from"), last("to")
    if start or end:
        first, final = url.parse_date(start), url.parse_date(end)
        if first is None or final is None:
            messages.append("bad_date")
        elif final < first:
            messages.append("reversed_range")
        else:
            return UrlFilter(**parts, preset="custom", period=Period(first, final), messages=messages)
        preset = DEFAULT_PRESET
    if preset is None:
        preset = DEFAULT_PRESET
    elif preset not in PRESETS or preset == "custom":
        messages.append("bad_period")
        preset = DEFAULT_PRESET
    return UrlFilter(**parts, preset=preset, period=preset_period(preset, today), messages=messages)


def _read_url(village_names: list[str], today: dt.date) -> list:
    """Put the URL's filter into session state; return the messages about what was dropped."""
    asked = parse_url({key: st.query_params.get_all(key) for key in URL_KEYS}, village_names, today)
    st.session_state["lang"] = asked.lang
    st.session_state["f_villages"] = asked.villages
    st.session_state["_url_grids"] = asked.grids
    st.session_state["_url_categories"] = asked.categories
    st.session_state["f_preset"] = asked.preset
    st.session_state["f_range"] = (asked.period.start, asked.period.end)
    return asked.messages


def _write_url(filters: Filters, preset: str, categories: tuple[str, ...]) -> None:
    """Mirror the filter in the address bar (other parameters, e.g. the wall mode, are kept)."""
    wanted = {
        "village": list(filters.villages),
        "grid": list(filters.grids),
        "category": list(categories),
        "lang": [] if st.session_state["lang"] == DEFAULT_LANGUAGE else [st.session_state["lang"]],
    }
    if preset == "custom":
        wanted |= {"period": [], "from": [filters.period.start.isoformat()], "to": [filters.period.end.isoformat()]}
    else:
        wanted |= {"period": [] if preset == DEFAULT_PRESET else [preset], "from": [], "to": []}
    for name, values in wanted.items():
        if st.query_params.get_all(name) == values:
            continue
        if values:
            st.query_params[name] = values
        elif name in st.query_params:
            del st.query_params[name]


def _show_messages(messages) -> None:
    for message in messages:
        if isinstance(message, tuple):
            key, names = message
            shown = ", ".join(n if len(n) <= 20 else n[:20] + "…" for n in names[:5])
            st.warning(t(key, names=literal(shown)))  # names from a link: text, never a link
        else:
            st.warning(t(message))


def select_village(name: str) -> None:
    """Filter to one village (a click on the map) from the next run on."""
    st.session_state["_pending_villages"] = [name]


def render(view: str, category_options: tuple[str, ...] = (), *, show: bool = True) -> tuple[Filters, list]:
    """Draw the filter bar in the sidebar (unless `show` is False, as on the wall screen) and
    return the filter for `view` and the messages about the URL."""
    today = local_today()
    villages = data.query(areas.village_options)
    village_names = [name for name, _, _ in villages]
    messages = []
    if "f_preset" not in st.session_state:
        messages = _read_url(village_names, today)
    if "_pending_villages" in st.session_state:
        st.session_state["f_villages"] = st.session_state.pop("_pending_villages")

    if show:
        _widgets(villages, view, category_options, today)
    else:
        _apply_url_categories(view, category_options)
    preset = st.session_state["f_preset"]
    if preset == "custom":
        start, end = st.session_state.get("f_range", (today, today))
        period = Period(start, end)
    else:
        period = preset_period(preset, today)
    categories = tuple(st.session_state.get(_category_key(view), ())) if category_options else ()
    filters = Filters(
        period=period,
        villages=tuple(st.session_state["f_villages"]),
        grids=tuple(st.session_state.get("f_grids", ())),
        categories=categories,
    )
    _write_url(filters, preset, categories)
    # Names to ids once per run, so that no query of the page looks them up again.
    return data.query(resolve, filters), messages


def _category_key(view: str) -> str:
    # One key per view: each view's categories differ, so each keeps its own choice.
    return f"f_categories_{view}"


def _apply_url_categories(view: str, options: tuple[str, ...]) -> list[str]:
    key = _category_key(view)
    if options and key not in st.session_state:
        wanted = st.session_state.get("_url_categories", [])
        st.session_state[key] = [c for c in wanted if c in options]
        unknown = [c for c in wanted if c not in options]
        if unknown:
            _show_messages([("bad_category", unknown)])
    return st.session_state.get(key, [])


def _widgets(villages: Sequence[tuple[str, str, bool]], view: str, category_options: tuple[str, ...],
             today: dt.date) -> None:
    work_area = {name: area for name, area, _ in villages}
    four = [name for name, _, in_micro_centre in villages if in_micro_centre]
    with st.sidebar:
        st.segmented_control(
            t("language"), LANGUAGES, key="lang", format_func={"zh": "中文", "en": "English"}.get,
            required=True,
        )
        st.subheader(t("filters"))
        st.multiselect(
            t("villages"), list(work_area), key="f_villages", placeholder=t("villages_all"),
            format_func=lambda v: f"{work_area[v]} · {v}" if work_area[v] else v,
        )
        left, right = st.columns(2)
        left.button(t("micro_centre_four"), on_click=_set_villages, args=(four,), disabled=not four,
                    use_container_width=True)
        right.button(t("clear_villages"), on_click=_set_villages, args=([],), use_container_width=True)

        grid_names = data.query(areas.grid_names, tuple(st.session_state["f_villages"]))
        if "_url_grids" in st.session_state:
            wanted = st.session_state.pop("_url_grids")
            st.session_state["f_grids"] = [g for g in wanted if g in grid_names]
            if unknown := [g for g in wanted if g not in grid_names]:
                _show_messages([("bad_grid", unknown)])
        st.session_state["f_grids"] = [g for g in st.session_state.get("f_grids", []) if g in grid_names]
        st.multiselect(t("grids"), grid_names, key="f_grids", placeholder=t("grids_all"))

        st.selectbox(t("period"), PRESETS, key="f_preset", format_func={p: t(f"period_{p}") for p in PRESETS}.get,
                     on_change=_preset_changed)
        if st.session_state["f_preset"] == "custom":
            st.session_state.setdefault("f_range", (today, today))
            st.date_input(t("date_range"), key="f_range", max_value=today + dt.timedelta(days=366),
                          format="YYYY-MM-DD")
            if len(st.session_state["f_range"]) != 2:  # half-picked range: keep the start as one day
                st.session_state["f_range"] = (st.session_state["f_range"][0],) * 2

        if category_options:
            _apply_url_categories(view, category_options)
            st.multiselect(t("categories"), category_options, key=_category_key(view),
                           placeholder=t("categories_all"), format_func={c: tv(c) for c in category_options}.get)
        st.caption(t("share_link"))


def _set_villages(names: list[str]) -> None:
    st.session_state["f_villages"] = list(names)


def _preset_changed() -> None:
    preset = st.session_state["f_preset"]
    if preset != "custom":
        period = preset_period(preset, local_today())
        st.session_state["f_range"] = (period.start, period.end)


show_messages = _show_messages
