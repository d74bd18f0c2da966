"""The router: page config, the views, the shared frame. Nothing else."""

import streamlit as st

from data_access import events
from data_access.models import ALERT_CATEGORIES, HAZARD_CATEGORIES
from ui import data, shell, wall
from ui.i18n import t

st.set_page_config(page_title=t("app_title"), page_icon="🏘️", layout="wide")
shell.start()

views = {
    "overview": st.Page("pages/overview.py", title=t("overview"), icon="🏠", url_path="overview", default=True),
    "hazards": st.Page("pages/hazards.py", title=t("hazards"), icon="⚠️", url_path="hazards"),
    "population": st.Page("pages/population.py", title=t("population"), icon="👥", url_path="population"),
    "alerts": st.Page("pages/alerts.py", title=t("alerts"), icon="🚨", url_path="alerts"),
    "events": st.Page("pages/events.py", title=t("events"), icon="📋", url_path="events"),
    "imports": st.Page("pages/imports.py", title=t("imports"), icon="📥", url_path="import"),
}
if wall.requested():  # ?mode=wall: the duty room's screen, one page, no navigation
    views = {"wall": st.Page("pages/wall.py", title=t("app_title"), url_path="wall", default=True)}
categories = {
    "hazards": HAZARD_CATEGORIES,
    "alerts": ALERT_CATEGORIES,
    "events": lambda: data.query(events.categories),
}

page = st.navigation(list(views.values()), position="hidden" if wall.requested() else "sidebar")
view = next(key for key, candidate in views.items() if candidate is page)
with shell.frame(view, categories.get(view, ()), wall=wall.requested()):
    page.run()
