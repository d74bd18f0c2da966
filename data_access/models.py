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
    MetaData,
    String,
    Text,
    UniqueConstraint,
    column,
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
        Index(None, "resolved_at"),
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
    __table_args__ = (Index(None, "village_id", "received_at"), Index(None, "received_at"))
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
    __table_args__ = (Index(None, "village_id", "reported_at"), Index(None, "reported_at"))
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


RECORD_TABLES = (Hazard, House, PopulationStay, Alert, GridEvent, Terminal)


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
