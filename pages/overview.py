"""总览 Overview: the area at a glance — the home page and the wall screen's main view."""

import streamlit as st

from data_access import alerts, events, formats, hazards, kpis, population
from ui import charts, maps, shell, widgets
from ui.data import query
from ui.i18n import t, tv

ZERO_COUNTERS = ("civil_to_criminal", "major_accident", "telecom_fraud")

ctx = shell.page("viewer")
f = ctx.filters
k = query(kpis.summary, f, ctx.today)
pop, alert, hazard, event, prev = (k[key] for key in ("population", "alerts", "hazards", "events",
                                                       "alerts_previous_period"))
widgets.tiles(
    widgets.Tile(t("residents_now"), formats.count(pop["residents"]),
                 f"{t('arrivals')} {formats.count(pop['arrivals'])} · {t('departures')} {formats.count(pop['departures'])}"),
    widgets.Tile(t("effective_alerts"), formats.count(alert["effective"]),
                 f"{t('yoy')} {formats.change(alert['effective_yoy'])} · {t('mom')} {formats.change(prev['effective_mom'])}"),
    widgets.Tile(t("cases"), formats.count(alert["cases"]),
                 f"{t('yoy')} {formats.change(alert['cases_yoy'])} · {t('mom')} {formats.change(prev['cases_mom'])}"),
    widgets.Tile(t("hazards_found"), formats.count(hazard["found"]),
                 f"{t('hazards_open')} {formats.count(hazard['open'])} · {t('hazards_overdue')} {formats.count(hazard['overdue'])}"),
)
widgets.tiles(
    widgets.Tile(t("events_new"), formats.count(event["new"])),
    *(widgets.Tile(t(rate), formats.rate(event[rate])) for rate in ("closure_rate", "on_time_rate", "transfer_rate")),
)
widgets.tiles(*(
    widgets.Tile(t(f"zero_{key}"), t("none_on_record") if days is None else t("days_since", days=days),
                 t("zero_counters"))
    for key, days in ((key, k["zero_days"][key]) for key in ZERO_COUNTERS)
))

left, right = st.columns([3, 2])
with left:
    measure = st.segmented_control(
        t("map_measure"), list(kpis.VILLAGE_MEASURES), default="residents", key="overview_measure",
        format_func={m: t(f"measure_{m}") for m in kpis.VILLAGE_MEASURES}.get) or "residents"
    open_points = query(hazards.map_points, f, ctx.today, closed=False)
    widgets.village_map(
        "overview_map", f, values=query(kpis.by_village, f, ctx.today, measure),
        measure_label=t(f"measure_{measure}"),
        draw=lambda m, basemap: maps.hazard_layer(m, open_points, basemap=basemap, translate=tv, labels={
            "title": t("title"), "level": t("level"), "status": t("status"), "layer": t("hazards")}))
with right:
    alert_trend = query(alerts.trend, f, "week").groupby("bucket", as_index=False)["effective"].sum()
    for df, series, title in (
        (alert_trend, {"effective": t("effective_alerts")}, t("effective_alerts")),
        (query(population.flows, f, "week"), {"arrivals": t("arrivals"), "departures": t("departures")},
         t("arrivals_departures")),
        (query(events.trend, f, "week"), {"new": t("events_new"), "closed": t("events_closed")}, t("events_new")),
    ):
        widgets.chart(df, lambda df, s=series, title=title: charts.trend_lines(df, "bucket", s, title, height=220),
                      title)
    widgets.partial_buckets_note(f.period, "week", ctx.today)
