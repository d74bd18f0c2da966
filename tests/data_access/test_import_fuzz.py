"""Hypothesis against the whole importer on a real database: whatever the bytes or the cells,
no exception escapes, the counts add up, and the database holds exactly what the report says."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from data_access.importing import KINDS, import_file
from data_access.importing.columns import RECORD_KINDS

from ..conftest import empty
from ..import_support import counts, csv_bytes, load_sample_villages, xlsx_bytes

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TABLE = {
    "hazards": "hazards",
    "population": "population_stays",
    "houses": "houses",
    "alerts": "alerts",
    "events": "grid_events",
    "terminals": "terminals",
}

_text = st.text(max_size=10).filter(lambda t: not ILLEGAL_CHARACTERS_RE.search(t))
_cells = st.one_of(
    _text,
    st.sampled_from(
        [
            "",
            "是",
            "否",
            "Y",
            "2026-03-01",
            "2026/3/1 9:05",
            "2099-01-01",
            "治安",
            "消防",
            "一般",
            "待处置",
            "已化解",
            "倪宅村",
            "凤凰村",
            "119.9686",
            "28.9226",
            "6",
            "13800138000",
            "53010219900312011X",
        ]
    ),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(min_value=dt.datetime(1800, 1, 1), max_value=dt.datetime(2200, 1, 1)),
    st.booleans(),
)


def _check_consistent(engine, kind, report, before):
    after = counts(engine)
    if report.file_error:
        assert after == before
        return
    assert report.rows_read == report.inserted + report.updated + report.unchanged + report.rejected_rows
    if kind in TABLE:
        assert after[TABLE[kind]] == before[TABLE[kind]] + report.inserted


@FUZZ
@given(
    data=st.binary(max_size=300),
    kind=st.sampled_from(KINDS),
    suffix=st.sampled_from([".csv", ".xlsx", ".geojson", ""]),
)
def test_arbitrary_bytes(engine, data, kind, suffix):
    empty(engine)
    before = counts(engine)
    report = import_file(engine, kind, data, filename=f"f{suffix}")
    _check_consistent(engine, kind, report, before)


@FUZZ
@given(kind=st.sampled_from(sorted(RECORD_KINDS)), data=st.data(), as_xlsx=st.booleans())
def test_arbitrary_cells(engine, kind, data, as_xlsx):
    empty(engine)
    load_sample_villages(engine)
    columns = [c.name for c in RECORD_KINDS[kind].columns]
    rows = data.draw(st.lists(st.fixed_dictionaries({c: _cells for c in columns}), max_size=6))
    assume(rows)
    if as_xlsx:
        payload, filename = xlsx_bytes(rows), "f.xlsx"
    else:
        payload, filename = csv_bytes([{k: str(v) for k, v in r.items()} for r in rows]), "f.csv"
    before = counts(engine)
    report = import_file(engine, kind, payload, filename=filename)
    assert report.file_error is None
    _check_consistent(engine, kind, report, before)
    again = import_file(engine, kind, payload, filename=filename)  # the same file twice changes nothing
    assert (again.inserted, again.updated) == (0, 0)
