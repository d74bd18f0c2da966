"""流动人口 Floating population: residents by village, arrivals and departures, origins, age and
gender, the four anomaly lists (masked; a leader may see one listed stay in clear, giving a reason)
and the three-side view (house, employer, village)."""

import streamlit as st

from data_access import formats, population
from ui import charts, personal, shell, widgets
from ui.data import query
from ui.i18n import t

PERSON_COLUMNS = {
    "name": "name", "id_number": "id_number", "phone": "phone", "village": "village", "grid": "grid",
    "employer": "employer", "arrived_at": "arrived_at", "verified_at": "verified_at",
    "employer_left_at": "employer_left_at", "permit_expiry": "permit_expiry", "source_id": "source_id",
}
HOUSE_COLUMNS = {
    "house_id": "house_id", "village": "village", "address": "address", "residents": "residents",
    "capacity": "capacity", "landlord": "landlord", "landlord_phone": "landlord_phone",
}
# What makes a stay an anomaly, shown right after the name.
ANOMALY_FIRST = {
    "unverified": ("arrived_at", "verified_at"),
    "employer_left": ("employer", "employer_left_at"),
    "permit_expiring": ("permit_expiry",),
}
EMPLOYER_COLUMNS = {"employer": "employer", "residents": "residents", "reported_left": "reported_left"}
VILLAGE_COLUMNS = {"village": "village", "value": "residents"}

ctx = shell.page("viewer")
filters = ctx.filters
figures = query(population.kpis, filters, ctx.today)
anomalies = figures["anomalies_by_kind"]
tiled = {"residents_now": "residents", "arrivals": "arrivals", "departures": "departures", "anomalies": "anomalies"}
counted_on = {"residents": t("residents_on", day=filters.period.reference_day(ctx.today))}
board = widgets.board(
    [widgets.tile(key, formats.count(figures[field]), counted_on.get(field)) for key, field in tiled.items()],
    [widgets.tile(f"anomaly_{kind}", formats.count(n), tone="yellow" if n else "green")
     for kind, n in anomalies.items()],
)

if not any(figures[field] for field in tiled.values()):
    board.no_data()
else:
    villages = query(population.by_village, filters, ctx.today).sort_values("value", ascending=False)
    main, side = board.areas()
    with main:
        widgets.village_map("population_map", filters, values=villages, measure_label=t("measure_residents"),
                            height=board.map_height)
    with side:
        widgets.chart_title(t("arrivals_departures"))
        unit = widgets.unit_toggle("population_unit", ("day", "week"), "week")
        widgets.chart(query(population.flows, filters, unit), lambda df: charts.trend_lines(
            df, "bucket", {"arrivals": t("arrivals"), "departures": t("departures")},
            height=widgets.CHART_HEIGHT), t("arrivals_departures"))
        widgets.partial_buckets_note(filters.period, unit, ctx.today)
        origins = widgets.translated(query(population.origins, filters, ctx.today), "province")
        widgets.chart(origins, lambda df: charts.bar_counts(
            df, "province", "residents", t("origin_provinces")), t("origin_provinces"))

    if not ctx.wall:
        labels = {"male": t("male"), "female": t("female"), "title": t("age_gender"),
                  "residents": t("residents"), "age": t("age_band")}
        widgets.chart(query(population.age_gender, filters, ctx.today), lambda df: charts.age_gender_pyramid(
            df, labels, height=widgets.CHART_HEIGHT), t("age_gender"))

        st.subheader(t("anomalies"))
        kinds = population.ANOMALIES
        tabs = st.tabs([f"{t('anomaly_' + kind)} · {formats.count(anomalies[kind])}" for kind in kinds])
        listed = []  # the stays listed, for a leader's unmasking
        for kind, tab in zip(kinds, tabs):
            with tab:
                first = ("name", *ANOMALY_FIRST.get(kind, ()))
                columns = HOUSE_COLUMNS if kind == "overcrowded" else {
                    c: PERSON_COLUMNS[c] for c in (*first, *(c for c in PERSON_COLUMNS if c not in first))}
                rows = query(population.anomaly_list, filters, ctx.today, kind)
                widgets.table(rows, columns, total=anomalies[kind])
                if kind != "overcrowded":
                    listed.append(rows[["id", "source_id"]])
        personal.unmask_form(listed)

        st.subheader(t("three_sides"))
        house, employer, village = st.tabs([t("side_house"), t("side_employer"), t("side_village")])
        with house:
            widgets.table(query(population.by_house, filters, ctx.today), HOUSE_COLUMNS)
        with employer:
            widgets.table(query(population.by_employer, filters, ctx.today), EMPLOYER_COLUMNS, aggregate=True)
        with village:
            widgets.table(villages, VILLAGE_COLUMNS, aggregate=True)
