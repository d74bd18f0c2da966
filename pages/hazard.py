"""隐患详情 One risk item (`?id=N`): where it is, what it is, who is responsible, its deadline and
三色 colour, its whole story, and for a leader the four actions (see ui/hazard_item.py)."""

import pandas as pd
import streamlit as st

from data_access import hazards, review
from data_access.masking import mask_record
from ui import auth, hazard_item, shell, widgets
from ui.data import query
from ui.i18n import t, tv
from ui.markdown import literal

ctx = shell.page("staff")
hazard_item.back()
hazard_id = hazard_item.requested_id()
if hazard_id is None:
    st.info(t("no_item_id"), icon="📌")
    st.stop()
try:
    item = query(review.hazard_detail, hazard_id, ctx.today)
except review.HazardNotFound:
    st.warning(t("item_not_found", id=hazard_id), icon="❓")
    st.stop()
hazard_item.outcome(hazard_id)
if not auth.allows("leader"):  # leaders see the person in charge in clear: they reassign by it
    item = mask_record(item)

st.subheader(literal(item["title"]))  # an imported title is text, never a link
deadline = item["deadline"].isoformat() if item["deadline"] else t("no_deadline")
due = " · ".join((widgets.warning_text(item["warning"]), widgets.days_left_text(item["days_left"])))
widgets.tiles(
    widgets.Tile(t("level"), tv(item["level"])),
    widgets.Tile(t("status"), tv(item["status"]), t("enterprise_shut_now") if item["enterprise_shut"] else None),
    widgets.Tile(t("deadline"), deadline, due if item["warning"] else None, item["warning"] or ""),
)
left, right = st.columns([2, 3])
with left:
    widgets.point_map(f"hazard_map_{hazard_id}", pd.DataFrame([{
        "id": item["id"], "title": item["title"], "level": item["level"], "status": item["status"],
        "is_open": bool(item["warning"]), "lat": item["lat"], "lon": item["lon"]}]),
        village=item["village"])
with right:
    latest = item["latest_instruction"]
    widgets.facts([
        ("category", tv(item["category"])), ("village", " · ".join(filter(None, (item["work_area"], item["village"])))),
        ("grid", item["grid"]), ("address", item["address"]), ("enterprise", item["enterprise"]),
        ("found_at", item["found_at"]), ("found_source", item["source"]), ("responsible_unit", item["responsible_unit"]),
        ("responsible", item["responsible_person"]), ("source_id", item["source_id"]),
        ("latest_instruction", f"{latest['text']}（{latest['at']:%Y-%m-%d}）" if latest else t("no_instruction")),
    ])

st.subheader(t("history"))
widgets.timeline(query(hazards.history, hazard_id))
st.subheader(t("actions"))
hazard_item.actions(item, ctx.today)
