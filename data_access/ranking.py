"""The village ranking (月考季评 赛马比拼, 花街擂台, seed 002): every village is scored each month on
five tracks by four assessors, and ranked by the month (月度晾晒), the quarter (季度比拼) and the
half-year (半年打擂).

A period's months are the months it touches, from its first day's to its last day's. A village's
score on a track is, for each month, its assessors' scores averaged with their weights (the
setting RANKING_WEIGHTS; an assessor who gave no score that month is left out), then averaged
over the months it was scored in. Its total is the sum of its track scores; its rank is its place
among all the villages scored in the period, by total, best first (equal totals share a rank).
change = its rank in the period of as many months just before minus its rank now (positive: it
moved up; None: not ranked then). The last RECTIFICATION_COUNT places owe a rectification note
(整改说明), and so does a village tied with one of them. The filter's villages choose the rows
shown, each with its rank in the whole area; grids and categories do not apply.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
from sqlalchemy import Connection, Date, Float, bindparam, case, func, select

from . import settings
from .filters import VILLAGE_IDS, Filters, Period, resolve
from .models import RANKING_ASSESSORS, RANKING_TRACKS, Village, VillageScore

RECTIFICATION_COUNT = 3  # the last three places write a rectification note (整改说明)
PERIOD_MONTHS = {"month": 1, "quarter": 3, "half_year": 6}  # 月度晾晒, 季度比拼, 半年打擂
DECIMALS = 2  # scores and totals as shown

FIRST_MONTH, LAST_MONTH = bindparam("first_month", type_=Date), bindparam("last_month", type_=Date)
WEIGHTS = {assessor: bindparam(f"weight_{i}", type_=Float) for i, assessor in enumerate(RANKING_ASSESSORS)}


def assessor_weights() -> dict[str, float]:
    """Each assessor's weight, from the setting RANKING_WEIGHTS ('镇党委=1,职能科室=1,…'):
    ValueError unless it gives every assessor a number, none negative, not all zero."""
    text = settings.get("RANKING_WEIGHTS")
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.replace("，", ",").split(","))):
        name, _, value = (s.strip() for s in part.partition("="))
        try:
            weights[name] = float(value)
        except ValueError:
            raise ValueError(f"RANKING_WEIGHTS: {part!r} is not assessor=number") from None
    if set(weights) != set(RANKING_ASSESSORS) or min(weights.values()) < 0 or not sum(weights.values()):
        example = ",".join(f"{a}=1" for a in RANKING_ASSESSORS)
        raise ValueError(f"RANKING_WEIGHTS must give each of {', '.join(RANKING_ASSESSORS)} a weight, "
                         f"none negative, not all zero (e.g. {example}), not {text!r}")
    return weights


def _month_after(month: dt.date, months: int = 1) -> dt.date:
    """The first day of the month `months` after `month`'s (before it, when negative)."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_of(kind: str, day: dt.date) -> Period:
    """The calendar month, quarter or half-year (PERIOD_MONTHS) that holds `day`."""
    size = PERIOD_MONTHS[kind]
    start = dt.date(day.year, (day.month - 1) // size * size + 1, 1)
    return Period(start, _month_after(start, size) - dt.timedelta(days=1))


def last_full(kind: str, today: dt.date) -> Period:
    """The last month, quarter or half-year that ended before `today` (the one to rank)."""
    return period_of(kind, period_of(kind, today).start - dt.timedelta(days=1))


def months(period: Period) -> tuple[dt.date, dt.date]:
    """The first days of the first and the last month the period touches."""
    return period.start.replace(day=1), period.end.replace(day=1)


def previous_months(period: Period) -> tuple[dt.date, dt.date]:
    """The first days of the first and the last of as many months just before the period's."""
    first, last = months(period)
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return _month_after(first, -count), _month_after(first, -1)


def ranking(conn: Connection, filters: Filters, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """The period's ranking, best first: village, rank, total, one column per track
    (RANKING_TRACKS; NaN where not scored), change (None: not ranked before), rectify (owes a
    整改说明). Weights by assessor default to the setting."""
    filters = resolve(conn, filters)
    weights = assessor_weights() if weights is None else weights
    stmt = _statement(filters.village_ids is not None)
    bound = {f"weight_{i}": float(weights[a]) for i, a in enumerate(RANKING_ASSESSORS)}
    bound["village_ids"] = list(filters.village_ids or ())

    def run(first: dt.date, last: dt.date):
        return conn.execute(stmt, bound | {"first_month": first, "last_month": last}).all()

    earlier = {row.village: row.rank for row in run(*previous_months(filters.period))}
    villages: dict[str, dict] = {}
    for row in run(*months(filters.period)):
        village = villages.setdefault(row.village, {
            "village": row.village, "rank": row.rank, "total": round(row.total, DECIMALS),
            **dict.fromkeys(RANKING_TRACKS),
            "change": earlier[row.village] - row.rank if row.village in earlier else None,
            "rectify": row.from_bottom <= RECTIFICATION_COUNT,
        })  # fmt: skip
        village[row.track] = round(row.score, DECIMALS)
    columns = ["village", "rank", "total", *RANKING_TRACKS, "change", "rectify"]
    rows = sorted(villages.values(), key=lambda v: (v["rank"], v["village"]))
    types = {"change": object} | dict.fromkeys(RANKING_TRACKS, float)
    return pd.DataFrame(rows, columns=columns).astype(types)


@functools.cache
def _statement(villages_chosen: bool):
    """Per village and track scored in the months FIRST_MONTH..LAST_MONTH: village, track, score,
    total, rank, from_bottom (its rank counted from the last); only the chosen villages' rows when
    `villages_chosen`, each with its ranks among all."""
    score = VillageScore
    weight = case(*((score.assessor == assessor, w) for assessor, w in WEIGHTS.items()), else_=0.0)
    per_month = (
        select(score.village_id, score.track,
               (func.sum(score.score * weight) / func.nullif(func.sum(weight), 0)).label("score"))
        .where(score.month.between(FIRST_MONTH, LAST_MONTH))
        .group_by(score.village_id, score.month, score.track)
        .subquery()
    )  # fmt: skip
    tracks = (
        select(per_month.c.village_id, per_month.c.track, func.avg(per_month.c.score).label("score"))
        .where(per_month.c.score.is_not(None))  # a month scored only by assessors weighing nothing
        .group_by(per_month.c.village_id, per_month.c.track)
        .subquery()
    )
    total = func.sum(tracks.c.score)
    totals = (
        select(tracks.c.village_id, total.label("total"),
               func.rank().over(order_by=total.desc()).label("rank"),
               func.rank().over(order_by=total).label("from_bottom"))
        .group_by(tracks.c.village_id)
        .subquery()
    )  # fmt: skip
    stmt = (
        select(Village.name.label("village"), tracks.c.track, tracks.c.score, totals.c.total, totals.c.rank,
               totals.c.from_bottom)
        .join(totals, totals.c.village_id == tracks.c.village_id)
        .join(Village, Village.id == tracks.c.village_id)
    )  # fmt: skip
    return stmt.where(tracks.c.village_id.in_(VILLAGE_IDS)) if villages_chosen else stmt


def by_village(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Each ranked village's rank in the period (for shading a map): village, value."""
    table = ranking(conn, filters)
    return pd.DataFrame({"village": table["village"], "value": table["rank"]})


def period_at(kind: str, day: dt.date, last_scored: dt.date | None = None) -> Period:
    """What a view ranks for a filter whose reference day is `day`: the last month, quarter or
    half-year (PERIOD_MONTHS) that ended on or before it and, when `last_scored` (the latest
    month with scores, last_scored_month) is earlier, on or before that month's end: a month
    whose scores are not in yet (they come in the days after it) leaves the last one shown."""
    if last_scored is not None:
        day = min(day, _month_after(last_scored.replace(day=1)) - dt.timedelta(days=1))
    return last_full(kind, day + dt.timedelta(days=1))


def last_scored_month(conn: Connection) -> dt.date | None:
    """The first day of the latest month any village was scored in (None: no score yet)."""
    month = conn.execute(select(func.max(VillageScore.month))).scalar_one()
    return dt.date.fromisoformat(month) if isinstance(month, str) else month


def summary(table: pd.DataFrame) -> dict:
    """What a ranking (as `ranking` returns it) comes to: villages ranked; the first (its name,
    rank and total: the best of the rows, which a village filter may have narrowed); the mean
    total; the biggest climb since the period before (village and places, None when none
    moved up); the villages that owe a rectification note (整改说明), worst last."""
    if table.empty:
        return {"villages": 0, "first": None, "first_rank": None, "first_total": None, "mean_total": None,
                "climber": None, "climb": None, "rectify": []}
    best = table.iloc[0]
    moved = table[[c is not None and not pd.isna(c) and c > 0 for c in table["change"]]]
    top = moved.loc[moved["change"].astype(int).idxmax()] if not moved.empty else None
    return {
        "villages": len(table),
        "first": best["village"], "first_rank": int(best["rank"]), "first_total": float(best["total"]),
        "mean_total": round(float(table["total"].mean()), DECIMALS),
        "climber": None if top is None else top["village"], "climb": None if top is None else int(top["change"]),
        "rectify": list(table.loc[table["rectify"].astype(bool), "village"]),
    }  # fmt: skip
