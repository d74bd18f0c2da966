"""警情 Alerts: effective alerts and cases with 同比 / 环比, the trend by category, the hour ×
weekday grid, hotspots on the map, the zero counters and the smart terminals."""

import streamlit as st

from data_access import alerts, formats
from ui import charts, shell, widgets
from ui.data import query
from ui.i18n import t


def count_and_changes(figures: dict, measure: str, label_key: str) -> list[widgets.Tile]:
    """A count, then its change against the same period last year and against the period before."""
    label, short = t(label_key), t(f"short_{label_key}")
    return [widgets.tile(label_key, formats.count(figures[measure])),
            widgets.Tile(f"{label} · {t('yoy')}", formats.change(figures[f"{measure}_yoy"]),
                         t("same_period_last_year", n=formats.count(figures[f"{measure}_prev_year"])),
                         short=f"{short} {t('yoy')}"),
            widgets.Tile(f"{label} · {t('mom')}", formats.change(figures[f"{measure}_mom"]),
                         t("previous_period", n=formats.count(figures[f"{measure}_prev_period"])),
                         short=f"{short} {t('mom')}")]


ctx = shell.page("viewer")
filters = ctx.filters
figures = query(alerts.kpis, filters)
terminals = query(alerts.terminals_by_village, filters)
online, offline = int(terminals["online"].sum()), int(terminals["offline"].sum())
board = widgets.board(
    count_and_changes(figures, "effective", "effective_alerts"),
    count_and_changes(figures, "cases", "cases"),
    [*widgets.zero_tiles(query(alerts.zero_days, filters, ctx.today)),
     widgets.tile("terminals", f"{formats.count(online)} / {formats.count(online + offline)}",
                  f"{t('offline')} {formats.count(offline)}", "yellow" if offline else "")],
)

trend = query(alerts.trend, filters, "week")
if trend.empty:
    board.no_data()
else:
    main, side = board.areas()
    with main:
        widgets.village_map("alerts_map", filters, height=board.map_height,
                            draw=widgets.hotspot_markers(query(alerts.hotspots, filters)))
    with side:
        widgets.chart_title(t("alerts_by_category"))
        unit = widgets.unit_toggle("alerts_unit", ("week", "month"), "week")
        by_category = widgets.translated(query(alerts.trend, filters, unit), "category")
        widgets.chart(by_category, lambda df: charts.stacked_by_category(
            df, "", t("count"), value="alerts", height=widgets.CHART_HEIGHT), t("alerts_by_category"))
        widgets.partial_buckets_note(filters.period, unit, ctx.today)
        widgets.chart(query(alerts.hour_weekday, filters), lambda df: charts.heat_grid(
            df, t("weekdays").split(","), t("hour_weekday"), hour_label=t("hour"), value_label=t("count"),
            height=widgets.CHART_HEIGHT), t("hour_weekday"))

if not ctx.wall:
    st.subheader(t("terminals"))
    widgets.table(terminals.sort_values("offline", ascending=False),
                  {"village": "village", "online": "online", "offline": "offline"}, aggregate=True)
