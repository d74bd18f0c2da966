"""`python -m data_access ranking`: the village ranking (花街擂台) of a period, best first."""

from __future__ import annotations

import argparse
import json
import math

from .. import ranking
from ..filters import Filters, Period, local_today
from ..models import RANKING_TRACKS
from .shared import EXIT_BAD_INPUT, EXIT_OK, CommandError, date_argument, open_engine, pad

RECTIFY_MARK = "整改说明"


def _score(value: float) -> float | None:
    return None if math.isnan(value) else value


def cmd_ranking(args: argparse.Namespace) -> int:
    default = ranking.last_full("month", local_today())
    try:
        period = Period(args.date_from or default.start, args.date_to or default.end)
        weights = ranking.assessor_weights()
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    with open_engine().connect() as conn:
        table = ranking.ranking(conn, Filters(period), weights)
    rows = [
        {"village": r.village, "rank": int(r.rank), "total": r.total,
         "tracks": {track: _score(getattr(r, track)) for track in RANKING_TRACKS},
         "change": r.change, "rectify": bool(r.rectify)}
        for r in table.itertuples(index=False)
    ]  # fmt: skip
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    first, last = ranking.months(period)
    shown = ", ".join(f"{assessor} {weight:g}" for assessor, weight in weights.items())
    print(f"ranking {first:%Y-%m} .. {last:%Y-%m}; weights: {shown}")
    if not rows:
        print("  no village was scored in these months")
        return EXIT_OK
    tracks = " ".join(pad(track, 9) for track in RANKING_TRACKS)
    print(f"{'rank':>4}  {pad('village', 10)} {'total':>7} {tracks} change")
    for row in rows:
        scores = " ".join(pad("—" if s is None else f"{s:.2f}", 9) for s in row["tracks"].values())
        change = "new" if row["change"] is None else f"{row['change']:+d}" if row["change"] else "="
        mark = f"  {RECTIFY_MARK}" if row["rectify"] else ""
        print(f"{row['rank']:>4}  {pad(row['village'], 10)} {row['total']:>7.2f} {scores} {change:>6}{mark}")
    return EXIT_OK


def register(commands) -> None:
    """Add `ranking` to the CLI's subparsers."""
    p = commands.add_parser("ranking", help="print the village ranking (花街擂台) of a period, best first")
    p.add_argument("--from", dest="date_from", type=date_argument,
                   help="a day of the first month, YYYY-MM-DD (default: the last full month)")
    p.add_argument("--to", dest="date_to", type=date_argument,
                   help="a day of the last month, YYYY-MM-DD (default: the last full month)")
    p.add_argument("--json", action="store_true", help="print a JSON list, best first, of "
                   '{"village", "rank", "total", "tracks": {track: score}, "change", "rectify"}')
    p.set_defaults(func=cmd_ranking)
