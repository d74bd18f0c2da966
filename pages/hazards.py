"""风险隐患 Risk hazards: the map by level, the list worst first with its 三色 warning, counts and
the weekly found-vs-resolved trend."""

import streamlit as st

from data_access import formats, hazards
from ui import charts, maps, palette, shell, widgets
from ui.data import query
from ui.i18n import t, tv

ctx = shell.page("viewer")
f = ctx.filters
k = query(hazards.kpis, f, ctx.today)
widgets.tiles(*(widgets.Tile(t(key), formats.count(k[field])) for key, field in (
    ("hazards_found", "found"), ("hazards_open", "open"), ("hazards_overdue", "overdue"),
    ("hazards_resolved", "resolved"), ("enterprises_shut", "enterprises_shut"))))

if not any(k.values()):
    widgets.no_data()
else:
    widgets.warning_tiles(hazards.warning_colours(k))
    breakdowns = query(hazards.counts_by, f)
    closed_fit = hazards.closed_fit(k)
    left, right = st.columns([3, 2])
    with left:
        points = query(hazards.map_points, f, ctx.today, closed=closed_fit)
        found = None if closed_fit else breakdowns["village"].rename(columns={"found": "value"})
        widgets.village_map("hazards_map", f, values=found, measure_label=t("hazards_found"), draw=lambda m, basemap:
            maps.hazard_layer(m, points, basemap=basemap, translate=tv,
                              labels={"title": t("title"), "level": t("level"), "status": t("status"),
                                      "layer": t("hazards")}))
        st.caption(t("hazard_map_legend" if closed_fit else "hazard_map_legend_shaded"))
    with right:
        widgets.chart(query(hazards.new_vs_resolved, f), lambda df: charts.new_vs_resolved(
            df, {"found": t("found"), "resolved": t("resolved"), "title": t("new_vs_resolved")},
            height=widgets.CHART_HEIGHT), t("new_vs_resolved"))
        widgets.partial_buckets_note(f.period, "week", ctx.today)

    st.subheader(t("hazard_list"))
    widgets.hazard_table(*query(hazards.worst_first, f, ctx.today))

    levels = [tv(level) for level in palette.LEVEL_COLOURS]  # level bars: worst first, in their colours
    level_bars = {"colour_map": dict(zip(levels, palette.LEVEL_COLOURS.values())), "sort": levels}
    for column, dimension in zip(st.columns(len(breakdowns)), breakdowns):
        with column:
            counts = widgets.translated(breakdowns[dimension], "category", "level")
            extra = level_bars if dimension == "level" else {}
            widgets.chart(counts, lambda df, d=dimension, extra=extra: charts.bar_counts(
                df, d, "found", t(f"by_{d}"), **extra), t(f"by_{dimension}"))
