"""风险隐患 Risk hazards: the map by level, the list worst first with its 三色 warning, counts and
the weekly found-vs-resolved trend."""

import streamlit as st

from data_access import formats, hazards
from ui import charts, palette, shell, widgets
from ui.data import query
from ui.i18n import t, tv

ctx = shell.page("viewer")
filters = ctx.filters
figures = query(hazards.kpis, filters, ctx.today)
board = widgets.board(
    [widgets.tile("hazards_found", formats.count(figures["found"])),
     widgets.tile("hazards_open", formats.count(figures["open"])),
     widgets.tile("hazards_overdue", formats.count(figures["overdue"]),
                  tone="red" if figures["overdue"] else ""),
     widgets.tile("hazards_resolved", formats.count(figures["resolved"])),
     widgets.tile("enterprises_shut", formats.count(figures["enterprises_shut"]))],
    widgets.warning_counts(hazards.warning_colours(figures)),
)

if not any(figures.values()):
    board.no_data()
else:
    breakdowns = query(hazards.counts_by, filters)
    closed_hazards_fit = hazards.closed_hazards_fit(figures)
    main, side = board.areas()
    with main:
        points = query(hazards.map_points, filters, ctx.today, closed=closed_hazards_fit,
                       records=shell.shows_records())
        found = None if closed_hazards_fit else breakdowns["village"].rename(columns={"found": "value"})
        widgets.village_map("hazards_map", filters, values=found, measure_label=t("hazards_found"),
                            draw=widgets.hazard_markers(points), height=board.map_height)
        widgets.note(t("hazard_map_legend" if closed_hazards_fit else "hazard_map_legend_shaded"))
    with side:
        widgets.chart(query(hazards.new_vs_resolved, filters), lambda df: charts.new_vs_resolved(
            df, {"found": t("found"), "resolved": t("resolved"), "title": t("new_vs_resolved")},
            height=widgets.CHART_HEIGHT), t("new_vs_resolved"))
        widgets.partial_buckets_note(filters.period, "week", ctx.today)
        widgets.chart(widgets.translated(breakdowns["category"], "category"), lambda df: charts.bar_counts(
            df, "category", "found", t("by_category")), t("by_category"))

    if not ctx.wall:
        st.subheader(t("hazard_list"))
        widgets.hazard_table(*query(hazards.worst_first, filters, ctx.today))

        levels = [tv(level) for level in palette.LEVEL_COLOURS]  # level bars: worst first, in their colours
        level_bars = {"colour_map": dict(zip(levels, palette.LEVEL_COLOURS.values())), "sort": levels}
        below = [dimension for dimension in breakdowns if dimension != "category"]  # category: beside the map
        for column, dimension in zip(st.columns(len(below)), below):
            with column:
                counts = widgets.translated(breakdowns[dimension], "level")
                extra = level_bars if dimension == "level" else {}
                widgets.chart(counts, lambda df, d=dimension, extra=extra: charts.bar_counts(
                    df, d, "found", t(f"by_{d}"), **extra), t(f"by_{dimension}"))
