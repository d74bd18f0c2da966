"""风险研判 Risk review for the weekly meeting: hazards worst first under the shared filter plus
status, level and the person in charge (all in the URL), the 三色 counts, a way into each item,
and the exports (the list as .xlsx, the one-page briefing)."""

import streamlit as st

from data_access import hazards
from data_access.models import HAZARD_LEVELS, HAZARD_OPEN_STATUSES, HAZARD_STATUSES
from ui import auth, hazard_item, meeting_exports, shell, widgets
from ui.data import query
from ui.i18n import t, tv

ctx = shell.page("staff")
filters = ctx.filters
# Persons in charge by an id, labelled uniquely: masked for staff, in clear for leaders.
people = query(hazards.responsible_choices, filters, clear=auth.allows("leader"))
left, middle, right = st.columns(3)
narrow = {
    "statuses": tuple(left.multiselect(t("status"), HAZARD_STATUSES, default=HAZARD_OPEN_STATUSES, key="status",
                                       bind="query-params", format_func=tv, placeholder=t("statuses_all"))),
    "levels": tuple(middle.multiselect(t("level"), HAZARD_LEVELS, key="level", bind="query-params", format_func=tv,
                                       placeholder=t("levels_all"))),
    "responsible": right.selectbox(t("responsible"), list(people), index=None, key="responsible",
                                   bind="query-params", format_func=people.get, placeholder=t("responsible_all")),
}
widgets.warning_tiles(query(hazards.warning_counts, filters, ctx.today, **narrow))

st.subheader(t("hazard_list"))
rows, total = query(hazards.worst_first, filters, ctx.today, **narrow)
list_params = {**hazard_item.current_params(), "status": [tv(s) for s in narrow["statuses"]],
               "level": [tv(v) for v in narrow["levels"]],
               "responsible": [people[narrow["responsible"]]] if narrow["responsible"] else []}
if rows.empty:
    widgets.no_data()
else:
    st.caption(t("pick_row_hint"))
    picked = widgets.hazard_table(rows, total, pick_key="review_rows")
    if picked is not None:
        hazard_item.open_item(int(rows["id"].iloc[picked]), list_params)
hazard_item.link([int(i) for i in rows["id"]], {int(i): f"{s} · {tv(lv)} · {title}" for i, s, lv, title in zip(
    rows["id"], rows["source_id"], rows["level"], rows["title"])}, list_params)

st.subheader(t("exports"))
meeting_exports.buttons(filters, ctx.today, **narrow)
