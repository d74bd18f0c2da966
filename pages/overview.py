"""总览 Overview: the area at a glance — the home page and the wall screen's main view."""

from data_access import alerts, events, formats, hazards, kpis, population
from ui import charts, shell, widgets
from ui.data import query
from ui.i18n import t

ctx = shell.page("viewer")
filters = ctx.filters
figures = query(kpis.summary, filters, ctx.today)
residents, alert, hazard, event, previous, risk, petition, dispute = (figures[key] for key in (
    "population", "alerts", "hazards", "events", "alerts_previous_period", "stability", "petitions",
    "disputes"))
ledgers_row = [  # seed 000's ledgers: stability risks, first petitions, mediated disputes
    widgets.tile("stability_found", formats.count(risk["found"]),
                 f"{t('resolved_n', n=formats.count(risk['resolved']))} · "
                 f"{t('mass_incident_n', n=formats.count(risk['mass_incident_risks']))}",
                 "red" if risk["mass_incident_risks"] else ""),
    widgets.tile("petitions_received", formats.count(petition["received"]),
                 t("resolved_n", n=formats.count(petition["resolved"]))),
    widgets.tile("disputes_mediated", formats.count(dispute["mediated"]),
                 f"{t('amount_n', n=formats.count(dispute['amount_yuan']))} · "
                 f"{t('pushes_n', n=formats.count(dispute['alert_pushes']))}"),
]
board = widgets.board(
    [widgets.tile("residents_now", formats.count(residents["residents"]),
                  f"{t('arrivals')} {formats.count(residents['arrivals'])} · "
                  f"{t('departures')} {formats.count(residents['departures'])}"),
     widgets.tile("effective_alerts", formats.count(alert["effective"]),
                  widgets.yoy_mom(alert["effective_yoy"], previous["effective_mom"])),
     widgets.tile("cases", formats.count(alert["cases"]),
                  widgets.yoy_mom(alert["cases_yoy"], previous["cases_mom"])),
     widgets.tile("hazards_found", formats.count(hazard["found"]),
                  f"{t('hazards_open')} {formats.count(hazard['open'])} · "
                  f"{t('hazards_overdue')} {formats.count(hazard['overdue'])}",
                  "red" if hazard["overdue"] else "")],
    [widgets.tile("events_new", formats.count(event["new"])),
     *(widgets.tile(rate, formats.rate(event[rate]))
       for rate in ("closure_rate", "on_time_rate", "transfer_rate"))],
    widgets.zero_tiles(figures["zero_days"]),
    # Not on the wall: a third row of tiles there flattens the charts beside the map on every
    # 16:9 screen, and the wall's playlist has these ledgers' own board (pages/stability.py).
    *([] if ctx.wall else [ledgers_row]),
)

main, side = board.areas()
with main:
    measure = widgets.choice(t("map_measure"), kpis.VILLAGE_MEASURES, "residents", "overview_measure",
                             format_func={m: t(f"measure_{m}") for m in kpis.VILLAGE_MEASURES}.get)
    open_hazards = query(hazards.map_points, filters, ctx.today, closed=False, records=shell.shows_records())
    widgets.village_map("overview_map", filters, values=query(kpis.by_village, filters, ctx.today, measure),
                        measure_label=t(f"measure_{measure}"), draw=widgets.hazard_markers(open_hazards),
                        height=board.map_height)
with side:
    alert_trend = query(alerts.trend, filters, "week").groupby("bucket", as_index=False)["effective"].sum()
    for df, series, title in (
        (alert_trend, {"effective": t("effective_alerts")}, t("effective_alerts")),
        (query(population.flows, filters, "week"), {"arrivals": t("arrivals"), "departures": t("departures")},
         t("arrivals_departures")),
        (query(events.trend, filters, "week"), {"new": t("events_new"), "closed": t("events_closed")},
         t("events_new")),
    ):
        widgets.chart(df, lambda df, s=series, title=title: charts.trend_lines(df, "bucket", s, title, height=220),
                      title)
    widgets.partial_buckets_note(filters.period, "week", ctx.today)
