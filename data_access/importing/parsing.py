"""Cell values → typed values, one column at a time.

Each parser takes a column's cells and returns (values, errors): values[i] is the typed value
or None (empty or invalid), errors maps a row index to the reason its cell was refused.
A column repeats few distinct strings (dates, villages, categories), so each distinct string
is parsed once.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .. import idcard, settings

Parsed = tuple[list, dict[int, str]]
Outcome = tuple[object, str | None]  # (value, None) or (None, reason)

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
EARLIEST, LATEST = dt.datetime(EARLIEST_YEAR, 1, 1), dt.datetime(LATEST_YEAR + 1, 1, 1)
# Excel stores a date as days since 1899-12-30; below 10000 (1927) a number is not a date here.
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
EXCEL_SERIAL_RANGE = (10000, 73415)  # 1927-05-18 … 2100-12-31
MAX_COUNT = 10_000  # more residents than this in one house is a typing error
MAX_YUAN = 1_000_000_000  # an amount above this (10亿元) in a mediated dispute is a typing error

_DATETIME = re.compile(
    r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?"
    r"(?:(?:\s+|T|(?<=日))([0-9]{1,2})\s*[:：时点]\s*([0-9]{1,2})\s*"
    r"(?:[:：分]\s*([0-9]{1,2})(?:\.[0-9]*)?\s*秒?|分)?)?"
)
_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})(?:([0-9]{2})([0-9]{2})([0-9]{2}))?")
_SERIAL = re.compile(r"[0-9]{5}(?:\.[0-9]+)?")
_MONTH = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*月?")
_PERCENT = re.compile(r"([0-9]+(?:\.[0-9]*)?)\s*[%％]?")
_YUAN = re.compile(r"[¥￥]?\s*([0-9][0-9,，]*(?:\.[0-9]*)?)\s*(万)?\s*元?")
_PHONE = re.compile(r"(?:\+?86)?([0-9]{11})")
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"\+?[0-9]+(?:\.0*)?")

BOOL_WORDS = {
    "是": True,
    "否": False,
    "y": True,
    "n": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
}


def cell_text(cell: object) -> str:
    """A cell as trimmed text ('' when empty); whole numbers without '.0', times in ISO form."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.isoformat(sep=" ", timespec="seconds")
    if isinstance(cell, (dt.date, dt.time)):
        return cell.isoformat()
    return str(cell)


def texts(cells: Sequence, text_only: bool) -> Sequence[str]:
    """Every cell of a column as trimmed text (a CSV's cells are trimmed already by the reader)."""
    return cells if text_only else [cell_text(c) for c in cells]


def _each(text: Sequence[str], parse: Callable[[str], Outcome]) -> Parsed:
    """Apply `parse` to every non-empty cell, once per distinct string."""
    outcomes = {t: parse(t) for t in set(text) if t}
    outcomes[""] = (None, None)
    values = [outcomes[t][0] for t in text]
    refused = {t for t, (_, reason) in outcomes.items() if reason is not None}
    errors = {i: outcomes[t][1] for i, t in enumerate(text) if t in refused} if refused else {}
    return values, errors


# C0 control characters but tab and line feed: Excel's files may not hold them (openpyxl raises
# IllegalCharacterError on export) and PostgreSQL refuses NUL. A carriage return ends a line.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_CARRIAGE_RETURN = re.compile(r"\r\n?")


def without_controls(text: str) -> str:
    """`text` with line breaks as \\n and no other C0 control character than tab and line feed."""
    return _CONTROL.sub("", _CARRIAGE_RETURN.sub("\n", text)).strip()


def parse_text(text: Sequence[str], max_length: int | None) -> Parsed:
    """Text as it is but for control characters (None when empty); refused when longer than the
    database field."""
    if _CONTROL.search("\n".join(text)):  # rare: one scan in C decides
        text = [without_controls(t) for t in text]
    values = [t or None for t in text]
    errors: dict[int, str] = {}
    if max_length is not None and text and max(map(len, text)) > max_length:
        errors = {
            i: f"longer than {max_length} characters" for i, t in enumerate(text) if len(t) > max_length
        }
        for i in errors:
            values[i] = None
    return values, errors


def parse_choice(text: Sequence[str], choices: Sequence[str]) -> Parsed:
    """One of `choices`, spelt exactly."""
    allowed = frozenset(choices)
    reason = "must be one of: " + ", ".join(choices)
    return _each(text, lambda t: (t, None) if t in allowed else (None, reason))


def parse_bool(text: Sequence[str], words: Sequence[str] = ()) -> Parsed:
    """是/否, Y/N, true/false, 1/0 in any case; `words` adds a (true, false) pair such as 在线/离线."""
    table = dict(BOOL_WORDS)
    if words:
        table.update({words[0]: True, words[1]: False})
    accepted = "/".join(("是/否", "Y/N", "true/false", "1/0", *(["/".join(words)] if words else [])))

    def one(t: str) -> Outcome:
        value = table.get(t.lower())
        return (value, None) if value is not None else (None, f"not a yes/no value ({accepted})")

    return _each(text, one)


def _number(t: str) -> Outcome:
    if not _NUMBER.fullmatch(t):
        return None, "not a number"
    value = float(t)
    return (value, None) if math.isfinite(value) else (None, "not a number")


def parse_number(text: Sequence[str]) -> Parsed:
    """A decimal number such as 119.9686 (parsed in bulk by pandas; the odd cell one by one)."""
    numbers = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(dtype=float)
    finite = np.isfinite(numbers)
    values = numbers.tolist()
    errors: dict[int, str] = {}
    for i in np.flatnonzero(~finite).tolist():
        values[i], reason = _number(text[i]) if text[i] else (None, None)
        if reason:
            errors[i] = reason
    return values, errors


def parse_percent(text: Sequence[str]) -> Parsed:
    """A share in percent, 0 … 100, with or without a % sign; kept as a whole number."""

    def one(t: str) -> Outcome:
        match = _PERCENT.fullmatch(t)
        if not match or float(match.group(1)) > 100:
            return None, "must be a percentage from 0 to 100 (e.g. 65 or 65%)"
        return round(float(match.group(1))), None

    return _each(text, one)


def parse_yuan(text: Sequence[str]) -> Parsed:
    """An amount of money in yuan, kept in whole yuan: 35000, 35,000, 35000元, ¥35000, 3.5万(元)."""

    def one(t: str) -> Outcome:
        match = _YUAN.fullmatch(t)
        if not match:
            return None, "not an amount in yuan (e.g. 35000, 35000元, 3.5万)"
        value = float(re.sub("[,，]", "", match.group(1))) * (10_000 if match.group(2) else 1)
        if value > MAX_YUAN:
            return None, f"more than {MAX_YUAN:,} yuan"
        return round(value), None

    return _each(text, one)


def parse_count(text: Sequence[str]) -> Parsed:
    """A positive whole number (1 … MAX_COUNT)."""

    def one(t: str) -> Outcome:
        if not _INTEGER.fullmatch(t):
            return None, "must be a positive whole number"
        value = int(t.split(".")[0])
        if not 1 <= value <= MAX_COUNT:
            return None, f"must be a positive whole number up to {MAX_COUNT}"
        return value, None

    return _each(text, one)


_PHONE_COLUMN = re.compile(r"(?:[0-9]{11})?(?:\x00(?:[0-9]{11})?)*")


def _phone(t: str) -> Outcome:
    match = _PHONE.fullmatch(_PHONE_SEPARATORS.sub("", t))
    return (match.group(1), None) if match else (None, "a phone number must have 11 digits")


def parse_phone(text: Sequence[str]) -> Parsed:
    """An 11-digit number; spaces, hyphens and a +86 prefix are dropped."""
    if _PHONE_COLUMN.fullmatch("\x00".join(text)):  # every cell empty or 11 digits: one scan in C
        return [t or None for t in text], {}
    return _each(text, _phone)


def _id_problem(value: str, today: dt.date) -> str | None:
    reason = idcard.problem(value)
    if reason is None and idcard.birth_date(value) > today:
        reason = "ID number holds a birth date in the future"
    return reason


def parse_id_number(text: Sequence[str], today: dt.date) -> Parsed:
    """An 18-character resident ID number with a valid check digit (a final x is read as X).

    The usual case, a well-formed number, is accepted in bulk with numpy; the rest goes through
    data_access.idcard one by one, which says what is wrong."""
    ids = [idcard.normalise(t) for t in text] if "x" in "".join(text) else list(text)
    good = _well_formed_ids(ids, today)
    values: list = [None] * len(ids)
    errors: dict[int, str] = {}
    for i, (value, ok) in enumerate(zip(ids, good)):
        if ok:
            values[i] = value
        elif value:
            reason = _id_problem(value, today)
            if reason is None:
                values[i] = value
            else:
                errors[i] = reason
    return values, errors


_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
_ID_PROVINCES = np.zeros(100, dtype=bool)
_ID_PROVINCES[[int(code) for code in idcard.PROVINCES]] = True


def _well_formed_ids(ids: list[str], today: dt.date) -> np.ndarray:
    """True where an ID number is certainly valid: digits, province, birth date, check digit.
    False means 'ask idcard.problem', not 'invalid'."""
    if all(map((18).__eq__, map(len, ids))) and "".join(ids).isascii():
        shaped = list(range(len(ids)))  # the usual case, found without a Python loop
    else:
        shaped = [i for i, v in enumerate(ids) if len(v) == 18 and v.isascii()]
    result = np.zeros(len(ids), dtype=bool)
    if not shaped:
        return result
    chars = np.frombuffer("".join(ids[i] for i in shaped).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    digits = chars[:, :17].astype(np.int64) - ord("0")
    ok = ((digits >= 0) & (digits <= 9)).all(axis=1)
    digits = np.where(ok[:, None], digits, 0)
    ok &= _ID_CHECK[(digits @ _ID_WEIGHTS) % 11] == chars[:, 17]
    ok &= _ID_PROVINCES[digits[:, 0] * 10 + digits[:, 1]]
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    # The day must exist in its month: the month's first day plus (day - 1) days stays in that month.
    first = (np.clip(year, 1, 9999) - 1970).astype("datetime64[Y]") + (np.clip(month, 1, 12) - 1).astype(
        "timedelta64[M]"
    )
    birth = first.astype("datetime64[D]") + (np.maximum(day, 1) - 1).astype("timedelta64[D]")
    ok &= birth.astype("datetime64[M]") == first
    ok &= birth <= np.datetime64(today)
    result[shaped] = ok
    return result


def _local(moment: dt.datetime) -> dt.datetime:
    """A naive local time, to the second (upstream systems keep no fractions)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(settings.get("TIMEZONE"))).replace(tzinfo=None)
    if moment.microsecond:
        moment = (moment + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
    return moment


def _checked(moment: dt.datetime) -> Outcome:
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        return None, f"the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}"
    return moment, None


def _from_serial(serial: float) -> Outcome:
    low, high = EXCEL_SERIAL_RANGE
    if not low <= serial <= high:
        return None, "a number that is not an Excel date"
    return _checked(_local(EXCEL_EPOCH + dt.timedelta(days=serial)))


def datetime_from_text(t: str) -> Outcome:
    """2026-03-01 09:05:00, 2026/3/1 9:05, 2026-03-01, 2026年3月1日, 20260301, ISO 8601, an Excel serial."""
    try:  # the usual form first: fromisoformat is fast
        return _checked(_local(dt.datetime.fromisoformat(t)))
    except ValueError:
        pass
    match = _DATETIME.fullmatch(t) or _COMPACT.fullmatch(t)
    if match:
        parts = [int(p) if p else 0 for p in match.groups()]
        try:
            return _checked(dt.datetime(*parts))
        except ValueError:
            return None, "not a real date or time"
    if _SERIAL.fullmatch(t):
        return _from_serial(float(t))
    return None, "not a date or time (e.g. 2026-03-01 09:05, 2026/3/1, 2026年3月1日)"


def _datetime_from_cell(cell: object) -> Outcome:
    """An Excel cell that is not text: a real date cell, or a date stored as a plain number."""
    if isinstance(cell, dt.datetime):
        return _checked(_local(cell))
    if isinstance(cell, dt.date):
        return _checked(dt.datetime.combine(cell, dt.time()))
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and math.isfinite(cell):
        return _from_serial(float(cell))
    return None, "not a date or time"


def _bulk_datetimes(text: Sequence[str]) -> list:
    """The cells written exactly as 2026-03-01 09:05:00, parsed in bulk by pandas; None elsewhere."""
    parsed = pd.to_datetime(pd.Series(text, dtype=object), format="%Y-%m-%d %H:%M:%S", errors="coerce")
    values = parsed.to_numpy().astype("datetime64[us]").tolist()  # NaT becomes None
    present = [v for v in values if v is not None]
    if present and not (EARLIEST <= min(present) and max(present) < LATEST):
        values = [v if v is None or EARLIEST <= v < LATEST else None for v in values]  # left to _each
    return values


def _excel_cells(cells: Sequence, parsed: Parsed, as_date: bool) -> Parsed:
    """Overrule the text's reading for the cells that are real Excel dates or plain numbers."""
    values, errors = parsed
    for i, cell in enumerate(cells):
        if cell is not None and not isinstance(cell, str):
            value, reason = _datetime_from_cell(cell)
            values[i] = value.date() if as_date and value is not None else value
            if reason is None:
                errors.pop(i, None)
            else:
                errors[i] = reason
    return values, errors


def parse_datetime(cells: Sequence, text: Sequence[str], text_only: bool) -> Parsed:
    """Date and time, in any of the accepted forms, mixed freely within a column.

    Times are mostly distinct, so the usual form is parsed in bulk by pandas, the others one by one."""
    values = _bulk_datetimes(text)
    rest = [i for i, (v, t) in enumerate(zip(values, text)) if v is None and t]
    rest_values, rest_errors = _each([text[i] for i in rest], datetime_from_text)
    errors = {rest[k]: reason for k, reason in rest_errors.items()}
    for k, i in enumerate(rest):
        values[i] = rest_values[k]
    return (values, errors) if text_only else _excel_cells(cells, (values, errors), as_date=False)


def _date_from_text(t: str) -> Outcome:
    value, reason = datetime_from_text(t)
    return (value.date(), None) if reason is None else (None, reason)


def parse_date(cells: Sequence, text: Sequence[str], text_only: bool) -> Parsed:
    """A date (a time of day, if given, is dropped); dates repeat, so each is parsed once."""
    parsed = _each(text, _date_from_text)
    return parsed if text_only else _excel_cells(cells, parsed, as_date=True)


def _month_from_text(t: str) -> Outcome:
    match = _MONTH.fullmatch(t)
    if match is None:  # a whole date names its month too
        value, reason = _date_from_text(t)
        return (value, None) if reason is None else (None, "not a month (e.g. 2026-03, 2026/3, 2026年3月)")
    try:
        return _checked(dt.datetime(int(match.group(1)), int(match.group(2)), 1))
    except ValueError:
        return None, "not a real month"


def parse_month(cells: Sequence, text: Sequence[str], text_only: bool) -> Parsed:
    """A month, stored as its first day: 2026-03, 2026/3, 2026年3月, or any date in it."""
    values, errors = _each(text, _month_from_text)
    if not text_only:
        values, errors = _excel_cells(cells, (values, errors), as_date=True)
    return [v if v is None else dt.date(v.year, v.month, 1) for v in values], errors
