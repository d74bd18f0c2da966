"""The filter bar's reading of a link, as a pure function: every value of each parameter and
the known villages in, the filter's parts and the messages about what was dropped out.
(tests/pages/test_pages.py and tests/browser/test_views.py open hostile links in the app itself.)"""

from __future__ import annotations

import datetime as dt

import pytest

from data_access.filters import Period
from ui.filter_bar import MAX_PARAM_LENGTH, UrlFilter, parse_url

D = dt.date
TODAY = D(2026, 11, 23)
VILLAGES = ("倪宅村", "凤凰村")
SQL = "'; DROP TABLE alerts; --"
DEFAULT = {"lang": "zh", "villages": [], "grids": [], "categories": [], "preset": "year",
           "period": Period(D(2026, 1, 1), TODAY)}

# name: (the link's values, the parts that differ from the default, the messages)
CASES = {
    "no filter": ({}, {}, []),
    "two villages, one twice": ({"village": ["倪宅村", "凤凰村", "倪宅村"]},
                                {"villages": ["倪宅村", "凤凰村"]}, []),
    "a quote": ({"village": ["'"]}, {}, [("bad_village", ["'"])]),
    "SQL": ({"village": [SQL], "grid": [SQL], "category": [SQL]},
            {"grids": [SQL], "categories": [SQL]},  # passed on to be checked against the known ones
            [("bad_village", [SQL])]),
    "very long values": ({"village": ["村" * 10_000], "period": ["x" * 10_000], "lang": ["x" * 10_000]},
                         {}, ["bad_language", ("bad_village", ["村" * MAX_PARAM_LENGTH]), "bad_period"]),
    "long grid and category names cut": ({"grid": ["网" * 100], "category": ["类" * 100]},
                                         {"grids": ["网" * MAX_PARAM_LENGTH],
                                          "categories": ["类" * MAX_PARAM_LENGTH]}, []),
    "unknown names": ({"village": ["倪宅村", "不存在村"], "period": ["fortnight"], "lang": ["fr"]},
                      {"villages": ["倪宅村"]},
                      ["bad_language", ("bad_village", ["不存在村"]), "bad_period"]),
    "english": ({"lang": ["en"]}, {"lang": "en"}, []),
    "an empty language": ({"lang": [""]}, {}, ["bad_language"]),
    "the last of repeated values": ({"lang": ["fr", "en"], "period": ["fortnight", "7d"]},
                                    {"lang": "en", "preset": "7d", "period": Period(D(2026, 11, 17), TODAY)},
                                    []),
    "a preset": ({"period": ["30d"]}, {"preset": "30d", "period": Period(D(2026, 10, 25), TODAY)}, []),
    "today": ({"period": ["today"]}, {"preset": "today", "period": Period(TODAY, TODAY)}, []),
    "this quarter": ({"period": ["quarter"]},
                     {"preset": "quarter", "period": Period(D(2026, 10, 1), TODAY)}, []),
    "custom with no dates": ({"period": ["custom"]}, {}, ["bad_period"]),
    "a range": ({"from": ["2026-01-01"], "to": ["2026-03-31"]},
                {"preset": "custom", "period": Period(D(2026, 1, 1), D(2026, 3, 31))}, []),
    "one day": ({"from": ["2026-02-28"], "to": ["2026-02-28"]},
                {"preset": "custom", "period": Period(D(2026, 2, 28), D(2026, 2, 28))}, []),
    "a range over a preset": ({"period": ["30d"], "from": ["2026-01-01"], "to": ["2026-03-31"]},
                              {"preset": "custom", "period": Period(D(2026, 1, 1), D(2026, 3, 31))}, []),
    "a reversed range": ({"from": ["2026-05-01"], "to": ["2026-04-01"]}, {}, ["reversed_range"]),
    "bad dates": ({"from": ["2026-02-30"], "to": ["yesterday"]}, {}, ["bad_date"]),
    "a month that is not": ({"from": ["2026-99-01"]}, {}, ["bad_date"]),
    "only a start": ({"from": ["2026-05-01"]}, {}, ["bad_date"]),
    "only an end": ({"to": ["2026-05-01"]}, {}, ["bad_date"]),
    "a bad range drops the preset too": ({"period": ["7d"], "from": ["x"], "to": ["2026-05-01"]},
                                         {}, ["bad_date"]),
}


@pytest.mark.parametrize(("query", "parts", "messages"), CASES.values(), ids=CASES)
def test_a_link_s_filter(query, parts, messages):
    assert parse_url(query, VILLAGES, TODAY) == UrlFilter(**{**DEFAULT, **parts}, messages=messages)
