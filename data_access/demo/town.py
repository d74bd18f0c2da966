"""The town scenario: Huajie over three years, reproducing the figures of DOMAIN.md exactly.

For any as-of day D the town's last full quarter before D has 3755 grid events, all closed
within the quarter, 3752 on time and 3674 dispatched; the micro-centre's four villages have,
from 1 January to D, 256 hazards (5 enterprises shut), effective alerts −17% and cases −42%
against the same dates a year earlier, and no 民转刑 case, major accident or telecom fraud.
Counts that must be exact are generated as exact counts in their own time window; the rest
is drawn at plausible rates.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ..filters import minus_years
from ..models import Alert, GridEvent, Hazard, HazardHistory, House, PopulationStay, Terminal
from . import geography, records
from .load import BulkWriter
from .scenario import RecordWriter, Span, concat, day64, days_between, sort_by, write_places

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
    return 90_000


def build(rng: np.random.Generator, span: Span, writer: BulkWriter) -> None:
    """Write the whole town scenario ending on span.as_of."""
    places = geography.town(rng)
    write_places(writer, places)
    out = RecordWriter(writer, places)
    pools = (records.enterprise_pool(rng, places), records.leader_pool(rng, places))
    _houses_and_stays(rng, span, out, pools[0])
    _hazards(rng, span, out, pools)
    _alerts(rng, span, out)
    _events(rng, span, out)
    _terminals(rng, span, out)


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
    return records.hazards(rng, out.places, pools, villages, first, n_days, count, span.end)


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


def _alerts(rng: np.random.Generator, span: Span, out: RecordWriter) -> None:
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
    quarter = quarter_of(span.first)
    while quarter[0] <= span.as_of:
        first, last = max(quarter[0], span.first), min(quarter[1], span.as_of)
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
            quarter_end = day64(quarter[1] + dt.timedelta(days=1)).astype("datetime64[s]")
            records.settle_quarter(
                rng, cols, np.arange(count), quarter_end, QUARTER_LATE, QUARTER_UNDISPATCHED
            )
        blocks.append(cols)
        quarter = quarter_of(quarter[1] + dt.timedelta(days=1))
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
