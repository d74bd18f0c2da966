"""The hazard list for the meeting, as .xlsx: worst first under the filter and the review
list's narrowing, with each item's latest instruction, personal data masked. Building it writes
its audit row in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import Connection, select

from .. import areas, hazards
from ..audit import record_export
from ..filters import Filters, local_now, resolve
from ..formats import LEVEL_COLOURS, WARNING_COLOURS, WARNING_NAMES
from ..masking import mask_frame, mask_name
from ..models import HAZARD_LEVELS, HAZARD_OPEN_STATUSES, Hazard
from ..review import latest_instructions

MAX_EXPORT_ROWS = 20_000  # a list longer than this is cut, and the 说明 sheet says so
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_NAME = "风险隐患清单.xlsx"
# Cells in the colours of formats (openpyxl takes RRGGBB); dark text on the light level colour.
LIGHT_LEVEL = HAZARD_LEVELS[-1]

# The hazard list: (column of worst_first's frame, Chinese header, width in characters, cell kind).
HAZARD_COLUMNS = (
    ("source_id", "编号", 14, "text"),
    ("title", "隐患名称", 34, "text"),
    ("category", "类别", 10, "text"),
    ("level", "等级", 7, "level"),
    ("status", "状态", 8, "text"),
    ("warning", "三色预警", 9, "warning"),
    ("village", "村", 10, "text"),
    ("grid", "网格", 12, "text"),
    ("address", "地址", 26, "text"),
    ("enterprise", "企业", 22, "text"),
    ("found_at", "发现时间", 17, "datetime"),
    ("deadline", "整改期限", 12, "date"),
    ("days_left", "剩余天数", 9, "int"),
    ("responsible_unit", "责任单位", 18, "text"),
    ("responsible_person", "责任人", 9, "text"),
    ("instruction", "最新批示", 40, "text"),
    ("instruction_at", "批示时间", 17, "datetime"),
)
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "int": "0"}


def describe_filters(
    conn: Connection,
    filters: Filters,
    *,
    statuses: tuple[str, ...] = HAZARD_OPEN_STATUSES,
    levels: tuple[str, ...] = (),
    responsible: int | None = None,
) -> str:
    """The filter in words, as the export's 说明 sheet and the audit log give it; the person in
    charge masked, as everything in an export is (with the unit, so that two alike are told apart)."""
    def listed(values) -> str:
        return "、".join(values) if values else "全部"

    parts = [
        f"期间 {filters.period.start} 至 {filters.period.end}",
        f"村：{listed(filters.villages)}",
        f"网格：{listed(filters.grids)}",
        f"类别：{listed(filters.categories)}",
        f"状态：{listed(statuses)}",
        f"等级：{listed(levels)}",
    ]
    if responsible:
        person = hazards.responsible_person(conn, responsible)
        unit = conn.execute(select(Hazard.responsible_unit).where(Hazard.id == responsible)).scalar()
        parts.append(f"责任人：{mask_name(person) or '—'}" + (f"（{unit}）" if unit else ""))
    return "；".join(parts)


# ---------------------------------------------------------------- the hazard list (.xlsx)


def hazard_list(
    conn: Connection,
    filters: Filters,
    today: dt.date,
    *,
    limit: int = MAX_EXPORT_ROWS,
    **narrow,
) -> tuple[pd.DataFrame, int]:
    """worst_first's list (`narrow`: its statuses, levels and responsible) with each item's latest
    instruction (instruction, instruction_at), masked."""
    df, total = hazards.worst_first(conn, filters, today, limit=limit, **narrow)
    latest = latest_instructions(conn, df["id"].tolist())
    df["instruction"] = [latest[i]["text"] if i in latest else None for i in df["id"]]
    df["instruction_at"] = [latest[i]["at"] if i in latest else None for i in df["id"]]
    return mask_frame(df), total


def hazards_xlsx(
    conn: Connection,
    actor: str,
    filters: Filters,
    today: dt.date,
    **narrow,
) -> bytes:
    """The filtered hazard list, worst first (`narrow` as hazards.worst_first takes it), as an
    .xlsx file (bytes), and its audit row.

    Sheet 风险隐患: Chinese headers in a frozen first row, one row per hazard (at most
    MAX_EXPORT_ROWS), names masked, dates as Excel dates. Sheet 说明: filter, time, who.
    """
    filters = resolve(conn, filters)
    description = describe_filters(conn, filters, **narrow)
    record_export(conn, actor, "风险隐患清单 (xlsx)", description)
    df, total = hazard_list(conn, filters, today, **narrow)
    return hazards_workbook(df, total=total, description=description, exported_by=actor,
                            exported_at=local_now(), demo=areas.has_demo_records(conn))


def rgb(colour: str) -> str:
    """'#d62728' → 'D62728' (openpyxl's colour strings)."""
    return colour.lstrip("#").upper()


def _none(value):
    """None for every kind of missing value pandas hands back (None, NaN, NaT)."""
    return None if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) else value


def _cell_value(value, kind: str):
    """A DataFrame value as openpyxl wants it: None for missing, Python dates and ints."""
    value = _none(value)
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if kind == "date" and isinstance(value, dt.datetime):
        return value.date()
    if kind == "datetime" and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if kind == "int":
        return int(value)
    if kind == "warning":
        return WARNING_NAMES.get(value, value)
    return value


def _text(cell, value: str) -> None:
    """Put text in a cell as a text cell: without the control characters an .xlsx may not hold
    (records from an older import may have them), and never read as a formula ("=HYPERLINK(…)")."""
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.data_type = "s"


def hazards_workbook(
    df: pd.DataFrame, *, total: int, description: str, exported_by: str, exported_at: dt.datetime,
    demo: bool = False,
) -> bytes:
    """The .xlsx bytes of a hazard list frame (hazard_list's columns; already masked)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "风险隐患"
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E79")
    for col, (_, header, width, _) in enumerate(HAZARD_COLUMNS, start=1):
        cell = ws.cell(row=1, column=col, value=header)
        cell.font, cell.fill = header_font, header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width + 2
    for r, record in enumerate(df.to_dict("records"), start=2):
        for col, (key, _, _, kind) in enumerate(HAZARD_COLUMNS, start=1):
            raw = record.get(key)
            value = _cell_value(raw, kind)
            cell = ws.cell(row=r, column=col)
            if isinstance(value, str):
                _text(cell, value)
            else:
                cell.value = value
            if kind in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[kind]
            colour = {"level": LEVEL_COLOURS, "warning": WARNING_COLOURS}.get(kind, {}).get(raw)
            if colour:
                cell.fill = PatternFill("solid", fgColor=rgb(colour))
                dark_text = raw in (LIGHT_LEVEL, "yellow")
                cell.font = Font(bold=True, color="000000" if dark_text else "FFFFFF")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HAZARD_COLUMNS))}{max(len(df) + 1, 1)}"
    ws.sheet_view.zoomScale = 90

    about = wb.create_sheet("说明")
    lines = [
        ("内容", "风险隐患清单（逾期优先，再按等级、期限排序）"),
        ("筛选条件", description),
        ("条数", f"{len(df)}" + (f"（共 {total} 条，仅导出前 {len(df)} 条）" if total > len(df) else "")),
        ("导出人", exported_by),
        ("导出时间", exported_at.strftime("%Y-%m-%d %H:%M")),
        ("个人信息", "已脱敏（张*三、138****5678）"),
    ] + ([("数据", "演示数据")] if demo else [])
    for r, (key, value) in enumerate(lines, start=1):
        about.cell(row=r, column=1, value=key).font = Font(bold=True)
        _text(about.cell(row=r, column=2), value)  # the filter may name what a URL or a file gave
    about.column_dimensions["A"].width = 12
    about.column_dimensions["B"].width = 90
    wb.properties.creator = ILLEGAL_CHARACTERS_RE.sub("", exported_by)
    wb.properties.title = "风险隐患清单"

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
