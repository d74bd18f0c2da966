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
    PETITION_FORMS,
    PROJECT_STATUSES,
    RANKING_ASSESSORS,
    RANKING_TRACKS,
    TERMINAL_KINDS,
    Alert,
    Base,
    Dispute,
    Grid,
    GridEvent,
    Hazard,
    House,
    Petition,
    PopulationStay,
    Project,
    ProjectMilestone,
    ProjectVillage,
    Terminal,
    Village,
    VillageScore,
)

# Value types a column can have; parsing.py has one parser per type.
TEXT, DATETIME, DATE, MONTH, BOOL, NUMBER, COUNT, PERCENT, YUAN, CHOICE, ID_NUMBER, PHONE = (
    "text",
    "datetime",
    "date",
    "month",
    "bool",
    "number",
    "count",
    "percent",
    "yuan",
    "choice",
    "id_number",
    "phone",
)
# Names resolved against the database: a village, a grid in it; and the upstream ids of records
# another kind refers to (REFERENCES): a rented house, a key project.
VILLAGE, GRID, HOUSE, PROJECT = "village", "grid", "house", "project"
# The database field such a name is looked up in.
NAME_FIELDS = {
    VILLAGE: Village.__table__.c.name,
    GRID: Grid.__table__.c.name,
    HOUSE: House.__table__.c.source_id,
    PROJECT: Project.__table__.c.source_id,
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
    bounds: tuple[float, float] | None = None  # NUMBER: the lowest and highest value allowed
    personal: str | None = None  # personal data, masked as "name", "id" or "phone" wherever shown

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
    # For a kind whose upstream rows carry no id of their own: the columns that tell its rows
    # apart (one row per combination); their values, joined, are stored as source_id.
    natural_key: tuple[str, ...] = ()

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
        Column("responsible_person", "责任人", aliases=("包案领导",), personal="name"),
        Column("deadline", "整改期限", DATE),
        Column("status", "处置状态", CHOICE, required=True, choices=HAZARD_STATUSES),
        Column("resolved_at", "化解时间", DATETIME),
        Column("mass_incident_risk", "群体性事件风险", BOOL, default=False, aliases=("容易引起群体性事件",)),
    ),
)

POPULATION = Kind(
    "population",
    PopulationStay,
    "source_id",
    (
        Column("source_id", "登记编号", required=True),
        Column("name", "姓名", required=True, personal="name"),
        Column("id_number", "公民身份号码", ID_NUMBER, required=True, aliases=("身份证号码", "身份证号"),
               personal="id"),
        Column("phone", "联系电话", PHONE, personal="phone"),
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
        Column("landlord", "房东姓名", personal="name"),
        Column("landlord_phone", "房东电话", PHONE, personal="phone"),
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
        Column("reporter", "上报人", personal="name"),
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

SCORES = Kind(
    "scores",
    VillageScore,
    "source_id",
    (
        Column("village", "所属村", VILLAGE, required=True, aliases=("行政村", "村名")),
        Column("month", "考评月份", MONTH, required=True, aliases=("月份",)),
        Column("track", "赛道", CHOICE, required=True, choices=RANKING_TRACKS),
        Column("assessor", "考评主体", CHOICE, required=True, choices=RANKING_ASSESSORS),
        Column("score", "得分", NUMBER, required=True, bounds=(0, 100)),
    ),
    natural_key=("village", "month", "track", "assessor"),
)

PROJECTS = Kind(
    "projects",
    Project,
    "project_id",
    (
        Column("project_id", "项目编号", required=True),
        Column("project_name", "项目名称", required=True),
        Column("leader", "责任领导", personal="name"),
        Column("unit", "牵头单位"),
        Column("status", "项目状态", CHOICE, required=True, choices=PROJECT_STATUSES),
        Column("progress", "形象进度", PERCENT, aliases=("进度",)),
        Column("deadline", "完成期限", DATE),
    ),
)

PROJECT_VILLAGES = Kind(
    "project_villages",
    ProjectVillage,
    "source_id",
    (
        Column("project_id", "项目编号", PROJECT, required=True),
        Column("village", "涉及行政村", VILLAGE, required=True, aliases=("所属村",)),
        Column("responsible_person", "涉及行政村责任人", aliases=("行政村责任人", "责任人"), personal="name"),
    ),
    natural_key=("project_id", "village"),
)

PROJECT_MILESTONES = Kind(
    "project_milestones",
    ProjectMilestone,
    "source_id",
    (
        Column("project_id", "项目编号", PROJECT, required=True),
        Column("milestone", "节点名称", required=True, aliases=("时间节点",)),
        Column("deadline", "完成期限", DATE, required=True, aliases=("节点期限",)),
        Column("done_at", "完成时间", DATE),
    ),
    natural_key=("project_id", "milestone"),
)

PETITIONS = Kind(
    "petitions",
    Petition,
    "source_id",
    (
        Column("source_id", "信访件编号", required=True, aliases=("信访编号",)),
        Column("received_at", "登记时间", DATETIME, required=True, aliases=("受理时间",)),
        Column("form", "信访形式", CHOICE, choices=PETITION_FORMS),
        Column("category", "信访事项类别", aliases=("问题类别",)),
        Column("village", "所属村", VILLAGE, required=True),
        Column("grid", "所属网格", GRID),
        Column("petitioner", "信访人", personal="name"),
        Column("summary", "信访事项", aliases=("主要诉求",)),
        Column("contact_leader", "联系领导", personal="name"),
        Column("village_cadre", "联村干部", personal="name"),
        Column("village_official", "村干部", personal="name"),
        Column("resolved_at", "化解时间", DATETIME, aliases=("办结时间",)),
    ),
)

DISPUTES = Kind(
    "disputes",
    Dispute,
    "source_id",
    (
        Column("source_id", "纠纷编号", required=True, aliases=("案件编号",)),
        Column("received_at", "受理时间", DATETIME, required=True),
        Column("category", "纠纷类型"),
        Column("village", "所属村", VILLAGE, required=True),
        Column("grid", "所属网格", GRID),
        Column("amount_yuan", "涉及金额", YUAN, aliases=("涉及金额（元）", "涉及金额(元)", "涉案金额")),
        _flag("alert_pushed", "一警情三推送"),
        Column("alert_source_id", "警情编号", aliases=("关联警情编号",)),
        Column("mediator", "调解员", personal="name"),
        Column("mediated_at", "调解时间", DATETIME, aliases=("调解成功时间",)),
        Column("summary", "纠纷简要情况", aliases=("简要案情",)),
    ),
)

RECORD_KINDS: dict[str, Kind] = {
    k.name: k
    for k in (HAZARDS, POPULATION, HOUSES, ALERTS, EVENTS, TERMINALS, SCORES, PROJECTS, PROJECT_VILLAGES,
              PROJECT_MILESTONES, PETITIONS, DISPUTES)
}
KINDS: tuple[str, ...] = ("villages", *RECORD_KINDS)

# Columns whose value is another kind's upstream id: stored as that record's row id (REFERENCES
# says which kind) in the field of the column's own name, e.g. a stay's house_id.
REFERENCES = {HOUSE: HOUSES, PROJECT: PROJECTS}
# The model attribute a column fills, where it is not the column's own name (a kind's key column
# fills source_id).
FIELD_OF = {"village": "village_id", "grid": "grid_id", "project_name": "name", "milestone": "name"}


def field_of(kind: Kind, column: str) -> str:
    """The model attribute that `column` of `kind` is stored in."""
    return "source_id" if column == kind.key else FIELD_OF.get(column, column)


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
