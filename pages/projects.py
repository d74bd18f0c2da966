"""重点工程作战图 Key projects' war map (seed 000): the projects over their villages, coloured 三色
against their next deadline; the board of projects by progress; the projects of each village
the filter names."""

import streamlit as st

from data_access import formats, projects
from ui import charts, shell, widgets
from ui.data import query
from ui.i18n import t
from ui.markdown import literal

BOARD_COLUMNS = {
    "warning": "warning", "project": "project", "status": "status", "progress": "progress",
    "next_deadline": "next_deadline", "days_left": "days_left", "villages": "villages_involved",
    "milestones_done": "milestones_done", "unit": "lead_unit", "leader": "project_leader",
}  # fmt: skip
VILLAGE_COLUMNS = {"warning": "warning", "project": "project", "status": "status", "progress": "progress",
                   "next_deadline": "next_deadline", "responsible_person": "village_responsible"}

ctx = shell.page("viewer")
filters = ctx.filters
figures = query(projects.kpis, filters, ctx.today)
standing = query(projects.standing, filters, ctx.today)
board = widgets.board(
    [widgets.tile("projects_total", formats.count(figures["total"])),
     widgets.tile("projects_on_track", formats.count(figures["on_track"])),
     widgets.tile("projects_overdue", formats.count(figures["overdue"]), t("warning_red"),
                  "red" if figures["overdue"] else ""),
     widgets.tile("projects_due_soon", formats.count(standing["yellow"]), t("warning_yellow"),
                  "yellow" if standing["yellow"] else ""),
     widgets.tile("projects_done", formats.count(figures["done"])),
     widgets.tile("mean_progress", formats.NO_VALUE if standing["progress"] is None else f"{standing['progress']:g}%")],
)


def progress_text(rows):
    """Progress as '62%', the 三色 in words, days to the next deadline in words: as shown."""
    return rows.assign(
        warning=rows["warning"].map(widgets.warning_text),
        progress=[formats.NO_VALUE if p is None or p != p else f"{p:g}%" for p in rows["progress"]],
        **({"days_left": rows["days_left"].map(widgets.days_left_text)} if "days_left" in rows else {}),
    )


if not figures["total"]:
    board.no_data()
else:
    rows = query(projects.board, filters, ctx.today)
    main, side = board.areas()
    with main:
        widgets.village_map("projects_map", filters, draw=widgets.project_markers(
            query(projects.war_map, filters, ctx.today)), height=board.map_height)
        widgets.note(t("projects_map_legend"))
    with side:
        colours = {p: widgets.project_colour(w) for p, w in zip(rows["project"], rows["warning"])}
        # Only what the bars draw: Altair sends its whole frame to the browser (the leader too).
        widgets.chart(rows[["project", "progress"]], lambda df: charts.bar_counts(
            df, "project", "progress", t("projects_by_progress"), colour_map=colours, sort=list(df["project"]),
            value_label=t("progress"), height=widgets.CHART_HEIGHT if shell.on_wall() else None),
            t("projects_by_progress"))

    if not ctx.wall:
        st.subheader(t("projects_board"))
        shown = progress_text(rows.assign(milestones_done=[f"{d} / {n}" for d, n in zip(
            rows["milestones_done"], rows["milestones"])]))
        columns = BOARD_COLUMNS if shell.shows_records() else {k: v for k, v in BOARD_COLUMNS.items() if k != "leader"}
        widgets.table(shown, columns, translate=("status",), cell_styles={"warning": widgets.warning_styles()},
                      aggregate=True)
        for village in filters.villages:
            st.subheader(t("projects_of_village", village=literal(village)))  # a name from a link
            own = progress_text(query(projects.of_village, filters, ctx.today, village))
            columns = VILLAGE_COLUMNS if shell.shows_records() else {
                k: v for k, v in VILLAGE_COLUMNS.items() if k != "responsible_person"}
            widgets.table(own, columns, translate=("status",), cell_styles={"warning": widgets.warning_styles()},
                          aggregate=True)
