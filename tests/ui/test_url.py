"""ui.url: the strict reading of integers and dates from a URL, one table of cases each."""

from __future__ import annotations

import datetime as dt

import pytest

from ui import url

INTEGERS = [
    # (text, max_digits, expected)
    ("0", 4, 0),
    ("7", 4, 7),
    ("0030", 4, 30),
    ("3600", 4, 3600),
    ("36000", 4, None),  # one digit too many
    ("9" * 12, 12, 999_999_999_999),
    ("", 4, None),
    (None, 4, None),
    ("²", 4, None),  # str.isdigit() says yes
    ("①", 4, None),  # str.isdigit() says yes
    ("٣", 4, None),  # Arabic-Indic three: int() reads it
    ("３０", 4, None),  # full-width digits: int() reads them
    ("-5", 4, None),
    ("+5", 4, None),
    (" 5", 4, None),
    ("5 ", 4, None),
    ("1_000", 8, None),  # int() reads it
    ("1e3", 4, None),
    ("3.0", 4, None),
    ("0x10", 4, None),
    ("5\n", 4, None),
]


@pytest.mark.parametrize(("text", "max_digits", "expected"), INTEGERS)
def test_parse_int(text, max_digits, expected):
    assert url.parse_int(text, max_digits=max_digits) == expected


DATES = [
    ("2026-01-01", dt.date(2026, 1, 1)),
    ("2024-02-29", dt.date(2024, 2, 29)),
    ("2026-02-29", None),  # not a leap year
    ("2026-02-30", None),
    ("2026-13-01", None),
    ("0000-01-01", None),
    ("20260101", None),  # date.fromisoformat() reads it
    ("2026-W01-1", None),  # so does an ISO week date
    ("2026-1-1", None),
    ("2026-01-01T00:00", None),
    (" 2026-01-01", None),
    ("２０２６-01-01", None),
    ("yesterday", None),
    ("", None),
    (None, None),
    ("2026-01-01" * 1000, None),
]


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_parse_date(text, expected):
    assert url.parse_date(text) == expected
