"""ui.data, the pages' door to data_access: a write passes by the cached answers of what it
changes, and only those (a sign-in attempt changes no record: every cached figure stays)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from . import factories as f


def _script():
    import streamlit as st
    from sqlalchemy import insert

    from data_access import areas, settings
    from data_access.db import get_engine
    from data_access.models import Village
    from ui import auth, data

    def add_village(name):  # behind the app's back, as another process would
        with get_engine(settings.database_url()).begin() as conn:
            conn.execute(insert(Village).values(name=name, work_area="倪宅片区", town="花街镇"))

    st.session_state["before"] = data.query(areas.village_names)
    add_village("新村甲")
    auth.attempt("nobody", "wrong-guess")
    st.session_state["after_sign_in"] = data.query(areas.village_names)
    data.write(lambda engine: None, changes=("areas",))
    st.session_state["after_areas_change"] = data.query(areas.village_names)


def test_a_sign_in_keeps_the_cached_answers_and_a_change_passes_them_by(engine, monkeypatch):
    with engine.begin() as conn:
        f.village(conn, "倪宅村")
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    at = AppTest.from_function(_script, default_timeout=60).run()
    assert not at.exception
    assert at.session_state["before"] == at.session_state["after_sign_in"] == ["倪宅村"]
    assert at.session_state["after_areas_change"] == ["倪宅村", "新村甲"]
