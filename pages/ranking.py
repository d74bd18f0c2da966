"""花街擂台 Village ranking (月考季评 赛马比拼): the month's (月度晾晒), quarter's (季度比拼) or
half-year's (半年打擂) ranking, chosen in the URL (`?ranking=quarter`): each village's five track
scores, total, movement since the period before, the bottom ones owing a rectification note
(整改说明), and the villages on the map shaded by rank."""

import calendar

import streamlit as st

from data_access import formats, ranking
from data_access.filters import Filters
from data_access.models import RANKING_TRACKS
from ui import charts, palette, shell, widgets
from ui.data import query
from ui.i18n import t

TRACK_LABELS = dict(zip(RANKING_TRACKS, ("track_party", "track_economy", "track_projects", "track_villages",
                                         "track_safety"), strict=True))

ctx = shell.page("viewer")
kind = widgets.url_choice(t("ranking_kind"), tuple(ranking.PERIOD_MONTHS), "month", "ranking",
                          format_func=lambda k: t(f"ranking_{k}"))
# The last whole month, quarter or half-year by the filter's reference day (its end, or today)
# and by the latest month scored.
period = ranking.period_at(kind, ctx.filters.period.reference_day(ctx.today), query(ranking.last_scored_month))
table = query(ranking.ranking, ctx.filters.with_period(period))
summary = ranking.summary(table)
first, last = ranking.months(period)
# Short, to fit its tile, with the year in its note: a quarter or a half-year never spans two.
names = {"first": first.month, "last": last.month,  # numbers in Chinese, names in English
         "first_name": calendar.month_abbr[first.month], "last_name": calendar.month_abbr[last.month]}
months = t("months_one" if first == last else "months_span", **names)
board = widgets.board(
    [widgets.tile("ranking_months", months, f"{first.year} · {t(f'ranking_{kind}')}"),
     widgets.tile("ranking_first", summary["first"] or formats.NO_VALUE,
                  t("rank_and_total", rank=summary["first_rank"], total=f"{summary['first_total']:.2f}")
                  if summary["first"] else None, "green" if summary["first"] else ""),
     widgets.tile("villages_ranked", formats.count(summary["villages"])),
     widgets.tile("mean_total", formats.NO_VALUE if summary["mean_total"] is None else f"{summary['mean_total']:.2f}"),
     widgets.tile("biggest_climb", summary["climber"] or formats.NO_VALUE,
                  widgets.change_text(summary["climb"]) if summary["climber"] else None,
                  "green" if summary["climber"] else ""),
     widgets.tile("rectify_count", formats.count(len(summary["rectify"])), "、".join(summary["rectify"]) or None,
                  "red" if summary["rectify"] else "")],
)

if table.empty:
    board.no_data()
else:
    main, side = board.areas()
    with main:
        # Every village with its rank (a village filter outlines its own): none shown as a rank of 0.
        ranks = query(ranking.by_village, Filters(period))
        widgets.village_map("ranking_map", ctx.filters, values=ranks, measure_label=t("rank"),
                            height=board.map_height, lowest=1)  # ranks start at 1
        widgets.note(t("ranking_map_legend"))
    with side:
        colours = {v: palette.WARNING_COLOURS["red"] if r else palette.SINGLE_COLOUR
                   for v, r in zip(table["village"], table["rectify"])}
        widgets.chart(table[["village", "total"]], lambda df: charts.bar_counts(
            df, "village", "total", t("ranking_totals"), colour_map=colours, sort=list(df["village"]),
            value_label=t("total"), height=widgets.CHART_HEIGHT if shell.on_wall() else None), t("ranking_totals"))

    if not ctx.wall:
        st.subheader(t("ranking_table"))
        scores = {c: [formats.NO_VALUE if v != v else f"{v:.2f}" for v in table[c]] for c in (*RANKING_TRACKS, "total")}
        shown = table.assign(change=table["change"].map(widgets.change_text),
                             rectify=[t("rectify_owed") if r else "" for r in table["rectify"]], **scores)
        widgets.table(shown, {"rank": "rank", "village": "village", **TRACK_LABELS, "total": "total",
                              "change": "rank_change", "rectify": "rectify"},
                      cell_styles={"rectify": {t("rectify_owed"): widgets.WARNING_CELL_CSS["red"]}},
                      aggregate=True)
        widgets.note(t("ranking_rules", count=ranking.RECTIFICATION_COUNT))
