"""Each rule of IMPORT_FORMAT.md: a file with a row that keeps it (row 2) and one that breaks it
(row 3); the first is imported, the second reported with its row, column and reason (on SQLite);
the values stored, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data_access import idcard
from data_access.models import Alert, GridEvent, Hazard, House, PopulationStay, Terminal

from ..import_support import INSIDE, base_row, id_number, load_sample_villages, reasons, run


def _id_ending_in_x() -> str:
    first17 = next(
        f"53010219900312{n:03d}" for n in range(1000) if idcard.check_char(f"53010219900312{n:03d}") == "X"
    )
    return first17 + "x"


GOOD_ID = id_number()
BAD_CHECK = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")
FUTURE = (dt.date.today() + dt.timedelta(days=400)).isoformat()

# (kind, column, what the good row sets, what the bad row sets, the reason's words)
RULES = [
    ("hazards", "source_id", {}, {"source_id": ""}, "required"),
    ("hazards", "title", {}, {"title": ""}, "required"),
    ("hazards", "title", {"title": "长" * 200}, {"title": "长" * 201}, "longer than 200"),
    ("hazards", "category", {"category": "防汛"}, {"category": "火警"}, "must be one of"),
    ("hazards", "level", {"level": "重大"}, {"level": "特大"}, "must be one of"),
    ("hazards", "village", {"village": "凤凰村"}, {"village": "不存在村"}, "unknown village"),
    ("hazards", "village", {}, {"village": ""}, "required"),
    ("hazards", "lon / lat", {"lon": INSIDE[0], "lat": INSIDE[1]}, {"lon": INSIDE[0], "lat": ""}, "both"),
    (
        "hazards",
        "lon / lat",
        {"lon": INSIDE[0], "lat": INSIDE[1]},
        {"lon": "120.5", "lat": "28.9"},
        "outside the area",
    ),
    (
        "hazards",
        "lon / lat",
        {"lon": INSIDE[0], "lat": INSIDE[1]},
        {"lon": INSIDE[1], "lat": INSIDE[0]},
        "outside the area",
    ),
    (
        "hazards",
        "lon",
        {"lon": INSIDE[0], "lat": INSIDE[1]},
        {"lon": "东经120", "lat": INSIDE[1]},
        "not a number",
    ),
    ("hazards", "enterprise_shut", {"enterprise_shut": "是"}, {"enterprise_shut": "可能"}, "yes/no"),
    ("hazards", "found_at", {"found_at": "2026/3/1 9:05"}, {"found_at": "2026-13-01"}, "not a real date"),
    ("hazards", "found_at", {"found_at": "2026年3月1日"}, {"found_at": "昨天"}, "not a date"),
    ("hazards", "found_at", {}, {"found_at": FUTURE}, "in the future"),
    ("hazards", "found_at", {}, {"found_at": ""}, "required"),
    ("hazards", "status", {"status": "整改中"}, {"status": "已完成"}, "must be one of"),
    (
        "hazards",
        "resolved_at",
        {"status": "已化解", "resolved_at": "2026-03-05"},
        {"status": "已化解", "resolved_at": ""},
        "required when the status is 已化解",
    ),
    (
        "hazards",
        "resolved_at",
        {"status": "已销号", "resolved_at": "2026-03-05"},
        {"status": "已销号", "resolved_at": ""},
        "required when the status is 已销号",
    ),
    (
        "hazards",
        "resolved_at",
        {"status": "已化解", "resolved_at": "2026-03-01 09:05"},
        {"status": "已化解", "resolved_at": "2026-02-28"},
        "is before 发现时间",
    ),
    (
        "hazards",
        "resolved_at",
        {"status": "待处置", "resolved_at": ""},
        {"status": "整改中", "resolved_at": "2026-03-05"},
        "not resolved",
    ),
    ("hazards", "deadline", {"deadline": "2026-12-31"}, {"deadline": "下周"}, "not a date"),
    ("population", "id_number", {"id_number": GOOD_ID}, {"id_number": GOOD_ID[:17]}, "18 characters"),
    ("population", "id_number", {"id_number": _id_ending_in_x()}, {"id_number": BAD_CHECK}, "check digit"),
    ("population", "id_number", {}, {"id_number": id_number("99010219900312011")}, "province"),
    ("population", "id_number", {}, {"id_number": id_number("53010219900230011")}, "impossible birth date"),
    (
        "population",
        "id_number",
        {},
        {"id_number": id_number("53010220990312011")},
        "birth date in the future",
    ),
    ("population", "phone", {"phone": "138 0013 8000"}, {"phone": "1380013800"}, "11 digits"),
    ("population", "left_at", {"left_at": "2026-03-01"}, {"left_at": "2026-02-28"}, "is before 来住日期"),
    ("population", "arrived_at", {"arrived_at": "2026/3/1"}, {"arrived_at": ""}, "required"),
    ("population", "arrived_at", {}, {"arrived_at": FUTURE}, "in the future"),
    ("population", "permit_expiry", {"permit_expiry": FUTURE}, {"permit_expiry": "永久"}, "not a date"),
    ("population", "house_id", {"house_id": "F-KNOWN"}, {"house_id": "F-UNKNOWN"}, "no rented house"),
    ("houses", "capacity", {"capacity": "6"}, {"capacity": "0"}, "positive whole number"),
    ("houses", "capacity", {"capacity": "12.0"}, {"capacity": "2.5"}, "positive whole number"),
    ("houses", "capacity", {}, {"capacity": "-3"}, "positive whole number"),
    (
        "houses",
        "landlord_phone",
        {"landlord_phone": "13905791001"},
        {"landlord_phone": "0579-87123456"},
        "11 digits",
    ),
    ("alerts", "category", {"category": "电信网络诈骗"}, {"category": "诈骗"}, "must be one of"),
    ("alerts", "effective", {"effective": "N"}, {"effective": ""}, "required"),
    ("alerts", "became_case", {"became_case": "TRUE"}, {"became_case": "yes please"}, "yes/no"),
    ("alerts", "received_at", {}, {"received_at": "2026-03-01 25:00"}, "not a real date"),
    ("events", "category", {}, {"category": ""}, "required"),
    (
        "events",
        "dispatched_at",
        {"dispatched_at": "2026-03-01 09:05"},
        {"dispatched_at": "2026-03-01 09:00"},
        "is before 上报时间",
    ),
    (
        "events",
        "closed_at",
        {"closed_at": "2026-03-02"},
        {"closed_at": "2026-02-28 23:59:59"},
        "is before 上报时间",
    ),
    ("terminals", "kind", {"kind": "水位"}, {"kind": "路灯"}, "must be one of"),
    ("terminals", "online", {"online": "离线"}, {"online": "掉线"}, "yes/no"),
    (
        "terminals",
        "last_seen_at",
        {"last_seen_at": "2026-11-01 08:00"},
        {"last_seen_at": FUTURE},
        "in the future",
    ),
]


# The rules are checked in Python before anything is written: SQLite alone runs the table. What an
# engine could change, storing the good values, is checked on both by the tests below and by
# tests/data_access/test_import_files.py (every kind of file, imported and imported again).
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("kind", "column", "good", "bad", "reason"), RULES)
def test_rule_keeps_the_good_row_and_reports_the_bad_one(engine, kind, column, good, bad, reason):
    load_sample_villages(engine)
    if kind == "population":
        assert run(engine, "houses", [{"house_id": "F-KNOWN", "village": "倪宅村"}]).ok
    rows = [{**base_row(kind, 1), **good}, {**base_row(kind, 2), **bad}]
    report = run(engine, kind, rows)
    assert report.inserted == 1, reasons(report)
    assert (report.rejected and not report.file_error)
    assert {e.row for e in report.rejected} == {3}, reasons(report)
    assert any(reason in e.reason for e in report.rejected), reasons(report)
    assert all(e.column == column for e in report.rejected if reason in e.reason), reasons(report)


def test_the_longest_title_allowed_is_stored_whole(engine):
    load_sample_villages(engine)
    assert run(engine, "hazards", [{**base_row("hazards"), "title": "长" * 200}]).ok
    with engine.connect() as conn:
        assert conn.execute(select(Hazard.title)).scalar_one() == "长" * 200


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("n", False),
        ("true", True),
        ("FALSE", False),
        ("1", True),
        ("0", False),
        ("", False),
    ],
)
def test_booleans_in_every_accepted_spelling(engine, text, expected):
    load_sample_villages(engine)
    report = run(engine, "alerts", [{**base_row("alerts"), "became_case": text}])
    assert report.ok, reasons(report)
    with engine.connect() as conn:
        assert conn.execute(select(Alert.became_case)).scalar_one() is expected


def test_times_in_every_accepted_form_mixed_in_one_column(engine):
    load_sample_villages(engine)
    forms = {
        "2026-03-01 09:05:00": dt.datetime(2026, 3, 1, 9, 5),
        "2026/3/1 9:05": dt.datetime(2026, 3, 1, 9, 5),
        "2019/4/25 9:32:09": dt.datetime(2019, 4, 25, 9, 32, 9),
        "2026-03-01": dt.datetime(2026, 3, 1),
        "2026年3月1日": dt.datetime(2026, 3, 1),
        "2026年3月1日 9时05分": dt.datetime(2026, 3, 1, 9, 5),
        "2026-03-01T09:05:00": dt.datetime(2026, 3, 1, 9, 5),
        "2026-03-01T01:05:00Z": dt.datetime(2026, 3, 1, 9, 5),  # UTC, stored as local (Asia/Shanghai)
        "46082.5": dt.datetime(2026, 3, 1, 12, 0),  # an Excel serial number saved into a CSV
    }
    rows = [{**base_row("events", n), "reported_at": text} for n, text in enumerate(forms)]
    report = run(engine, "events", rows)
    assert report.ok, reasons(report)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(GridEvent.source_id, GridEvent.reported_at)).all())
    assert [stored[f"E{n}"] for n in range(len(forms))] == list(forms.values())


def test_gender_birth_date_and_province_come_from_the_id_number(engine):
    load_sample_villages(engine)
    woman = id_number("52010319950708022")  # 17th digit 2: 女
    rows = [
        {**base_row("population", 1), "id_number": woman},
        {**base_row("population", 2), "origin_province": "四川"},
    ]
    assert run(engine, "population", rows).ok
    with engine.connect() as conn:
        stored = {r.source_id: r for r in conn.execute(select(PopulationStay))}
    assert (stored["P1"].gender, stored["P1"].birth_date, stored["P1"].origin_province) == (
        "女",
        dt.date(1995, 7, 8),
        "贵州",
    )
    assert stored["P2"].gender == "男"
    assert stored["P2"].origin_province == "四川"  # given in the file, kept


def test_an_x_in_the_id_number_is_stored_as_capital_x(engine):
    load_sample_villages(engine)
    assert (
        run(engine, "population", [{**base_row("population"), "id_number": _id_ending_in_x()}]).ok
    )
    with engine.connect() as conn:
        assert conn.execute(select(PopulationStay.id_number)).scalar_one().endswith("X")


def test_a_stay_links_to_its_house(engine):
    load_sample_villages(engine)
    run(engine, "houses", [{"house_id": "F-7", "village": "倪宅村", "capacity": "4"}])
    assert run(engine, "population", [{**base_row("population"), "house_id": "F-7"}]).ok
    with engine.connect() as conn:
        house_id = conn.execute(select(House.id)).scalar_one()
        assert conn.execute(select(PopulationStay.house_id)).scalar_one() == house_id


def test_flags_absent_from_the_file_default_to_no(engine):
    load_sample_villages(engine)
    assert run(engine, "alerts", [base_row("alerts")]).ok
    assert run(engine, "hazards", [base_row("hazards")]).ok
    with engine.connect() as conn:
        alert = conn.execute(select(Alert)).one()
        assert (alert.became_case, alert.civil_to_criminal, alert.major_accident) == (False, False, False)
        assert conn.execute(select(Hazard.enterprise_shut)).scalar_one() is False


def test_online_accepts_zaixian_and_lixian(engine):
    load_sample_villages(engine)
    rows = [{**base_row("terminals", 1), "online": "在线"}, {**base_row("terminals", 2), "online": "离线"}]
    assert run(engine, "terminals", rows).ok
    with engine.connect() as conn:
        assert dict(conn.execute(select(Terminal.source_id, Terminal.online)).all()) == {
            "T1": True,
            "T2": False,
        }


def test_a_repeated_id_in_one_file_is_reported(engine):
    load_sample_villages(engine)
    report = run(engine, "alerts", [base_row("alerts", 1), base_row("alerts", 1)])
    assert report.inserted == 1
    assert [(e.row, e.reason) for e in report.rejected] == [(3, "repeats the id of row 2")]


def test_gcj02_coordinates_are_converted_to_wgs84(engine):
    load_sample_villages(engine)
    # The town seat in GCJ-02 (data/real/README.md) and in WGS-84.
    gcj, wgs = (119.973050, 28.919503), (119.968553, 28.922553)
    rows = [{**base_row("alerts"), "lon": str(gcj[0]), "lat": str(gcj[1])}]
    assert run(engine, "alerts", rows, crs="gcj02").ok
    with engine.connect() as conn:
        lon, lat = conn.execute(select(Alert.lon, Alert.lat)).one()
    assert abs(lon - wgs[0]) < 2e-6 and abs(lat - wgs[1]) < 2e-6  # the README's figures have 6 decimals


def test_without_boundaries_points_may_lie_anywhere_in_the_region(engine):
    """With no village boundary the area is Zhejiang, generously: Hangzhou passes, Beijing does not."""
    rows = [
        {**base_row("alerts", 1), "lon": "120.15", "lat": "30.28"},
        {**base_row("alerts", 2), "lon": "116.4", "lat": "39.9"},
    ]
    report = run(engine, "alerts", rows)
    assert report.inserted == 1
    assert [e.row for e in report.rejected] == [3] and "outside the area" in report.rejected[0].reason
