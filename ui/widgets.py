"""Pieces every view draws the same way: a row of KPI tiles, a table with translated headers
and masked personal data, a chart or its "no data" line, the village map, and a list of the
records behind a figure. Pages hand them DataFrames from data_access; nothing here queries
anything but the village boundaries of the map."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from data_access import areas, formats, settings
from data_access.filters import Filters
from data_access.formulas import csv_safe_frame
from data_access.masking import mask_frame, mask_history

from . import auth, maps, palette, shell
from .data import query
from .i18n import t, tv

MAP_CENTER = (28.9226, 119.9686)  # the Huajie town seat, WGS-84
MAP_ZOOM = 13
MAP_HEIGHT = 460
CHART_HEIGHT = 320  # the whole chart (title and legend included): Streamlit fits the plot inside
# 三色 warning cells: the colour itself, not an emoji, so it reads on a screen without an emoji font.
WARNING_CELL_CSS = {
    "red": f"background-color: {palette.WARNING_COLOURS['red']}; color: #ffffff",
    "yellow": f"background-color: {palette.WARNING_COLOURS['yellow']}; color: #1f2933",
    "green": f"background-color: {palette.WARNING_COLOURS['green']}; color: #ffffff",
}
DATE_FORMAT, TIME_FORMAT = "%Y-%m-%d", "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Tile:
    """One KPI tile: a label, a value already formatted, and optionally a line under it.

    delta_color 'off' keeps that line grey with no arrow; 'normal' / 'inverse' colour a signed
    change and give it an arrow; a colour name ('red', 'yellow', 'green') colours it as is."""

    label: str
    value: str
    delta: str | None = None
    delta_color: str = "off"

    def show(self, where) -> None:
        signed = self.delta_color in ("normal", "inverse") and self.delta not in (None, formats.NO_VALUE)
        colour = self.delta_color if signed or self.delta_color not in ("normal", "inverse") else "off"
        where.metric(self.label, self.value, self.delta, delta_color=colour,
                     delta_arrow="auto" if signed else "off", border=True)


def tiles(*items: Tile) -> None:
    """A row of KPI tiles, equal widths."""
    for column, tile in zip(st.columns(len(items)), items):
        tile.show(column)


def no_data() -> None:
    """The explicit empty state of a view or section."""
    st.info(t("no_data"), icon="📭")


def is_empty(df: pd.DataFrame | None) -> bool:
    return df is None or df.empty


def chart(df: pd.DataFrame | None, build: Callable[[pd.DataFrame], object], title: str = "") -> None:
    """`build(df)` as an Altair chart, or (the title and) "no data" when there is nothing to draw."""
    if is_empty(df):
        if title:
            st.markdown(f"**{title}**")
        st.caption(t("no_data"))
    else:
        st.altair_chart(build(df), width="stretch")


def _bucket_bounds(day: dt.date, unit: str) -> tuple[dt.date, dt.date]:
    """First and last day of the week (Monday first) or month that `day` falls in."""
    if unit == "week":
        first = day - dt.timedelta(days=day.weekday())
        return first, first + dt.timedelta(days=6)
    if unit == "month":
        first = day.replace(day=1)
        return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return day, day


def partial_buckets_note(period, unit: str, today: dt.date) -> None:
    """Say so when the first or last week / month of a trend is cut by the period (or by today),
    so that its lower count is not read as a fall."""
    end = period.reference_day(today)
    notes = []
    if _bucket_bounds(period.start, unit)[0] != period.start:
        notes.append(t("partial_first", unit=t(f"unit_{unit}"), day=period.start.isoformat()))
    if _bucket_bounds(end, unit)[1] != end:
        notes.append(t("partial_last", unit=t(f"unit_{unit}"), day=end.isoformat()))
    if notes:
        st.caption(" ".join(notes))


def translated(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy of `df` with the stored (Chinese) values of `columns` in the page's language."""
    out = df.copy()
    for column in columns:
        if column in out.columns:
            out[column] = out[column].map(tv)
    return out


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _has_time(value) -> bool:
    return isinstance(value, dt.datetime) and not _missing(value) and value.time() != dt.time()


def _as_text(value, with_time: bool) -> str | None:
    if _missing(value):
        return None
    if isinstance(value, dt.datetime):  # pandas Timestamps too
        return value.strftime(TIME_FORMAT if with_time else DATE_FORMAT)
    if isinstance(value, dt.date):
        return value.strftime(DATE_FORMAT)
    return value


def _dates_as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Dates as YYYY-MM-DD, times as YYYY-MM-DD HH:MM (a column whose times are all midnight: dates)."""
    for column in df.columns:
        values = list(df[column])
        if any(isinstance(v, dt.date) and not _missing(v) for v in values):
            with_time = any(_has_time(v) for v in values)
            df[column] = [_as_text(v, with_time) for v in values]
        if not pd.api.types.is_numeric_dtype(df[column]):
            df[column] = [formats.NO_VALUE if _missing(v) or v == "" else v for v in df[column]]
    return df


def table(
    df: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    translate: Iterable[str] = (),
    total: int | None = None,
    cell_styles: Mapping[str, Mapping[str, str]] | None = None,
    height: int | str = "auto",
    aggregate: bool = False,
    pick_key: str | None = None,
) -> int | None:
    """`df` as a table: only `columns` (column → label key), personal data masked, stored values
    of `translate` in the page's language, dates as YYYY-MM-DD, '—' for nothing, no index.

    Records (one row per hazard, stay, event …) are for staff and above: a viewer gets a
    short note instead. `aggregate=True` marks a table of counts (per village, per
    employer), which a viewer may see. cell_styles: column → {shown value: CSS}, e.g. the
    三色 warning's background. When `total` says there are more rows than shown: "N in all,
    first n shown". With `pick_key`, one row can be picked (its box at the left edge): returns
    its position in `df`, otherwise None."""
    if not aggregate and not auth.allows("staff"):
        st.caption(f"🔒 {t('needs_staff_for_records')}")
        return None
    if df.empty:
        st.caption(t("no_data"))
        return None
    shown = translated(mask_frame(df), *translate)[[c for c in columns if c in df.columns]]
    shown = csv_safe_frame(_dates_as_text(shown))  # the table's CSV download writes the cells as shown
    data = shown.rename(columns={c: t(key) for c, key in columns.items()})
    styled = [(t(columns[c]), css) for c, css in (cell_styles or {}).items() if c in shown.columns]
    if styled:
        data = data.style
        for label, css in styled:
            data = data.map(lambda value, css=css: css.get(value, ""), subset=[label])
    picking = {"key": pick_key, "on_select": "rerun", "selection_mode": "single-row"} if pick_key else {}
    event = st.dataframe(data, hide_index=True, width="stretch", height=height, **picking)
    if total is not None and total > len(df):
        st.caption(t("showing_first", total=formats.count(total), shown=formats.count(len(df))))
    return event.selection.rows[0] if pick_key and event.selection.rows else None


def records(label: str, df: pd.DataFrame, total: int, columns: Mapping[str, str], **kwargs) -> None:
    """An expander "label (N)" holding the records behind a figure."""
    with st.expander(f"{label} · {t('count_of', n=formats.count(total))}"):
        table(df, columns, total=total, **kwargs)


def village_map(
    key: str,
    filters: Filters,
    *,
    values: pd.DataFrame | None = None,
    measure_label: str = "",
    draw: Callable[[object, str], object] | None = None,
    height: int = MAP_HEIGHT,
) -> None:
    """The villages (shaded by `values`: village, value — outlines only when None), what `draw(m,
    basemap)` adds on top, fitted to the selected villages; a click on a village filters to it.
    Panning and zooming do not rerun the page."""
    basemap = settings.get("BASEMAP")
    boundaries = query(areas.boundaries)
    try:
        m = maps.base_map(MAP_CENTER, MAP_ZOOM, basemap, settings.get("TIANDITU_KEY"))
    except ValueError:  # a mistyped BASEMAP setting: say so rather than break the view
        st.warning(t("map_unavailable"), icon="🗺️")
        return
    shading = None if values is None else dict(zip(values["village"], values["value"]))
    maps.village_layer(m, boundaries, shading, measure_label=measure_label, selected=filters.villages,
                       basemap=basemap)
    if draw is not None:
        draw(m, basemap)
    maps.fit(m, boundaries, filters.villages, basemap=basemap)
    state = st_folium(m, key=key, height=height, use_container_width=True,
                      returned_objects=["last_active_drawing"])
    shell.clicked_village(state)
    st.caption(t("map_click_hint"))


def unit_toggle(key: str, units: Sequence[str], default: str) -> str:
    """A day / week / month switch for a trend; returns the unit chosen."""
    labels = {"day": t("by_day"), "week": t("by_week"), "month": t("by_month")}
    chosen = st.segmented_control(t("trend"), list(units), format_func=labels.get, default=default, key=key,
                                  label_visibility="collapsed")
    return chosen or default


def warning_text(colour: str | None) -> str:
    """The 三色 warning in words ('' for a hazard that is not open)."""
    return t(f"warning_{colour}") if colour in WARNING_CELL_CSS else ""


HAZARD_COLUMNS = {
    "warning": "warning", "level": "level", "title": "title", "category": "category", "status": "status",
    "village": "village", "grid": "grid", "deadline": "deadline", "days_left": "days_left",
    "responsible_unit": "responsible_unit", "responsible_person": "responsible", "enterprise": "enterprise",
    "found_at": "found_at", "source_id": "source_id",
}


def warning_tiles(counts: Mapping[str, int]) -> None:
    """Open hazards per 三色 colour (hazards.warning_counts), one tile each, red first."""
    tiles(*(Tile(warning_text(c), formats.count(counts[c]), t("warning"), delta_color=c) for c in WARNING_CELL_CSS))


def hazard_table(rows: pd.DataFrame, total: int, *, pick_key: str | None = None) -> int | None:
    """hazards.worst_first's list: the 三色 warning as a coloured cell, the level in its colour;
    with `pick_key`, the position of the row picked (see `table`)."""
    rows = rows.assign(warning=rows["warning"].map(warning_text), days_left=rows["days_left"].map(days_left_text))
    level_css = {tv(level): f"color: {colour}; font-weight: 700" for level, colour in palette.LEVEL_COLOURS.items()}
    return table(rows, HAZARD_COLUMNS, translate=("level", "category", "status"), total=total,
                 cell_styles={"warning": warning_styles(), "level": level_css}, pick_key=pick_key)


def warning_styles() -> dict[str, str]:
    """Cell CSS by warning_text, for table(cell_styles=...)."""
    return {warning_text(c): css for c, css in WARNING_CELL_CSS.items()}


def days_left_text(days) -> str:
    """Days to a deadline in words: 'overdue 5 days', 'due today', '3 days left'; '—' without one."""
    if _missing(days):
        return formats.NO_VALUE
    days = int(days)
    if days < 0:
        return t("days_overdue", n=-days)
    return t("due_today") if days == 0 else t("days_remaining", n=days)


HISTORY_ICONS = {"found": "🔎", "status": "🔄", "instruction": "📝", "reassign": "👤", "deadline": "📅",
                 "import": "📥"}


def timeline(history: pd.DataFrame) -> None:
    """One item's story (hazards.history), oldest first: when, what, who, old → new, the note.
    People are masked below the leader role (leaders see them: they reassign by them)."""
    if history.empty:
        st.caption(t("no_data"))
        return
    rows = history if auth.allows("leader") else mask_history(history)
    lines = []
    for row in rows.itertuples(index=False):
        kind = row.kind if row.kind in HISTORY_ICONS else "import"
        change = " → ".join(str(tv(v)) for v in (row.old_value, row.new_value) if not _missing(v) and v != "")
        parts = [f"**{_as_text(row.at, True)}**", f"{HISTORY_ICONS[kind]} {t('history_' + kind)}",
                 str(row.actor) if not _missing(row.actor) else formats.NO_VALUE]
        if change:
            parts.append(change)
        if not _missing(row.note) and row.note:
            parts.append(f"“{row.note}”")
        lines.append("- " + " · ".join(_escape_markdown(p) if i > 1 else p for i, p in enumerate(parts)))
    st.markdown("\n".join(lines))


MARKDOWN_INLINE = "\\`*_[]<>$~|"  # what Markdown reads inside a line (line starts are never stored text here)


def _escape_markdown(text: str) -> str:
    """Stored text shown as is, not as Markdown (an imported note may hold * or [ ])."""
    return "".join("\\" + c if c in MARKDOWN_INLINE else c for c in text)


def facts(pairs: Sequence[tuple[str, object]]) -> None:
    """Label (key) and value lines about one record; dates as YYYY-MM-DD HH:MM, '—' for nothing."""
    lines = []
    for key, value in pairs:
        shown = _as_text(value, _has_time(value)) if isinstance(value, dt.date) else value
        shown = formats.NO_VALUE if _missing(shown) or shown == "" else _escape_markdown(str(shown))
        lines.append(f"- **{t(key)}**：{shown}")
    st.markdown("\n".join(lines))


def point_map(key: str, points: pd.DataFrame, *, village: str | None = None, zoom: int = 16,
              height: int = 300) -> None:
    """A small map of one or a few hazards (hazards.map_points' columns) among the village
    outlines, fitted to `village` (drawn thick) so that it says where even with no basemap
    tiles, else `zoom` around the first point; no clicks, no reruns."""
    located = points.dropna(subset=["lat", "lon"])
    if located.empty:
        st.caption(t("no_coordinates"))
        return
    basemap = settings.get("BASEMAP")
    try:
        m = maps.base_map((float(located["lat"].iloc[0]), float(located["lon"].iloc[0])), zoom, basemap,
                          settings.get("TIANDITU_KEY"))
    except ValueError:  # a mistyped BASEMAP setting
        st.warning(t("map_unavailable"), icon="🗺️")
        return
    boundaries, selected = query(areas.boundaries), (village,) if village else ()
    maps.village_layer(m, boundaries, None, measure_label="", selected=selected, basemap=basemap)
    if village:
        maps.fit(m, boundaries, selected, basemap=basemap)
    maps.hazard_layer(m, located, basemap=basemap, translate=tv,
                      labels={"title": t("title"), "level": t("level"), "status": t("status"),
                              "layer": t("hazards")})
    st_folium(m, key=key, height=height, use_container_width=True, returned_objects=[])
