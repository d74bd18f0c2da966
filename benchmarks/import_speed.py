"""Import speed: rows per second for alerts and population CSVs (and houses) into a fresh database.

    python benchmarks/import_speed.py                 # 100,000 rows each, into a new SQLite file
    python benchmarks/import_speed.py --rows 20000 --url postgresql+psycopg://postgres@127.0.0.1/bench

Wall time is what counts; the importer's own CPU time is printed too, since on a busy machine
the wall time mostly measures the others. With --url (or DATABASE_URL set) it also measures that
database; it must be empty or hold only
what this benchmark wrote (the records are deleted first). The target is ≥ 20,000 rows/s on SQLite.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete  # noqa: E402

from data_access import idcard, schema  # noqa: E402
from data_access.db import get_engine  # noqa: E402
from data_access.importing import import_file  # noqa: E402
from data_access.models import Base  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"
VILLAGES = ("倪宅村", "凤凰村", "桃源村", "上京岭村")
SEAT = (119.9726, 28.9256)
HOUSES = 5000
TARGET_ROWS_PER_S = 20_000


def _write(path: Path, header: list[str], rows) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _point(rng: random.Random) -> tuple[str, str]:
    return f"{SEAT[0] + rng.uniform(-0.015, 0.015):.6f}", f"{SEAT[1] + rng.uniform(-0.013, 0.013):.6f}"


def make_alerts(folder: Path, n: int, rng: random.Random) -> Path:
    start = dt.datetime(2024, 1, 1)
    categories = ("刑事", "治安", "交通", "火灾", "纠纷", "电信网络诈骗", "求助", "安全事故", "其他")
    rows = (
        (
            f"JQ{i:08d}",
            (start + dt.timedelta(minutes=13 * i + rng.randrange(13))).strftime("%Y-%m-%d %H:%M:%S"),
            rng.choice(categories),
            rng.choice("是是是否"),
            rng.choice("否否否是"),
            "否",
            "否",
            rng.choice(VILLAGES),
            f"地址{i % 977}号",
            *_point(rng),
            "简要警情",
        )
        for i in range(n)
    )
    header = [
        "警情编号",
        "接警时间",
        "警情类别",
        "有效警情",
        "是否立案",
        "民转刑",
        "重特大事故",
        "发生村",
        "发生地址",
        "经度",
        "纬度",
        "简要警情",
    ]
    return _write(folder / "alerts.csv", header, rows)


def make_houses(folder: Path, rng: random.Random) -> Path:
    rows = (
        (
            f"CZF{i:06d}",
            rng.choice(VILLAGES),
            f"出租房{i}号",
            "房东",
            f"139{i:08d}",
            rng.randint(2, 20),
            *_point(rng),
        )
        for i in range(HOUSES)
    )
    return _write(
        folder / "houses.csv",
        ["出租房编号", "所属村", "房屋地址", "房东姓名", "房东电话", "核定居住人数", "经度", "纬度"],
        rows,
    )


def _id_number(rng: random.Random) -> str:
    area = rng.choice(("530102", "520103", "510104", "360102"))
    birth = dt.date(rng.randint(1965, 2005), rng.randint(1, 12), rng.randint(1, 28))
    first = f"{area}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return first + idcard.check_char(first)


def make_population(folder: Path, n: int, rng: random.Random) -> Path:
    start = dt.date(2023, 1, 1)
    rows = []
    for i in range(n):
        arrived = start + dt.timedelta(days=rng.randrange(1000))
        left = arrived + dt.timedelta(days=rng.randrange(30, 400)) if rng.random() < 0.4 else None
        left = left if left and left < dt.date(2026, 1, 1) else None
        rows.append(
            (
                f"LD{i:08d}",
                "张三",
                _id_number(rng),
                f"138{i:08d}",
                rng.choice(VILLAGES),
                "",
                f"地址{i}",
                f"CZF{rng.randrange(HOUSES):06d}",
                "某某厂",
                arrived.isoformat(),
                left.isoformat() if left else "",
                (arrived + dt.timedelta(days=3)).strftime("%Y/%m/%d"),
                "",
                "2027-01-01",
            )
        )
    header = [
        "登记编号",
        "姓名",
        "公民身份号码",
        "联系电话",
        "居住村",
        "所属网格",
        "居住地址",
        "出租房编号",
        "用工单位",
        "来住日期",
        "离开日期",
        "核验日期",
        "单位报离日期",
        "居住证有效期至",
    ]
    return _write(folder / "population.csv", header, rows)


def _empty(engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))


def measure(url: str, files: dict[str, Path]) -> list[tuple[str, int, float, float]]:
    """(what, rows, wall seconds, this process's CPU seconds) per import, new and again."""
    engine = get_engine(url)
    schema.upgrade(engine)
    _empty(engine)
    import_file(engine, "villages", SAMPLES / "villages.geojson")
    results = []
    for kind, path in files.items():
        for label in ("new", "again"):
            started, cpu_started = time.perf_counter(), time.process_time()
            report = import_file(engine, kind, path)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            assert report.ok, report.to_text() + "\n" + "\n".join(report.error_lines(5))
            results.append((f"{kind} ({label})", report.rows_read, seconds, cpu))
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="rows per file (default 100,000)")
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL"), help="also measure this database")
    args = parser.parse_args()
    rng = random.Random(6)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {
            "houses": make_houses(folder, rng),
            "alerts": make_alerts(folder, args.rows, rng),
            "population": make_population(folder, args.rows, rng),
        }
        urls = [f"sqlite:///{folder / 'bench.db'}"] + ([args.url] if args.url else [])
        for url in urls:
            backend = url.split(":", 1)[0]
            for what, rows, seconds, cpu in measure(url, files):
                rate = rows / seconds
                flag = (
                    ""
                    if backend != "sqlite" or what.startswith("houses") or rate >= TARGET_ROWS_PER_S
                    else "  BELOW TARGET"
                )
                print(
                    f"{backend:<20} {what:<20} {rows:>8,} rows {seconds:7.2f} s {rate:>9,.0f} rows/s"
                    f"  (CPU {cpu:5.2f} s){flag}"
                )


if __name__ == "__main__":
    main()
