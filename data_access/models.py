"""The schema: every record of DOMAIN.md and IMPORT_FORMAT.md.

Times are naive local times (Asia/Shanghai, the TIMEZONE setting); dates are dates.
Coordinates are WGS-84. Each upstream record keeps its upstream id (`source_id`,
unique) so that importing an export twice updates instead of duplicating, and an
`is_demo` flag so the views can say when they show demo data.
Changes to this file go with a new Alembic migration in migrations/versions/.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    column,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

HAZARD_CATEGORIES = ("安全生产", "消防", "道路交通", "食品", "建筑施工", "防汛", "危旧房", "涉稳", "矛盾纠纷")
HAZARD_LEVELS = ("重大", "较大", "一般")  # worst first
HAZARD_STATUSES = ("待处置", "整改中", "已化解", "已销号")  # the workflow, in order
HAZARD_OPEN_STATUSES = ("待处置", "整改中")
ALERT_CATEGORIES = ("刑事", "治安", "交通", "火灾", "纠纷", "电信网络诈骗", "求助", "安全事故", "其他")
TERMINAL_KINDS = ("摄像头", "烟感", "水位", "门禁", "其他")
# 花街擂台 (seed 002): the five tracks every village is scored on, and who scores it.
RANKING_TRACKS = ("基层党建", "集体经济", "重点项目", "美丽乡村", "平安建设")
RANKING_ASSESSORS = ("镇党委", "职能科室", "工作片", "党员群众")
PROJECT_STATUSES = ("未开工", "推进中", "已完成")  # a key project's state, in order
PROJECT_DONE = "已完成"
PETITION_FORMS = ("来信", "来访", "网上信访", "电话")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Village(Base):
    """An administrative village (行政村), with its work area and town and its boundary."""

    __tablename__ = "villages"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    work_area: Mapped[str | None] = mapped_column(String(64))
    town: Mapped[str | None] = mapped_column(String(64))
    # GeoJSON geometry (Polygon or MultiPolygon), WGS-84, as text.
    boundary: Mapped[str | None] = mapped_column(Text)
    center_lat: Mapped[float | None] = mapped_column(Float)
    center_lon: Mapped[float | None] = mapped_column(Float)
    in_micro_centre: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Grid(Base):
    """A grid (网格) inside a village, looked after by one grid worker."""

    __tablename__ = "grids"
    __table_args__ = (UniqueConstraint("village_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    name: Mapped[str] = mapped_column(String(64))
    boundary: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Hazard(Base):
    """A risk hazard (风险隐患) and its current state; its story is in hazard_history."""

    __tablename__ = "hazards"
    __table_args__ = (
        Index(None, "village_id", "found_at"),
        Index(None, "status", "deadline"),
        # 0003: the whole area's hazards found or resolved in a period, without reading the table.
        Index(None, "found_at", "category", "level", "status", "village_id", "grid_id"),
        Index(None, "resolved_at", "category", "village_id", "grid_id"),
        Index("ix_hazards_enterprise_shut", "found_at", "enterprise", "category", "village_id", "grid_id",
              sqlite_where=column("enterprise_shut").is_(True),
              postgresql_where=column("enterprise_shut").is_(True)),
        Index(None, "grid_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(8))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    enterprise: Mapped[str | None] = mapped_column(String(200))
    enterprise_shut: Mapped[bool] = mapped_column(Boolean, default=False)
    found_at: Mapped[dt.datetime] = mapped_column(DateTime)
    source: Mapped[str | None] = mapped_column(String(32))
    responsible_unit: Mapped[str | None] = mapped_column(String(100))
    responsible_person: Mapped[str | None] = mapped_column(String(64))
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Bumped by every change, so that a second, concurrent change is detected.
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # 0006: a 涉稳 risk that could become a mass incident (容易引起群体性事件). Its 包案领导 is the
    # responsible person, as for every hazard.
    mass_incident_risk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class HazardHistory(Base):
    """One step of a hazard's story: found, a status change, an instruction, a reassignment."""

    __tablename__ = "hazard_history"
    __table_args__ = (Index(None, "hazard_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    # found | status | instruction | reassign | deadline | import
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class House(Base):
    """A rented house (出租房) with its landlord and permitted number of residents."""

    __tablename__ = "houses"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    landlord: Mapped[str | None] = mapped_column(String(64))
    landlord_phone: Mapped[str | None] = mapped_column(String(20))
    capacity: Mapped[int | None] = mapped_column(Integer)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class PopulationStay(Base):
    """One stay of a non-local resident (流动人口): arrived, and left once they leave."""

    __tablename__ = "population_stays"
    __table_args__ = (
        Index(None, "village_id", "arrived_at"),
        Index(None, "village_id", "left_at"),
        Index(None, "house_id", "left_at"),
        # 0003: the stays that make 'residents on day R' differ from the open stays (left
        # after R, or open but arrived after R), and the anomaly lists of the whole area.
        Index("ix_population_stays_left", "left_at", "arrived_at",
              sqlite_where=column("left_at").is_not(None), postgresql_where=column("left_at").is_not(None)),
        Index(None, "grid_id"),
        Index("ix_population_stays_open_arrived_at", "arrived_at", "id", "permit_expiry",
              sqlite_where=column("left_at").is_(None), postgresql_where=column("left_at").is_(None)),
        Index("ix_population_stays_unverified", "arrived_at", "id", "left_at", "verified_at",
              sqlite_where=column("verified_at").is_(None), postgresql_where=column("verified_at").is_(None)),
        Index("ix_population_stays_open_permit", "permit_expiry", "arrived_at", "left_at",
              sqlite_where=column("left_at").is_(None), postgresql_where=column("left_at").is_(None)),
        Index("ix_population_stays_open_employer_left", "arrived_at", "id",
              sqlite_where=column("employer_left_at").is_not(None) & column("left_at").is_(None),
              postgresql_where=column("employer_left_at").is_not(None) & column("left_at").is_(None)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    gender: Mapped[str] = mapped_column(String(2))  # 男 / 女, from the ID number
    birth_date: Mapped[dt.date] = mapped_column(Date)
    origin_province: Mapped[str | None] = mapped_column(String(16))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    house_id: Mapped[int | None] = mapped_column(ForeignKey("houses.id"))
    employer: Mapped[str | None] = mapped_column(String(200))
    arrived_at: Mapped[dt.date] = mapped_column(Date)
    left_at: Mapped[dt.date | None] = mapped_column(Date)
    verified_at: Mapped[dt.date | None] = mapped_column(Date)
    employer_left_at: Mapped[dt.date | None] = mapped_column(Date)
    permit_expiry: Mapped[dt.date | None] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Alert(Base):
    """A police alert (警情) received by the command system."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index(None, "village_id", "received_at"),
        # 0003: with the columns the whole area's map reads for the days outside alert_cells.
        Index(None, "received_at", "category", "lat", "lon"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    category: Mapped[str] = mapped_column(String(16))
    effective: Mapped[bool] = mapped_column(Boolean)
    became_case: Mapped[bool] = mapped_column(Boolean, default=False)
    civil_to_criminal: Mapped[bool] = mapped_column(Boolean, default=False)
    major_accident: Mapped[bool] = mapped_column(Boolean, default=False)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class GridEvent(Base):
    """A grid event (网格事件) reported or handled by a grid worker."""

    __tablename__ = "grid_events"
    __table_args__ = (
        Index(None, "village_id", "reported_at"),
        Index(None, "reported_at"),
        # 0003: events of a period closed or dispatched only after it (summaries.events_late).
        Index(None, "closed_at", "reported_at"),
        Index(None, "dispatched_at", "reported_at"),
        Index(None, "grid_id"),
        # Closed after the due time, by reporting. PostgreSQL: an index on the expression, because
        # only its statistics tell the planner how rare that is (it guesses a third of all events);
        # SQLite (told which index to use) and SQLAlchemy's reflection of it: a partial index.
        Index("ix_grid_events_closed_late", column("closed_at") > column("due_at"), "reported_at", "id")
        .ddl_if(dialect="postgresql"),
        Index("ix_grid_events_closed_late", "reported_at", "id", sqlite_where=column("closed_at") > column("due_at"))
        .ddl_if(dialect="sqlite"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), unique=True)
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    category: Mapped[str] = mapped_column(String(32))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    reporter: Mapped[str | None] = mapped_column(String(64))
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    summary: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Terminal(Base):
    """A smart terminal (智能终端): camera, sensor, door access; online or not."""

    __tablename__ = "terminals"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    online: Mapped[bool] = mapped_column(Boolean)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class VillageScore(Base):
    """One assessor's score (0-100) of one village on one track for one month (月考季评, 花街擂台).
    The upstream sheets carry no id: source_id is made of the village, month, track and assessor."""

    __tablename__ = "village_scores"
    __table_args__ = (Index(None, "month", "village_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(200), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    month: Mapped[dt.date] = mapped_column(Date)  # its first day
    track: Mapped[str] = mapped_column(String(8))
    assessor: Mapped[str] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Float)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Project(Base):
    """A key project (重点工程) of the war map (作战图): who answers for it, how far it is."""

    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), unique=True)  # 项目编号
    name: Mapped[str] = mapped_column(String(100))
    leader: Mapped[str | None] = mapped_column(String(64))  # 责任领导
    unit: Mapped[str | None] = mapped_column(String(100))  # 牵头单位
    status: Mapped[str] = mapped_column(String(8))
    progress: Mapped[int | None] = mapped_column(Integer)  # percent
    deadline: Mapped[dt.date | None] = mapped_column(Date)  # 完成期限
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class ProjectVillage(Base):
    """A village a key project involves, with the village's responsible person."""

    __tablename__ = "project_villages"
    __table_args__ = (Index(None, "project_id"), Index(None, "village_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(200), unique=True)  # 项目编号|村
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    responsible_person: Mapped[str | None] = mapped_column(String(64))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class ProjectMilestone(Base):
    """A milestone (时间节点) of a key project: its deadline, and when it was done."""

    __tablename__ = "project_milestones"
    __table_args__ = (Index(None, "project_id", "deadline"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(200), unique=True)  # 项目编号|节点
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    deadline: Mapped[dt.date] = mapped_column(Date)
    done_at: Mapped[dt.date | None] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Petition(Base):
    """A first petition (初信初访), handled by a contact leader, a town cadre linked to the village
    and a village cadre (联系领导 + 联村干部 + 村干部)."""

    __tablename__ = "petitions"
    __table_args__ = (
        Index(None, "village_id", "received_at"), Index(None, "received_at"), Index(None, "grid_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    form: Mapped[str | None] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(32))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    petitioner: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str | None] = mapped_column(Text)
    contact_leader: Mapped[str | None] = mapped_column(String(64))
    village_cadre: Mapped[str | None] = mapped_column(String(64))  # 联村干部
    village_official: Mapped[str | None] = mapped_column(String(64))  # 村干部
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Dispute(Base):
    """A dispute brought to mediation (矛盾纠纷调解): the amount involved, and whether one police
    alert pushed it to the three sides at once (一警情三推送)."""

    __tablename__ = "disputes"
    __table_args__ = (
        Index(None, "village_id", "mediated_at"), Index(None, "mediated_at"), Index(None, "grid_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    category: Mapped[str | None] = mapped_column(String(32))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    amount_yuan: Mapped[int | None] = mapped_column(Integer)  # whole yuan
    alert_pushed: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_source_id: Mapped[str | None] = mapped_column(String(64))  # the alert's 警情编号
    mediator: Mapped[str | None] = mapped_column(String(64))
    mediated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    summary: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


RECORD_TABLES = (
    Hazard, House, PopulationStay, Alert, GridEvent, Terminal,
    VillageScore, Project, ProjectVillage, ProjectMilestone, Petition, Dispute,
)  # fmt: skip


# ---------------------------------------------------------------- summaries
#
# Counts of the records above, so that the whole area's figures need not read millions of
# rows. Database triggers keep them right in the same transaction as every write (see
# data_access/summaries.py and migrations 0003 and 0004); `python -m data_access rebuild-summaries`
# rebuilds them from the records. Rows whose counts fell to zero may stay: readers skip them.


class HazardDay(Base):
    """Hazards per day and category and level: found that day (and of those, open now), and
    resolved that day."""

    __tablename__ = "hazard_days"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    level: Mapped[str] = mapped_column(String(8), primary_key=True)
    found: Mapped[int] = mapped_column(Integer)
    found_open: Mapped[int] = mapped_column(Integer)  # status 待处置 or 整改中 now
    resolved: Mapped[int] = mapped_column(Integer)


class HazardMonth(Base):
    """hazard_days by month (its first day): the whole area's figures read a period's whole
    months here and the days around them from hazard_days."""

    __tablename__ = "hazard_months"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    level: Mapped[str] = mapped_column(String(8), primary_key=True)
    found: Mapped[int] = mapped_column(Integer)
    found_open: Mapped[int] = mapped_column(Integer)  # status 待处置 or 整改中 now
    resolved: Mapped[int] = mapped_column(Integer)


class HazardDayTotal(Base):
    """hazard_days summed over categories and levels: the whole area's found and resolved per
    day when no category is chosen (the weekly trend, the period's totals)."""

    __tablename__ = "hazard_day_totals"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    found: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)


class HazardVillageMonth(Base):
    """Hazards per month found and village: found that month (and of those, open now). The
    whole area's counts per village read a period's whole months here and the days around them
    from the records."""

    __tablename__ = "hazard_village_months"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # its first day
    village_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    found: Mapped[int] = mapped_column(Integer)
    found_open: Mapped[int] = mapped_column(Integer)  # status 待处置 or 整改中 now


class AlertDay(Base):
    """Alerts per day of receipt and category."""

    __tablename__ = "alert_days"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    alerts: Mapped[int] = mapped_column(Integer)
    effective: Mapped[int] = mapped_column(Integer)
    cases: Mapped[int] = mapped_column(Integer)
    civil_to_criminal: Mapped[int] = mapped_column(Integer)
    major_accident: Mapped[int] = mapped_column(Integer)
    telecom_fraud: Mapped[int] = mapped_column(Integer)  # 电信网络诈骗 that became a case


class AlertHour(Base):
    """Alerts per day and hour of receipt (0-23)."""

    __tablename__ = "alert_hours"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    alerts: Mapped[int] = mapped_column(Integer)


class AlertCell(Base):
    """Alerts with a position per month of receipt (its first day) and map cell (alerts.CELLS_PER_DEGREE)."""

    __tablename__ = "alert_cells"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    cell_lat: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cell_lon: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    alerts: Mapped[int] = mapped_column(Integer)
    lat_sum: Mapped[float] = mapped_column(Float)
    lon_sum: Mapped[float] = mapped_column(Float)


class EventDay(Base):
    """Grid events per day of reporting and category: how many were ever closed, closed on time
    and dispatched (a period's own counts subtract those done only after it: events.py)."""

    __tablename__ = "event_days"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    new: Mapped[int] = mapped_column(Integer)
    closed: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)
    dispatched: Mapped[int] = mapped_column(Integer)


class StayDay(Base):
    """Stays arriving and leaving per day."""

    __tablename__ = "stay_days"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    arrivals: Mapped[int] = mapped_column(Integer)
    departures: Mapped[int] = mapped_column(Integer)


# The open stays (left_at is null) counted by what the population view groups residents by.
# Residents on day R are the open stays minus those arrived after R, plus the stays that
# left after R: population.py adds those two (few) sets from the records.


class StayOpenVillage(Base):
    __tablename__ = "stay_open_villages"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order
    village_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    residents: Mapped[int] = mapped_column(Integer)


class StayOpenProvince(Base):
    __tablename__ = "stay_open_provinces"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order
    province: Mapped[str] = mapped_column(String(16), primary_key=True)  # 未知 when not known
    residents: Mapped[int] = mapped_column(Integer)


class StayOpenAge(Base):
    __tablename__ = "stay_open_ages"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order
    gender: Mapped[str] = mapped_column(String(2), primary_key=True)
    birth_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    residents: Mapped[int] = mapped_column(Integer)


class StayOpenEmployer(Base):
    __tablename__ = "stay_open_employers"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order
    employer: Mapped[str] = mapped_column(String(200), primary_key=True)
    residents: Mapped[int] = mapped_column(Integer)
    reported_left: Mapped[int] = mapped_column(Integer)  # of them, employer_left_at set


class StayOpenHouse(Base):
    """Open stays per rented house, with the house's capacity copied (kept by a trigger on
    houses) so that overcrowded houses are found through one small partial index."""

    __tablename__ = "stay_open_houses"
    __table_args__ = (
        Index(None, "residents"),
        Index("ix_stay_open_houses_overcrowded", "house_id",
              sqlite_where=column("residents") > column("capacity"),
              postgresql_where=column("residents") > column("capacity")),
        {"sqlite_with_rowid": False},
    )
    house_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    residents: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int | None] = mapped_column(Integer)


class SummaryPause(Base):
    """While a transaction holds a row here, the summary triggers do nothing (bulk writers that
    rebuild the summaries themselves). The row is never committed: other writers never see it."""

    __tablename__ = "summary_pauses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


SUMMARY_TABLES = (
    HazardDay, HazardMonth, HazardDayTotal, HazardVillageMonth, AlertDay, AlertHour, AlertCell, EventDay, StayDay,
    StayOpenVillage, StayOpenProvince, StayOpenAge, StayOpenEmployer, StayOpenHouse,
)  # fmt: skip


# ---------------------------------------------------------------- accounts and audit

USER_ROLES = ("viewer", "staff", "leader", "admin")  # ordered: each may do what the ones before it may


class User(Base):
    """A person who signs in: a bcrypt hash (never the password), a role, and the sign-in throttle."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(column("role").in_(USER_ROLES), name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Failed sign-ins since the last good one, and until when sign-in is refused.
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class SignInFailure(Base):
    """The sign-in throttle of a name that is no account, so that guessing names is slowed down
    exactly like guessing passwords (and the two cannot be told apart)."""

    __tablename__ = "sign_in_failures"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_failed_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditEntry(Base):
    """Who did what, when, to what and why: unmaskings, exports, account changes."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "at"), Index(None, "actor", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # unmask | export | user_add | user_disable | …
    target: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------- early warning (data_access/notify)

NOTIFY_CHANNEL_KINDS = ("dingtalk", "wecom", "email")
WARNING_SEVERITIES = ("red", "orange", "yellow", "blue")  # worst first; blue is for information
DELIVERY_STATUSES = ("pending", "sent", "failed")


class NotifyRule(Base):
    """A warning rule: its condition is code (notify/conditions.py, by name); here, whether it
    runs, its thresholds and the channels it goes to (none named: every enabled channel)."""

    __tablename__ = "notify_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    thresholds: Mapped[str] = mapped_column(Text, default="{}")  # a JSON object
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(64))


class NotifyChannel(Base):
    """Where messages go: a DingTalk or WeCom group robot (its webhook URL; DingTalk's signing
    secret) or e-mail (an smtp:// URL, the password as secret, the recipients). A removed
    channel keeps its row, for the record of what it was sent, with URL and secret erased."""

    __tablename__ = "notify_channels"
    __table_args__ = (CheckConstraint(column("kind").in_(NOTIFY_CHANNEL_KINDS), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(Text)
    recipients: Mapped[str | None] = mapped_column(Text)  # e-mail: addresses, comma-separated
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class NotifyRuleChannel(Base):
    """A channel a rule goes to."""

    __tablename__ = "notify_rule_channels"
    rule_id: Mapped[int] = mapped_column(ForeignKey("notify_rules.id", ondelete="CASCADE"), primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notify_channels.id", ondelete="CASCADE"),
                                            primary_key=True)


class NotifyWarning(Base):
    """One episode of a rule's condition on a subject (a hazard, a village, a day …): opened when
    the condition starts to hold, cleared when it stops; the next time it holds is the next
    episode. At most one open episode per rule and subject (a partial unique index): two
    watchers cannot both open it. Texts hold no personal data (masked names, counts, places)."""

    __tablename__ = "notify_warnings"
    __table_args__ = (
        UniqueConstraint("rule_id", "subject", "episode"),
        Index("ix_notify_warnings_open", "rule_id", "subject", unique=True,
              sqlite_where=column("cleared_at").is_(None), postgresql_where=column("cleared_at").is_(None)),
        Index(None, "opened_at"),
        CheckConstraint(column("severity").in_(WARNING_SEVERITIES), name="severity"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("notify_rules.id"))
    subject: Mapped[str] = mapped_column(String(64))  # e.g. hazard:12, village:3, day:2026-11-23
    episode: Mapped[int] = mapped_column(Integer)  # 1, then 2 when it comes back after clearing …
    severity: Mapped[str] = mapped_column(String(8))
    village: Mapped[str | None] = mapped_column(String(64))  # its name then (no key: records come and go)
    title: Mapped[str] = mapped_column(String(200))  # one line: what and where
    link: Mapped[str | None] = mapped_column(String(500))  # back to the item (setting PUBLIC_URL)
    detail: Mapped[str | None] = mapped_column(Text)  # a longer text (the daily briefing's)
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)  # the daily briefing's PDF
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledge_note: Mapped[str | None] = mapped_column(Text)


class NotifyDelivery(Base):
    """A warning to one channel: pending until sent, retried with backoff, failed after the last
    try. A watcher claims due rows for a while (claimed_by, claimed_until) before it sends them,
    so that two watchers never send the same one."""

    __tablename__ = "notify_deliveries"
    __table_args__ = (
        UniqueConstraint("warning_id", "channel_id"),
        CheckConstraint(column("status").in_(DELIVERY_STATUSES), name="status"),
        Index("ix_notify_deliveries_due", "next_attempt_at",
              sqlite_where=column("status") == "pending", postgresql_where=column("status") == "pending"),
        Index(None, "channel_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("notify_warnings.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("notify_channels.id"))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    attempted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # the latest try, whatever its outcome
    last_error: Mapped[str | None] = mapped_column(Text)  # never a URL or secret
