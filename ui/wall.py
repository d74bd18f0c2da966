"""The wall screen (`?mode=wall`): the duty room's display, on all day, read from five metres.

No chrome, a dark high-contrast theme, big type, everything on one screen. The board in view
refreshes in place every WALL_REFRESH_S seconds (a fragment rerun: no reload, no flicker, the
filter kept) and the playlist rotates every WALL_ROTATE_S seconds; both can be given in the
URL too (`playlist=overview,alerts&rotate=20`). Through a database outage the last figures
stay, under a banner with the time of the last good data. Counts only, never a person.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit_folium import st_folium

from data_access import alerts, areas, events, formats, hazards, kpis, population, settings
from data_access.filters import Filters, local_now

from . import charts, data, filter_bar, maps
from .i18n import t, tv

VIEWS = ("overview", "hazards", "population", "alerts", "events")
MIN_ROTATE_S, MAX_ROTATE_S = 5, 3600
MAP_CENTER, MAP_ZOOM = (28.9226, 119.9686), 13
# Heights in CSS pixels that fill 1920×1080 below the header and one row of tiles (the
# overview has two rows of tiles, so its map is shorter).
MAP_HEIGHT, OVERVIEW_MAP_HEIGHT = 680, 540
CHART_HEIGHT = 200  # plot height of a chart stacked with another; titles and axes add about 100 px
TALL_CHART_HEIGHT = 560  # plot height of a chart alone in its column
TOP_CATEGORIES = 6
THEME_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
[data-testid="stBottom"], footer, #MainMenu { display: none !important; }
html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {
  background: #0b1220 !important; color: #e6edf5 !important; overflow: hidden !important; }
html { font-size: 20px; }
[data-testid="stMainBlockContainer"] { padding: 0.6rem 1.2rem 0 1.2rem !important; max-width: 100% !important; }
[data-stale="true"], [data-stale="true"] * { opacity: 1 !important; transition: none !important; }
[data-testid="stVerticalBlock"] { gap: 0.6rem !important; }
.wall-header { display: flex; align-items: baseline; gap: 1.5rem; border-bottom: 2px solid #23324a;
  padding-bottom: 0.3rem; }
.wall-title { font-size: 1.9rem; font-weight: 700; color: #ffffff; }
.wall-view { font-size: 1.5rem; color: #8fb8ff; }
.wall-demo { font-size: 1.1rem; font-weight: 700; color: #111; background: #ffd54f; padding: 0.1rem 0.6rem;
  border-radius: 0.3rem; }
.wall-clock { margin-left: auto; font-size: 1.9rem; font-variant-numeric: tabular-nums; color: #ffffff; }
.wall-status { font-size: 1rem; color: #9fb3c8; }
.wall-stale { font-size: 1.2rem; font-weight: 700; color: #fff; background: #c62828; padding: 0.3rem 0.8rem;
  border-radius: 0.3rem; }
.wall-tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: 0.6rem; }
.wall-tile { background: #142035; border: 1px solid #23324a; border-radius: 0.4rem; padding: 0.5rem 0.8rem; }
.wall-tile .label { font-size: 1rem; color: #9fb3c8; }
.wall-tile .value { font-size: 2.4rem; font-weight: 700; color: #ffffff; line-height: 1.15;
  font-variant-numeric: tabular-nums; }
.wall-tile .sub { font-size: 0.95rem; color: #c9d6e3; }
.wall-tile.bad .value { color: #ff6b6b; } .wall-tile.warn .value { color: #ffd54f; }
.wall-tile.good .value { color: #66e08a; }
/* A 4K screen at 1:1 pixels (no display scaling): header and tiles twice as large; the map
   and charts keep their pixel sizes. At the usual 200% scaling it shows the 1080p layout. */
@media (min-width: 2800px) { html { font-size: 40px; } }
</style>
"""
# Leaflet's own controls use 11-12 px type; on the wall every text is 18 px or more.
MAP_CSS = """<style>.leaflet-container, .leaflet-control-attribution, .leaflet-control-scale-line,
.leaflet-tooltip, .dashboard-legend, .dashboard-legend * { font-size: 18px !important; }</style>"""
CLOCK_SCRIPT = """
<div class="wall-clock" id="wall-clock"></div>
<script>
if (!window.wallClock) {
  window.wallClock = setInterval(function () {
    var el = document.getElementById("wall-clock");
    if (el) { el.textContent = new Date().toLocaleString("zh-CN", {hour12: false, timeZone: "Asia/Shanghai"}); }
  }, 1000);
}
</script>
"""


@dataclass(frozen=True)
class Playlist:
    views: tuple[str, ...]
    rotate_s: int
    refresh_s: int

    @property
    def tick_s(self) -> int:
        """How often the board reruns: often enough both to rotate and to refresh on time."""
        return min(self.rotate_s, self.refresh_s) if len(self.views) > 1 else self.refresh_s


def requested() -> bool:
    return st.query_params.get("mode") == "wall"


def playlist() -> Playlist:
    """The playlist from the URL (`playlist`, `rotate`), else from the settings; bad values fall back."""
    names = ",".join(st.query_params.get_all("playlist")) or settings.get("WALL_PLAYLIST")
    views = tuple(v for v in (n.strip() for n in names.split(",")) if v in VIEWS) or VIEWS
    rotate = st.query_params.get("rotate", "") or settings.get("WALL_ROTATE_S")
    rotate_s = int(rotate) if rotate.isdigit() else settings.get_int("WALL_ROTATE_S")
    rotate_s = max(MIN_ROTATE_S, min(MAX_ROTATE_S, rotate_s))
    return Playlist(views, rotate_s, settings.get_int("WALL_REFRESH_S"))


def show() -> None:
    """The whole wall screen: theme, header with clock, and the board that refreshes and rotates."""
    plan = playlist()
    st.html(THEME_CSS)
    header = st.container(key="wall-header")
    with header:
        demo = data.query(areas.has_demo_records)
        st.html(
            f'<div class="wall-header"><div class="wall-title">{html.escape(t("app_title"))}</div>'
            + (f'<div class="wall-demo">{html.escape(t("demo_short"))}</div>' if demo else "")
            + CLOCK_SCRIPT + "</div>",
            unsafe_allow_javascript=True,
        )

    @st.fragment(run_every=plan.tick_s)
    def board() -> None:
        data.start_run()
        view = _current_view(plan)
        filters, _ = filter_bar.render("wall", show=False)
        title, status = st.columns([2, 1], vertical_alignment="bottom")
        title.html(f'<div class="wall-view">{html.escape(t(view))} · '
                   f'{html.escape(t("period_label", start=filters.period.start, end=filters.period.end))}</div>')
        # The status is written into its column only at the end of the run: the last run's banner
        # stays on screen meanwhile (an st.empty() here would blank it for the whole run: a blink
        # of the banner, or of the data time, on every refresh).
        try:
            with st.container(key=f"wall-view-{view}"):
                BOARDS[view](filters, filters.period.reference_day(filters.period.end))
        except data.DataUnavailable:
            status.html(f'<div class="wall-stale">{html.escape(t("data_unavailable"))}</div>')
            return
        down, last_ok = data.outage()
        if down:
            shown = last_ok.strftime("%H:%M") if last_ok else formats.NO_VALUE
            status.html(f'<div class="wall-stale">{html.escape(t("stale_banner", time=shown))}</div>')
        else:
            status.html(f'<div class="wall-status" style="text-align:right">'
                        f'{html.escape(t("data_as_of", time=f"{last_ok:%H:%M:%S}"))}</div>')

    board()


def _current_view(plan: Playlist) -> str:
    """The view to show now, moving on to the next one every rotate_s seconds."""
    now = local_now()
    index = st.session_state.get("_wall_index", 0) % len(plan.views)
    since = st.session_state.setdefault("_wall_since", now)
    if (now - since).total_seconds() >= plan.rotate_s - 0.5:  # a tick may come a little early
        index = (index + 1) % len(plan.views)
        st.session_state["_wall_since"] = now
    st.session_state["_wall_index"] = index
    return plan.views[index]


# --- pieces ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    sub: str = ""
    tone: str = ""  # '', 'good', 'warn', 'bad'


def tiles(*items: Tile) -> None:
    cells = "".join(
        f'<div class="wall-tile {tile.tone}"><div class="label">{html.escape(tile.label)}</div>'
        f'<div class="value">{html.escape(tile.value)}</div><div class="sub">{html.escape(tile.sub)}</div></div>'
        for tile in items
    )
    st.html(f'<div class="wall-tiles">{cells}</div>')


def chart(df, build: Callable) -> None:
    if df.empty:
        st.html(f'<div class="wall-status">{html.escape(t("no_data"))}</div>')
    else:
        st.altair_chart(build(df), theme=None, width="stretch")


def village_map(filters: Filters, values, measure: str, draw: Callable | None = None, *,
                height: int = MAP_HEIGHT) -> None:
    """The villages shaded by `values` (village, value) of `measure` (its name heads the legend),
    labelled, with `draw(m, basemap)` on top."""
    basemap = settings.get("BASEMAP")
    boundaries = data.query(areas.boundaries)
    m = maps.base_map(MAP_CENTER, MAP_ZOOM, basemap, settings.get("TIANDITU_KEY"))
    m.get_root().header.add_child(maps.folium.Element(MAP_CSS))
    maps.village_layer(m, boundaries, dict(zip(values["village"], values["value"])),
                       measure_label=t(f"measure_{measure}"), selected=filters.villages, basemap=basemap,
                       permanent_labels=True)
    if draw is not None:
        draw(m, basemap)
    maps.fit(m, boundaries, filters.villages, basemap=basemap)
    maps.freeze_ids(m)  # same data, same HTML: the map is not redrawn on every refresh
    st_folium(m, key="wall_map", height=height, use_container_width=True, returned_objects=[])


def _change_line(current_yoy, current_mom) -> str:
    return f"{t('yoy')} {formats.change(current_yoy)} · {t('mom')} {formats.change(current_mom)}"


def _zero_tiles(zero_days: dict) -> list[Tile]:
    return [
        Tile(t(f"zero_{key}"), t("none_on_record") if days is None else t("days_since", days=days),
             t("zero_counters"), "good")
        for key, days in zero_days.items()
    ]


# --- the boards ------------------------------------------------------------------------------------


def overview_board(f: Filters, today: dt.date) -> None:
    k = data.query(kpis.summary, f, today)
    pop, alert, hazard, event, prev = (k[key] for key in ("population", "alerts", "hazards", "events",
                                                           "alerts_previous_period"))
    tiles(
        Tile(t("residents_now"), formats.count(pop["residents"]),
             f"{t('arrivals')} {formats.count(pop['arrivals'])} · {t('departures')} {formats.count(pop['departures'])}"),
        Tile(t("effective_alerts"), formats.count(alert["effective"]), _change_line(alert["effective_yoy"], prev["effective_mom"])),
        Tile(t("cases"), formats.count(alert["cases"]), _change_line(alert["cases_yoy"], prev["cases_mom"])),
        Tile(t("hazards_found"), formats.count(hazard["found"]),
             f"{t('hazards_open')} {formats.count(hazard['open'])} · {t('hazards_overdue')} {formats.count(hazard['overdue'])}",
             "bad" if hazard["overdue"] else ""),
        Tile(t("closure_rate"), formats.rate(event["closure_rate"]), f"{t('events_new')} {formats.count(event['new'])}"),
        Tile(t("on_time_rate"), formats.rate(event["on_time_rate"])),
        Tile(t("transfer_rate"), formats.rate(event["transfer_rate"])),
    )
    tiles(*_zero_tiles(k["zero_days"]))
    left, right = st.columns([3, 2])
    with left:
        points = data.query(hazards.map_points, f, today, closed=False)
        village_map(f, data.query(kpis.by_village, f, today, "residents"), "residents",
                    lambda m, basemap: maps.hazard_layer(m, points, basemap=basemap, labels={}, translate=tv),
                    height=OVERVIEW_MAP_HEIGHT)
    with right:
        alert_trend = data.query(alerts.trend, f, "week").groupby("bucket", as_index=False)["effective"].sum()
        chart(alert_trend, lambda df: charts.trend_lines(df, "bucket", {"effective": t("effective_alerts")},
                                                         t("effective_alerts"), big=True, height=CHART_HEIGHT))
        chart(data.query(events.trend, f, "week"), lambda df: charts.trend_lines(
            df, "bucket", {"new": t("events_new"), "closed": t("events_closed")}, t("events_new"),
            big=True, height=CHART_HEIGHT))


def hazards_board(f: Filters, today: dt.date) -> None:
    k = data.query(hazards.kpis, f, today)
    colours = hazards.warning_colours(k)
    tiles(
        Tile(t("hazards_found"), formats.count(k["found"])),
        Tile(t("hazards_open"), formats.count(k["open"])),
        Tile(t("hazards_overdue"), formats.count(k["overdue"]), tone="bad" if k["overdue"] else "good"),
        Tile(t("warning_red"), formats.count(colours["red"]), tone="bad"),
        Tile(t("warning_yellow"), formats.count(colours["yellow"]), tone="warn"),
        Tile(t("warning_green"), formats.count(colours["green"]), tone="good"),
        Tile(t("enterprises_shut"), formats.count(k["enterprises_shut"])),
    )
    left, right = st.columns([3, 2])
    with left:
        points = data.query(hazards.map_points, f, today, closed=hazards.closed_hazards_fit(k))
        village_map(f, data.query(kpis.by_village, f, today, "hazards_open"), "hazards_open",
                    lambda m, basemap: maps.hazard_layer(m, points, basemap=basemap, labels={}, translate=tv))
    with right:
        by_category = data.query(hazards.counts_by, f, ("category",))["category"].head(TOP_CATEGORIES).assign(
            category=lambda df: df["category"].map(tv))
        chart(by_category, lambda df: charts.bar_counts(df, "category", "found", t("by_category"), big=True))
        chart(data.query(hazards.new_vs_resolved, f), lambda df: charts.new_vs_resolved(
            df, {"found": t("found"), "resolved": t("resolved"), "title": t("new_vs_resolved")},
            big=True, height=CHART_HEIGHT))


def population_board(f: Filters, today: dt.date) -> None:
    k = data.query(population.kpis, f, today)
    anomalies = k["anomalies_by_kind"]
    tiles(
        Tile(t("residents_now"), formats.count(k["residents"])),
        Tile(t("arrivals"), formats.count(k["arrivals"])),
        Tile(t("departures"), formats.count(k["departures"])),
        *(Tile(t(f"anomaly_{kind}"), formats.count(n), tone="warn" if n else "good") for kind, n in anomalies.items()),
    )
    left, right = st.columns([3, 2])
    with left:
        village_map(f, data.query(kpis.by_village, f, today, "residents"), "residents")
    with right:
        origins = data.query(population.origins, f, today).head(TOP_CATEGORIES).assign(
            province=lambda df: df["province"].map(tv))
        chart(origins, lambda df: charts.bar_counts(df, "province", "residents", t("origin_provinces"), big=True))
        chart(data.query(population.flows, f, "week"), lambda df: charts.trend_lines(
            df, "bucket", {"arrivals": t("arrivals"), "departures": t("departures")}, t("arrivals_departures"),
            big=True, height=CHART_HEIGHT))


def alerts_board(f: Filters, today: dt.date) -> None:
    k = data.query(alerts.kpis, f)
    terminals = data.query(alerts.terminals_by_village, f)
    tiles(
        Tile(t("effective_alerts"), formats.count(k["effective"]), _change_line(k["effective_yoy"], k["effective_mom"])),
        Tile(t("cases"), formats.count(k["cases"]), _change_line(k["cases_yoy"], k["cases_mom"])),
        Tile(t("terminals"), f"{formats.count(int(terminals['online'].sum()))} / "
                             f"{formats.count(int(terminals['online'].sum() + terminals['offline'].sum()))}",
             f"{t('offline')} {formats.count(int(terminals['offline'].sum()))}",
             "warn" if terminals["offline"].sum() else "good"),
        *_zero_tiles(data.query(alerts.zero_days, f, today)),
    )
    left, right = st.columns(2)
    with left:
        weekdays = t("weekdays").split(",")
        chart(data.query(alerts.hour_weekday, f), lambda df: charts.heat_grid(
            df, weekdays, t("hour_weekday"), value_label=t("count"), hour_label=t("hour"), big=True,
            height=TALL_CHART_HEIGHT))
    with right:
        trend = data.query(alerts.trend, f, "month").rename(columns={"effective": "value"})
        chart(trend, lambda df: charts.stacked_by_category(
            df.assign(category=df["category"].map(tv)), t("alerts_by_category"), t("count"), big=True,
            height=TALL_CHART_HEIGHT))


def events_board(f: Filters, today: dt.date) -> None:
    k = data.query(events.kpis, f)
    _, n_open, n_overdue = data.query(events.backlog, f, local_now().replace(second=0, microsecond=0))
    tiles(
        Tile(t("events_new"), formats.count(k["new"])),
        Tile(t("closure_rate"), formats.rate(k["closure_rate"]), f"{t('events_closed')} {formats.count(k['closed'])}"),
        Tile(t("on_time_rate"), formats.rate(k["on_time_rate"]), f"{t('events_on_time')} {formats.count(k['on_time'])}"),
        Tile(t("transfer_rate"), formats.rate(k["transfer_rate"]),
             f"{t('events_dispatched')} {formats.count(k['dispatched'])}"),
        Tile(t("backlog"), formats.count(n_open)),
        Tile(t("overdue"), formats.count(n_overdue), tone="bad" if n_overdue else "good"),
    )
    left, right = st.columns(2)
    with left:
        chart(data.query(events.trend, f, "month"), lambda df: charts.rate_trend(df, {
            "closure_rate": t("closure_rate"), "on_time_rate": t("on_time_rate"),
            "transfer_rate": t("transfer_rate"), "title": t("rates_trend")}, big=True, height=TALL_CHART_HEIGHT))
    with right:
        by_category = data.query(events.by_category, f).head(TOP_CATEGORIES + 2).assign(
            category=lambda df: df["category"].map(tv))
        chart(by_category, lambda df: charts.bar_counts(df, "category", "new", t("by_category"), big=True))


BOARDS: dict[str, Callable[[Filters, dt.date], None]] = {
    "overview": overview_board,
    "hazards": hazards_board,
    "population": population_board,
    "alerts": alerts_board,
    "events": events_board,
}
