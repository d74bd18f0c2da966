"""City-scale demo data: how long it takes to build, and rows per second per table.

    python benchmarks/demo_city.py sqlite:////tmp/city.db
    python benchmarks/demo_city.py postgresql+psycopg://postgres@127.0.0.1:5432/bench_city
    python benchmarks/demo_city.py --fraction 0.1      # DATABASE_URL, a tenth of the rows

The database is upgraded to the newest schema first; it must be empty or hold only demo
data (anything else is refused). The target is the whole city in under 300 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access import demo, schema  # noqa: E402
from data_access.db import get_engine  # noqa: E402

TARGET_S = 300
AS_OF = dt.date(2026, 11, 23)  # fixed, so runs compare


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "url", nargs="?", default=os.environ.get("DATABASE_URL"), help="database URL (default: DATABASE_URL)"
    )
    parser.add_argument("--fraction", type=float, default=1.0, help="share of the full city's record counts")
    parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("give a database URL or set DATABASE_URL")
    engine = get_engine(args.url)
    schema.upgrade(engine)
    spent: dict[str, float] = {}
    start = time.perf_counter()
    counts = demo.generate(
        engine,
        scale="city",
        seed=args.seed,
        as_of=AS_OF,
        progress=True,
        city_fraction=args.fraction,
        timings=spent,
    )
    elapsed = time.perf_counter() - start
    print(f"{engine.dialect.name}: {sum(counts.values()):,} rows in {elapsed:.1f} s "
          f"({sum(counts.values()) / elapsed:,.0f} rows/s overall; target < {TARGET_S} s)")  # fmt: skip
    print(f"{'table':<18}{'rows':>12}{'write s':>10}{'rows/s':>12}")
    for table, n in counts.items():
        seconds = spent.get(table, 0.0)
        rate = f"{n / seconds:,.0f}" if seconds else "—"
        print(f"{table:<18}{n:>12,}{seconds:>10.1f}{rate:>12}")
    print("write s = time in the bulk writer only; the rest is generating the rows, indexes and checks.")
    return 0 if elapsed < TARGET_S or args.fraction != 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
