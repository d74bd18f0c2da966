"""网格事件 Grid events: the three rates with their counts and the records behind each, their
trend, events by category, and the open and overdue backlog."""

import streamlit as st

from data_access import events, formats
from data_access.filters import local_now
from ui import charts, shell, widgets
from ui.data import query
from ui.i18n import t

RECORD_COLUMNS = {
    "reported_at": "reported_at", "category": "category", "village": "village", "grid": "grid",
    "reporter": "reporter", "dispatched_at": "dispatched_at", "due_at": "due_at", "closed_at": "closed_at",
    "summary": "summary", "source_id": "source_id",
}
BACKLOG_COLUMNS = {"overdue": "overdue", **RECORD_COLUMNS}
# Each rate (its label and kpis field): numerator, denominator, and the behind_rate list of the
# records that keep it below 100%.
RATES = (
    ("closure_rate", "closed", "new", "closure"),
    ("on_time_rate", "on_time", "closed", "on_time"),
    ("transfer_rate", "dispatched", "new", "transfer"),
)
COUNT_LABELS = {"new": "events_new", "closed": "events_closed", "on_time": "events_on_time",
                "dispatched": "events_dispatched"}

ctx = shell.page("viewer")
f = ctx.filters
k = query(events.kpis, f)
widgets.tiles(widgets.Tile(t("events_new"), formats.count(k["new"])), *(
    widgets.Tile(t(rate), formats.rate(k[rate]),
                 f"{t(COUNT_LABELS[num])} {formats.count(k[num])} / {t(COUNT_LABELS[den])} {formats.count(k[den])}")
    for rate, num, den, _ in RATES))

backlog, n_open, n_overdue = query(events.backlog, f, local_now().replace(second=0, microsecond=0))
if k["new"] == 0 and n_open == 0:
    widgets.no_data()
else:
    for column, (_, _, _, which) in zip(st.columns(1 + len(RATES))[1:], RATES):  # under each rate's tile
        with column:
            rows, total = query(events.behind_rate, f, which)
            widgets.records(t(f"behind_{which}"), rows, total, RECORD_COLUMNS, translate=("category",))

    left, right = st.columns(2)
    with left:
        unit = widgets.unit_toggle("events_unit", ("week", "month"), "week")
        trend = query(events.trend, f, unit)
        widgets.chart(trend, lambda df: charts.rate_trend(df, {
            "closure_rate": t("closure_rate"), "on_time_rate": t("on_time_rate"),
            "transfer_rate": t("transfer_rate"), "title": t("rates_trend")}, height=widgets.CHART_HEIGHT),
            t("rates_trend"))
        widgets.chart(trend, lambda df: charts.trend_lines(
            df, "bucket", {"new": t("events_new"), "closed": t("events_closed")}, t("events_new"),
            height=widgets.CHART_HEIGHT), t("events_new"))
        widgets.partial_buckets_note(f.period, unit, ctx.today)
    with right:
        by_category = widgets.translated(query(events.by_category, f), "category")
        widgets.chart(by_category, lambda df: charts.bar_counts(df, "category", "new", t("by_category")),
                      t("by_category"))

    st.subheader(t("backlog"))
    st.caption(t("backlog_counts", open=formats.count(n_open), overdue=formats.count(n_overdue)))
    backlog["overdue"] = backlog["overdue"].map({True: f"⚠️ {t('overdue')}", False: ""})
    widgets.table(backlog, BACKLOG_COLUMNS, translate=("category",), total=n_open)
