"""风险隐患 Risk hazards: the map by level, the list worst first with its 三色 warning, counts and
the weekly found-vs-resolved trend."""

import streamlit as st

from data_access import hazards
from ui import charts, fmt, maps, palette, shell, widgets
from ui.data import query
from ui.i18n import t, tv

LIST_COLUMNS = {
    "warning": "warning", "level": "level", "title": "title", "category": "category", "status": "status",
    "village": "village", "grid": "grid", "deadline": "deadline", "days_left": "days_left",
    "responsible_unit": "responsible_unit", "responsible_person": "responsible", "enterprise": "enterprise",
    "found_at": "found_at", "source_id": "source_id",
}

ctx = shell.context()
f = ctx.filters
k = query(hazards.kpis, f, ctx.today)
widgets.tiles(*(widgets.Tile(t(key), fmt.count(k[field])) for key, field in (
    ("hazards_found", "found"), ("hazards_open", "open"), ("hazards_overdue", "overdue"),
    ("hazards_resolved", "resolved"), ("enterprises_shut", "enterprises_shut"))))

if not any(k.values()):
    widgets.no_data()
else:
    colours = query(hazards.warning_counts, f, ctx.today)
    widgets.tiles(*(widgets.Tile(widgets.warning_text(c), fmt.count(colours[c]), t("warning"), delta_color=c)
                    for c in ("red", "yellow", "green")))
    left, right = st.columns([3, 2])
    with left:
        points = query(hazards.map_points, f, ctx.today)
        widgets.village_map("hazards_map", f, draw=lambda m, basemap: maps.hazard_layer(
            m, points, basemap=basemap, translate=tv,
            labels={"title": t("title"), "level": t("level"), "status": t("status"), "layer": t("hazards")}))
        st.caption(t("hazard_map_legend"))
    with right:
        widgets.chart(query(hazards.new_vs_resolved, f), lambda df: charts.new_vs_resolved(
            df, {"found": t("found"), "resolved": t("resolved"), "title": t("new_vs_resolved")},
            height=widgets.CHART_HEIGHT), t("new_vs_resolved"))
        widgets.partial_buckets_note(f.period, "week", ctx.today)

    st.subheader(t("hazard_list"))
    rows, total = query(hazards.worst_first, f, ctx.today)
    rows = rows.assign(warning=rows["warning"].map(widgets.warning_text),
                       days_left=rows["days_left"].map(widgets.days_left_text))
    level_css = {tv(level): f"color: {colour}; font-weight: 700"
                 for level, colour in palette.LEVEL_COLOURS.items()}
    widgets.table(rows, LIST_COLUMNS, translate=("level", "category", "status"), total=total,
                  cell_styles={"warning": widgets.warning_styles(), "level": level_css})

    levels = [tv(level) for level in palette.LEVEL_COLOURS]  # level bars: worst first, in their colours
    level_bars = {"colour_map": dict(zip(levels, palette.LEVEL_COLOURS.values())), "sort": levels}
    for column, dimension in zip(st.columns(3), ("category", "level", "village")):
        with column:
            counts = widgets.translated(query(hazards.counts_by, f, dimension), "category", "level")
            extra = level_bars if dimension == "level" else {}
            widgets.chart(counts, lambda df, d=dimension, extra=extra: charts.bar_counts(
                df, d, "found", t(f"by_{d}"), **extra), t(f"by_{dimension}"))
