"""What a warm rerun reuses (ui/render_cache): a map's HTML, a chart's spec and a table's shown
frame are built once for the same data and drawn again from the cache; new data, another filter,
another language or another builder argument is built anew. And a kept map is sent to
streamlit-folium exactly as st_folium would send it."""

from __future__ import annotations

import threading
import time

import pandas as pd
import streamlit_folium
from streamlit.testing.v1 import AppTest

from ui import maps, offline_map, render_cache, widgets

from .. import factories as f


def test_a_fingerprint_follows_the_contents_not_the_object():
    one = pd.DataFrame({"village": ["倪宅村", "凤凰村"], "value": [3, 4]})
    same = pd.DataFrame({"village": ["倪宅村", "凤凰村"], "value": [3, 4]})
    changed = pd.DataFrame({"village": ["倪宅村", "凤凰村"], "value": [3, 5]})
    fp = render_cache.fingerprint
    assert fp(one, "x") == fp(same, "x")
    assert fp(one, "x") != fp(changed, "x")
    assert fp(one, "x") != fp(one, "y")
    assert fp(one, ("倪宅村",)) != fp(one, ())


def test_a_builders_fingerprint_follows_its_arguments_and_the_values_it_reads():
    def builder(unit):
        return lambda df, title="a": (df, unit, title)

    fp = render_cache.fingerprint
    assert fp(builder("week")) == fp(builder("week"))
    assert fp(builder("week")) != fp(builder("month")), "a captured value is part of it"
    assert fp(lambda df, title="a": title) != fp(lambda df, title="b": title), "so is a default"


def test_a_kept_map_is_sent_as_st_folium_sends_it(monkeypatch):
    sent = []
    monkeypatch.setattr(streamlit_folium, "_component_func", lambda **kwargs: sent.append(kwargs))

    def build():
        m = maps.base_map((28.92, 119.97), 13, "osm")
        maps.hazard_layer(m, pd.DataFrame({"id": [1], "lat": [28.92], "lon": [119.97], "level": ["重大"],
                                           "status": ["待处置"], "title": ["桥"], "is_open": [True]}),
                          basemap="osm", labels={"title": "t", "level": "l", "status": "s", "layer": "h"})
        return maps.freeze_ids(m)

    streamlit_folium.st_folium(build(), key="k", height=300, use_container_width=True,
                               returned_objects=["last_active_drawing"])
    widgets.show_folium(offline_map.component_args(build()), key="k", height=300,
                        returned_objects=["last_active_drawing"])
    theirs, ours = ({k: v for k, v in call.items() if k != "on_change"} for call in sent)
    assert ours == theirs


def _draws():
    import pandas as pd
    import streamlit as st

    from data_access.filters import Filters, Period, local_today
    from ui import charts, render_cache, widgets

    today = local_today()
    render_cache.maps.clear()
    render_cache.charts.clear()
    render_cache.tables.clear()

    def map_builds(key, villages, value):
        before = render_cache.maps.builds
        widgets.village_map(key, Filters(Period(today, today), villages=villages), measure_label="x",
                            values=pd.DataFrame({"village": ["倪宅村"], "value": [value]}))
        return render_cache.maps.builds - before

    def chart_builds(value, title):
        before = render_cache.charts.builds
        df = pd.DataFrame({"category": ["火灾", "交通"], "found": [value, 2]})
        widgets.chart(df, lambda df: charts.bar_counts(df, "category", "found", title), title)
        return render_cache.charts.builds - before

    def table_builds(value):
        before = render_cache.tables.builds
        widgets.table(pd.DataFrame({"category": ["火灾"], "found": [value]}), {"category": "category"},
                      aggregate=True)
        return render_cache.tables.builds - before

    st.session_state["maps"] = [map_builds("a", (), 5), map_builds("b", (), 5), map_builds("c", (), 6),
                                map_builds("d", ("倪宅村",), 6)]
    st.session_state["charts"] = [chart_builds(1, "t"), chart_builds(1, "t"), chart_builds(3, "t"),
                                  chart_builds(3, "u")]
    st.session_state["tables"] = [table_builds(1), table_builds(1), table_builds(2)]


def test_the_same_data_is_drawn_from_the_cache_and_new_data_or_a_filter_is_built(engine, monkeypatch):
    with engine.begin() as conn:
        f.village(conn, "倪宅村")
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    at = AppTest.from_function(_draws, default_timeout=60).run()
    assert not at.exception
    # built · the same again: kept · new data: built · another filter: built
    assert at.session_state["maps"] == [1, 0, 1, 1]
    # built · the same again: kept · new data: built · another title: built
    assert at.session_state["charts"] == [1, 0, 1, 1]
    assert at.session_state["tables"] == [1, 0, 1]


def test_sessions_asking_for_a_map_being_built_wait_for_that_build():
    memo, started = render_cache.Memo(4), threading.Event()

    def slow_build():
        started.set()
        time.sleep(0.2)
        return "html"

    first = threading.Thread(target=memo.get_or_build, args=("board", slow_build))
    first.start()
    started.wait(5)
    others = [threading.Thread(target=memo.get_or_build, args=("board", slow_build)) for _ in range(5)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(10)
    assert memo.builds == 1, "twenty walls reaching a new board build its map once"
