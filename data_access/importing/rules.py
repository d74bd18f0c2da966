"""The rules of IMPORT_FORMAT.md that need only the file: headers, values, and rules across columns.

The rules that need the database (a known village, a known house, inside the area) are in
writer.py, which runs them in the import's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import idcard
from ..masking import mask_as, mask_in_text
from ..models import HAZARD_OPEN_STATUSES, HAZARD_STATUSES
from ..rules import STABILITY
from . import parsing
from .columns import (
    BOOL,
    CHOICE,
    COUNT,
    DATE,
    DATETIME,
    HAZARDS,
    ID_NUMBER,
    MONTH,
    NUMBER,
    PERCENT,
    PHONE,
    POPULATION,
    YUAN,
    Column,
    Kind,
    header_map,
    max_length,
    normalise_header,
)
from .geo import WGS84, to_wgs84
from .readers import FileProblem, Keep, Table
from .report import RowError

LONLAT = ("lon", "lat")  # the pair's key in Problems
# An upstream server's clock may run a little ahead of ours.
FUTURE_TOLERANCE = dt.timedelta(minutes=10)
# Times of things that have happened; a value in the future is a typing error. Deadlines,
# due times, permit expiry and announced departures (left_at, employer_left_at) may be ahead.
NOT_IN_FUTURE = (
    "found_at",
    "resolved_at",
    "received_at",
    "reported_at",
    "dispatched_at",
    "closed_at",
    "arrived_at",
    "verified_at",
    "last_seen_at",
    "mediated_at",
    "done_at",
    "month",  # a month may be scored once it has begun
)
# (later, earlier): the later time may not come before the earlier one.
ORDER_RULES = (
    ("resolved_at", "found_at"),
    ("left_at", "arrived_at"),
    ("dispatched_at", "reported_at"),
    ("closed_at", "reported_at"),
    ("resolved_at", "received_at"),
    ("mediated_at", "received_at"),
)
RESOLVED_STATUSES = tuple(s for s in HAZARD_STATUSES if s not in HAZARD_OPEN_STATUSES)  # 已化解, 已销号
# Broken rules found in the file itself, at most: as many as it may have rows. A file with more
# (the wrong kind, a shifted export) is refused as a whole rather than kept as one report line
# per cell. The rules that need the database add at most three per row that passed these.
MAX_PROBLEMS = 100_000
MAX_SHOWN_CHARS = 200  # of a refused cell's text in the report


class Problems:
    """Broken rules by row index: (column or column pair, reason)."""

    def __init__(self) -> None:
        self.by_row: dict[int, list[tuple[str | tuple[str, ...], str]]] = {}

    def add(self, index: int, column: str | tuple[str, ...], reason: str) -> None:
        self.by_row.setdefault(index, []).append((column, reason))

    def add_all(self, column: str, errors: dict[int, str]) -> None:
        for index, reason in errors.items():
            self.add(index, column, reason)

    def about(self, index: int, column: str) -> bool:
        """True when `column` of row `index` has been refused already."""
        return any(c == column for c, _ in self.by_row.get(index, ()))

    def count(self) -> int:
        return sum(map(len, self.by_row.values()))


@dataclass
class Checked:
    """A records file after the file-only rules: typed values by column, and the problems found."""

    kind: Kind
    table: Table
    positions: dict[str, int]  # column name → its position in the file
    values: dict[str, list] = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)
    ignored: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return self.table.n_rows

    def has(self, column: str) -> bool:
        return column in self.positions

    def good_rows(self) -> list[int]:
        refused = self.problems.by_row
        return [i for i in range(self.n_rows) if i not in refused]

    def errors(self) -> list[RowError]:
        """The problems as the user sees them: Excel row, header as in the file, cell text (masked
        for personal data: the report is shown on a page, printed on a terminal, mailed as a CSV)."""
        return [error for index in sorted(self.problems.by_row) for error in self._row_errors(index)]

    def _row_errors(self, index: int) -> list[RowError]:
        out = []
        for column, reason in self.problems.by_row[index]:
            names = column if isinstance(column, tuple) else (column,)
            header = " / ".join(self._header(n) for n in names)
            value = ", ".join(self._shown(n, index) for n in names)
            out.append(RowError(self.table.row_numbers[index], header, value, reason))
        return out

    def check_problem_count(self) -> None:
        """FileProblem, naming the first, when the file breaks more than MAX_PROBLEMS rules."""
        if self.problems.count() > MAX_PROBLEMS:
            first = self._row_errors(min(self.problems.by_row))[0]
            raise FileProblem(f"more than {MAX_PROBLEMS:,} broken rules, the first: {first.describe()}. "
                              "Is this the right kind of file?")

    def _shown(self, column: str, index: int) -> str:
        """The cell as the report may show it: masked if personal, cut if long (a report keeps
        its values after the file is gone: a cell of 100,000 characters need not be one of them)."""
        text = self._cell(column, index)
        personal = next((c.personal for c in self.kind.columns if c.name == column), None)
        if not text:
            return text
        text = mask_as(personal, text) if personal else mask_in_text(text)  # a title may hold a phone
        return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "…"

    def _header(self, column: str) -> str:
        j = self.positions.get(column)
        return self.table.headers[j] if j is not None else column

    def _cell(self, column: str, index: int) -> str:
        j = self.positions.get(column)
        return parsing.cell_text(self.table.columns[j][index]) if j is not None else ""


def known_columns(kind: Kind) -> Keep:
    """For readers.read_table: keep only the columns whose header names one of `kind`'s."""
    names = header_map(kind)
    return lambda headers: [j for j, header in enumerate(headers) if normalise_header(header) in names]


def map_headers(kind: Kind, table: Table) -> tuple[dict[str, int], list[str]]:
    """Which file column holds each known column, and the headers ignored; FileProblem when unusable."""
    names = header_map(kind)
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for j, header in enumerate(table.headers):
        column = names.get(normalise_header(header))
        if column is None:
            if header or table.has_content(j):
                ignored.append(header or table.column_name(j))
            continue
        if column in positions:
            first = table.headers[positions[column]]
            raise FileProblem(f"two columns are {kind.column(column).label}: {first!r} and {header!r}")
        positions[column] = j
    missing = [c.label for c in kind.required if c.name not in positions]
    if missing:
        raise FileProblem(f"missing required column(s): {', '.join(missing)}")
    return positions, ignored


def _parse_column(
    kind: Kind, column: Column, cells: Sequence, text_only: bool, today: dt.date
) -> parsing.Parsed:
    """The column's typed values and refused cells; empty required cells and flags' defaults too."""
    text = parsing.texts(cells, text_only)
    if column.type in (DATETIME, DATE, MONTH):
        parser = {DATETIME: parsing.parse_datetime, DATE: parsing.parse_date, MONTH: parsing.parse_month}
        values, errors = parser[column.type](cells, text, text_only)
    elif column.type == BOOL:
        values, errors = parsing.parse_bool(text, column.choices)
    elif column.type == CHOICE:
        values, errors = parsing.parse_choice(text, column.choices)
    elif column.type == NUMBER:
        values, errors = parsing.parse_number(text)
        if column.bounds is not None:
            _check_bounds(values, errors, *column.bounds)
    elif column.type == PERCENT:
        values, errors = parsing.parse_percent(text)
    elif column.type == YUAN:
        values, errors = parsing.parse_yuan(text)
    elif column.type == COUNT:
        values, errors = parsing.parse_count(text)
    elif column.type == PHONE:
        values, errors = parsing.parse_phone(text)
    elif column.type == ID_NUMBER:
        values, errors = parsing.parse_id_number(text, today)
    else:  # text, and the names (village, grid, house) resolved later against the database
        values, errors = parsing.parse_text(text, max_length(kind, column))
    if column.required:
        for i, t in enumerate(text):
            if not t or (values[i] is None and i not in errors):  # e.g. only control characters
                errors[i] = "required, but empty"
    if column.default is not None:
        values = [column.default if not t else v for v, t in zip(values, text)]
    return values, errors


def _check_bounds(values: list, errors: dict[int, str], low: float, high: float) -> None:
    for i, value in enumerate(values):
        if value is not None and not low <= value <= high:
            values[i] = None
            errors[i] = f"must be between {low:g} and {high:g}"


def check(kind: Kind, table: Table, crs: str, now: dt.datetime) -> Checked:
    """Parse every known column and apply the rules that need no database."""
    positions, ignored = map_headers(kind, table)
    checked = Checked(kind, table, positions, ignored=ignored)
    for index, n_cells in table.overlong.items():
        reason = f"has {n_cells} cells but the header has {len(table.headers)} (an unquoted comma?)"
        checked.problems.add(index, "", reason)
    for name, j in positions.items():
        values, errors = _parse_column(kind, kind.column(name), table.columns[j], table.text_only, now.date())
        checked.values[name] = values
        checked.problems.add_all(name, errors)
        checked.check_problem_count()
    if kind.natural_key:
        _derive_key(checked)
    rules = [_check_repeated_ids, lambda c: _check_lonlat(c, crs), lambda c: _check_not_in_future(c, now),
             _check_order]
    if kind is HAZARDS:
        rules += [_check_resolution, _check_mass_incident]
    for rule in rules:
        rule(checked)
        checked.check_problem_count()  # after each rule: each may add one per row
    if kind is POPULATION:
        _derive_from_id(checked)
    return checked


KEY_SEPARATOR = "|"  # between the parts of a natural key


def _derive_key(checked: Checked) -> None:
    """The source_id of a kind without upstream ids: its natural key's values, joined (months as
    2026-03); None where a part is missing (that cell is refused already)."""
    parts = [checked.values[name] for name in checked.kind.natural_key]
    checked.values["source_id"] = [
        None if None in row else KEY_SEPARATOR.join(v.strftime("%Y-%m") if isinstance(v, dt.date) else str(v)
                                                    for v in row)
        for row in zip(*parts)
    ]


def _check_repeated_ids(checked: Checked) -> None:
    kind = checked.kind
    keys = checked.values["source_id" if kind.natural_key else kind.key]
    present = [k for k in keys if k is not None]
    if len(set(present)) == len(present):
        return
    if kind.natural_key:  # reported on the key's first column, naming them all
        column = kind.natural_key[0]
        repeats = "repeats the " + ", ".join(kind.column(c).zh for c in kind.natural_key)
    else:
        column, repeats = kind.key, "repeats the id"
    first_row: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key is None:
            continue
        if key in first_row:
            first = checked.table.row_numbers[first_row[key]]
            checked.problems.add(i, column, f"{repeats} of row {first}")
        else:
            first_row[key] = i


def _check_lonlat(checked: Checked, crs: str) -> None:
    """Both or neither, and converted to WGS-84 (the area's bounds are checked by the writer)."""
    if not (checked.has("lon") or checked.has("lat")):
        return
    n = checked.n_rows
    lons = checked.values.get("lon", [None] * n)
    lats = checked.values.get("lat", [None] * n)
    problems = checked.problems
    for i in [i for i, (lon, lat) in enumerate(zip(lons, lats)) if (lon is None) != (lat is None)]:
        unreadable_half = problems.about(i, "lon") or problems.about(i, "lat")  # reported already
        if not unreadable_half:
            problems.add(i, LONLAT, "give both longitude and latitude, or neither")
        lons[i] = lats[i] = None
    if crs != WGS84:
        convert = to_wgs84(crs)
        for i in [i for i, lon in enumerate(lons) if lon is not None]:
            lon, lat = convert(lons[i], lats[i])
            lons[i], lats[i] = round(lon, 7), round(lat, 7)
    checked.values["lon"], checked.values["lat"] = lons, lats


def _check_not_in_future(checked: Checked, now: dt.datetime) -> None:
    latest_time = now + FUTURE_TOLERANCE
    for name in NOT_IN_FUTURE:
        if not checked.has(name):
            continue
        latest = now.date() if checked.kind.column(name).type in (DATE, MONTH) else latest_time
        values = checked.values[name]
        if max(filter(None, values), default=latest) <= latest:
            continue  # the usual case, found without a Python loop
        for i, value in enumerate(values):
            if value is not None and value > latest:
                checked.problems.add(i, name, "is in the future")


def _check_order(checked: Checked) -> None:
    for later, earlier in ORDER_RULES:
        if not (checked.has(later) and checked.has(earlier)):
            continue
        label = checked.kind.column(earlier).zh
        pairs = zip(checked.values[later], checked.values[earlier])
        for i in [i for i, (a, b) in enumerate(pairs) if a is not None and b is not None and a < b]:
            checked.problems.add(i, later, f"is before {label} ({earlier})")


def _check_resolution(checked: Checked) -> None:
    """化解时间 is required for a resolved hazard, and means nothing for an open one."""
    n = checked.n_rows
    resolved_at = checked.values.get("resolved_at", [None] * n)
    given = checked.values.get("resolved_at") is not None
    for i, status in enumerate(checked.values["status"]):
        if (
            status in RESOLVED_STATUSES
            and resolved_at[i] is None
            and not checked.problems.about(i, "resolved_at")
        ):
            reason = f"化解时间 (resolved_at) is required when the status is {status}"
            checked.problems.add(i, "resolved_at" if given else "status", reason)
        elif status is not None and status not in RESOLVED_STATUSES and resolved_at[i] is not None:
            checked.problems.add(i, "resolved_at", f"is given but the status {status} is not resolved")


def _check_mass_incident(checked: Checked) -> None:
    """Only a stability risk (涉稳) is flagged as one that could become a mass incident."""
    if not checked.has("mass_incident_risk"):
        return
    flags, categories = checked.values["mass_incident_risk"], checked.values["category"]
    for i in [i for i, (flagged, category) in enumerate(zip(flags, categories)) if flagged and category]:
        if categories[i] != STABILITY:
            checked.problems.add(i, "mass_incident_risk", f"only a {STABILITY} hazard can be flagged")


def _by_part(ids: list, part: slice, derive) -> list:
    """derive(id) for every ID, computed once per distinct ids[part] (birthdays, provinces repeat)."""
    examples = {v[part]: v for v in ids if v is not None}
    derived = {key: derive(v) for key, v in examples.items()}
    return [None if v is None else derived[v[part]] for v in ids]


def _derive_from_id(checked: Checked) -> None:
    """Gender and birth date from the ID number; origin province from it when the file gives none."""
    ids = checked.values["id_number"]
    checked.values["gender"] = _by_part(ids, slice(16, 17), idcard.gender)
    checked.values["birth_date"] = _by_part(ids, slice(6, 14), idcard.birth_date)
    provinces = _by_part(ids, slice(0, 2), idcard.province)
    given = checked.values.get("origin_province", [None] * checked.n_rows)
    checked.values["origin_province"] = [g or p for g, p in zip(given, provinces)]
