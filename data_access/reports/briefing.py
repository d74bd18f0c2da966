"""The one-page meeting briefing: the period's KPIs and the open items that are overdue or 重大,
worst first, each with its latest instruction; as print-ready HTML and as PDF (Noto Sans CJK SC
embedded, from Debian's fonts-noto-cjk). Building it writes its audit row in the caller's
transaction."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection

from .. import areas, kpis
from ..audit import record_export
from ..filters import Filters, local_now, resolve
from ..formats import LEVEL_COLOURS, change, count, rate
from ..models import HAZARD_LEVELS
from .hazard_list import LIGHT_LEVEL, _none, describe_filters, hazard_list

MAX_BRIEFING_ITEMS = 14  # what fits on one A4 page beside the KPIs
PDF_NAME = "周例会简报.pdf"
HTML_NAME = "周例会简报.html"

# Debian's fonts-noto-cjk; face 2 of each collection is Simplified Chinese (SC).
CJK_FONTS = {"": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
             "B": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")}
CJK_SC_FACE = 2


@dataclass(frozen=True)
class Briefing:
    """What the one-page meeting briefing shows; render with briefing_html or briefing_pdf."""

    title: str
    period: str
    villages: str
    generated_at: dt.datetime
    generated_by: str
    kpis: dict  # kpis.summary's object
    items: list[dict]  # overdue and 重大 open items, worst first, masked, each with its latest instruction
    items_total: int  # how many such items in all (more than len(items) when cut to one page)
    demo: bool = False

    @property
    def kpi_rows(self) -> list[tuple[str, list[tuple[str, str]]]]:
        return kpi_table(self.kpis)


def _days(value) -> str:
    return "无记录" if value is None else f"{int(value)} 天"


def kpi_table(figures: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    """kpis.summary's object as the briefing's rows: (group, [(label, shown value), …])."""
    e, a, ap, h, p, z = (figures[k] for k in ("events", "alerts", "alerts_previous_period", "hazards",
                                                "population", "zero_days"))
    return [
        ("网格事件", [("新增事件", count(e["new"])), ("办结率", rate(e["closure_rate"])),
                  ("按期办结率", rate(e["on_time_rate"])), ("流转率", rate(e["transfer_rate"]))]),
        ("警情", [("有效警情", count(a["effective"])), ("同比", change(a["effective_yoy"])),
                ("环比", change(ap["effective_mom"])), ("发案", count(a["cases"])),
                ("发案同比", change(a["cases_yoy"]))]),
        ("风险隐患", [("新发现", count(h["found"])), ("已化解", count(h["resolved"])),
                  ("未化解", count(h["open"])), ("逾期", count(h["overdue"])),
                  ("关停整改企业", count(h["enterprises_shut"]))]),
        ("流动人口", [("现有", count(p["residents"])), ("流入", count(p["arrivals"])),
                  ("流出", count(p["departures"])), ("异常待处理", count(p["anomalies"]))]),
        ("零发生", [("民转刑", _days(z["civil_to_criminal"])), ("重大安全事故", _days(z["major_accident"])),
                 ("电信网络诈骗", _days(z["telecom_fraud"]))]),
    ]  # fmt: skip


def _villages_text(names: list[str], chosen: tuple[str, ...]) -> str:
    if chosen:
        return "、".join(chosen)
    return f"全部 {len(names)} 个村" if len(names) > 6 else "、".join(names) or "全部村"


def meeting_briefing(
    conn: Connection, actor: str, filters: Filters, today: dt.date, *, max_items: int = MAX_BRIEFING_ITEMS
) -> Briefing:
    """The period's KPIs and the open items that are overdue or 重大, worst first, each with its
    latest instruction (at most `max_items`, to keep to one page); writes the audit row."""
    filters = resolve(conn, filters)
    record_export(conn, actor, "周例会简报", describe_filters(conn, filters))
    figures = kpis.summary(conn, filters, today)
    df, _ = hazard_list(conn, filters, today)
    wanted = df[(df["warning"] == "red") | (df["level"] == HAZARD_LEVELS[0])]
    items = []
    for record in wanted.head(max_items).to_dict("records"):
        record = {key: _none(value) for key, value in record.items()}
        days_left = record["days_left"]
        instruction_at = record["instruction_at"]
        items.append({
            "id": int(record["id"]), "source_id": record["source_id"], "title": record["title"],
            "level": record["level"],
            "category": record["category"], "status": record["status"], "village": record["village"],
            "deadline": record["deadline"],
            "overdue_days": -int(days_left) if record["warning"] == "red" and days_left is not None else 0,
            "responsible_unit": record["responsible_unit"],
            "responsible_person": record["responsible_person"],
            "instruction": record["instruction"],
            "instruction_at": instruction_at.to_pydatetime() if isinstance(instruction_at, pd.Timestamp)
            else instruction_at,
        })  # fmt: skip
    return Briefing(
        title="基层治理微中心 周例会简报",
        period=f"{filters.period.start:%Y-%m-%d} 至 {filters.period.end:%Y-%m-%d}",
        villages=_villages_text(figures["villages"], filters.villages),
        generated_at=local_now(),
        generated_by=actor,
        kpis=figures,
        items=items,
        items_total=len(wanted),
        demo=areas.has_demo_records(conn),
    )


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _item_cells(item: dict) -> list[str]:
    """One item's cells, as both renderings show them (long texts cut, to keep to one page)."""
    if item["overdue_days"] > 0:
        due = f"{item['deadline']:%m-%d} 逾期{item['overdue_days']}天"
    else:
        due = f"{item['deadline']:%m-%d}" if item["deadline"] else "未定"
    # The person (masked) is kept whole; a long unit name is what gets cut.
    unit = _clip(item["responsible_unit"], ITEM_CHARS["who"]) if item["responsible_unit"] else None
    who = " ".join(v for v in (unit, item["responsible_person"]) if v) or "—"
    if item["instruction"]:
        at = f"（{item['instruction_at']:%m-%d}）" if item["instruction_at"] else ""
        instruction = _clip(item["instruction"], ITEM_CHARS["instruction"]) + at
    else:
        instruction = "尚无批示"
    return [item["level"], _clip(item["title"], ITEM_CHARS["title"]), item["village"], item["status"], due,
            who, instruction]


ITEM_HEADERS = ("等级", "隐患", "村", "状态", "期限", "责任单位 / 人", "最新批示")
ITEM_WIDTHS_MM = (9, 44, 13, 12, 25, 25, 58)  # the page's 186 mm between the margins
ITEM_CHARS = {"title": 24, "who": 11, "instruction": 32}  # at most two lines each in the PDF's columns


def _footer(b: Briefing) -> str:
    left_out = b.items_total - len(b.items)
    more = f"另有 {left_out} 项未列出，见隐患清单导出。" if left_out > 0 else ""
    demo = "演示数据。" if b.demo else ""
    return (f"{more}{demo}个人信息已脱敏。导出：{b.generated_by}，"
            f"{b.generated_at:%Y-%m-%d %H:%M}。")


def briefing_text(b: Briefing) -> str:
    """The briefing as plain text, for a message: the same figures and items as the page, masked."""
    demo = " · 演示数据" if b.demo else ""
    lines = [b.title, f"期间：{b.period} · 范围：{b.villages}{demo}", "", "本期指标"]
    lines += [f"{group}：" + "，".join(f"{label} {value}" for label, value in cells)
              for group, cells in b.kpi_rows]
    lines += ["", f"逾期及重大隐患（{b.items_total} 项）"]
    lines += [" · ".join(_item_cells(item)) for item in b.items] or ["无逾期或重大隐患。"]
    return "\n".join([*lines, "", _footer(b)])


BRIEFING_CSS = """
@page { size: A4 portrait; margin: 12mm 12mm 14mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       font-size: 10pt; color: #111; margin: 0; line-height: 1.35; }
.sheet { max-width: 186mm; margin: 0 auto; }
h1 { font-size: 17pt; margin: 0 0 1mm; }
.meta { color: #444; margin: 0 0 3mm; }
.demo { color: #b00; font-weight: bold; }
h2 { font-size: 12pt; margin: 4mm 0 1.5mm; border-left: 3pt solid #1f4e79; padding-left: 2mm; }
table { width: 100%; border-collapse: collapse; }
td, th { border: 0.5pt solid #999; padding: 1mm 1.5mm; vertical-align: top; text-align: left; }
th { background: #1f4e79; color: #fff; font-weight: bold; }
.kpi th { background: #e8eef5; color: #111; width: 20mm; }
.kpi .label { display: block; color: #555; font-size: 8pt; }
.kpi .value { font-size: 12pt; font-weight: bold; }
.items { table-layout: fixed; }
.items td, .items th { font-size: 8.5pt; padding: 0.8mm 1mm; overflow-wrap: anywhere; }
.level { color: #fff; font-weight: bold; text-align: center; white-space: nowrap; }
.overdue { color: #d93025; font-weight: bold; }
.none { color: #888; }
footer { margin-top: 3mm; color: #444; font-size: 8.5pt; }
tr { page-break-inside: avoid; }
"""


LEVEL_CSS = "".join(f".level-{level} {{ background: {colour};{' color: #000;' if level == LIGHT_LEVEL else ''} }}\n"
                    for level, colour in LEVEL_COLOURS.items())


def briefing_html(b: Briefing) -> str:
    """The briefing as one self-contained HTML page (A4 @page CSS, no external assets): print it."""
    esc = html.escape
    kpi = "".join(
        f"<tr><th>{esc(group)}</th>"
        + "".join(f'<td><span class="label">{esc(label)}</span><span class="value">{esc(value)}</span></td>'
                  for label, value in cells)
        + "<td></td>" * (5 - len(cells)) + "</tr>"
        for group, cells in b.kpi_rows
    )
    rows = []
    for item in b.items:
        level, title, village, status, due, who, instruction = (esc(c) for c in _item_cells(item))
        due_class = ' class="overdue"' if item["overdue_days"] > 0 else ""
        instr_class = "" if item["instruction"] else ' class="none"'
        rows.append(f'<tr><td class="level level-{level}">{level}</td><td>{title}</td><td>{village}</td>'
                    f"<td>{status}</td><td{due_class}>{due}</td><td>{who}</td><td{instr_class}>{instruction}</td></tr>")
    columns = "".join(f'<col style="width: {w / sum(ITEM_WIDTHS_MM) * 100:.1f}%">' for w in ITEM_WIDTHS_MM)
    items = (f"<table class=\"items\"><colgroup>{columns}</colgroup><thead><tr>"
             + "".join(f"<th>{h}</th>" for h in ITEM_HEADERS)
             + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
             ) if rows else "<p>无逾期或重大隐患。</p>"
    demo = '<span class="demo">演示数据</span> · ' if b.demo else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(b.title)} {esc(b.period)}</title>
<style>{BRIEFING_CSS}{LEVEL_CSS}</style></head>
<body><div class="sheet">
<h1>{esc(b.title)}</h1>
<p class="meta">{demo}期间：{esc(b.period)} · 范围：{esc(b.villages)}</p>
<h2>本期指标</h2>
<table class="kpi"><tbody>{kpi}</tbody></table>
<h2>逾期及重大隐患（{b.items_total} 项）</h2>
{items}
<footer>{esc(_footer(b))}</footer>
</div></body></html>
"""


def _pdf_fonts(pdf) -> None:
    for style, path in CJK_FONTS.items():
        if not path.is_file():
            raise RuntimeError(f"the Chinese font {path} is missing: install Debian's fonts-noto-cjk")
        pdf.add_font("NotoSansSC", style, str(path), collection_font_number=CJK_SC_FACE)


def briefing_pdf(b: Briefing) -> bytes:
    """The briefing as a one-page A4 PDF (bytes) with Noto Sans CJK SC embedded (subset)."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, margin=12)
    pdf.set_title(f"{b.title} {b.period}")
    pdf.set_author(b.generated_by)
    pdf.set_creator("huajie dashboard")
    _pdf_fonts(pdf)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("NotoSansSC", "B", 16)
    pdf.cell(width, 9, b.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSansSC", "", 9.5)
    if b.demo:
        pdf.set_text_color(176, 0, 0)
        pdf.cell(pdf.get_string_width("演示数据 · "), 6, "演示数据 · ")
        pdf.set_text_color(0)
    pdf.cell(0, 6, f"期间：{b.period} · 范围：{b.villages}", new_x="LMARGIN", new_y="NEXT")

    def heading(text: str) -> None:
        pdf.ln(2)
        pdf.set_fill_color(31, 78, 121)
        pdf.rect(pdf.l_margin, pdf.get_y() + 1, 1, 5, style="F")
        pdf.set_fill_color(255)  # tables fill only the cells whose style says so
        pdf.set_x(pdf.l_margin + 2.5)
        pdf.set_font("NotoSansSC", "B", 11.5)
        pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.5)

    heading("本期指标")
    pdf.set_font("NotoSansSC", "", 9)
    group_style = FontFace(emphasis="BOLD", fill_color=(232, 238, 245))
    with pdf.table(col_widths=(20, 33, 33, 33, 33, 34), first_row_as_headings=False, text_align="LEFT",
                   line_height=4.6, padding=(1, 1.5), wrapmode=WrapMode.CHAR, markdown=True) as table:
        for group, cells in b.kpi_rows:
            row = table.row()
            row.cell(group, style=group_style, v_align="MIDDLE")
            for label, value in cells:
                row.cell(f"{label}\n**{value}**")
            for _ in range(5 - len(cells)):
                row.cell("")
    heading(f"逾期及重大隐患（{b.items_total} 项）")
    if not b.items:
        pdf.set_font("NotoSansSC", "", 9.5)
        pdf.cell(0, 6, "无逾期或重大隐患。", new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.set_font("NotoSansSC", "", 8)
        header_style = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=(31, 78, 121))
        with pdf.table(col_widths=ITEM_WIDTHS_MM, text_align="LEFT", line_height=3.9,
                       padding=(0.8, 1), headings_style=header_style, wrapmode=WrapMode.CHAR) as table:
            table.row(ITEM_HEADERS)
            for item in b.items:
                cells = _item_cells(item)
                row = table.row()
                colour = tuple(int(LEVEL_COLOURS[item["level"]][i:i + 2], 16) for i in (1, 3, 5))
                text_colour = (0, 0, 0) if item["level"] == LIGHT_LEVEL else (255, 255, 255)
                row.cell(cells[0], align="CENTER",
                         style=FontFace(emphasis="BOLD", color=text_colour, fill_color=colour))
                for i, text in enumerate(cells[1:], start=1):
                    if i == 4 and item["overdue_days"] > 0:
                        row.cell(text, style=FontFace(emphasis="BOLD", color=(217, 48, 37)))
                    elif i == 6 and not item["instruction"]:
                        row.cell(text, style=FontFace(color=(136, 136, 136)))
                    else:
                        row.cell(text)
    pdf.ln(2)
    pdf.set_font("NotoSansSC", "", 8)
    pdf.set_text_color(68)
    pdf.multi_cell(0, 4, _footer(b), wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
