"""Vectorised builders of the seeds' other ledgers (issue 18): village scores, key projects,
first petitions, mediated disputes, and the stability risks' slow resolution; and `settle`,
which makes a count exact at a boundary. Conventions as in records.py: columns as numpy arrays,
villages as indexes into the places, NaT for NULL, nothing at or after `end`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ..models import HAZARD_STATUSES, PETITION_FORMS, PROJECT_STATUSES, RANKING_ASSESSORS, RANKING_TRACKS
from . import people, records
from .geography import Places
from .records import DAY_S, NAT, OFFICE_HOURS, SECOND, WEEKEND_FACTOR, Columns, choose, one_of, times

TOWN_LEADERS = 9  # 镇领导班子: each village has one of them as its 联系领导


@dataclass
class Cadres:
    """Who answers for each village (row = village index): its contact leader among the town's
    leaders (联系领导), the town cadre linked to it (联村干部) and its own cadre (村干部)."""

    town_leaders: np.ndarray
    contact_leader: np.ndarray
    village_cadre: np.ndarray
    village_official: np.ndarray


def cadres(rng: np.random.Generator, places: Places) -> Cadres:
    n = len(places.names)
    leaders = people.names(rng, rng.random(TOWN_LEADERS) < records.LEADER_MALE_SHARE)
    return Cadres(
        town_leaders=leaders,
        contact_leader=leaders[rng.integers(0, TOWN_LEADERS, n)],
        village_cadre=people.names(rng, rng.random(n) < 0.6),
        village_official=people.names(rng, rng.random(n) < records.LEADER_MALE_SHARE),
    )


def _seconds(delta: np.ndarray) -> np.ndarray:
    return delta.astype("timedelta64[s]").astype(np.int64)


def settle(
    rng: np.random.Generator,
    start: np.ndarray,
    natural: np.ndarray,
    boundary: np.datetime64,
    count: int,
    end: np.datetime64,
) -> np.ndarray:
    """Times (of resolution, say) after each `start` of which exactly `count` fall before
    `boundary`: those that come first by nature (`natural`, NaT for never) among the ones that
    start before it, moved before it when they were not; the others moved to after it when they
    were not, and NaT when that is at or after `end`."""
    eligible = start < boundary
    order = np.lexsort((natural, ~eligible))  # the eligible first, each group soonest first
    if eligible.sum() < count:
        raise ValueError(f"only {eligible.sum()} start before the boundary, {count} wanted")
    before, after = order[:count], order[count:]
    out = natural.copy()
    late = before[~(natural[before] < boundary)]  # NaT compares False: late too
    room = _seconds(boundary - start[late])
    out[late] = start[late] + (rng.uniform(0.1, 0.95, len(late)) * room).astype("timedelta64[s]")
    early = after[natural[after] < boundary]
    wait = rng.integers(DAY_S, 40 * DAY_S, len(early)).astype("timedelta64[s]")
    out[early] = np.maximum(start[early], boundary) + wait
    out[~(out < end)] = NAT
    return out


# ---------------------------------------------------------------- stability risks (涉稳)

STABILITY_DEADLINE_DAYS = (30, 91)  # exclusive bound: 涉稳 risks get weeks to months
STABILITY_RESOLVE_MEDIAN_DAYS = 75  # and most take long: the seed has 5 of 44 resolved
MASS_INCIDENT_SHARE = 0.05  # of the stability risks: could become a mass incident
MASS_INCIDENT_LEVELS = ("重大", "较大")


def stability(
    rng: np.random.Generator, cols: Columns, story: records.HazardStory, end: np.datetime64
) -> None:
    """Make hazards drawn as 涉稳 look like stability risks: deadlines weeks or months away, slow
    resolution, a few flagged as able to become a mass incident (and then serious or major)."""
    n = len(cols["found_at"])
    days = rng.integers(*STABILITY_DEADLINE_DAYS, n).astype("timedelta64[D]")
    cols["deadline"] = cols["found_at"].astype("datetime64[D]") + days
    delay = (STABILITY_RESOLVE_MEDIAN_DAYS * DAY_S * rng.lognormal(0.0, 0.8, n)).astype("timedelta64[s]")
    resolve(rng, cols, story, np.arange(n), story.started + delay, end)
    flagged = rng.random(n) < MASS_INCIDENT_SHARE
    cols["mass_incident_risk"] = flagged
    levels = np.array(MASS_INCIDENT_LEVELS, dtype=object)
    cols["level"][flagged] = levels[rng.integers(0, len(levels), int(flagged.sum()))]


def resolve(
    rng: np.random.Generator,
    cols: Columns,
    story: records.HazardStory,
    rows: np.ndarray,
    resolved_at: np.ndarray,
    end: np.datetime64,
) -> None:
    """Give the hazards `rows` these resolution times (NaT, or at or after `end`: not resolved)
    and the status and story that follow (some resolved ones closed, as records.hazards does)."""
    n = len(rows)
    resolved_at = np.where(resolved_at < end, resolved_at, NAT)
    is_resolved = ~np.isnat(resolved_at)
    closed = resolved_at + rng.integers(DAY_S, 10 * DAY_S, n).astype("timedelta64[s]")
    is_closed = is_resolved & (closed < end) & (rng.random(n) < records.CLOSABLE_SHARE)
    is_started = ~np.isnat(story.started[rows])
    cols["resolved_at"][rows] = resolved_at
    cols["status"][rows] = np.select(
        [is_closed, is_resolved, is_started], [HAZARD_STATUSES[3], HAZARD_STATUSES[2], HAZARD_STATUSES[1]],
        HAZARD_STATUSES[0],
    )  # fmt: skip
    story.closed[rows] = np.where(is_closed, closed, NAT)


def settle_stability(
    rng: np.random.Generator,
    cols: Columns,
    story: records.HazardStory,
    boundary: np.datetime64,
    resolved: int,
    mass_incident: int,
    end: np.datetime64,
) -> None:
    """Make exactly `resolved` of these stability risks resolved before `boundary` (the end of
    the quarter they were found in) and exactly `mass_incident` of them flagged, those still open."""
    rows = np.arange(len(cols["found_at"]))
    resolved_at = settle(rng, story.started, cols["resolved_at"], boundary, resolved, end)
    resolve(rng, cols, story, rows, resolved_at, end)
    # The seed's two are still being handled (正在落实责任、积极化解稳控): open.
    flagged = rng.choice(np.flatnonzero(~(resolved_at < boundary)), mass_incident, replace=False)
    resolve(rng, cols, story, flagged, np.full(mass_incident, NAT), end)
    cols["mass_incident_risk"][:] = False
    cols["mass_incident_risk"][flagged] = True
    levels = np.array(MASS_INCIDENT_LEVELS, dtype=object)
    cols["level"][flagged] = levels[rng.integers(0, len(levels), mass_incident)]


# ---------------------------------------------------------------- village scores (花街擂台)

SCORE_RANGE = (50.0, 100.0)
VILLAGE_FORM = (72.0, 86.0)  # a village's usual level, drawn between these
LEADER_FORM = 89.0  # the village that wins the half-years (倪宅村 won the 擂台赛 of 27 June)
TRACK_SPREAD = 2.5  # sd of a village's strength on one track against its usual level
ASSESSOR_SPREAD = 1.5  # sd of an assessor's leniency
MONTH_SPREAD = 1.5  # sd of a village's month
SCORE_NOISE = 3.5  # sd of one score
HALF_YEAR = 6  # months


def scores(rng: np.random.Generator, n_villages: int, leader: int, months: list[dt.date]) -> np.ndarray:
    """Scores [village, month, track, assessor], 0.1 apart, with `leader` first in every
    calendar half-year (with equal weights): where it is not, it swaps its scores of that
    half-year with the village that is."""
    shape = (n_villages, len(months), len(RANKING_TRACKS), len(RANKING_ASSESSORS))
    form = rng.uniform(*VILLAGE_FORM, n_villages)
    form[leader] = LEADER_FORM
    level = (
        form[:, None, None, None]
        + rng.normal(0, TRACK_SPREAD, (n_villages, 1, shape[2], 1))
        + rng.normal(0, ASSESSOR_SPREAD, (1, 1, 1, shape[3]))
        + rng.normal(0, MONTH_SPREAD, (n_villages, len(months), 1, 1))
    )
    values = np.clip(np.round(level + rng.normal(0, SCORE_NOISE, shape), 1), *SCORE_RANGE)
    halves = np.array([m.year * 2 + (m.month > HALF_YEAR) for m in months])
    for half in np.unique(halves):
        in_half = np.flatnonzero(halves == half)  # consecutive months
        part = values[:, in_half[0] : in_half[-1] + 1]  # a view: changes go into values
        while True:
            totals = part.mean(axis=(1, 3)).sum(axis=1)
            best = int(np.argmax(np.where(np.arange(n_villages) == leader, -np.inf, totals)))
            if totals[leader] > totals[best]:
                break
            if totals[leader] < totals[best]:
                part[[leader, best]] = part[[best, leader]]
            else:  # equal: lift the leader's lowest score of the half-year by a tenth
                low = np.unravel_index(np.argmin(part[leader]), part[leader].shape)
                part[leader][low] = round(part[leader][low] + 0.1, 1)
    return values


def score_columns(values: np.ndarray, months: list[dt.date], village_names: list[str]) -> Columns:
    """The scores as rows of village_scores (source ids as the importer makes them)."""
    v, m, t, a = (axis.ravel() for axis in np.indices(values.shape))
    month = np.array(months, dtype="datetime64[D]")[m]
    tracks = np.array(RANKING_TRACKS, dtype=object)[t]
    assessors = np.array(RANKING_ASSESSORS, dtype=object)[a]
    months_text = np.datetime_as_string(month, unit="M").astype(object)
    names = np.array(village_names, dtype=object)[v]
    return {
        "source_id": names + "|" + months_text + "|" + tracks + "|" + assessors,
        "village_id": v,
        "month": month,
        "track": tracks,
        "assessor": assessors,
        "score": values.ravel(),
        "is_demo": np.ones(len(v), bool),
    }


# ---------------------------------------------------------------- first petitions (初信初访)

PETITION_FORM_WEIGHTS = {"来访": 40, "来信": 15, "网上信访": 35, "电话": 10}
PETITION_SUMMARIES = {
    "征地拆迁": ("反映征地补偿款分配不公", "对拆迁安置方案有异议"),
    "劳资纠纷": ("反映企业拖欠工资", "反映工伤赔偿未落实"),
    "村务管理": ("要求公开村集体资产收支", "反映村务决策未经村民代表大会"),
    "环境保护": ("反映厂房噪音扰民", "反映企业废水排放"),
    "邻里纠纷": ("反映邻居违建影响采光", "宅基地界址争议"),
    "社会保障": ("咨询低保申请未获答复", "反映养老保险待遇核定有误"),
    "城乡建设": ("反映村道破损无人维修", "反映农房审批进度慢"),
}
PETITION_CATEGORY_WEIGHTS = {"征地拆迁": 18, "劳资纠纷": 15, "村务管理": 14, "环境保护": 12, "邻里纠纷": 16,
                             "社会保障": 10, "城乡建设": 15}  # fmt: skip
PETITION_RESOLVE_MEDIAN_DAYS = 18
PETITION_UNRESOLVED_SHARE = 0.06  # never resolved by the end, whatever their age


def petitions(
    rng: np.random.Generator,
    places: Places,
    who: Cadres,
    villages: np.ndarray,
    first_day: np.datetime64,
    n_days: int,
    count: int,
    end: np.datetime64,
) -> Columns:
    """`count` first petitions received on the given days, with their state at `end`."""
    n = count
    weights = places.weights[villages]
    chosen = villages[rng.choice(len(villages), n, p=weights / weights.sum())]
    received = times(rng, n, first_day, n_days, OFFICE_HOURS, WEEKEND_FACTOR)
    category = choose(rng, tuple(PETITION_CATEGORY_WEIGHTS), PETITION_CATEGORY_WEIGHTS, n)
    delay = (PETITION_RESOLVE_MEDIAN_DAYS * DAY_S * rng.lognormal(0.0, 0.7, n)).astype("timedelta64[s]")
    resolved = np.where(rng.random(n) < PETITION_UNRESOLVED_SHARE, NAT, received + delay)
    return {
        "received_at": received,
        "form": choose(rng, PETITION_FORMS, PETITION_FORM_WEIGHTS, n),
        "category": category,
        "village_id": chosen,
        "grid_id": places.random_grids(rng, chosen),
        "petitioner": people.names(rng, rng.random(n) < 0.6),
        "summary": one_of(rng, PETITION_SUMMARIES, category),
        "contact_leader": who.contact_leader[chosen],
        "village_cadre": who.village_cadre[chosen],
        "village_official": who.village_official[chosen],
        "resolved_at": np.where(resolved < end, resolved, NAT),
    }


# ---------------------------------------------------------------- mediated disputes

DISPUTE_KINDS = {  # kind: (weight, typical amount in yuan, 0 for none)
    "邻里纠纷": (25, 0), "婚姻家庭": (12, 0), "劳资纠纷": (20, 18_000), "土地纠纷": (10, 30_000),
    "交通事故": (12, 25_000), "合同纠纷": (11, 40_000), "损害赔偿": (10, 12_000),
}  # fmt: skip
DISPUTE_SUMMARIES = {
    "邻里纠纷": ("排水沟占用引发争执", "屋檐滴水纠纷"),
    "婚姻家庭": ("赡养老人费用分担纠纷", "家庭财产分割纠纷"),
    "劳资纠纷": ("工人追讨拖欠工资", "工伤赔偿争议"),
    "土地纠纷": ("承包地流转费用纠纷", "山林界址纠纷"),
    "交通事故": ("电瓶车与行人碰擦赔偿", "两车相撞损失赔偿"),
    "合同纠纷": ("货款结算纠纷", "房屋装修款纠纷"),
    "损害赔偿": ("饲养犬只咬伤赔偿", "施工损坏邻房赔偿"),
}
MEDIATION_MEDIAN_DAYS = 6  # from receiving a dispute to its mediation
ALERT_PUSH_SHARE = 0.07  # of mediated disputes: pushed by a police alert to three sides
AMOUNT_STEP = 100  # amounts in whole hundreds of yuan


def disputes(
    rng: np.random.Generator,
    places: Places,
    villages: np.ndarray,
    first_day: np.datetime64,
    n_days: int,
    count: int,
    earliest: np.datetime64,
) -> Columns:
    """`count` disputes mediated on the given days (received some days before, not before
    `earliest`), with amounts by kind; none pushed by an alert yet (alert_pushes does that)."""
    n = count
    weights = places.weights[villages]
    chosen = villages[rng.choice(len(villages), n, p=weights / weights.sum())]
    kinds = tuple(DISPUTE_KINDS)
    category = choose(rng, kinds, {k: w for k, (w, _) in DISPUTE_KINDS.items()}, n)
    typical = np.array([DISPUTE_KINDS[k][1] for k in category], dtype=float)
    amount = (np.round(typical * rng.lognormal(0.0, 0.6, n) / AMOUNT_STEP) * AMOUNT_STEP).astype(np.int64)
    mediated = times(rng, n, first_day, n_days, OFFICE_HOURS, WEEKEND_FACTOR)
    waited = (MEDIATION_MEDIAN_DAYS * DAY_S * rng.lognormal(0.0, 0.6, n)).astype("timedelta64[s]")
    received = np.maximum(mediated - waited, earliest)
    return {
        "received_at": received,
        "category": category,
        "village_id": chosen,
        "grid_id": places.random_grids(rng, chosen),
        "amount_yuan": amount,
        "alert_pushed": np.zeros(n, bool),
        "alert_source_id": np.full(n, None, dtype=object),
        "mediator": people.names(rng, rng.random(n) < 0.5),
        "mediated_at": mediated,
        "summary": one_of(rng, DISPUTE_SUMMARIES, category),
    }


def exact_amounts(cols: Columns, total: int) -> None:
    """Share `total` yuan (whole hundreds) among the disputes with money involved (all of them if
    none is), in proportion to what they had drawn."""
    units = total // AMOUNT_STEP
    paid = cols["amount_yuan"] > 0
    if not paid.any():
        paid[:] = True
        cols["amount_yuan"][:] = 1
    share = cols["amount_yuan"][paid] / cols["amount_yuan"][paid].sum() * units
    amounts = np.floor(share).astype(np.int64)
    amounts[np.argsort(amounts - share)[: units - amounts.sum()]] += 1  # largest remainders first
    cols["amount_yuan"][paid] = amounts * AMOUNT_STEP


PUSH_WINDOW_DAYS = 30  # a pushed dispute's alert came at most this long before its mediation


def alert_pushes(
    rng: np.random.Generator,
    places: Places,
    cols: Columns,
    rows: np.ndarray,
    alerts: Columns,
    alert_ids: np.ndarray,
    dispute_alerts: np.ndarray,
) -> None:
    """Make the disputes `rows` ones that a police alert pushed to the three sides: each takes a
    dispute alert (of `dispute_alerts`, indexes into `alerts` in time order) received in the
    PUSH_WINDOW_DAYS before the day before its mediation (or the latest before that), with the
    alert's village and source id, and was received with it."""
    received = alerts["received_at"][dispute_alerts]
    for row in rows:
        latest = cols["mediated_at"][row] - DAY_S * SECOND
        before = dispute_alerts[received < latest]
        if not len(before):
            continue  # the first days of the records: no alert to have come from
        recent = before[alerts["received_at"][before] >= latest - PUSH_WINDOW_DAYS * DAY_S * SECOND]
        pick = rng.choice(recent) if len(recent) else before[-1]
        village = alerts["village_id"][pick]
        cols["alert_pushed"][row] = True
        cols["alert_source_id"][row] = alert_ids[pick]
        cols["village_id"][row] = village
        cols["grid_id"][row] = places.random_grids(rng, np.array([village]))[0]
        cols["received_at"][row] = alerts["received_at"][pick] + rng.integers(300, 3600) * SECOND


# ---------------------------------------------------------------- key projects (作战图)


@dataclass(frozen=True)
class Milestone:
    name: str
    deadline: int  # days from the as-of day
    done: int | None = None  # days from the as-of day it was done (None: not yet)


@dataclass(frozen=True)
class KeyProject:
    name: str
    unit: str
    status: str
    progress: int
    deadline: int  # days from the as-of day
    villages: tuple[str, ...]
    milestones: tuple[Milestone, ...]


def project_columns(
    projects: tuple[KeyProject, ...],
    who: Cadres,
    village_index: dict[str, int],
    as_of: dt.date,
    codes: list[str],
) -> tuple[Columns, Columns, Columns]:
    """Rows of projects, project_villages and project_milestones (project_id: the project's
    position, for the caller to map to its row id); `codes` are the projects' source ids."""
    day = np.datetime64(as_of.isoformat(), "D")
    leaders = who.town_leaders
    projects_cols = {
        "source_id": np.array(codes, dtype=object),
        "name": np.array([p.name for p in projects], dtype=object),
        "leader": np.array([leaders[i % len(leaders)] for i in range(len(projects))], dtype=object),
        "unit": np.array([p.unit for p in projects], dtype=object),
        "status": np.array([p.status for p in projects], dtype=object),
        "progress": np.array([p.progress for p in projects], dtype=np.int64),
        "deadline": np.array([day + p.deadline for p in projects], dtype="datetime64[D]"),
        "is_demo": np.ones(len(projects), bool),
    }
    links = [(k, name, village_index[name]) for k, p in enumerate(projects) for name in p.villages]
    villages_cols = {
        "source_id": np.array([f"{codes[k]}|{name}" for k, name, _ in links], dtype=object),
        "project_id": np.array([k for k, _, _ in links], dtype=np.int64),
        "village_id": np.array([v for _, _, v in links], dtype=np.int64),
        "responsible_person": np.array([who.village_official[v] for _, _, v in links], dtype=object),
        "is_demo": np.ones(len(links), bool),
    }
    steps = [(k, m) for k, p in enumerate(projects) for m in p.milestones]
    milestones_cols = {
        "source_id": np.array([f"{codes[k]}|{m.name}" for k, m in steps], dtype=object),
        "project_id": np.array([k for k, _ in steps], dtype=np.int64),
        "name": np.array([m.name for _, m in steps], dtype=object),
        "deadline": np.array([day + m.deadline for _, m in steps], dtype="datetime64[D]"),
        "done_at": np.array([day + m.done if m.done is not None else np.datetime64("NaT") for _, m in steps],
                            dtype="datetime64[D]"),
        "is_demo": np.ones(len(steps), bool),
    }
    assert set(PROJECT_STATUSES) >= set(projects_cols["status"])
    return projects_cols, villages_cols, milestones_cols
