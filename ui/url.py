"""The one strict reading of values that come from a URL: ASCII digits only, bounded lengths,
real calendar dates. Anything else is None, and the caller falls back to its default.

Python's own readers are too lenient for text anyone can type into a link: `str.isdigit()` and
`int()` accept '²', '①' and Arabic-Indic digits, `int()` takes spaces, signs and underscores,
and `date.fromisoformat()` also reads '20260101' and ISO week dates. Pure: no Streamlit here.
"""

from __future__ import annotations

import datetime as dt
import re

ASCII_DIGITS = re.compile(r"[0-9]+")
ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def parse_int(text: str | None, *, max_digits: int) -> int | None:
    """A non-negative integer written as 1 to `max_digits` ASCII digits, else None."""
    if text is None or not 0 < len(text) <= max_digits or not ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)


def parse_date(text: str | None) -> dt.date | None:
    """A date written YYYY-MM-DD in ASCII digits that exists in the calendar, else None."""
    match = ISO_DATE.fullmatch(text or "")
    if match is None:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:  # 2026-02-30, month 13, year 0
        return None
