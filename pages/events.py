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
filters = ctx.filters
figures = query(events.kpis, filters)
backlog, n_open, n_overdue = query(events.backlog, filters, local_now().replace(second=0, microsecond=0))
board = widgets.board([
    widgets.tile("events_new", formats.count(figures["new"])),
    *(widgets.tile(rate, formats.rate(figures[rate]),
                   f"{t(COUNT_LABELS[num])} {formats.count(figures[num])} / "
                   f"{t(COUNT_LABELS[den])} {formats.count(figures[den])}")
      for rate, num, den, _ in RATES),
    widgets.tile("backlog", formats.count(n_open)),
    widgets.tile("overdue", formats.count(n_overdue), tone="red" if n_overdue else ""),
], split=(1, 1))

if figures["new"] == 0 and n_open == 0:
    board.no_data()
else:
    if not ctx.wall:
        for column, (_, _, _, which) in zip(st.columns(len(RATES) + 3)[1:], RATES):  # under each rate's tile
            with column:
                rows, total = query(events.behind_rate, filters, which)
                widgets.records(t(f"behind_{which}"), rows, total, RECORD_COLUMNS, translate=("category",))

    main, side = board.areas()
    with main:
        unit = widgets.unit_toggle("events_unit", ("week", "month"), "week")
        trend = query(events.trend, filters, unit)
        widgets.chart(trend, lambda df: charts.rate_trend(df, {
            "closure_rate": t("closure_rate"), "on_time_rate": t("on_time_rate"),
            "transfer_rate": t("transfer_rate"), "title": t("rates_trend")}, height=widgets.CHART_HEIGHT),
            t("rates_trend"))
        widgets.chart(trend, lambda df: charts.trend_lines(
            df, "bucket", {"new": t("events_new"), "closed": t("events_closed")}, t("events_new"),
            height=widgets.CHART_HEIGHT), t("events_new"))
        widgets.partial_buckets_note(filters.period, unit, ctx.today)
    with side:
        by_category = widgets.translated(query(events.by_category, filters), "category")
        widgets.chart(by_category, lambda df: charts.bar_counts(df, "category", "new", t("by_category")),
                      t("by_category"))

    if not ctx.wall:
        st.subheader(t("backlog"))
        st.caption(t("backlog_counts", open=formats.count(n_open), overdue=formats.count(n_overdue)))
        backlog["overdue"] = backlog["overdue"].map({True: f"⚠️ {t('overdue')}", False: ""})
        widgets.table(backlog, BACKLOG_COLUMNS, translate=("category",), total=n_open)
