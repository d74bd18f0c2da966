"""Pieces every view draws the same way: KPI tiles, a table with translated headers and masked
personal data, a chart or its "no data" line, the village map, and a list of the records behind
a figure. Pages hand them DataFrames from data_access; nothing here queries anything but the
village boundaries of the map.

The same widgets draw the wall screen when the page runs there (`shell.on_wall()`): big tiles
in one grid, charts in large light type filling the space they are given, a map with permanent
labels and no clicks, controls replaced by their defaults, and never a table or a record
(counts only, never a person).
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import pandas as pd
import pyarrow as pa
import streamlit as st
import streamlit_folium
from pandas.io.formats.style import Styler
from streamlit import dataframe_util
from streamlit.delta_generator import DeltaGenerator
from streamlit.elements import vega_charts
from streamlit_folium import st_folium

from data_access import areas, formats, settings
from data_access.filters import Filters
from data_access.formulas import csv_safe_frame
from data_access.masking import mask_frame, mask_history
from data_access.models import PROJECT_DONE

from . import assets, auth, charts, maps, offline_map, palette, render_cache, screen, shell, wall_layout
from .data import query
from .i18n import has, language, t, tv
from .markdown import literal
from .render_cache import fingerprint

MAP_CENTER = (28.9226, 119.9686)  # the Huajie town seat, WGS-84
MAP_ZOOM = 13
MAP_HEIGHT = 460
PHONE_MAP_HEIGHT = 340  # a phone's map: the whole villages in view, the page still scrolls past it
PHONE_TILES_PER_ROW = 2
CHART_HEIGHT = 320  # the whole chart (title and legend included): Streamlit fits the plot inside
WALL_MAP_MARGIN = 2  # kept free below a map in its fixed-height area, against rounding
# The wall's map fits the villages in quarter zoom steps: in whole steps they may fill only half
# of it, and their permanent labels then overlap.
WALL_MAP_ZOOM_SNAP = 0.25
TONES = ("red", "yellow", "green")  # a tile's tone: the 三色 colours
# 三色 warning cells: the colour itself, not an emoji, so it reads on a screen without an emoji font.
WARNING_CELL_CSS = {
    "red": f"background-color: {palette.WARNING_COLOURS['red']}; color: #ffffff",
    "yellow": f"background-color: {palette.WARNING_COLOURS['yellow']}; color: #1f2933",
    "green": f"background-color: {palette.WARNING_COLOURS['green']}; color: #ffffff",
}
DATE_FORMAT, TIME_FORMAT = "%Y-%m-%d", "%Y-%m-%d %H:%M"
ZERO_COUNTERS = ("civil_to_criminal", "major_accident", "telecom_fraud")
STYLED_CELL_ID = re.compile(r"row(\d+)_col(\d+)")  # a styled cell's id, as Streamlit reads it
STYLER_UUID_CHARS = 12  # a styled table's CSS rules are named by this much of its fingerprint


@dataclass(frozen=True)
class Tile:
    """One KPI tile: a label, a value already formatted, optionally a line under it, a tone, and
    a short label for a phone.

    tone '' is neutral; 'red', 'yellow' or 'green' colours the line under the value on a page
    and the value itself on the wall screen."""

    label: str
    value: str
    note: str | None = None
    tone: str = ""
    short: str | None = None

    def show(self, where: DeltaGenerator, *, short: bool = False) -> None:
        """The tile as an st.metric in `where` (with its short label, when asked and it has one)."""
        colour = self.tone if self.tone in TONES else "off"
        where.metric(self.short if short and self.short else self.label, self.value, self.note,
                     delta_color=colour, delta_arrow="off", border=True)

    @property
    def wall_label(self) -> str:
        """Its label on the wall: the short one where the whole one would take a tile of its own
        (an English anomaly's), so that the tiles stay in rows and leave the map its room."""
        long = wall_layout.text_em(self.label) > wall_layout.LONGEST_WALL_LABEL
        return self.short if long and self.short else self.label

    def wall_html(self) -> str:
        """The tile as the wall screen's HTML; every text escaped. The value carries its width in
        em, so that wall.css can shrink a long one ('已连续 981 天') to its tile rather than wrap it."""
        tone = self.tone if self.tone in TONES else ""
        width = wall_layout.text_em(self.value)
        return (f'<div class="wall-tile {tone}"><div class="label">{html.escape(self.wall_label)}</div>'
                f'<div class="value" style="--em: {width:.2f}">{html.escape(self.value)}</div>'
                f'<div class="note">{html.escape(self.note or "")}</div></div>')


def tile(key: str, value: str, note: str | None = None, tone: str = "") -> Tile:
    """A Tile labelled t(key), with the short label short_<key> where the catalogue has one."""
    return Tile(t(key), value, note, tone, t(f"short_{key}") if has(f"short_{key}") else None)


def tiles(*items: Tile) -> None:
    """A row of KPI tiles, equal widths (on the wall, a grid of big tiles; on a phone, rows of
    two with short labels)."""
    if shell.on_wall():
        _wall_tiles(items, _wall_layout(items).tile_columns)
    elif screen.compact():  # Streamlit would stack the columns one to a row on a phone
        for start in range(0, len(items), PHONE_TILES_PER_ROW):
            columns = st.columns(PHONE_TILES_PER_ROW, wrap=False)
            for column, item in zip(columns, items[start:start + PHONE_TILES_PER_ROW]):
                item.show(column, short=True)
    else:
        for column, item in zip(st.columns(len(items)), items):
            item.show(column)


def _wall_tiles(items: Sequence[Tile], columns: int) -> None:
    cells = "".join(item.wall_html() for item in items)
    st.html(f'<div class="wall-tiles" style="grid-template-columns: repeat({columns}, minmax(0, 1fr))">'
            f"{cells}</div>")


def _wall_screen() -> wall_layout.Screen:
    """The wall's screen as its browser reported it; a 1080p one until it has."""
    return screen.size_known() or wall_layout.FULL_HD


def _wall_layout(items: Sequence[Tile], split: tuple[int, int] = (3, 2)) -> wall_layout.Layout:
    """The wall's layout for these tiles: as many to a row as leave each label and note whole."""
    width = wall_layout.tile_width((item.wall_label for item in items), (item.note or "" for item in items))
    return wall_layout.layout(_wall_screen(), len(items), split, width)


@dataclass(frozen=True)
class Board:
    """A view's tiles, drawn; then its main area (its map, or its first charts) and its side area
    (its charts), from `areas()`.

    On a page the areas are columns of widths `split`, made where areas() is called (under what
    the page drew below its tiles), stacked on a phone. On the wall they were made with the
    tiles, placed and sized for the screen (wall_layout); the charts in an area share it."""

    split: tuple[int, int]
    map_height: int
    wall_areas: tuple[DeltaGenerator, DeltaGenerator] | None = None

    def areas(self) -> tuple[DeltaGenerator, DeltaGenerator]:
        """The main and the side area."""
        if self.wall_areas is not None:
            return self.wall_areas
        if screen.compact():
            return st.container(), st.container()
        main, side = st.columns(self.split)
        return main, side

    def no_data(self) -> None:
        """The view's empty state, under its tiles (on the wall, in its main area)."""
        if self.wall_areas is None:
            no_data()
        else:
            with self.wall_areas[0]:
                no_data()


def board(*rows: Sequence[Tile], split: tuple[int, int] = (3, 2)) -> Board:
    """A view's tiles, one row each (on the wall, one grid of big tiles); see Board."""
    if not shell.on_wall():
        if screen.compact():  # pairs across the rows: no row half empty in the middle
            rows = ([item for row in rows for item in row],)
        for row in rows:
            tiles(*row)
        return Board(split, PHONE_MAP_HEIGHT if screen.compact() else MAP_HEIGHT)
    items = [item for row in rows for item in row]
    plan = _wall_layout(items, split)
    shares = [plan.main_width_share, 1 - plan.main_width_share]
    if plan.tiles_beside_main:  # a wide wall: the map's column, then the tiles over the charts
        main_column, rest = st.columns(shares)
        with rest:
            _wall_tiles(items, plan.tile_columns)
    else:
        _wall_tiles(items, plan.tile_columns)
        main_column, rest = (st.container(), st.container()) if plan.shape == "tall" else st.columns(shares)
    area = {"border": False, "gap": "small"}
    main = main_column.container(height=plan.main_height, key="wall-main", **area)
    side = rest.container(height=plan.side_height, key="wall-side", horizontal=plan.side_in_a_row, **area)
    return Board(split, plan.main_height - WALL_MAP_MARGIN, (main, side))


def zero_tiles(days: Mapping[str, int | None]) -> list[Tile]:
    """The zero counters (alerts.zero_days): days since the last 民转刑 case, major accident and
    telecom fraud, in that order."""
    shown = {key: t("none_on_record") if days[key] is None else t("days_since", days=days[key])
             for key in ZERO_COUNTERS}
    return [tile(f"zero_{key}", shown[key], t("zero_counters"), "green") for key in ZERO_COUNTERS]


def yoy_mom(year_on_year: float | None, on_previous: float | None) -> str:
    """'同比 −17.00% · 环比 +5.00%': a figure's change against last year and the period before."""
    return f"{t('yoy')} {formats.change(year_on_year)} · {t('mom')} {formats.change(on_previous)}"


def no_data() -> None:
    """The explicit empty state of a view or section."""
    if shell.on_wall():
        st.html(f'<div class="wall-status">{html.escape(t("no_data"))}</div>')
    else:
        st.info(t("no_data"), icon="📭")


def chart_title(text: str) -> None:
    """A chart's title written above the controls of its chart (on the wall, the chart's own title)."""
    if not shell.on_wall():
        st.markdown(f"**{text}**")


def note(text: str) -> None:
    """A line of small print for a reader at a desk (a legend, a caveat); none on the wall."""
    if not shell.on_wall():
        st.caption(text)


def is_empty(df: pd.DataFrame | None) -> bool:
    return df is None or df.empty


def chart(df: pd.DataFrame | None, build: Callable[[pd.DataFrame], object], title: str = "") -> None:
    """`build(df)` as an Altair chart, or (the title and) "no data" when there is nothing to draw.
    On the wall: restyled for it, and as tall as its share of the area it is drawn in."""
    if shell.on_wall():
        if is_empty(df):
            nothing = " · ".join(filter(None, (title, t("no_data"))))
            st.html(f'<div class="wall-status">{html.escape(nothing)}</div>')
        else:
            fonts = charts.wall_fonts(wall_layout.unit_px(_wall_screen()))
            spec = _chart_spec(lambda: charts.for_wall(build(df), fonts, title), df, build, fonts, title)
            st.vega_lite_chart(spec, theme=None, width="stretch", height="stretch")
    elif is_empty(df):
        if title:
            st.markdown(f"**{title}**")
        st.caption(t("no_data"))
    else:
        st.vega_lite_chart(_chart_spec(lambda: build(df), df, build), width="stretch")


def _chart_spec(make: Callable[[], object], df: pd.DataFrame, *inputs) -> dict:
    """The Vega-Lite spec of the Altair chart `make()` returns, as st.altair_chart would send it,
    built once for the same frame, builder (its code, arguments and captured values), inputs and
    language (render_cache): Altair's schema validation is most of a chart's cost. A copy, since
    Streamlit adjusts the spec it is given."""
    drawn = fingerprint("chart", df, inputs, language())
    spec = render_cache.charts.get_or_build(drawn, lambda: vega_charts._convert_altair_to_vega_lite_spec(make()))
    return copy.deepcopy(spec)


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
    if shell.on_wall():
        return
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
    its position in `df`, otherwise None. Never on the wall screen: counts only there."""
    if shell.on_wall():
        return None
    if not aggregate and not auth.allows("staff"):
        st.caption(f"🔒 {t('needs_staff_for_records')}")
        return None
    if df.empty:
        st.caption(t("no_data"))
        return None
    styles = {c: dict(css) for c, css in (cell_styles or {}).items() if c in df.columns}
    drawn = fingerprint("table", df, columns, tuple(translate), styles, language())
    data = render_cache.tables.get_or_build(drawn, lambda: _shown_table(df, columns, translate, styles, drawn))
    picking = {"key": pick_key, "on_select": "rerun", "selection_mode": "single-row"} if pick_key else {}
    event = st.dataframe(data, hide_index=True, width="stretch", height=height, **picking)
    if total is not None and total > len(df):
        st.caption(t("showing_first", total=formats.count(total), shown=formats.count(len(df))))
    return event.selection.rows[0] if pick_key and event.selection.rows else None


def _table_frame(df: pd.DataFrame, columns: Mapping[str, str], translate: Iterable[str]) -> pd.DataFrame:
    """What table() shows of `df`: masked, translated, dates as text, safe as CSV, labelled."""
    shown = translated(mask_frame(df), *translate)[[c for c in columns if c in df.columns]]
    shown = csv_safe_frame(_dates_as_text(shown))  # the table's CSV download writes the cells as shown
    return shown.rename(columns={c: t(key) for c, key in columns.items()})


def _shown_table(df: pd.DataFrame, columns: Mapping[str, str], translate: Iterable[str],
                 styles: Mapping[str, Mapping[str, str]], drawn: str) -> pa.Table | Styler:
    """What table() hands st.dataframe, built once for the same contents (render_cache) and read
    only after: Streamlit converts a pandas frame to Arrow on every run (a list of 500 hazards,
    a few ms each time), but sends an Arrow table as it is, so a plain table is kept as the Arrow
    table Streamlit's own conversion makes of it (the same bytes reach the browser). A table with
    cell styles stays a Styler, computed once (table_styler)."""
    shown = _table_frame(df, columns, translate)
    if not styles:
        return dataframe_util.convert_pandas_df_to_arrow_table(shown)
    return table_styler(shown, {t(columns[c]): css for c, css in styles.items()}, uuid=drawn[:STYLER_UUID_CHARS])


def table_styler(shown: pd.DataFrame, styles: Mapping[str, Mapping[str, str]], *, uuid: str) -> Styler:
    """`shown` with the cells of each column in `styles` (label → {value shown: CSS}) styled,
    computed once: to send a Styler, st.dataframe computes and translates it and then writes every
    cell's text into a copy of the frame, pandas and Streamlit walking all its cells in Python (for
    a list of 500 hazards, most of a rerun's time). This one answers its computing with its first
    result, and its translation keeps only the cells whose text is not already the value's str(),
    the text Streamlit starts from: Streamlit sends the same styles and texts, without the walk.
    `uuid` names its CSS rules (pandas draws a random one otherwise: new rules on every rerun)."""
    styler = shown.style.set_uuid(uuid)
    for label, css in styles.items():
        styler = styler.map(lambda value, css=css: css.get(value, ""), subset=[label])
    styler._compute()
    translated = styler._translate(False, False)
    as_text = shown.astype(str)

    def needed(cell: Mapping) -> bool:
        position = STYLED_CELL_ID.match(cell.get("id") or "")
        if position is None:  # a header cell: Streamlit reads none
            return False
        shown_as = cell.get("display_value")
        row, column = map(int, position.groups())
        return isinstance(shown_as, Enum) or str(shown_as) != as_text.iat[row, column]

    computed = {**translated, "body": [[cell for cell in row if needed(cell)] for row in translated["body"]]}
    styler._compute = lambda: styler
    styler._translate = lambda *args, **kwargs: computed
    return styler


def records(label: str, df: pd.DataFrame, total: int, columns: Mapping[str, str], **kwargs) -> None:
    """An expander "label (N)" holding the records behind a figure (none on the wall screen)."""
    if shell.on_wall():
        return
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
    lowest: float = 0,
) -> None:
    """The villages (shaded by `values`: village, value — outlines only when None; classes from
    `lowest`, see palette.class_breaks), what `draw(m, basemap)` adds on top, fitted to the
    selected villages; a click on a village filters to it.
    Panning and zooming do not rerun the page. On the wall: names always shown, large type, no
    clicks, and the same HTML for the same data, so a refresh does not redraw it."""
    wall = shell.on_wall()
    basemap, tianditu_key = settings.get("BASEMAP"), settings.get("TIANDITU_KEY")
    boundaries = query(areas.boundaries)
    unit = wall_layout.unit_px(_wall_screen()) if wall else None

    def build():
        try:
            m = maps.base_map(MAP_CENTER, MAP_ZOOM, basemap, tianditu_key)
        except ValueError:  # a mistyped BASEMAP setting
            return None
        shading = None if values is None else dict(zip(values["village"], values["value"]))
        maps.village_layer(m, boundaries, shading, measure_label=measure_label, selected=filters.villages,
                           basemap=basemap, permanent_labels=wall, lowest=lowest)
        if draw is not None:
            draw(m, basemap)
        maps.fit(m, boundaries, filters.villages, basemap=basemap)
        if wall:  # the map is a document of its own: its text sizes follow the wall's unit there too
            m.options["zoomSnap"] = WALL_MAP_ZOOM_SNAP
            unit_css = f"<style>:root {{ --wall-unit: {unit:.1f}px; }}</style>"
            m.get_root().header.add_child(maps.folium.Element(unit_css))
            m.get_root().header.add_child(maps.folium.Element(assets.stylesheet("wall-map.css")))
        # The same ids for the same map: the same HTML, so a rerun does not redraw it.
        return offline_map.component_args(maps.freeze_ids(m))

    # Kept by what it draws (render_cache): the data, the labels, the filter, the screen's unit.
    drawn = fingerprint("village_map", boundaries, values, measure_label, lowest, tuple(filters.villages),
                        basemap, tianditu_key, wall, unit, getattr(draw, "inputs", draw), language())
    args = render_cache.maps.get_or_build(drawn, build)
    if args is None:  # say so rather than break the view
        st.warning(t("map_unavailable"), icon="🗺️")
        return
    if wall:  # streamlit-folium sizes its map once, when first drawn: another height is another map.
        show_folium(args, key=f"{key}_{height}", height=height, returned_objects=[])
        return
    state = show_folium(args, key=key, height=height, returned_objects=["last_active_drawing"])
    shell.clicked_village(state)
    st.caption(t("map_click_hint"))


@dataclass(frozen=True, eq=False)
class MapLayer:
    """What village_map draws on top of the villages (`add(m, basemap)`), and what that depends
    on (`inputs`: part of the map's cache key)."""

    add: Callable[[object, str], object]
    inputs: tuple

    def __call__(self, m, basemap: str):
        return self.add(m, basemap)


def show_folium(args: Mapping, *, key: str, height: int, returned_objects: list[str]):
    """streamlit-folium's component for a map built by offline_map.component_args (what
    st_folium(m, key=key, height=height, use_container_width=True, returned_objects=…) sends),
    so that a map kept in render_cache is sent again without being built again."""
    hash_key = args.get(("hash", key))
    if hash_key is None:  # (a regex over the whole script: kept with the map)
        hash_key = streamlit_folium.generate_js_hash(args["script"], key, False)
        args[("hash", key)] = hash_key
    defaults = {"last_active_drawing": None, "bounds": args["bounds"], "zoom": args["zoom"]}

    def on_change():
        st.session_state[key] = st.session_state.get(hash_key, {})

    return streamlit_folium._component_func(
        script=args["script"], header=args["header"], html=args["html"], id=args["id"], key=hash_key,
        height=height, width=None, returned_objects=returned_objects,
        default={k: v for k, v in defaults.items() if k in returned_objects}, zoom=None, center=None,
        feature_group=None, return_on_hover=False, layer_control=None, pixelated=False,
        css_links=args["css_links"], js_links=args["js_links"], on_change=on_change, wrap_longitude=False)


def hazard_markers(points: pd.DataFrame) -> MapLayer:
    """village_map's `draw` for hazards (hazards.map_points): markers coloured by level."""
    labels = {"title": t("title"), "level": t("level"), "status": t("status"), "layer": t("hazards")}
    scale = _marker_scale()
    return MapLayer(lambda m, basemap: maps.hazard_layer(m, points, basemap=basemap, translate=tv, labels=labels,
                                                         marker_scale=scale),
                    ("hazards", points, labels, scale, language()))


def hotspot_markers(hotspots: pd.DataFrame) -> MapLayer:
    """village_map's `draw` for alert hotspots (alerts.hotspots): circles sized by count."""
    scale = _marker_scale()
    label = t("hotspots")
    return MapLayer(lambda m, basemap: maps.hotspot_layer(m, hotspots, basemap=basemap, label=label,
                                                          marker_scale=scale),
                    ("hotspots", hotspots, label, scale))


def project_markers(rows: pd.DataFrame) -> Callable[[object, str], object]:
    """village_map's `draw` for the key projects' war map (projects.war_map): each project over
    its villages in its 三色 colour; no person."""
    labels = {key: t(key) for key in ("project", "village", "status", "progress")}
    labels |= {"deadline": t("next_deadline"), "done": tv(PROJECT_DONE), "layer": t("projects")}
    scale = _marker_scale()
    return lambda m, basemap: maps.project_layer(m, rows, basemap=basemap, labels=labels, translate=tv,
                                                 marker_scale=scale)


def project_colour(warning) -> str:
    """A key project's colour on the map and its bars: its 三色 warning, blue once done."""
    return maps.project_colour(warning)


def change_text(change) -> str:
    """A village's movement in the ranking: '↑2', '↓1', '持平' (held its place), '新' (not ranked before)."""
    if _missing(change):
        return t("rank_new")
    change = int(change)
    return f"↑{change}" if change > 0 else f"↓{-change}" if change < 0 else t("rank_same")


def _marker_scale() -> float:
    """How much larger markers are drawn: in proportion to the wall's unit (1 on a page)."""
    return wall_layout.unit_px(_wall_screen()) / wall_layout.BASE_UNIT_PX if shell.on_wall() else 1.0


def choice(label: str, options: Sequence[str], default: str, key: str, *,
           format_func: Callable[[str], str] = str, show_label: bool = True) -> str:
    """One of `options`, picked on a segmented control; the default on the wall (nobody to pick)."""
    if shell.on_wall():
        return default
    chosen = st.segmented_control(label, list(options), format_func=format_func, default=default, key=key,
                                  label_visibility="visible" if show_label else "collapsed")
    return chosen or default


def url_choice(label: str, options: Sequence[str], default: str, param: str, *,
               format_func: Callable[[str], str] = str) -> str:
    """One of `options` on a segmented control whose value is also the URL's `param` (the option
    itself, not its label, so that a link works in either language): a link opens it chosen, a
    change goes back into the address bar. A value in the URL that is not an option is dropped
    with a message. On the wall: the URL's value, else the default (nobody to pick)."""
    asked = st.query_params.get(param)
    if shell.on_wall():
        return asked if asked in options else default
    key = f"_choice_{param}"
    if key not in st.session_state:
        if asked is not None and asked not in options:
            st.warning(t("bad_choice", names=literal(asked[:20])))
        st.session_state[key] = asked if asked in options else default
    chosen = st.segmented_control(label, list(options), format_func=format_func, key=key) or default
    if chosen == default:
        if param in st.query_params:
            del st.query_params[param]
    elif asked != chosen:
        st.query_params[param] = chosen
    return chosen


def unit_toggle(key: str, units: Sequence[str], default: str) -> str:
    """A day / week / month switch for a trend; returns the unit chosen."""
    labels = {"day": t("by_day"), "week": t("by_week"), "month": t("by_month")}
    return choice(t("trend"), units, default, key, format_func=labels.get, show_label=False)


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
    tiles(*warning_counts(counts))


def warning_counts(counts: Mapping[str, int]) -> list[Tile]:
    """One tile per 三色 colour of open hazards (hazards.warning_counts), red first."""
    return [tile(f"warning_{c}", formats.count(counts[c]), t("warning"), c) for c in WARNING_CELL_CSS]


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
        lines.append("- " + " · ".join(literal(p) if i > 1 else p for i, p in enumerate(parts)))
    st.markdown("\n".join(lines))


def facts(pairs: Sequence[tuple[str, object]]) -> None:
    """Label (key) and value lines about one record; dates as YYYY-MM-DD HH:MM, '—' for nothing."""
    lines = []
    for key, value in pairs:
        shown = _as_text(value, _has_time(value)) if isinstance(value, dt.date) else value
        shown = formats.NO_VALUE if _missing(shown) or shown == "" else literal(str(shown))
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
