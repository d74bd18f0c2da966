"""Vectorised builders of demo records: each returns columns as numpy arrays.

A builder returns a dict keyed by column name; `village_id`, `grid_id` and `house_id`
hold *indexes* into the scenario's places and houses until the writer maps them to ids.
Times are numpy datetime64[s] (naive local), dates datetime64[D]; NaT means NULL.
Nothing a builder makes lies at or after `end`, the first instant after the as-of day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models import ALERT_CATEGORIES, HAZARD_CATEGORIES, HAZARD_LEVELS, HAZARD_STATUSES, TERMINAL_KINDS
from . import people
from .geography import Places

Columns = dict[str, np.ndarray]

SECOND = np.timedelta64(1, "s")
DAY_S = 86400
NAT = np.datetime64("NaT", "s")
NAT_DAY = np.datetime64("NaT", "D")

# Relative frequency per hour of day (0–23).
ALERT_HOURS = np.array([3, 2, 2, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 6, 6, 7, 8, 9, 9, 7, 5], float)
OFFICE_HOURS = np.array([0, 0, 0, 0, 0, 0, 1, 3, 8, 10, 10, 8, 4, 6, 9, 10, 9, 7, 3, 2, 1, 1, 0, 0], float)
WEEKEND_FACTOR = 0.45  # office work at weekends, relative to a weekday

ENTERPRISES_PER_VILLAGE = 8
ENTERPRISE_WORDS = (
    "宏达 金鼎 恒通 鑫源 瑞丰 华昌 凯悦 众力 永盛 佳宝 龙腾 泰隆 富康 天工 正阳 精诚 联众 飞跃 双环 星月"
).split()
ENTERPRISE_TRADES = "五金制品 工贸 电器 门业 杯业 机械 车业 厨具 休闲用品 电动工具".split()
LEADERS_PER_VILLAGE = 3
LEADER_MALE_SHARE = 0.8
LANDLORD_MALE_SHARE = 0.7


def _p(weights: dict[str, float], keys: tuple[str, ...]) -> np.ndarray:
    w = np.array([weights.get(k, 0.0) for k in keys], float)
    return w / w.sum()


def choose(rng: np.random.Generator, keys: tuple[str, ...], weights: dict[str, float], n: int) -> np.ndarray:
    return np.array(keys, dtype=object)[rng.choice(len(keys), n, p=_p(weights, keys))]


def one_of(rng: np.random.Generator, options: dict[str, tuple[str, ...]], keys: np.ndarray) -> np.ndarray:
    """For each key, one of its options at random."""
    out = np.empty(len(keys), dtype=object)
    for key, choices in options.items():
        mask = keys == key
        out[mask] = np.array(choices, dtype=object)[rng.integers(0, len(choices), int(mask.sum()))]
    return out


def _number(values: np.ndarray, width: int) -> np.ndarray:
    return np.char.zfill(values.astype(np.int64).astype(str), width).astype(object)


def times(
    rng: np.random.Generator,
    n: int,
    first_day: np.datetime64,
    n_days: int,
    hours: np.ndarray,
    weekend: float = 1.0,
) -> np.ndarray:
    """n random times on the n_days days from first_day, hours weighted by `hours`."""
    day_weights = np.ones(n_days)
    if weekend != 1.0:
        weekday = (np.arange(n_days) + (first_day - np.datetime64("1970-01-01", "D")).astype(int) + 3) % 7
        day_weights[weekday >= 5] = weekend
    days = rng.choice(n_days, n, p=day_weights / day_weights.sum())
    hour = rng.choice(24, n, p=hours / hours.sum())
    seconds = days * DAY_S + hour * 3600 + rng.integers(0, 3600, n)
    return first_day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def _after(start: np.ndarray, fraction: np.ndarray, span_s: np.ndarray) -> np.ndarray:
    return start + np.round(fraction * span_s).astype("timedelta64[s]")


def _seconds(delta: np.ndarray) -> np.ndarray:
    return delta.astype("timedelta64[s]").astype(np.int64)


def _addresses(rng: np.random.Generator, places: Places, villages: np.ndarray) -> np.ndarray:
    town = np.array(places.towns, dtype=object)[villages]
    village = np.array(places.names, dtype=object)[villages]
    return town + village + rng.integers(1, 400, len(villages)).astype(str).astype(object) + "号"


def enterprise_pool(rng: np.random.Generator, places: Places) -> np.ndarray:
    """ENTERPRISES_PER_VILLAGE company names per village, row = village."""
    n = len(places.names)
    words = np.array(ENTERPRISE_WORDS, dtype=object)
    trades = np.array(ENTERPRISE_TRADES, dtype=object)
    pool = np.empty((n, ENTERPRISES_PER_VILLAGE), dtype=object)
    for v in range(n):
        combos = rng.permutation(len(words) * len(trades))[:ENTERPRISES_PER_VILLAGE]
        short = places.towns[v][:2]
        pool[v] = "永康市" + short + words[combos // len(trades)] + trades[combos % len(trades)] + "有限公司"
    return pool


def leader_pool(rng: np.random.Generator, places: Places) -> np.ndarray:
    """The leaders (包案领导) of each village, row = village."""
    n = len(places.names)
    return people.names(rng, rng.random(n * LEADERS_PER_VILLAGE) < LEADER_MALE_SHARE).reshape(
        n, LEADERS_PER_VILLAGE
    )


def _sized(rng: np.random.Generator, places: Places, villages: np.ndarray, n: int) -> np.ndarray:
    """n villages drawn from `villages`, bigger ones more often."""
    weights = places.weights[villages]
    return villages[rng.choice(len(villages), n, p=weights / weights.sum())]


def _located(rng: np.random.Generator, places: Places, villages: np.ndarray) -> Columns:
    grids = places.random_grids(rng, villages)
    lat, lon = places.points(rng, grids)
    return {"village_id": villages, "grid_id": grids, "lat": lat, "lon": lon}


# ---------------------------------------------------------------- alerts

ALERT_CATEGORY_WEIGHTS = {
    "case": {"刑事": 35, "治安": 25, "电信网络诈骗": 20, "交通": 8, "纠纷": 5, "火灾": 2, "安全事故": 5},
    "effective": {
        "治安": 20,
        "交通": 25,
        "纠纷": 25,
        "求助": 15,
        "火灾": 4,
        "安全事故": 4,
        "刑事": 2,
        "电信网络诈骗": 5,
    },
    "other": {"求助": 35, "其他": 35, "纠纷": 15, "治安": 10, "交通": 5},
}
CIVIL_TO_CRIMINAL_SHARE = 0.03  # of criminal cases
MAJOR_ACCIDENT_SHARE = 0.01  # of effective accidents, fires and traffic alerts
ACCIDENT_CATEGORIES = ("安全事故", "火灾", "交通")
ALERT_SUMMARIES = {
    "刑事": ("报警称家中财物被盗", "报警称被人殴打受伤", "报警称厂内原材料被盗"),
    "治安": ("报警称有人酒后滋事", "报警称邻居深夜噪音扰民", "报警称有人在出租房内赌博"),
    "交通": ("报警称两车相撞，无人受伤", "报警称电瓶车与行人碰擦", "报警称货车占道影响通行"),
    "火灾": ("报警称厂房冒烟起火", "报警称电动车充电起火", "报警称野外烧荒引燃山林"),
    "纠纷": ("报警称与房东因押金发生纠纷", "报警称老板拖欠工资", "报警称邻里因宅基地发生纠纷"),
    "电信网络诈骗": ("报警称被冒充客服诈骗", "报警称刷单返利被骗", "报警称被冒充公检法诈骗"),
    "求助": ("报警称老人走失", "报警称钥匙反锁求助", "报警称醉酒人员倒地"),
    "安全事故": ("报警称厂内工人被冲床压伤手指", "报警称工地有人高处坠落", "报警称液化气泄漏"),
    "其他": ("误拨", "咨询办事流程", "重复报警"),
}


def alerts(
    rng: np.random.Generator,
    places: Places,
    villages: np.ndarray,
    first_day: np.datetime64,
    n_days: int,
    cases: int,
    effective_only: int,
    not_effective: int,
) -> Columns:
    """Exactly `cases` cases, `effective_only` other effective alerts and `not_effective` others."""
    n = cases + effective_only + not_effective
    kind = np.repeat(
        np.array(["case", "effective", "other"], dtype=object), [cases, effective_only, not_effective]
    )
    category = np.empty(n, dtype=object)
    for k, weights in ALERT_CATEGORY_WEIGHTS.items():
        mask = kind == k
        category[mask] = choose(rng, ALERT_CATEGORIES, weights, int(mask.sum()))
    became_case = kind == "case"
    effective = kind != "other"
    chosen = _sized(rng, places, villages, n)
    cols = _located(rng, places, chosen)
    del cols["grid_id"]  # alerts carry no grid
    cols.update(
        received_at=times(rng, n, first_day, n_days, ALERT_HOURS),
        category=category,
        effective=effective,
        became_case=became_case,
        civil_to_criminal=became_case & (category == "刑事") & (rng.random(n) < CIVIL_TO_CRIMINAL_SHARE),
        major_accident=effective
        & np.isin(category, ACCIDENT_CATEGORIES)
        & (rng.random(n) < MAJOR_ACCIDENT_SHARE),
        address=_addresses(rng, places, chosen),
        summary=one_of(rng, ALERT_SUMMARIES, category),
    )
    return cols


# ---------------------------------------------------------------- hazards

HAZARD_CATEGORY_WEIGHTS = {
    "安全生产": 20, "消防": 25, "道路交通": 10, "食品": 5, "建筑施工": 8,
    "防汛": 8, "危旧房": 8, "涉稳": 6, "矛盾纠纷": 10,
}  # fmt: skip
HAZARD_LEVEL_WEIGHTS = {"重大": 3, "较大": 17, "一般": 80}
HAZARD_SOURCES = {"敲门问候": 35, "网格员上报": 35, "视频巡查": 15, "群众举报": 15}
DOOR_TO_DOOR = "敲门问候"
ENTERPRISE_CATEGORIES = ("安全生产", "消防", "食品", "建筑施工")
ENTERPRISE_SHARE = 0.6  # of hazards in those categories
SHUT_SHARE = 0.12  # of serious or major enterprise hazards in production safety and fire
SHUT_CATEGORIES = ("安全生产", "消防")
HAZARD_PHRASES = {
    "安全生产": ("冲床防护装置缺失", "车间电线私拉乱接", "危化品存放不规范", "抛光粉尘未有效收集"),
    "消防": ("消防通道堵塞", "灭火器过期失效", "电动车楼道充电", "三合一场所住人"),
    "道路交通": ("路口视线遮挡", "村道缺少减速带", "桥梁护栏破损"),
    "食品": ("小作坊无证生产", "食堂后厨卫生条件差"),
    "建筑施工": ("工地脚手架搭设不规范", "基坑未设置防护栏"),
    "防汛": ("山塘坝体渗漏", "河道淤堵影响行洪", "边坡存在滑坡风险"),
    "危旧房": ("老旧房屋墙体开裂", "C级危房仍有人居住"),
    "涉稳": ("企业欠薪引发聚集风险", "征地补偿诉求未解决", "拆迁安置矛盾", "涉众型集资纠纷",
             "工程款拖欠引发讨薪"),
    "矛盾纠纷": ("邻里宅基地纠纷", "土地承包纠纷", "房屋租赁纠纷"),
}
RESPONSIBLE_UNITS = {
    "安全生产": "应急管理办", "消防": "消防工作站", "道路交通": "交通安全管理站", "食品": "市场监管所",
    "建筑施工": "建设办", "防汛": "农业农村办", "危旧房": "建设办", "涉稳": "综治中心",
    "矛盾纠纷": "矛盾调解中心",
}  # fmt: skip
DEADLINE_DAYS = {"重大": 30, "较大": 15, "一般": 7}
DEADLINE_EXTRA_DAYS = 8  # random extra days, exclusive bound
RESOLVE_MEDIAN_SHARE = 0.6  # median time to resolve, as a share of the deadline span
SLOW_SHARE = 0.05  # hazards that take several times longer, so some are overdue
SLOW_FACTOR = (3.0, 12.0)
CLOSABLE_SHARE = 0.75  # resolved hazards later closed (销号)
INSTRUCTION_SHARE = {"重大": 1.0, "较大": 0.5, "一般": 0.05}
INSTRUCTIONS = (
    "请责任单位立即落实整改，三日内反馈",
    "加强巡查，确保安全，整改到位前不得复工",
    "请片长牵头协调，限期化解",
    "涉及群众切身利益，务必妥善处置",
)


@dataclass
class HazardStory:
    """The moments of each hazard's story that the history rows record."""

    started: np.ndarray  # 待处置 → 整改中, NaT if not yet
    closed: np.ndarray  # 已化解 → 已销号, NaT if not
    actor: np.ndarray  # the grid worker who found it

    def take(self, order: np.ndarray) -> HazardStory:
        """The stories of the hazards in `order`."""
        return HazardStory(self.started[order], self.closed[order], self.actor[order])

    @staticmethod
    def concat(stories: list[HazardStory]) -> HazardStory:
        return HazardStory(
            *(np.concatenate([getattr(s, f) for s in stories]) for f in ("started", "closed", "actor"))
        )


def hazards(
    rng: np.random.Generator,
    places: Places,
    pools: tuple[np.ndarray, np.ndarray],
    villages: np.ndarray,
    first_day: np.datetime64,
    n_days: int,
    count: int,
    end: np.datetime64,
    source: str | None = None,
    categories: dict[str, float] = HAZARD_CATEGORY_WEIGHTS,
) -> tuple[Columns, HazardStory]:
    """`count` hazards found on the given days in the given villages, with their state at `end`;
    their categories drawn with the relative weights `categories`."""
    enterprises, leaders = pools
    n = count
    chosen = _sized(rng, places, villages, n)
    cols = _located(rng, places, chosen)
    category = choose(rng, HAZARD_CATEGORIES, categories, n)
    level = choose(rng, HAZARD_LEVELS, HAZARD_LEVEL_WEIGHTS, n)
    has_enterprise = np.isin(category, ENTERPRISE_CATEGORIES) & (rng.random(n) < ENTERPRISE_SHARE)
    enterprise = np.where(
        has_enterprise, enterprises[chosen, rng.integers(0, ENTERPRISES_PER_VILLAGE, n)], None
    )
    shut = (
        has_enterprise & np.isin(category, SHUT_CATEGORIES) & (level != "一般") & (rng.random(n) < SHUT_SHARE)
    )
    found = times(rng, n, first_day, n_days, OFFICE_HOURS, WEEKEND_FACTOR)
    deadline_days = np.vectorize(DEADLINE_DAYS.get, otypes=[np.int64])(level) + rng.integers(
        0, DEADLINE_EXTRA_DAYS, n
    )
    deadline = found.astype("datetime64[D]") + deadline_days.astype("timedelta64[D]")
    started = found + rng.integers(3600, 3 * DAY_S, n).astype("timedelta64[s]")
    to_resolve = deadline_days * DAY_S * RESOLVE_MEDIAN_SHARE * rng.lognormal(0.0, 0.5, n)
    to_resolve *= np.where(rng.random(n) < SLOW_SHARE, rng.uniform(*SLOW_FACTOR, n), 1.0)
    resolved = _after(started, np.ones(n), to_resolve)
    closed = resolved + rng.integers(DAY_S, 10 * DAY_S, n).astype("timedelta64[s]")
    is_resolved = resolved < end
    is_closed = is_resolved & (closed < end) & (rng.random(n) < CLOSABLE_SHARE)
    is_started = started < end
    status = np.select(
        [is_closed, is_resolved, is_started],
        [HAZARD_STATUSES[3], HAZARD_STATUSES[2], HAZARD_STATUSES[1]],
        HAZARD_STATUSES[0],
    ).astype(object)
    town = np.array(places.towns, dtype=object)[chosen]
    phrase = one_of(rng, HAZARD_PHRASES, category)
    where = np.where(has_enterprise, enterprise, np.array(places.names, dtype=object)[chosen])
    cols.update(
        title=where + phrase,
        category=category,
        level=level,
        address=_addresses(rng, places, chosen),
        enterprise=enterprise,
        enterprise_shut=shut,
        found_at=found,
        source=np.full(n, source, dtype=object)
        if source
        else choose(rng, tuple(HAZARD_SOURCES), HAZARD_SOURCES, n),
        responsible_unit=town + np.vectorize(RESPONSIBLE_UNITS.get, otypes=[object])(category),
        responsible_person=leaders[chosen, rng.integers(0, LEADERS_PER_VILLAGE, n)],
        deadline=deadline,
        status=status,
        resolved_at=np.where(is_resolved, resolved, NAT),
        version=np.ones(n, dtype=np.int64),
        mass_incident_risk=np.zeros(n, bool),
    )
    story = HazardStory(
        started=np.where(is_started, started, NAT),
        closed=np.where(is_closed, closed, NAT),
        actor=places.grid_workers[cols["grid_id"]],
    )
    return cols, story


def hazard_history(
    rng: np.random.Generator,
    hazard_ids: np.ndarray,
    cols: Columns,
    story: HazardStory,
    end: np.datetime64,
    full: bool = True,
) -> Columns:
    """The story rows: found, status changes and leaders' instructions (only 'found' unless full)."""
    found = cols["found_at"]
    parts = [
        _history_part(
            hazard_ids,
            found,
            "found",
            story.actor,
            None,
            HAZARD_STATUSES[0],
            "通过" + cols["source"].astype(str).astype(object) + "发现",
        )
    ]
    if full:
        started = ~np.isnat(story.started)
        resolved = ~np.isnat(cols["resolved_at"])
        closed = ~np.isnat(story.closed)
        person = cols["responsible_person"]
        parts += [
            _history_part(
                hazard_ids[started],
                story.started[started],
                "status",
                story.actor[started],
                HAZARD_STATUSES[0],
                HAZARD_STATUSES[1],
                None,
            ),
            _history_part(
                hazard_ids[resolved],
                cols["resolved_at"][resolved],
                "status",
                person[resolved],
                HAZARD_STATUSES[1],
                HAZARD_STATUSES[2],
                None,
            ),
            _history_part(
                hazard_ids[closed],
                story.closed[closed],
                "status",
                person[closed],
                HAZARD_STATUSES[2],
                HAZARD_STATUSES[3],
                None,
            ),
        ]
        share = np.vectorize(INSTRUCTION_SHARE.get, otypes=[float])(cols["level"])
        instructed = rng.random(len(hazard_ids)) < share
        last = np.where(resolved, cols["resolved_at"], end - SECOND)[instructed]
        at = _after(
            found[instructed],
            rng.uniform(0.1, 0.6, int(instructed.sum())),
            _seconds(last - found[instructed]),
        )
        notes = np.array(INSTRUCTIONS, dtype=object)[
            rng.integers(0, len(INSTRUCTIONS), int(instructed.sum()))
        ]
        parts.append(
            _history_part(hazard_ids[instructed], at, "instruction", person[instructed], None, None, notes)
        )
    merged = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    order = np.lexsort((merged["at"], merged["hazard_id"]))
    return {key: values[order] for key, values in merged.items()}


def _history_part(ids, at, kind, actor, old, new, note) -> Columns:
    n = len(ids)

    def column(value):
        return value if isinstance(value, np.ndarray) else np.full(n, value, dtype=object)

    return {
        "hazard_id": ids, "at": at, "kind": column(kind), "actor": column(actor),
        "old_value": column(old), "new_value": column(new), "note": column(note),
    }  # fmt: skip


# ---------------------------------------------------------------- grid events

EVENT_CATEGORIES = {  # category: (weight, days allowed to close)
    "矛盾纠纷": (14, 7), "治安隐患": (8, 5), "安全隐患": (10, 5), "消防隐患": (6, 3), "环境卫生": (16, 3),
    "市政设施": (9, 7), "民生服务": (12, 5), "代办服务": (10, 3), "政策咨询": (6, 2), "流动人口": (5, 5),
    "违章建筑": (2, 15), "劳资纠纷": (2, 7),
}  # fmt: skip
EVENT_SUMMARIES = {
    "矛盾纠纷": ("邻里因排水沟发生争执", "宅基地界址纠纷", "家庭赡养纠纷"),
    "治安隐患": ("出租房人员进出频繁", "夜间有可疑人员逗留"),
    "安全隐患": ("厂房外墙广告牌松动", "村道井盖缺失"),
    "消防隐患": ("楼道堆放杂物", "电动车入户充电"),
    "环境卫生": ("垃圾未及时清运", "河道漂浮物需清理", "村道积水"),
    "市政设施": ("路灯不亮", "自来水管破裂", "村道路面破损"),
    "民生服务": ("独居老人需上门探访", "低保材料咨询", "残疾人补贴申请"),
    "代办服务": ("代办医保缴费", "代办居住证", "代办不动产登记预约"),
    "政策咨询": ("咨询养老保险政策", "咨询农房审批流程"),
    "流动人口": ("新租客未登记", "租客已搬离未报备"),
    "违章建筑": ("屋顶违规搭建彩钢棚", "擅自扩建厂房"),
    "劳资纠纷": ("工人反映工资被拖欠", "工伤赔偿争议"),
}
LATE_SHARE = 0.002  # closed after the due time
DISPATCH_SHARE = 0.978  # passed on to a handling unit
BACKLOG_DAYS = 45  # recent events may still be open …
STUCK_EVENT_SHARE = 0.04  # … this share of them, whatever their due time
MIN_CLOSE_S = 600


def events(
    rng: np.random.Generator,
    places: Places,
    villages: np.ndarray,
    first_day: np.datetime64,
    n_days: int,
    count: int,
    end: np.datetime64,
) -> Columns:
    """`count` grid events reported on the given days, with their state at `end`."""
    n = count
    chosen = _sized(rng, places, villages, n)
    grids = places.random_grids(rng, chosen)
    names = tuple(EVENT_CATEGORIES)
    category = np.array(names, dtype=object)[
        rng.choice(len(names), n, p=_p({k: w for k, (w, _) in EVENT_CATEGORIES.items()}, names))
    ]
    reported = times(rng, n, first_day, n_days, OFFICE_HOURS, WEEKEND_FACTOR)
    due_s = np.vectorize(lambda c: EVENT_CATEGORIES[c][1], otypes=[np.int64])(category) * DAY_S
    late = rng.random(n) < LATE_SHARE
    taken = np.where(
        late, due_s + rng.integers(3600, 3 * DAY_S, n), np.maximum(due_s * rng.beta(1.6, 4, n), MIN_CLOSE_S)
    )
    closed = _after(reported, np.ones(n), taken)
    stuck = (reported >= end - BACKLOG_DAYS * DAY_S * SECOND) & (rng.random(n) < STUCK_EVENT_SHARE)
    closed = np.where((closed >= end) | stuck, NAT, closed)
    open_span = np.where(np.isnat(closed), 6 * 3600, _seconds(closed - reported))
    dispatched = _after(reported, rng.uniform(0.02, 0.3, n), open_span)
    dispatched = np.where((rng.random(n) < DISPATCH_SHARE) & (dispatched < end), dispatched, NAT)
    return {
        "reported_at": reported,
        "category": category,
        "village_id": chosen,
        "grid_id": grids,
        "reporter": places.grid_workers[grids],
        "dispatched_at": dispatched,
        "due_at": reported + due_s.astype("timedelta64[s]"),
        "closed_at": closed,
        "summary": one_of(rng, EVENT_SUMMARIES, category),
    }


def settle_quarter(
    rng: np.random.Generator,
    cols: Columns,
    rows: np.ndarray,
    quarter_end: np.datetime64,
    late: int,
    undispatched: int,
) -> None:
    """Make the events `rows` all closed before quarter_end, exactly `late` of them after their
    due time, and all but `undispatched` of them dispatched."""
    reported = cols["reported_at"][rows]
    due = cols["due_at"][rows]
    room = np.minimum(_seconds(due - reported), _seconds(quarter_end - reported) - 1)
    closed = _after(reported, rng.beta(1.6, 4, len(rows)), room)
    can_be_late = np.flatnonzero(due + 2 * DAY_S * SECOND < quarter_end)
    late_rows = rng.choice(can_be_late, late, replace=False)
    closed[late_rows] = due[late_rows] + rng.integers(3600, DAY_S, late).astype("timedelta64[s]")
    dispatched = _after(reported, rng.uniform(0.05, 0.5, len(rows)), _seconds(closed - reported))
    dispatched[rng.choice(len(rows), undispatched, replace=False)] = NAT
    cols["closed_at"][rows] = closed
    cols["dispatched_at"][rows] = dispatched


# ---------------------------------------------------------------- houses and stays

HOUSE_CAPACITIES = {2: 10, 3: 12, 4: 20, 5: 12, 6: 16, 8: 12, 10: 8, 12: 6, 16: 3, 20: 1}
OCCUPANCY = 0.55  # residents now per permitted place
CROWDED_SHARE = 0.02  # houses with more residents than permitted (群租)
PAST_STAYS_PER_HOUSE = 1.2
STAYS_PER_HOUSE = 4.5  # about: OCCUPANCY × mean capacity + PAST_STAYS_PER_HOUSE
MALE_SHARE = 0.58
ARRIVAL_AGE = (18, 58)
CURRENT_STAY_SCALE_DAYS = 350
MIN_STAY_DAYS = 7  # a past stay lasted at least this long
VERIFY_DAYS = 15  # registrations are usually verified within this many days
UNVERIFIED_SHARE = 0.03  # of residents now: never verified
EMPLOYED_SHARE = 0.85
EMPLOYER_GONE_SHARE = 0.015  # of employed residents now: employer reported them gone
EMPLOYER_REPORTS_LEAVING_SHARE = 0.5  # of employed past residents
PERMIT_SHARE = 0.65
PERMIT_EXPIRY_DAYS = (-60, 700)  # relative to the as-of day, for residents now


def houses(rng: np.random.Generator, places: Places, count: int) -> Columns:
    """`count` rented houses spread over the villages by size."""
    chosen = rng.choice(len(places.names), count, p=places.weights)
    cols = _located(rng, places, chosen)
    caps = np.array(list(HOUSE_CAPACITIES))
    weights = np.array(list(HOUSE_CAPACITIES.values()), float)
    cols.update(
        address=_addresses(rng, places, chosen),
        landlord=people.names(rng, rng.random(count) < LANDLORD_MALE_SHARE),
        landlord_phone=people.phones(rng, count),
        capacity=caps[rng.choice(len(caps), count, p=weights / weights.sum())],
    )
    return cols


def stays(
    rng: np.random.Generator,
    house_cols: Columns,
    house_index: np.ndarray,
    enterprises: np.ndarray,
    first_day: np.datetime64,
    as_of: np.datetime64,
) -> Columns:
    """Stays in the houses `house_index`: residents now (some houses crowded) and past ones."""
    capacity = house_cols["capacity"][house_index]
    now = rng.binomial(capacity, OCCUPANCY)
    crowded = rng.random(len(house_index)) < CROWDED_SHARE
    now = np.where(crowded, capacity + rng.integers(1, 4, len(house_index)), now)
    past = rng.poisson(PAST_STAYS_PER_HOUSE, len(house_index))
    house = np.concatenate([np.repeat(house_index, now), np.repeat(house_index, past)])
    current = np.concatenate([np.ones(now.sum(), bool), np.zeros(past.sum(), bool)])
    n = len(house)
    span = int((as_of - first_day).astype(int))
    here_days = np.minimum(rng.exponential(CURRENT_STAY_SCALE_DAYS, n).astype(np.int64), span)
    past_arrival = rng.integers(0, max(span - 2 * MIN_STAY_DAYS, 1), n)
    arrived = np.where(
        current, as_of - here_days.astype("timedelta64[D]"), first_day + past_arrival.astype("timedelta64[D]")
    )
    room = (as_of - arrived).astype(np.int64)  # days until the as-of day
    stayed = MIN_STAY_DAYS + (rng.random(n) * np.maximum(room - MIN_STAY_DAYS, 0)).astype(np.int64)
    left = np.where(current, NAT_DAY, arrived + np.minimum(stayed, room).astype("timedelta64[D]"))
    verified = arrived + rng.integers(0, VERIFY_DAYS, n).astype("timedelta64[D]")
    verified = np.where(
        (verified > as_of) | (current & (rng.random(n) < UNVERIFIED_SHARE)), NAT_DAY, verified
    )
    village = house_cols["village_id"][house]
    employed = rng.random(n) < EMPLOYED_SHARE
    employer = np.where(employed, enterprises[village, rng.integers(0, ENTERPRISES_PER_VILLAGE, n)], None)
    gone_now = current & employed & (rng.random(n) < EMPLOYER_GONE_SHARE)
    gone_at_left = ~current & employed & (rng.random(n) < EMPLOYER_REPORTS_LEAVING_SHARE)
    employer_left = np.where(
        gone_now, np.maximum(as_of - rng.integers(1, 60, n).astype("timedelta64[D]"), arrived), NAT_DAY
    )
    employer_left = np.where(
        gone_at_left,
        np.maximum(left - rng.integers(0, 4, n).astype("timedelta64[D]"), arrived),
        employer_left,
    )
    low, high = PERMIT_EXPIRY_DAYS
    expiry = np.where(current, as_of, left) + rng.integers(low, high, n).astype("timedelta64[D]")
    expiry = np.where(rng.random(n) < PERMIT_SHARE, expiry, NAT_DAY)
    male = rng.random(n) < MALE_SHARE
    province = people.origins(rng, n)
    birth = people.birth_dates(rng, arrived, *ARRIVAL_AGE)
    return {
        "name": people.names(rng, male),
        "id_number": people.id_numbers(rng, province, birth, male),
        "phone": people.phones(rng, n),
        "gender": np.where(male, "男", "女").astype(object),
        "birth_date": birth,
        "origin_province": province,
        "village_id": village,
        "grid_id": house_cols["grid_id"][house],
        "address": house_cols["address"][house],
        "house_id": house,
        "employer": employer,
        "arrived_at": arrived,
        "left_at": left,
        "verified_at": verified,
        "employer_left_at": employer_left,
        "permit_expiry": expiry,
    }


# ---------------------------------------------------------------- terminals

TERMINAL_KIND_WEIGHTS = {"摄像头": 55, "烟感": 20, "水位": 5, "门禁": 15, "其他": 5}
OFFLINE_SHARE = 0.04
OFFLINE_DAYS = (1, 30)
HEARTBEAT_HOURS = 8  # online terminals were last seen in the first hours of the as-of day


def terminals(
    rng: np.random.Generator, places: Places, per_village: np.ndarray, as_of: np.datetime64
) -> Columns:
    """per_village[v] terminals in village v, a few of them offline."""
    village = np.repeat(np.arange(len(per_village)), per_village)
    n = len(village)
    cols = _located(rng, places, village)
    del cols["grid_id"]
    kind = choose(rng, TERMINAL_KINDS, TERMINAL_KIND_WEIGHTS, n)
    serial = np.concatenate([np.arange(1, k + 1) for k in per_village]) if n else np.zeros(0, np.int64)
    online = rng.random(n) >= OFFLINE_SHARE
    cols.update(
        name=np.array(places.names, dtype=object)[village] + kind + _number(serial, 3),
        kind=kind,
        online=online,
        last_seen_at=last_seen(rng, online, as_of),
    )
    return cols


def last_seen(rng: np.random.Generator, online: np.ndarray, as_of: np.datetime64) -> np.ndarray:
    """Online: early on the as-of day; offline: one to thirty days earlier."""
    n = len(online)
    day = as_of.astype("datetime64[s]")
    recent = day + rng.integers(0, HEARTBEAT_HOURS * 3600, n).astype("timedelta64[s]")
    low, high = OFFLINE_DAYS
    older = day - rng.integers(low * DAY_S, high * DAY_S, n).astype("timedelta64[s]")
    return np.where(online, recent, older)
