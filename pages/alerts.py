"""警情 Alerts: effective alerts and cases with 同比 / 环比, the trend by category, the hour ×
weekday grid, hotspots on the map, the zero counters and the smart terminals."""

import streamlit as st

from data_access import alerts, formats
from ui import charts, maps, shell, widgets
from ui.data import query
from ui.i18n import t

ZERO_COUNTERS = ("civil_to_criminal", "major_accident", "telecom_fraud")

ctx = shell.page("viewer")
f = ctx.filters
k = query(alerts.kpis, f)
for measure, label in (("effective", t("effective_alerts")), ("cases", t("cases"))):
    widgets.tiles(
        widgets.Tile(label, formats.count(k[measure])),
        widgets.Tile(f"{label} · {t('yoy')}", formats.change(k[f"{measure}_yoy"]),
                     t("same_period_last_year", n=formats.count(k[f"{measure}_prev_year"]))),
        widgets.Tile(f"{label} · {t('mom')}", formats.change(k[f"{measure}_mom"]),
                     t("previous_period", n=formats.count(k[f"{measure}_prev_period"]))),
    )
zero = query(alerts.zero_days, f, ctx.today)
widgets.tiles(*(widgets.Tile(f"{t('zero_counters')} · {t('zero_' + key)}",
                             t("none_on_record") if zero[key] is None else t("days_since", days=zero[key]))
                for key in ZERO_COUNTERS))

trend = query(alerts.trend, f, "week")
if trend.empty:
    widgets.no_data()
else:
    left, right = st.columns([3, 2])
    with left:
        hotspots = query(alerts.hotspots, f)
        widgets.village_map("alerts_map", f, draw=lambda m, basemap: maps.hotspot_layer(
            m, hotspots, basemap=basemap, label=t("hotspots")))
    with right:
        st.markdown(f"**{t('alerts_by_category')}**")
        unit = widgets.unit_toggle("alerts_unit", ("week", "month"), "week")
        by_category = widgets.translated(query(alerts.trend, f, unit), "category")
        widgets.chart(by_category, lambda df: charts.stacked_by_category(
            df, "", t("count"), value="alerts", height=widgets.CHART_HEIGHT))
        widgets.partial_buckets_note(f.period, unit, ctx.today)
        widgets.chart(query(alerts.hour_weekday, f), lambda df: charts.heat_grid(
            df, t("weekdays").split(","), t("hour_weekday"), hour_label=t("hour"), value_label=t("count"),
            height=widgets.CHART_HEIGHT), t("hour_weekday"))

st.subheader(t("terminals"))
terminals = query(alerts.terminals_by_village, f)
if terminals.empty:
    st.caption(t("no_data"))
else:
    online, offline = int(terminals["online"].sum()), int(terminals["offline"].sum())
    widgets.tiles(widgets.Tile(t("online"), formats.count(online)),
                  widgets.Tile(t("offline"), formats.count(offline)))
    widgets.table(terminals.sort_values("offline", ascending=False),
                  {"village": "village", "online": "online", "offline": "offline"}, aggregate=True)
