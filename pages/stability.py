"""涉稳与信访调解 Stability, petitions, disputes (seed 000): stability risks found, resolved and
those that could become a mass incident, each with its 包案领导; first petitions received and
resolved through the 联系领导 + 联村干部 + 村干部 arrangement; mediated disputes, the amount
involved and those pushed by one alert to three sides. A map and bars by village, the trend."""

import streamlit as st

from data_access import disputes, formats, ledgers, petitions, stability
from data_access.sql import rate
from ui import charts, shell, widgets
from ui.data import query
from ui.i18n import t

WALL_BARS = 10

RISK_COLUMNS = {
    "mass_incident_risk": "mass_incident_risk", "warning": "warning", "level": "level", "title": "title",
    "status": "status", "village": "village", "grid": "grid", "responsible_person": "baoan_leader",
    "responsible_unit": "responsible_unit", "deadline": "deadline", "found_at": "found_at",
    "resolved_at": "resolved_at", "source_id": "source_id",
}
PETITION_COLUMNS = {
    "received_at": "received_at", "form": "petition_form", "category": "category", "village": "village",
    "grid": "grid", "petitioner": "petitioner", "summary": "summary", "contact_leader": "contact_leader",
    "village_cadre": "village_cadre", "village_official": "village_official", "resolved_at": "resolved_at",
    "source_id": "source_id",
}
DISPUTE_COLUMNS = {
    "mediated_at": "mediated_at", "category": "category", "village": "village", "grid": "grid",
    "amount_yuan": "amount_yuan", "alert_pushed": "alert_pushes", "alert_source_id": "alert_source_id",
    "mediator": "mediator", "summary": "summary", "received_at": "received_at", "source_id": "source_id",
}
VILLAGE_COLUMNS = {"village": "village", **{c: c for c in (
    "stability_found", "stability_resolved", "mass_incident_risks", "petitions_received",
    "petitions_resolved", "disputes_mediated", "alert_pushes")}, "amount_yuan": "dispute_amount"}

ctx = shell.page("viewer")
filters = ctx.filters
risk, petition, dispute = (query(module.kpis, filters) for module in (stability, petitions, disputes))
board = widgets.board(
    [widgets.tile("stability_found", formats.count(risk["found"])),
     widgets.tile("stability_resolved", formats.count(risk["resolved"])),
     widgets.tile("mass_incident_risks", formats.count(risk["mass_incident_risks"]),
                  tone="red" if risk["mass_incident_risks"] else "")],
    [widgets.tile("petitions_received", formats.count(petition["received"])),
     widgets.tile("petitions_resolved", formats.count(petition["resolved"])),
     widgets.tile("petitions_resolution_rate",
                  formats.rate(rate(petition["resolved"], petition["received"])))],
    [widgets.tile("disputes_mediated", formats.count(dispute["mediated"])),
     widgets.tile("dispute_amount", formats.count(dispute["amount_yuan"])),
     widgets.tile("alert_pushes", formats.count(dispute["alert_pushes"]))],
)

if not any((*risk.values(), *petition.values(), *dispute.values())):
    board.no_data()
else:
    by_village = query(ledgers.by_village, filters)
    main, side = board.areas()
    with main:
        # The first ledger with records here (the micro-centre's four villages have no stability risk).
        default = next((m for m in ledgers.HEADLINE.values() if by_village[m].any()), "stability_found")
        measure = widgets.choice(t("map_measure"), list(ledgers.HEADLINE.values()), default,
                                 "stability_measure", format_func=lambda m: t(f"measure_{m}"))
        shading = by_village[["village", measure]].rename(columns={measure: "value"})
        widgets.village_map("stability_map", filters, values=shading, measure_label=t(f"measure_{measure}"),
                            height=board.map_height)
    with side:
        unit = widgets.unit_toggle("stability_unit", ("week", "month"), "week")
        series = {ledger: t(f"measure_{column}") for ledger, column in ledgers.HEADLINE.items()}
        widgets.chart(query(ledgers.trend, filters, unit), lambda df: charts.trend_lines(
            df, "bucket", series, t("ledgers_trend"), height=widgets.CHART_HEIGHT), t("ledgers_trend"))
        widgets.partial_buckets_note(filters.period, unit, ctx.today)
        title = f"{t(f'measure_{measure}')} · {t('by_village')}"
        bars = by_village[by_village[measure] > 0]
        if ctx.wall:  # below the trend, the wall has room for about ten readable bars, not 26
            bars = bars.nlargest(WALL_BARS, measure)
            title = f"{title} · {t('top_n', n=WALL_BARS)}"
        widgets.chart(bars, lambda df: charts.bar_counts(df, "village", measure, title), title)

    if not ctx.wall:
        st.subheader(t("stability_list"))
        risks = query(stability.risks, filters, ctx.today)
        risks["mass_incident_risk"] = risks["mass_incident_risk"].map({True: f"⚠️ {t('yes')}", False: ""})
        risks["warning"] = risks["warning"].map(widgets.warning_text)
        widgets.table(risks, RISK_COLUMNS, translate=("level", "status"),
                      cell_styles={"warning": widgets.warning_styles()})

        st.subheader(t("stability_by_village"))
        widgets.table(by_village, VILLAGE_COLUMNS, aggregate=True)

        st.caption(f"{t('petitions_received')}: {t('petition_arrangement')}")
        rows, total = query(petitions.records, filters)
        widgets.records(t("petition_records"), rows, total, PETITION_COLUMNS, translate=("form", "category"))
        rows, total = query(disputes.records, filters)
        rows["alert_pushed"] = rows["alert_pushed"].map({True: t("yes"), False: ""})
        widgets.records(t("dispute_records"), rows, total, DISPUTE_COLUMNS, translate=("category",))
