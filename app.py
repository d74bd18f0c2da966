"""The router: page config, the views the signed-in role may open, the shared frame. Nothing else."""

import streamlit as st

from data_access import events
from data_access.models import ALERT_CATEGORIES, HAZARD_CATEGORIES
from ui import auth, data, shell, wall
from ui.i18n import t

st.set_page_config(page_title=t("app_title"), page_icon="🏘️", layout="wide")
shell.start()

# (view, page, the lowest role that may open it). Each page checks its role again itself.
views = [
    ("overview", st.Page("pages/overview.py", title=t("overview"), icon="🏠", url_path="home", default=True),
     "viewer"),
    # The default page answers at "/" only: this hidden twin gives the overview its own address too.
    ("overview", st.Page("pages/overview.py", title=t("overview"), icon="🏠", url_path="overview",
                         visibility="hidden"), "viewer"),
    ("hazards", st.Page("pages/hazards.py", title=t("hazards"), icon="⚠️", url_path="hazards"), "viewer"),
    ("review", st.Page("pages/review.py", title=t("review"), icon="🧭", url_path="review"), "staff"),
    ("hazard", st.Page("pages/hazard.py", title=t("hazard_item"), icon="📌", url_path="hazard",
                       visibility="hidden"), "staff"),  # one item, opened from the review list
    ("population", st.Page("pages/population.py", title=t("population"), icon="👥", url_path="population"),
     "viewer"),
    ("alerts", st.Page("pages/alerts.py", title=t("alerts"), icon="🚨", url_path="alerts"), "viewer"),
    ("events", st.Page("pages/events.py", title=t("events"), icon="📋", url_path="events"), "viewer"),
    ("ranking", st.Page("pages/ranking.py", title=t("ranking"), icon="🏆", url_path="ranking"), "viewer"),
    ("projects", st.Page("pages/projects.py", title=t("projects"), icon="🏗️", url_path="projects"), "viewer"),
    ("stability", st.Page("pages/stability.py", title=t("stability"), icon="🛡️", url_path="stability"),
     "viewer"),
    ("warnings", st.Page("pages/warnings.py", title=t("warnings"), icon="🔔", url_path="warnings"), "staff"),
    ("imports", st.Page("pages/imports.py", title=t("imports"), icon="📥", url_path="import"), "staff"),
    ("admin", st.Page("pages/admin.py", title=t("admin"), icon="🔑", url_path="admin"), "admin"),
]
if wall.requested():  # ?mode=wall: the duty room's screen, one page, no navigation, no sign-in
    views = [("wall", st.Page("pages/wall.py", title=t("app_title"), url_path="wall", default=True), "viewer")]
elif auth.current() is not None:  # signed out, every view stays known so the link survives the sign-in
    views = [entry for entry in views if auth.allows(entry[2])]
categories = {
    "hazards": HAZARD_CATEGORIES,
    "review": HAZARD_CATEGORIES,
    "alerts": ALERT_CATEGORIES,
    "events": lambda: data.query(events.categories),
}

hidden = wall.requested() or auth.current() is None
page = st.navigation([entry[1] for entry in views], position="hidden" if hidden else "sidebar")
view = next(name for name, candidate, _ in views if candidate is page)
with shell.frame(view, categories.get(view, ()), wall=wall.requested()):
    page.run()
