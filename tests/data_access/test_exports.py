"""Exports: the hazard list as .xlsx read back with openpyxl, the meeting briefing as HTML and PDF."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from data_access import accounts, hazards, reports, review
from data_access.accounts import PermissionDenied
from data_access.filters import Filters, Period
from data_access.models import AuditEntry, Hazard

from .. import factories as f

TODAY = dt.date(2026, 11, 23)
PERIOD = Period(dt.date(2026, 11, 1), TODAY)
T = dt.datetime
HEADERS = [header for _, header, _, _ in reports.HAZARD_COLUMNS]


@pytest.fixture
def town(engine) -> dict:
    """Users of every role; two villages; hazards of each kind; events and alerts with known KPIs."""
    with engine.begin() as conn:
        for role in accounts.ROLES:
            accounts.create_user(conn, role, "s3cret-pass", role, by="test")
        ni = f.village(conn, "倪宅村", in_micro_centre=True)
        fh = f.village(conn, "凤凰村", in_micro_centre=True)
        grid = f.grid(conn, ni, "倪宅一网格")
        who = {"responsible_unit": "花街镇应急办", "responsible_person": "张小三"}
        ids = {
            "A": f.hazard(conn, ni, T(2026, 11, 2, 9), title="厂房消防通道堵塞", level="重大", grid_id=grid,
                          deadline=dt.date(2026, 11, 20), **who),
            "B": f.hazard(conn, ni, T(2026, 11, 3, 9), title="仓库<危化品>堆放", level="较大",
                          deadline=dt.date(2026, 11, 15), responsible_person="李四"),
            "C": f.hazard(conn, ni, T(2026, 11, 4, 9), title="山塘水库渗漏", level="重大", category="防汛",
                          deadline=dt.date(2026, 12, 10), **who),
            "D": f.hazard(conn, ni, T(2026, 11, 5, 9), title="村道护栏缺失", level="一般",
                          deadline=dt.date(2026, 12, 20)),
            "E": f.hazard(conn, ni, T(2026, 11, 6, 9), title="已化解的重大隐患", level="重大",
                          status="已化解",
                          resolved_at=T(2026, 11, 10, 9), deadline=dt.date(2026, 11, 12)),
            "F": f.hazard(conn, fh, T(2026, 11, 7, 9), title="凤凰村出租房电线私拉", level="一般",
                          deadline=dt.date(2026, 11, 21)),
        }
        for i in range(4):  # 4 new events, 3 closed: 办结率 75.00%
            f.event(conn, ni, T(2026, 11, 5 + i, 9), closed_at=T(2026, 11, 6 + i, 9) if i < 3 else None)
        for day in (5, 6, 7):  # 3 effective alerts against 2 a year earlier: 同比 +50.00%
            f.alert(conn, ni, T(2026, 11, day, 20))
        for day in (5, 6):
            f.alert(conn, ni, T(2025, 11, day, 20))
    with engine.begin() as conn:
        review.add_instruction(conn, "leader", ids["A"], 1, "先排查", now=T(2026, 11, 3, 8))
        review.add_instruction(conn, "leader", ids["A"], 2, "立即停产整改", now=T(2026, 11, 4, 8))
        review.add_instruction(conn, "leader", ids["C"], 1, "月底前完成加固", now=T(2026, 11, 5, 8))
    return ids


def export_rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(
            select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
        ).all()


def xlsx(engine, actor: str = "staff", **kw) -> bytes:
    with engine.begin() as conn:
        return reports.hazards_xlsx(conn, actor, kw.pop("filters", Filters(PERIOD)), TODAY, **kw)


# ---------------------------------------------------------------- the hazard list (.xlsx)


def test_xlsx_has_chinese_headers_masked_names_and_one_row_per_listed_item(engine, town):
    with engine.connect() as conn:
        listed, total = hazards.worst_first(conn, Filters(PERIOD), TODAY)
    wb = load_workbook(io.BytesIO(xlsx(engine)))
    ws = wb["风险隐患"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS and {"隐患名称", "等级", "整改期限", "责任人", "最新批示"} <= set(HEADERS)
    assert len(rows) - 1 == len(listed) == total == 5  # the open ones; 已化解 is not in the default list
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width > 30

    record = dict(zip(HEADERS, rows[1]))  # worst first: the overdue 重大 item
    assert (record["编号"], record["隐患名称"], record["等级"], record["三色预警"]) == (
        listed["source_id"].iloc[0], "厂房消防通道堵塞", "重大", "红")
    assert record["责任人"] == "张*三" and record["最新批示"] == "立即停产整改"
    assert record["剩余天数"] == -3 and record["网格"] == "倪宅一网格"
    every_cell = {v for row in rows for v in row}
    assert "张小三" not in every_cell and "李四" not in every_cell and "李*" in every_cell

    deadline = ws.cell(row=2, column=HEADERS.index("整改期限") + 1)
    found = ws.cell(row=2, column=HEADERS.index("发现时间") + 1)
    assert deadline.is_date and deadline.number_format == "yyyy-mm-dd" and deadline.value == T(2026, 11, 20)
    assert found.is_date and found.value == T(2026, 11, 2, 9)
    assert [r[HEADERS.index("隐患名称")] for r in rows[1:]] == listed["title"].tolist()

    about = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True)}
    assert about["导出人"] == "staff" and "期间 2026-11-01 至 2026-11-23" in about["筛选条件"]
    [logged] = export_rows(engine)
    assert (logged.actor, logged.target) == ("staff", "风险隐患清单 (xlsx)")
    assert "村：全部" in logged.detail


def test_xlsx_follows_the_filter(engine, town):
    data = xlsx(engine, filters=Filters(PERIOD, villages=("凤凰村",)), statuses=(), levels=("一般",))
    rows = list(load_workbook(io.BytesIO(data))["风险隐患"].iter_rows(values_only=True))
    assert [r[HEADERS.index("隐患名称")] for r in rows[1:]] == ["凤凰村出租房电线私拉"]
    assert "村：凤凰村" in export_rows(engine)[0].detail and "等级：一般" in export_rows(engine)[0].detail


def test_xlsx_holds_more_than_a_page_lists(engine, town):
    n = hazards.LIST_LIMIT + 1
    with engine.begin() as conn:
        village = f.village(conn, "桃源村")
        conn.execute(insert(Hazard), [
            {"source_id": f"BULK-{i}", "title": f"批量隐患{i}", "category": "消防", "level": "一般",
             "status": "待处置", "village_id": village, "found_at": T(2026, 11, 10, 8)} for i in range(n)])
    rows = list(load_workbook(io.BytesIO(xlsx(engine, filters=Filters(PERIOD, villages=("桃源村",)))))
                ["风险隐患"].iter_rows(values_only=True))
    assert len(rows) - 1 == n


def test_xlsx_text_that_looks_like_a_formula_stays_text(engine, town):
    trap = '=HYPERLINK("http://example.invalid","点击")'
    with engine.begin() as conn:
        f.hazard(conn, f.village(conn, "桃源村"), T(2026, 11, 10, 8), title=trap)
    ws = load_workbook(io.BytesIO(xlsx(engine, filters=Filters(PERIOD, villages=("桃源村",)))))["风险隐患"]
    cell = ws.cell(row=2, column=HEADERS.index("隐患名称") + 1)
    assert (cell.value, cell.data_type) == (trap, "s")


def test_xlsx_of_an_empty_list_has_its_headers(engine, town):
    rows = list(load_workbook(io.BytesIO(xlsx(engine, levels=("重大",), responsible=town["D"])))  # nobody's in charge
                ["风险隐患"].iter_rows(values_only=True))
    assert rows == [tuple(HEADERS)]


@pytest.mark.parametrize("actor", ["viewer", "ghost"])
def test_viewers_may_not_export(engine, town, actor):
    with pytest.raises(PermissionDenied):
        xlsx(engine, actor)
    with engine.begin() as conn, pytest.raises(PermissionDenied):
        reports.meeting_briefing(conn, actor, Filters(PERIOD), TODAY)
    assert export_rows(engine) == []


# ---------------------------------------------------------------- the meeting briefing


def briefing(engine, actor: str = "leader", filters: Filters | None = None) -> reports.Briefing:
    with engine.begin() as conn:
        return reports.meeting_briefing(conn, actor, filters or Filters(PERIOD), TODAY)


def test_briefing_lists_overdue_and_major_items_with_their_latest_instruction(engine, town):
    b = briefing(engine)
    titles = [item["title"] for item in b.items]
    # Worst first: the overdue ones (by level), then the 重大 one still in time. Not: the 一般 one in
    # time (D), nor the resolved 重大 one (E).
    assert titles == ["厂房消防通道堵塞", "仓库<危化品>堆放", "凤凰村出租房电线私拉", "山塘水库渗漏"]
    by_title = {item["title"]: item for item in b.items}
    assert by_title["厂房消防通道堵塞"]["instruction"] == "立即停产整改"
    assert by_title["厂房消防通道堵塞"]["overdue_days"] == 3
    assert by_title["仓库<危化品>堆放"]["instruction"] is None
    assert by_title["山塘水库渗漏"]["instruction"] == "月底前完成加固"
    assert by_title["厂房消防通道堵塞"]["responsible_person"] == "张*三"
    assert b.items_total == 4 and b.generated_by == "leader"
    assert (b.kpis["events"]["new"], b.kpis["events"]["closure_rate"]) == (4, 0.75)
    [logged] = export_rows(engine)
    assert (logged.actor, logged.target) == ("leader", "周例会简报")


def test_briefing_html_is_self_contained_print_ready_and_shows_the_figures(engine, town):
    page = reports.briefing_html(briefing(engine))
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "@page" in page and "size: A4" in page
    for external in ("http://", "https://", "<link", "<script", "src=", "@import", "url("):
        assert external not in page
    # KPIs: 4 new events, 75.00% closed, 3 effective alerts +50.00% 同比, 6 hazards found, 3 overdue.
    kpi = page[page.index("本期指标"):page.index("逾期及重大隐患")]
    for shown in ("新增事件", ">4<", "75.00%", "有效警情", ">3<", "+50.00%", "新发现", ">6<", "逾期", "—"):
        assert shown in kpi, shown
    items = page[page.index("逾期及重大隐患"):]
    assert "逾期及重大隐患（4 项）" in items
    assert "立即停产整改" in items and "先排查" not in items
    assert "尚无批示" in items and "月底前完成加固" in items
    assert "仓库&lt;危化品&gt;堆放" in items and "<危化品>" not in page
    assert "张*三" in items and "张小三" not in page and "村道护栏缺失" not in page
    assert "逾期3天" in items


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def _pdf_text(pdf: bytes, tmp_path) -> str | None:
    if not shutil.which("pdftotext"):
        return None
    path = tmp_path / "briefing.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_briefing_pdf_is_one_page_with_the_font_embedded(engine, town, tmp_path):
    pdf = reports.briefing_pdf(briefing(engine))
    assert pdf.startswith(b"%PDF-") and _pdf_pages(pdf) == 1
    assert b"/FontFile3" in pdf and b"NotoSansCJKSC" in pdf  # embedded, not left to the viewer
    text = _pdf_text(pdf, tmp_path)
    if text is not None:  # poppler-utils present: read the words back
        flat = re.sub(r"\s+", "", text)
        for shown in ("周例会简报", "75.00%", "+50.00%", "立即停产整改", "尚无批示", "仓库<危化品>堆放",
                      "张*"):
            assert shown in flat, shown
        assert "先排查" not in flat and "张小三" not in flat


def test_a_long_briefing_still_fits_one_page(engine, town, tmp_path):
    with engine.begin() as conn:
        village = f.village(conn, "上京岭村")
        for i in range(30):
            hid = f.hazard(conn, village, T(2026, 11, 1, 8), level="重大", deadline=dt.date(2026, 11, 10),
                           title=f"上京岭村第{i}号企业厂房屋顶彩钢瓦严重锈蚀存在坍塌风险需立即处置",
                           responsible_unit="花街镇安全生产监督管理办公室", responsible_person="欧阳小明")
            review.add_instruction(conn, "leader", hid, 1, "请镇安监办会同村两委于本周内完成全面排查整治，"
                                   "并将整改情况书面报镇领导，逾期未完成的约谈企业负责人并依法处理。" * 2)
    b = briefing(engine)
    assert len(b.items) == reports.MAX_BRIEFING_ITEMS and b.items_total == 34
    assert f"另有 {34 - reports.MAX_BRIEFING_ITEMS} 项未列出" in reports.briefing_html(b)
    pdf = reports.briefing_pdf(b)
    assert _pdf_pages(pdf) == 1
    (tmp_path / "long.pdf").write_bytes(pdf)


def test_briefing_without_items_or_figures(engine):
    with engine.begin() as conn:
        accounts.create_user(conn, "staff", "s3cret-pass", "staff", by="test")
        f.village(conn, "倪宅村")
    b = briefing(engine, "staff")
    assert b.items == [] and b.items_total == 0
    page = reports.briefing_html(b)
    assert "无逾期或重大隐患" in page and "—" in page
    assert _pdf_pages(reports.briefing_pdf(b)) == 1


def test_the_list_export_fills_the_address_column(engine):
    with engine.begin() as conn:
        accounts.create_user(conn, "staff", "s3cret-pass", "staff", by="test")
        ni = f.village(conn, "倪宅村")
        f.hazard(conn, ni, T(2026, 11, 2, 9), address="花街镇倪宅村前街 12 号")
    sheet = load_workbook(io.BytesIO(xlsx(engine))).worksheets[0]
    column = [cell.value for cell in sheet[1]].index("地址") + 1
    assert sheet.cell(row=2, column=column).value == "花街镇倪宅村前街 12 号"


def test_the_export_describes_the_person_in_charge_masked(engine, town):
    with engine.connect() as conn:
        people = {label: choice for choice, label in hazards.responsible_choices(conn, Filters(PERIOD), clear=True).items()}
    for actor in ("staff", "leader"):
        about = load_workbook(io.BytesIO(xlsx(engine, actor, responsible=people["张小三 · 花街镇应急办"])))["说明"]
        description = dict(about.iter_rows(values_only=True))["筛选条件"]
        assert "责任人：张*三（花街镇应急办）" in description and "张小三" not in description, actor
    assert all("张小三" not in (row.detail or "") for row in export_rows(engine)), "nor in the audit log"
