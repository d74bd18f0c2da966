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
f = ctx.filters
k = query(population.kpis, f, ctx.today)
tiled = {"residents_now": "residents", "arrivals": "arrivals", "departures": "departures", "anomalies": "anomalies"}
widgets.tiles(*(widgets.Tile(t(key), formats.count(k[field])) for key, field in tiled.items()))
st.caption(t("residents_on", day=f.period.reference_day(ctx.today)))

if not any(k[field] for field in tiled.values()):
    widgets.no_data()
else:
    villages = query(population.by_village, f, ctx.today).sort_values("value", ascending=False)
    left, right = st.columns([3, 2])
    with left:
        widgets.village_map("population_map", f, values=villages, measure_label=t("measure_residents"))
    with right:
        st.markdown(f"**{t('arrivals_departures')}**")
        unit = widgets.unit_toggle("population_unit", ("day", "week"), "week")
        widgets.chart(query(population.flows, f, unit), lambda df: charts.trend_lines(
            df, "bucket", {"arrivals": t("arrivals"), "departures": t("departures")},
            height=widgets.CHART_HEIGHT))
        widgets.partial_buckets_note(f.period, unit, ctx.today)

    left, right = st.columns(2)
    with left:
        origins = widgets.translated(query(population.origins, f, ctx.today), "province")
        widgets.chart(origins, lambda df: charts.bar_counts(
            df, "province", "residents", t("origin_provinces")), t("origin_provinces"))
    with right:
        labels = {"male": t("male"), "female": t("female"), "title": t("age_gender"),
                  "residents": t("residents"), "age": t("age_band")}
        widgets.chart(query(population.age_gender, f, ctx.today), lambda df: charts.age_gender_pyramid(
            df, labels, height=widgets.CHART_HEIGHT), t("age_gender"))

    st.subheader(t("anomalies"))
    counts = k["anomalies_by_kind"]
    kinds = population.ANOMALIES
    tabs = st.tabs([f"{t('anomaly_' + kind)} · {formats.count(counts[kind])}" for kind in kinds])
    listed = []  # the stays listed, for a leader's unmasking
    for kind, tab in zip(kinds, tabs):
        with tab:
            first = ("name", *ANOMALY_FIRST.get(kind, ()))
            columns = HOUSE_COLUMNS if kind == "overcrowded" else {
                c: PERSON_COLUMNS[c] for c in (*first, *(c for c in PERSON_COLUMNS if c not in first))}
            rows = query(population.anomaly_list, f, ctx.today, kind)
            widgets.table(rows, columns, total=counts[kind])
            if kind != "overcrowded":
                listed.append(rows[["id", "source_id"]])
    personal.unmask_form(listed)

    st.subheader(t("three_sides"))
    house, employer, village = st.tabs([t("side_house"), t("side_employer"), t("side_village")])
    with house:
        widgets.table(query(population.by_house, f, ctx.today), HOUSE_COLUMNS)
    with employer:
        widgets.table(query(population.by_employer, f, ctx.today), EMPLOYER_COLUMNS, aggregate=True)
    with village:
        widgets.table(villages, VILLAGE_COLUMNS, aggregate=True)
