"""Each kind's columns (IMPORT_FORMAT.md): English and Chinese header, value type, rule.

Headers match after trimming, ignoring case, spaces, underscores, hyphens and the `*` that
templates put on required columns, so `Source ID`, `source_id` and `*隐患编号` all match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import (
    ALERT_CATEGORIES,
    HAZARD_CATEGORIES,
    HAZARD_LEVELS,
    HAZARD_STATUSES,
    TERMINAL_KINDS,
    Alert,
    Base,
    Grid,
    GridEvent,
    Hazard,
    House,
    PopulationStay,
    Terminal,
    Village,
)

# Value types a column can have; parsing.py has one parser per type.
TEXT, DATETIME, DATE, BOOL, NUMBER, COUNT, CHOICE, ID_NUMBER, PHONE = (
    "text",
    "datetime",
    "date",
    "bool",
    "number",
    "count",
    "choice",
    "id_number",
    "phone",
)
# Names resolved against the database: a village, a grid in it, a rented house.
VILLAGE, GRID, HOUSE = "village", "grid", "house"
# The database field such a name is looked up in.
NAME_FIELDS = {
    VILLAGE: Village.__table__.c.name,
    GRID: Grid.__table__.c.name,
    HOUSE: House.__table__.c.source_id,
}


@dataclass(frozen=True)
class Column:
    """One column of an upstream export."""

    name: str  # the English header, also the key of parsed values
    zh: str  # the Chinese header
    type: str = TEXT
    required: bool = False
    choices: tuple[str, ...] = ()  # CHOICE: the allowed values; BOOL: an extra (true, false) pair
    default: object = None  # stored when the cell is empty
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.zh} ({self.name})"


@dataclass(frozen=True)
class Kind:
    """One kind of export and the table its rows go to."""

    name: str
    model: type[Base]
    key: str  # the column holding the upstream id, stored as source_id
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


def _lon() -> Column:
    return Column("lon", "经度", NUMBER, aliases=("lng", "longitude"))


def _lat() -> Column:
    return Column("lat", "纬度", NUMBER, aliases=("latitude",))


def _flag(name: str, zh: str) -> Column:
    return Column(name, zh, BOOL, default=False)


HAZARDS = Kind(
    "hazards",
    Hazard,
    "source_id",
    (
        Column("source_id", "隐患编号", required=True),
        Column("title", "隐患名称", required=True),
        Column("category", "隐患类别", CHOICE, required=True, choices=HAZARD_CATEGORIES),
        Column("level", "隐患等级", CHOICE, required=True, choices=HAZARD_LEVELS),
        Column("village", "所属村", VILLAGE, required=True),
        Column("grid", "所属网格", GRID),
        Column("address", "地址"),
        _lon(),
        _lat(),
        Column("enterprise", "涉及企业"),
        _flag("enterprise_shut", "关停整改"),
        Column("found_at", "发现时间", DATETIME, required=True),
        Column("source", "发现来源"),
        Column("responsible_unit", "责任单位"),
        Column("responsible_person", "责任人"),
        Column("deadline", "整改期限", DATE),
        Column("status", "处置状态", CHOICE, required=True, choices=HAZARD_STATUSES),
        Column("resolved_at", "化解时间", DATETIME),
    ),
)

POPULATION = Kind(
    "population",
    PopulationStay,
    "source_id",
    (
        Column("source_id", "登记编号", required=True),
        Column("name", "姓名", required=True),
        Column("id_number", "公民身份号码", ID_NUMBER, required=True, aliases=("身份证号码", "身份证号")),
        Column("phone", "联系电话", PHONE),
        Column("origin_province", "户籍省份"),
        Column("village", "居住村", VILLAGE, required=True),
        Column("grid", "所属网格", GRID),
        Column("address", "居住地址"),
        Column("house_id", "出租房编号", HOUSE),
        Column("employer", "用工单位"),
        Column("arrived_at", "来住日期", DATE, required=True),
        Column("left_at", "离开日期", DATE),
        Column("verified_at", "核验日期", DATE),
        Column("employer_left_at", "单位报离日期", DATE),
        Column("permit_expiry", "居住证有效期至", DATE),
    ),
)

HOUSES = Kind(
    "houses",
    House,
    "house_id",
    (
        Column("house_id", "出租房编号", required=True),
        Column("village", "所属村", VILLAGE, required=True),
        Column("address", "房屋地址"),
        Column("landlord", "房东姓名"),
        Column("landlord_phone", "房东电话", PHONE),
        Column("capacity", "核定居住人数", COUNT),
        _lon(),
        _lat(),
    ),
)

ALERTS = Kind(
    "alerts",
    Alert,
    "source_id",
    (
        Column("source_id", "警情编号", required=True),
        Column("received_at", "接警时间", DATETIME, required=True),
        Column("category", "警情类别", CHOICE, required=True, choices=ALERT_CATEGORIES),
        Column("effective", "有效警情", BOOL, required=True),
        _flag("became_case", "是否立案"),
        _flag("civil_to_criminal", "民转刑"),
        _flag("major_accident", "重特大事故"),
        Column("village", "发生村", VILLAGE, required=True),
        Column("address", "发生地址"),
        _lon(),
        _lat(),
        Column("summary", "简要警情"),
    ),
)

EVENTS = Kind(
    "events",
    GridEvent,
    "source_id",
    (
        Column("source_id", "事件编号", required=True),
        Column("reported_at", "上报时间", DATETIME, required=True),
        Column("category", "事件类别", required=True),
        Column("village", "所属村", VILLAGE, required=True),
        Column("grid", "所属网格", GRID),
        Column("reporter", "上报人"),
        Column("dispatched_at", "流转时间", DATETIME),
        Column("due_at", "办理期限", DATETIME),
        Column("closed_at", "办结时间", DATETIME),
        Column("summary", "事件描述"),
    ),
)

TERMINALS = Kind(
    "terminals",
    Terminal,
    "terminal_id",
    (
        Column("terminal_id", "设备编号", required=True),
        Column("name", "设备名称"),
        Column("kind", "设备类型", CHOICE, required=True, choices=TERMINAL_KINDS),
        Column("village", "所属村", VILLAGE, required=True),
        _lon(),
        _lat(),
        Column("online", "在线状态", BOOL, required=True, choices=("在线", "离线")),  # also 在线 / 离线
        Column("last_seen_at", "最后在线时间", DATETIME),
    ),
)

RECORD_KINDS: dict[str, Kind] = {k.name: k for k in (HAZARDS, POPULATION, HOUSES, ALERTS, EVENTS, TERMINALS)}
KINDS: tuple[str, ...] = ("villages", *RECORD_KINDS)

# The model attribute a column fills, where it is not the column's own name.
FIELD_OF = {"house_id": "source_id", "terminal_id": "source_id", "village": "village_id", "grid": "grid_id"}


def field_of(kind: Kind, column: str) -> str:
    """The model attribute that `column` of `kind` is stored in."""
    if kind is POPULATION and column == "house_id":
        return "house_id"  # a stay's house_id is the house's row id, found from its source_id
    return FIELD_OF.get(column, column)


def max_length(kind: Kind, column: Column) -> int | None:
    """The longest text the column's database field takes (None: not text, or unbounded)."""
    if column.type in NAME_FIELDS:
        field = NAME_FIELDS[column.type]
    else:
        field = kind.model.__table__.c.get(field_of(kind, column.name))
    return getattr(field.type, "length", None) if field is not None else None


_IGNORED_IN_HEADERS = re.compile(r"[\s*＊_\-\ufeff\u200b]+")


def normalise_header(header: str) -> str:
    """The form in which headers are compared."""
    return _IGNORED_IN_HEADERS.sub("", header).lower()


def header_map(kind: Kind) -> dict[str, str]:
    """Every accepted spelling of a header (normalised) → the column name."""
    names: dict[str, str] = {}
    for column in kind.columns:
        for spelling in (column.name, column.zh, *column.aliases):
            names[normalise_header(spelling)] = column.name
    return names
