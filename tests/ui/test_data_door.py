"""ui.data, the pages' door to data_access: a write passes by the cached answers of what it
changes, and only those (a sign-in attempt changes no record: every cached figure stays)."""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from data_access.filters import local_today

from .. import factories as f


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


def _outage_at_a_new_minute():
    import datetime as dt
    import os

    import streamlit as st

    from data_access import events
    from data_access.filters import Filters, Period, local_today
    from ui import data

    today = local_today()
    filters = Filters(Period(today.replace(day=1), today))
    noon = dt.datetime.combine(today, dt.time(12, 0))
    st.session_state["before"] = data.query(events.backlog, filters, noon)[1:]
    os.environ["DATABASE_URL"] = os.environ["GONE_URL"]  # the file is gone: an outage
    # The wall asks its backlog 'as of now' every minute: a question never answered before.
    st.session_state["during"] = data.query(events.backlog, filters, noon + dt.timedelta(minutes=1))[1:]
    st.session_state["down"] = data.outage()[0]


def test_an_outage_at_a_new_minute_answers_with_that_questions_last_answer(engine, monkeypatch, tmp_path):
    """The wall's events board asks for the backlog at the current minute; in an outage, the answer
    at the minute before stands in for it (ui.data: the last good answer of the same question at
    an earlier 'now'), rather than 'no data'."""
    with engine.begin() as conn:
        ni = f.village(conn, "倪宅村")
        f.event(conn, ni, dt.datetime.combine(local_today().replace(day=1), dt.time(8)))
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("GONE_URL", f"sqlite:///{tmp_path / 'gone.db'}")
    at = AppTest.from_function(_outage_at_a_new_minute, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["down"] is True
    assert at.session_state["during"] == at.session_state["before"] == (1, 0)


def test_a_calls_key_tells_every_plain_value_apart_and_refuses_anything_else():
    """ui.data.query hands st.cache_data one text (call_key) for a call of plain values: it must
    differ wherever the arguments differ, type included, and there is none for other values."""
    import pandas as pd

    from data_access.filters import Filters, Period
    from ui.data import call_key

    day = dt.date(2026, 12, 3)
    period = Period(day, day)
    values = [1, 1.0, True, "1", None, day, dt.datetime(2026, 12, 3), (1,), [1], (), ("1",),
              Filters(period), Filters(period, villages=("倪宅村",)), Filters(period, village_ids=(1,)),
              Filters(period, village_ids=()), Period(day, day)]
    keys = [call_key("f", value) for value in values]
    assert None not in keys and len(set(keys)) == len(values)
    assert call_key("f", Filters(period, ("倪宅村",))) == call_key("f", Filters(Period(day, day), ("倪宅村",)))
    assert call_key("f", pd.DataFrame({"a": [1]})) is None and call_key("f", object()) is None


def _kept_answers():
    import streamlit as st
    from sqlalchemy import insert

    from data_access import areas, settings
    from data_access.db import get_engine
    from data_access.models import Village
    from ui import data

    first = data.query(areas.villages)
    first["name"] = "changed"  # a page changes what it was given
    st.session_state["again"] = list(data.query(areas.villages)["name"])
    with get_engine(settings.database_url()).begin() as conn:  # behind the app's back
        conn.execute(insert(Village).values(name="新村乙", work_area="倪宅片区", town="花街镇"))
    st.session_state["kept"] = list(data.query(areas.villages)["name"])
    st.cache_data.clear()
    st.session_state["cleared"] = list(data.query(areas.villages)["name"])


def test_a_kept_answer_is_a_copy_and_goes_with_the_data_cache(engine, monkeypatch):
    """query() keeps answers as objects (ui.data._answers): a caller that changes its answer
    changes no other caller's, and st.cache_data.clear() passes every kept answer by."""
    with engine.begin() as conn:
        f.village(conn, "倪宅村")
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    at = AppTest.from_function(_kept_answers, default_timeout=60).run()
    assert not at.exception
    assert at.session_state["again"] == at.session_state["kept"] == ["倪宅村"]
    assert at.session_state["cleared"] == ["倪宅村", "新村乙"]
