"""The parsers and readers on their own (no database): values, encodings, headers, and
hypothesis throwing arbitrary bytes and cells at them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, DateTime
from sqlalchemy.dialects import sqlite

from data_access import idcard
from data_access.importing import parsing, readers, rules
from data_access.importing.columns import ALERTS, HAZARDS, header_map, normalise_header
from data_access.importing.readers import FileProblem

from ..import_support import csv_bytes, xlsx_bytes

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01 09:05:00", dt.datetime(2026, 3, 1, 9, 5)),
        ("2026/3/1 9:05", dt.datetime(2026, 3, 1, 9, 5)),
        ("2019/4/25 9:32:09", dt.datetime(2019, 4, 25, 9, 32, 9)),
        ("2026-03-01", dt.datetime(2026, 3, 1)),
        ("2026.3.1", dt.datetime(2026, 3, 1)),
        ("2026年3月1日", dt.datetime(2026, 3, 1)),
        ("2026年3月1日9时5分", dt.datetime(2026, 3, 1, 9, 5)),
        ("2026年03月01日 09:05:07", dt.datetime(2026, 3, 1, 9, 5, 7)),
        ("20260301", dt.datetime(2026, 3, 1)),
        ("2026-03-01 09:05:00.7", dt.datetime(2026, 3, 1, 9, 5, 1)),  # to the nearest second
        ("2026-03-01T09:05:00+08:00", dt.datetime(2026, 3, 1, 9, 5)),
        ("46082", dt.datetime(2026, 3, 1)),  # an Excel serial number
    ],
)
def test_times_accepted(text, expected):
    assert parsing.datetime_from_text(text) == (expected, None)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2026-02-30", "not a real date"),
        ("2026/3/1 24:00", "not a real date"),
        ("1899-12-31", "year"),
        ("2226-01-01", "year"),
        ("3/1/2026", "not a date"),
        ("下周一", "not a date"),
        ("123", "not a date"),
        ("99999", "not an Excel date"),
    ],
)
def test_times_refused(text, words):
    value, reason = parsing.datetime_from_text(text)
    assert value is None and words in reason


def test_a_column_mixing_every_form_and_excel_cells():
    cells = [
        "2026-03-01 09:05:00",
        "2026/3/1 9:05",
        dt.datetime(2026, 3, 1, 9, 5, 0, 999_999),
        dt.date(2026, 3, 1),
        46082.375,
        "",
        None,
        "bad",
        True,
    ]
    text = parsing.texts(cells, text_only=False)
    values, errors = parsing.parse_datetime(cells, text, text_only=False)
    assert values[:6] == [
        dt.datetime(2026, 3, 1, 9, 5),
        dt.datetime(2026, 3, 1, 9, 5),
        dt.datetime(2026, 3, 1, 9, 5, 1),
        dt.datetime(2026, 3, 1),
        dt.datetime(2026, 3, 1, 9),
        None,
    ]
    assert values[6:] == [None, None, None]
    assert sorted(errors) == [7, 8]
    dates, _ = parsing.parse_date(cells, text, text_only=False)
    assert dates[2] == dt.date(2026, 3, 1)


def test_numbers_counts_phones_and_choices():
    assert parsing.parse_number(["119.9686", "", "-1e2", "nan", "inf", "1_0", "东经"]) == (
        [119.9686, None, -100.0, None, None, None, None],
        {3: "not a number", 4: "not a number", 5: "not a number", 6: "not a number"},
    )
    assert parsing.parse_count(["6", "12.0", "0", "2.5", "10001", ""])[0] == [6, 12, None, None, None, None]
    assert parsing.parse_phone(["13800138000", "138-0013-8000", "+86 138 0013 8000", "1380013800", ""])[
        0
    ] == ["13800138000", "13800138000", "13800138000", None, None]
    assert parsing.parse_choice(["消防", "消防 ", "火警"], ("消防",))[1] == {
        1: "must be one of: 消防",
        2: "must be one of: 消防",
    }


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.text(alphabet="0123456789Xx ", min_size=16, max_size=19), max_size=20),
    st.lists(
        st.from_regex(
            r"(11|33|53|99)[0-9]{4}(19|20|00)[0-9]{2}(0[0-9]|1[0-3])[0-3][0-9][0-9]{3}", fullmatch=True
        ),
        max_size=20,
    ),
)
def test_the_bulk_id_check_agrees_with_idcard(noise, first17s):
    """numpy accepts in bulk only what data_access.idcard accepts one by one."""
    ids = noise + [f + idcard.check_char(f) for f in first17s] + [f + "0" for f in first17s]
    values, errors = parsing.parse_id_number([i.strip() for i in ids], TODAY)
    for text, value, i in zip(ids, values, range(len(ids))):
        expected = idcard.normalise(text)
        problem = idcard.problem(expected) if expected else None
        if problem is None and expected and idcard.birth_date(expected) > TODAY:
            problem = "future"
        assert (value is not None) == (problem is None and bool(expected)), (text, errors.get(i))


def test_digits_that_are_not_ascii_make_an_id_number_invalid_not_a_crash():
    valid = "11010119900307123" + idcard.check_char("11010119900307123")
    assert idcard.problem(valid) is None
    for hostile in ("1101011990030712²X", "110101199003071２3X", "11010119900307①23X", "١١٠١٠١١٩٩٠٠٣٠٧١٢٣X"):
        assert idcard.problem(hostile) == "ID number must be 17 digits and a digit or X", hostile
        values, errors = parsing.parse_id_number([hostile], TODAY)
        assert values == [None] and errors, hostile


def test_header_spellings():
    names = header_map(HAZARDS)
    for spelling in (
        "source_id",
        "Source ID",
        "SOURCE-ID",
        "隐患编号",
        "*隐患编号",
        " 隐患 编号 ",
        "\ufeff隐患编号",
    ):
        assert names[normalise_header(spelling)] == "source_id"
    assert names[normalise_header("Longitude")] == "lon"


def test_sqlite_storage_format_matches_sqlalchemy():
    """writer._insert formats dates for SQLite itself; it must write what SQLAlchemy would."""
    dialect = sqlite.dialect()
    moment, day = dt.datetime(2026, 3, 1, 9, 5, 7), dt.date(987, 3, 1)
    for column_type, value, text in (
        (DateTime(), moment, moment.isoformat(" ", "microseconds")),
        (Date(), day, day.isoformat()),
    ):
        assert column_type.dialect_impl(dialect).bind_processor(dialect)(value) == text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a,b\r\n1,2\r\n", [["1"], ["2"]]),
        ("\ufeffa,b\r\n1,2\r\n".encode("utf-8"), [["1"], ["2"]]),
        ("a,b\r\n倪宅,2\r\n".encode("gbk"), [["倪宅"], ["2"]]),
        ("a\tb\r\n 1 \t2\r\n".encode("utf-16"), [["1"], ["2"]]),
        (b'a,b\r\n"x\r\ny",2\r\n', [["x\r\ny"], ["2"]]),
    ],
)
def test_csv_reading(data, expected):
    table = readers.read_table(data, readers.CSV)
    assert table.headers == ["a", "b"]
    assert [list(c) for c in table.columns] == expected


def test_xlsx_reading_keeps_cell_types_and_row_numbers():
    rows = [{"a": dt.datetime(2026, 3, 1, 9, 5), "b": 12345}, {"a": None, "b": None}, {"a": "x", "b": 1.5}]
    table = readers.read_table(xlsx_bytes(rows), readers.XLSX)
    assert table.headers == ["a", "b"]
    assert table.row_numbers == [2, 4]
    assert list(table.columns[0]) == [dt.datetime(2026, 3, 1, 9, 5), "x"]
    assert parsing.texts(table.columns[1], text_only=False) == ["12345", "1.5"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.sampled_from(["a.csv", "a.xlsx", "a.geojson", None, "a.txt"]))
def test_arbitrary_bytes_never_escape_as_an_exception(data, filename):
    try:
        fmt = readers.detect_format(data, filename)
        if fmt == readers.JSON:
            from data_access.importing import geo

            geo.read_villages(data)
        else:
            table = readers.read_table(data, fmt)
            rules.check(ALERTS, table, "wgs84", dt.datetime(2026, 11, 23))
    except FileProblem:
        pass


_cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "是", "否", "2026-03-01", "2026/3/1 9:05", "治安", "倪宅村", "x", "1", "0", " ", "\u3000"]
    ),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries({c.name: _cells for c in ALERTS.columns}), max_size=8))
def test_arbitrary_cells_are_either_parsed_or_reported(rows):
    table = readers.read_table(
        csv_bytes(rows) if rows else b"source_id,received_at,category,effective,village\r\n", readers.CSV
    )
    checked = rules.check(ALERTS, table, "wgs84", dt.datetime(2026, 11, 23))
    for i in checked.good_rows():
        assert checked.values["source_id"][i] and checked.values["received_at"][i] is not None
        assert checked.values["effective"][i] in (True, False)
    for error in checked.errors():
        assert error.reason and error.row >= 2
