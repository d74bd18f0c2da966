"""The town scenario: Huajie over three years, reproducing the figures of DOMAIN.md exactly.

For any as-of day D the town's last full quarter before D has 3755 grid events, all closed
within the quarter, 3752 on time and 3674 dispatched; 44 stability risks (涉稳) found, 5 of them
resolved within the quarter and 2 that could become a mass incident; 368 first petitions
received, 318 of them resolved within the quarter; 27 disputes mediated, involving 448,000 yuan,
2 of them pushed by a police alert. The micro-centre's four villages have, from 1 January to D,
256 hazards (5 enterprises shut), effective alerts −17% and cases −42% against the same dates a
year earlier, and no 民转刑 case, major accident or telecom fraud; stability risks lie outside
them, so that those 256 are the door-to-door ones. 倪宅村 ranks first in every half-year (it
won the 擂台赛 of 27 June). The five key projects of the seed's war map stand as of D: one done,
one overdue, three on track. Counts that must be exact are generated as exact counts in their
own time window; the rest is drawn at plausible rates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np

from ..filters import minus_years
from ..models import (
    Alert,
    Dispute,
    GridEvent,
    Hazard,
    HazardHistory,
    House,
    Petition,
    PopulationStay,
    Project,
    ProjectMilestone,
    ProjectVillage,
    Terminal,
    VillageScore,
)
from ..rules import STABILITY
from . import geography, ledgers, records
from .ledgers import KeyProject, Milestone
from .load import BulkWriter
from .scenario import RecordWriter, Span, concat, day64, days_between, sort_by, source_ids, write_places

DAYS_PER_YEAR = 365

QUARTER_EVENTS = 3755
QUARTER_LATE = 3  # 3752 on time: 99.92%
QUARTER_UNDISPATCHED = 81  # 3674 dispatched: 97.84%
OTHER_QUARTER_EVENTS = (3690, 3821)  # a full quarter other than the last: this many, exclusive bound
EVENTS_PER_DAY = QUARTER_EVENTS / 92
PARTIAL_QUARTER_NOISE = 0.05

MICRO_HAZARDS_THIS_YEAR = 256
SHUT_ENTERPRISES = 5
SHUT_REPEATS = 2  # of the shut enterprises, this many have a second hazard
MICRO_HAZARDS_PER_YEAR = 300  # before this year
AREA_HAZARDS_PER_YEAR = (250.0, 320.0)
# The ordinary hazards' categories: the stability risks (涉稳) are made apart, outside the micro-centre.
ORDINARY_CATEGORIES = {k: w for k, w in records.HAZARD_CATEGORY_WEIGHTS.items() if k != STABILITY}

STABILITY_FOUND = 44  # in the last full quarter (seed 000: 排查出涉稳风险隐患 44 起)
STABILITY_RESOLVED = 5  # of them, within the quarter (已化解 5 起)
MASS_INCIDENT_RISKS = 2  # of them (容易引起群体性事件的 2 起)
OTHER_QUARTER_STABILITY = (18, 31)  # a full quarter other than the last, exclusive bound

PETITIONS_RECEIVED = 368  # in the last full quarter (初信初访件 368 起)
PETITIONS_RESOLVED = 318  # of them, within the quarter (已化解 318 起)
OTHER_QUARTER_PETITIONS = (300, 421)  # a full quarter other than the last, exclusive bound

DISPUTES_MEDIATED = 27  # in the last full quarter (调解矛盾纠纷 27 起)
DISPUTE_AMOUNT_YUAN = 448_000  # theirs (涉及金额 44.8 万元)
ALERT_PUSHES = 2  # of them (一警情三推送 2 起)
OTHER_QUARTER_DISPUTES = (18, 37)  # a full quarter other than the last, exclusive bound
PENDING_DISPUTES = 4  # received in the last PENDING_DAYS, not mediated yet
PENDING_DAYS = 20
DAYS_PER_QUARTER = 91

RANKING_LEADER = "倪宅村"
# The war map (seed 000): the five key projects, their villages (none in more than three, as the
# seed says; 杨公村 in three) and milestones, in days from the as-of day. The 20 扩网村 are the
# villages outside the town seat's block.
TOWN_SEAT_VILLAGES = ("倪宅村", "凤凰村", "桃源村", "上京岭村", "花街村", "金丰村")
KEY_PROJECTS = (
    KeyProject(
        "330国道南移", "花街镇交通办", "推进中", 62, 120,
        ("花街村", "金丰村", "倪宅村", "凤凰村", "杨公村", "新川村"),
        (Milestone("政策处理完成", -90, -95), Milestone("三线迁移", 2), Milestone("路基施工完成", 60),
         Milestone("新线通车", 120)),
    ),
    KeyProject(
        "西北三环建设政策处理", "花街镇征迁办", "推进中", 78, 30,
        ("八字墙村", "小界岭村", "杨坑村", "下王村"),
        (Milestone("摸底丈量", -120, -125), Milestone("签订征迁协议", -5), Milestone("腾空交地", 30)),
    ),
    KeyProject(
        "小微园配套设施建设", "花街镇经济发展办", "推进中", 45, 200,
        ("花街村", "金丰村", "杨公村"),
        (Milestone("方案审批", -60, -62), Milestone("道路管网施工", 45), Milestone("配套用房竣工", 200)),
    ),
    KeyProject(
        "双舟线白改黑", "花街镇建设办", "推进中", 55, 90,
        ("双溪村", "塘头应村", "溪边汪村", "潘宅村"),
        (Milestone("三线迁移阻碍点位清零（21个，已消除10个）", 20), Milestone("沥青摊铺", 75)),
    ),
    KeyProject(
        "20个扩网村自来水表安装", "花街镇农业农村办", "已完成", 100, -5,
        tuple(v for area in geography.OTHER_AREAS.values() for v in area if v not in TOWN_SEAT_VILLAGES),
        (Milestone("安装费收缴", -100, -104), Milestone("水表安装", -20, -25), Milestone("通水验收", -5, -6)),
    ),
)  # fmt: skip

EFFECTIVE_CHANGE_PCT = -17
CASES_CHANGE_PCT = -42
MICRO_EFFECTIVE_PER_YEAR = 500  # the year before, in the four villages
MICRO_CASES_PER_YEAR = 100
MIN_EFFECTIVE = 24  # a year earlier, however short the window (the change needs a base)
MIN_CASES = 12
MICRO_NOT_EFFECTIVE_PER_YEAR = 180
OTHER_EFFECTIVE_PER_VILLAGE_YEAR = 130
OTHER_CASE_SHARE = 0.2
OTHER_NOT_EFFECTIVE_PER_VILLAGE_YEAR = 50
EARLIER_YEARS_FACTOR = 1.05  # alerts were a little more frequent before

HOUSES = 900
MICRO_TERMINALS = 230
MICRO_OFFLINE = 6
OTHER_TERMINALS = (5, 16)  # per village, exclusive bound

FRAUD = "电信网络诈骗"
CRIMINAL = "刑事"
ACCIDENT = "安全事故"


def planned_rows() -> int:
    """About how many rows the town scenario writes (for the progress bar)."""
    return 115_000


def build(rng: np.random.Generator, span: Span, writer: BulkWriter) -> None:
    """Write the whole town scenario ending on span.as_of."""
    places = geography.town(rng)
    write_places(writer, places)
    out = RecordWriter(writer, places)
    pools = (records.enterprise_pool(rng, places), records.leader_pool(rng, places))
    _houses_and_stays(rng, span, out, pools[0])
    _hazards(rng, span, out, pools)
    alerts = _alerts(rng, span, out)
    _events(rng, span, out)
    _terminals(rng, span, out)
    who = ledgers.cadres(rng, places)
    _scores(rng, span, out)
    _projects(span, out, who)
    _petitions(rng, span, out, who)
    _disputes(rng, span, out, alerts)


def quarters(span: Span) -> Iterator[tuple[dt.date, dt.date, tuple[dt.date, dt.date]]]:
    """The calendar quarters the span touches: (its first day in the span, its last day in the
    span, the whole quarter's first and last day)."""
    quarter = quarter_of(span.first)
    while quarter[0] <= span.as_of:
        yield max(quarter[0], span.first), min(quarter[1], span.as_of), quarter
        quarter = quarter_of(quarter[1] + dt.timedelta(days=1))


def _quarter_end(quarter: tuple[dt.date, dt.date]) -> np.datetime64:
    """The first instant after the quarter."""
    return day64(quarter[1] + dt.timedelta(days=1)).astype("datetime64[s]")


def _usual_count(
    rng: np.random.Generator, first: dt.date, last: dt.date, quarter: tuple[dt.date, dt.date],
    usual: tuple[int, int],
) -> int:
    """How many records of a kind a quarter other than the last full one has (`usual`: the range
    of a whole quarter, exclusive bound), or the part of it in the span."""
    if (first, last) == quarter:
        return int(rng.integers(*usual))
    return int(rng.poisson(sum(usual) / 2 * ((last - first).days + 1) / DAYS_PER_QUARTER))


def _houses_and_stays(
    rng: np.random.Generator, span: Span, out: RecordWriter, enterprises: np.ndarray
) -> None:
    houses = records.houses(rng, out.places, HOUSES)
    out.house_ids = out.write(House.__table__, {k: v for k, v in houses.items() if k != "grid_id"}, "HS")
    stays = records.stays(rng, houses, np.arange(HOUSES), enterprises, span.first_day, span.last_day)
    sort_by(stays, "arrived_at")
    out.write(PopulationStay.__table__, stays, "PS")


# ---------------------------------------------------------------- hazards


def _hazards(
    rng: np.random.Generator, span: Span, out: RecordWriter, pools: tuple[np.ndarray, np.ndarray]
) -> None:
    places = out.places
    micro = places.micro_index
    this_year = dt.date(span.as_of.year, 1, 1)
    first, n_days = days_between(this_year, span.as_of)
    window = records.hazards(
        rng,
        places,
        pools,
        micro,
        first,
        n_days,
        MICRO_HAZARDS_THIS_YEAR,
        span.end,
        source=records.DOOR_TO_DOOR,
        categories=ORDINARY_CATEGORIES,
    )
    _shut(rng, window[0], pools[0])
    blocks = [window]
    first, n_days = days_between(span.first, this_year - dt.timedelta(days=1))
    blocks.append(_hazard_block(rng, out, pools, micro, first, n_days, MICRO_HAZARDS_PER_YEAR, span))
    areas = np.array(places.work_areas)
    for area in sorted(set(places.work_areas) - {geography.MICRO_AREA}):
        rate = rng.uniform(*AREA_HAZARDS_PER_YEAR)
        villages = np.flatnonzero(areas == area)
        blocks.append(_hazard_block(rng, out, pools, villages, span.first_day, span.days, rate, span))
    blocks += _stability(rng, span, out, pools)
    cols = concat([cols for cols, _ in blocks])
    story = records.HazardStory.concat([story for _, story in blocks]).take(sort_by(cols, "found_at"))
    ids = out.write(Hazard.__table__, cols, "HZ")
    out.write(HazardHistory.__table__, records.hazard_history(rng, ids, cols, story, span.end), None)


def _hazard_block(
    rng: np.random.Generator,
    out: RecordWriter,
    pools: tuple[np.ndarray, np.ndarray],
    villages: np.ndarray,
    first: np.datetime64,
    n_days: int,
    per_year: float,
    span: Span,
) -> tuple[records.Columns, records.HazardStory]:
    count = rng.poisson(per_year * n_days / DAYS_PER_YEAR)
    return records.hazards(rng, out.places, pools, villages, first, n_days, count, span.end,
                           categories=ORDINARY_CATEGORIES)


def _stability(
    rng: np.random.Generator, span: Span, out: RecordWriter, pools: tuple[np.ndarray, np.ndarray]
) -> list[tuple[records.Columns, records.HazardStory]]:
    """The stability risks (涉稳), quarter by quarter, in the villages outside the micro-centre:
    exactly as the seed says in the last full quarter, OTHER_QUARTER_STABILITY in the others."""
    villages = np.flatnonzero(~out.places.micro)
    settled = last_full_quarter(span.as_of)
    blocks = []
    for first, last, quarter in quarters(span):
        first_day, n_days = days_between(first, last)
        count = (STABILITY_FOUND if quarter == settled
                 else _usual_count(rng, first, last, quarter, OTHER_QUARTER_STABILITY))  # fmt: skip
        cols, story = records.hazards(rng, out.places, pools, villages, first_day, n_days, count, span.end,
                                      categories={STABILITY: 1})
        ledgers.stability(rng, cols, story, span.end)
        if quarter == settled:
            ledgers.settle_stability(rng, cols, story, _quarter_end(quarter), STABILITY_RESOLVED,
                                     MASS_INCIDENT_RISKS, span.end)
        blocks.append((cols, story))
    return blocks


def _shut(rng: np.random.Generator, cols: records.Columns, enterprises: np.ndarray) -> None:
    """Exactly SHUT_ENTERPRISES distinct enterprises shut in this block, SHUT_REPEATS of them twice."""
    village = cols["village_id"]
    picked = rng.choice(len(village), SHUT_ENTERPRISES, replace=False)
    names: list[str] = []
    for row in picked:
        options = [e for e in enterprises[village[row]] if e not in names]
        names.append(options[rng.integers(len(options))])
    repeats = []
    for row in picked[:SHUT_REPEATS]:
        same_village = np.flatnonzero(village == village[row])
        free = np.setdiff1d(same_village, np.concatenate([picked, repeats]).astype(np.int64))
        repeats.append(rng.choice(free))
    rows = np.concatenate([picked, repeats]).astype(np.int64)
    cols["enterprise_shut"][:] = False
    cols["enterprise_shut"][rows] = True
    cols["enterprise"][rows] = names + names[:SHUT_REPEATS]
    wrong_kind = ~np.isin(cols["category"][rows], records.SHUT_CATEGORIES)
    cols["category"][rows[wrong_kind]] = records.SHUT_CATEGORIES[0]
    phrases = records.one_of(rng, records.HAZARD_PHRASES, cols["category"][rows])
    cols["title"][rows] = cols["enterprise"][rows] + phrases


# ---------------------------------------------------------------- alerts


def yoy_pair(target: float, change_pct: int, minimum: int) -> tuple[int, int]:
    """(earlier, now) counts near `target` whose change, rounded to a whole percent, is
    change_pct, and as close to it as possible (never exactly half-way, where roundings differ)."""
    base = max(minimum, round(target))
    window = max(2, base // 20)
    while True:
        candidates = []
        for earlier in range(max(minimum, base - window), base + window + 1):
            now = round(earlier * (100 + change_pct) / 100)
            error = abs(100 * (now - earlier) / earlier - change_pct)
            if error < 0.5 - 1e-9:
                candidates.append((error, abs(earlier - base), earlier, now))
        if candidates:
            _, _, earlier, now = min(candidates)
            return earlier, now
        window *= 2


def _alert_counts(rng: np.random.Generator, n_days: int, effective: float, cases: float, other: float):
    """(cases, effective non-cases, not effective) for n_days at yearly rates."""
    n_effective = rng.poisson(effective * n_days / DAYS_PER_YEAR)
    n_cases = rng.binomial(n_effective, cases / effective)
    return n_cases, n_effective - n_cases, rng.poisson(other * n_days / DAYS_PER_YEAR)


def _alerts(rng: np.random.Generator, span: Span, out: RecordWriter) -> records.Columns:
    """The alerts (written; returned in the order written, village indexes not yet ids)."""
    places = out.places
    micro = places.micro_index
    others = np.flatnonzero(~places.micro)
    this_year = dt.date(span.as_of.year, 1, 1)
    last_year = minus_years(this_year, 1)
    year_earlier = minus_years(span.as_of, 1)
    window_days = (span.as_of - this_year).days + 1
    earlier_days = (year_earlier - last_year).days + 1
    target = MICRO_EFFECTIVE_PER_YEAR * earlier_days / DAYS_PER_YEAR
    effective_then, effective_now = yoy_pair(target, EFFECTIVE_CHANGE_PCT, MIN_EFFECTIVE)
    cases_then, cases_now = yoy_pair(
        target * MICRO_CASES_PER_YEAR / MICRO_EFFECTIVE_PER_YEAR, CASES_CHANGE_PCT, MIN_CASES
    )
    not_effective = MICRO_NOT_EFFECTIVE_PER_YEAR / DAYS_PER_YEAR
    blocks = [
        records.alerts(
            rng,
            places,
            micro,
            day64(first),
            days,
            cases,
            effective - cases,
            rng.poisson(not_effective * days),
        )
        for first, days, effective, cases in (
            (this_year, window_days, effective_now, cases_now),
            (last_year, earlier_days, effective_then, cases_then),
        )
    ]
    rates = (
        MICRO_EFFECTIVE_PER_YEAR * EARLIER_YEARS_FACTOR,
        MICRO_CASES_PER_YEAR * EARLIER_YEARS_FACTOR,
        MICRO_NOT_EFFECTIVE_PER_YEAR,
    )
    for first, last in ((span.first, last_year - dt.timedelta(days=1)),
                        (year_earlier + dt.timedelta(days=1), this_year - dt.timedelta(days=1))):  # fmt: skip
        first_day, n_days = days_between(first, last)
        if n_days:
            blocks.append(
                records.alerts(rng, places, micro, first_day, n_days, *_alert_counts(rng, n_days, *rates))
            )
    n = len(others)
    other_rates = (
        OTHER_EFFECTIVE_PER_VILLAGE_YEAR * n,
        OTHER_EFFECTIVE_PER_VILLAGE_YEAR * OTHER_CASE_SHARE * n,
        OTHER_NOT_EFFECTIVE_PER_VILLAGE_YEAR * n,
    )
    blocks.append(
        records.alerts(
            rng, places, others, span.first_day, span.days, *_alert_counts(rng, span.days, *other_rates)
        )
    )
    cols = concat(blocks)
    _zero_counters(rng, cols, micro, day64(this_year).astype("datetime64[s]"))
    sort_by(cols, "received_at")
    out.write(Alert.__table__, cols, "AL")
    return cols


def _recategorise(rng: np.random.Generator, cols: records.Columns, rows: np.ndarray, category: str) -> None:
    cols["category"][rows] = category
    cols["summary"][rows] = records.one_of(rng, records.ALERT_SUMMARIES, cols["category"][rows])


def _zero_counters(
    rng: np.random.Generator, cols: records.Columns, micro: np.ndarray, since: np.datetime64
) -> None:
    """No 民转刑, major accident or telecom-fraud case in the micro-centre since `since`;
    at least one of each there before it, so that 'days since' has a value."""
    in_micro = np.isin(cols["village_id"], micro)
    now = in_micro & (cols["received_at"] >= since)
    before = in_micro & ~now
    cols["civil_to_criminal"][now] = False
    cols["major_accident"][now] = False
    _recategorise(
        rng, cols, np.flatnonzero(now & cols["became_case"] & (cols["category"] == FRAUD)), CRIMINAL
    )
    cases_before = np.flatnonzero(before & cols["became_case"])
    if not (cols["civil_to_criminal"] & before).any():
        row = rng.choice(cases_before)
        cols["civil_to_criminal"][row] = True
        _recategorise(rng, cols, np.array([row]), CRIMINAL)
    if not (before & cols["became_case"] & (cols["category"] == FRAUD)).any():
        row = rng.choice(cases_before[~cols["civil_to_criminal"][cases_before]])
        _recategorise(rng, cols, np.array([row]), FRAUD)
    if not (cols["major_accident"] & before).any():
        plain = before & cols["effective"] & ~cols["became_case"]
        row = rng.choice(np.flatnonzero(plain))
        cols["major_accident"][row] = True
        _recategorise(rng, cols, np.array([row]), ACCIDENT)


# ---------------------------------------------------------------- grid events


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the calendar quarter holding `day`."""
    first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    next_first = dt.date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    return first, next_first - dt.timedelta(days=1)


def last_full_quarter(day: dt.date) -> tuple[dt.date, dt.date]:
    """The last calendar quarter that ended before `day`."""
    return quarter_of(quarter_of(day)[0] - dt.timedelta(days=1))


def _events(rng: np.random.Generator, span: Span, out: RecordWriter) -> None:
    villages = np.arange(len(out.places.names))
    settled = last_full_quarter(span.as_of)
    blocks = []
    for first, last, quarter in quarters(span):
        first_day, n_days = days_between(first, last)
        if quarter == settled:
            count = QUARTER_EVENTS
        elif (first, last) == quarter:
            count = QUARTER_EVENTS
            while count == QUARTER_EVENTS:
                count = int(rng.integers(*OTHER_QUARTER_EVENTS))
        else:
            count = round(
                EVENTS_PER_DAY * n_days * rng.uniform(1 - PARTIAL_QUARTER_NOISE, 1 + PARTIAL_QUARTER_NOISE)
            )
        cols = records.events(rng, out.places, villages, first_day, n_days, count, span.end)
        if quarter == settled:
            records.settle_quarter(
                rng, cols, np.arange(count), _quarter_end(quarter), QUARTER_LATE, QUARTER_UNDISPATCHED
            )
        blocks.append(cols)
    cols = concat(blocks)
    sort_by(cols, "reported_at")
    out.write(GridEvent.__table__, cols, "EV")


# ---------------------------------------------------------------- terminals


def _terminals(rng: np.random.Generator, span: Span, out: RecordWriter) -> None:
    places = out.places
    micro = places.micro_index
    per_village = rng.integers(*OTHER_TERMINALS, len(places.names))
    per_village[micro] = rng.multinomial(MICRO_TERMINALS, places.weights[micro] / places.weights[micro].sum())
    cols = records.terminals(rng, places, per_village, span.last_day)
    rows = np.flatnonzero(np.isin(cols["village_id"], micro))
    online = np.ones(len(rows), bool)
    online[rng.choice(len(rows), MICRO_OFFLINE, replace=False)] = False
    cols["online"][rows] = online
    cols["last_seen_at"][rows] = records.last_seen(rng, online, span.last_day)
    out.write(Terminal.__table__, cols, "TM")


# ---------------------------------------------------------------- the seeds' other ledgers


def _scores(rng: np.random.Generator, span: Span, out: RecordWriter) -> None:
    """Every village's scores for each month from the first whole month of the records to the
    last month before the as-of day's."""
    def next_month(day: dt.date) -> dt.date:
        return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)

    month = span.first if span.first.day == 1 else next_month(span.first)
    months = []
    while month < span.as_of.replace(day=1):
        months.append(month)
        month = next_month(month)
    names = out.places.names
    values = ledgers.scores(rng, len(names), names.index(RANKING_LEADER), months)
    out.write(VillageScore.__table__, ledgers.score_columns(values, months, names), None)


def _projects(span: Span, out: RecordWriter, who: ledgers.Cadres) -> None:
    codes = list(source_ids("PJ", np.arange(1, len(KEY_PROJECTS) + 1)))
    index = {name: i for i, name in enumerate(out.places.names)}
    projects, villages, milestones = ledgers.project_columns(KEY_PROJECTS, who, index, span.as_of, codes)
    ids = out.write(Project.__table__, projects, None)
    for cols, table in ((villages, ProjectVillage.__table__), (milestones, ProjectMilestone.__table__)):
        cols["project_id"] = ids[cols["project_id"]]
        out.write(table, cols, None)


def _petitions(rng: np.random.Generator, span: Span, out: RecordWriter, who: ledgers.Cadres) -> None:
    villages = np.arange(len(out.places.names))
    settled = last_full_quarter(span.as_of)
    blocks = []
    for first, last, quarter in quarters(span):
        first_day, n_days = days_between(first, last)
        count = (PETITIONS_RECEIVED if quarter == settled
                 else _usual_count(rng, first, last, quarter, OTHER_QUARTER_PETITIONS))  # fmt: skip
        cols = ledgers.petitions(rng, out.places, who, villages, first_day, n_days, count, span.end)
        if quarter == settled:
            resolved = ledgers.settle(rng, cols["received_at"], cols["resolved_at"], _quarter_end(quarter),
                                      PETITIONS_RESOLVED, span.end)
            cols["resolved_at"] = resolved
        blocks.append(cols)
    cols = concat(blocks)
    sort_by(cols, "received_at")
    out.write(Petition.__table__, cols, "XF")


def _disputes(rng: np.random.Generator, span: Span, out: RecordWriter, alerts: records.Columns) -> None:
    """Disputes by the quarter they were mediated in, some pushed by one of `alerts` (the
    effective 纠纷 ones); and a few received lately, not mediated yet."""
    villages = np.arange(len(out.places.names))
    settled = last_full_quarter(span.as_of)
    alert_ids = source_ids("AL", np.arange(1, len(alerts["received_at"]) + 1))  # as _alerts wrote them
    dispute_alerts = np.flatnonzero((alerts["category"] == "纠纷") & alerts["effective"])
    earliest = span.first_day.astype("datetime64[s]")
    blocks = []
    for first, last, quarter in quarters(span):
        first_day, n_days = days_between(first, last)
        if quarter == settled:
            cols = ledgers.disputes(rng, out.places, villages, first_day, n_days, DISPUTES_MEDIATED, earliest)
            ledgers.exact_amounts(cols, DISPUTE_AMOUNT_YUAN)
            pushed = rng.choice(DISPUTES_MEDIATED, ALERT_PUSHES, replace=False)
        else:
            count = _usual_count(rng, first, last, quarter, OTHER_QUARTER_DISPUTES)
            cols = ledgers.disputes(rng, out.places, villages, first_day, n_days, count, earliest)
            pushed = np.flatnonzero(rng.random(count) < ledgers.ALERT_PUSH_SHARE)
        ledgers.alert_pushes(rng, out.places, cols, pushed, alerts, alert_ids, dispute_alerts)
        blocks.append(cols)
    first_day, n_days = days_between(span.as_of - dt.timedelta(days=PENDING_DAYS - 1), span.as_of)
    pending = ledgers.disputes(rng, out.places, villages, first_day, n_days, PENDING_DISPUTES, earliest)
    pending["received_at"] = pending["mediated_at"]
    pending["mediated_at"] = np.full(PENDING_DISPUTES, records.NAT)
    blocks.append(pending)
    cols = concat(blocks)
    sort_by(cols, "received_at")
    out.write(Dispute.__table__, cols, "TJ")
