"""Settings, declared once: each has a name, a default and a help line.

A setting is read from the environment first, then from `.streamlit/secrets.toml`
(top-level keys of the same name), then falls back to its default. The README lists
every setting here; a test keeps the two in step.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "dashboard.db"


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        f"sqlite:///{DEFAULT_SQLITE_PATH}",
        "SQLAlchemy URL of the shared database; e.g. postgresql+psycopg://user@host/db. "
        "Default: a SQLite file under data/.",
    ),
    Setting("SQLITE_BUSY_TIMEOUT_MS", "10000", "How long a SQLite reader or writer waits for a lock."),
    Setting("QUERY_TIMEOUT_S", "10", "A query running longer than this is cancelled (PostgreSQL)."),
    Setting("CACHE_TTL_S", "60", "How long the app keeps a query's result before asking again."),
    Setting("WALL_REFRESH_S", "60", "Wall screen: seconds between data refreshes."),
    Setting("WALL_ROTATE_S", "30", "Wall screen: seconds each view stays before the next."),
    Setting(
        "WALL_PLAYLIST",
        "overview,hazards,population,alerts,events,ranking,projects,stability",
        "Wall screen: the views it cycles through, in order.",
    ),
    Setting(
        "BASEMAP",
        "osm",
        "Map tiles: osm, tianditu, amap (高德, GCJ-02), none, or an intranet URL template "
        "with {z}/{x}/{y}.",
    ),
    Setting("TIANDITU_KEY", "", "天地图 API key, needed when BASEMAP=tianditu."),
    Setting("SESSION_IDLE_MINUTES", "30", "A signed-in session expires after this much inactivity."),
    Setting(
        "BCRYPT_ROUNDS",
        "12",
        "Cost of new password hashes (bcrypt's log rounds, 4-31): each step doubles the time of a "
        "sign-in check; 12 takes about a quarter of a second on one core.",
    ),
    Setting("TIMEZONE", "Asia/Shanghai", "Local time zone of every stored time."),
    Setting(
        "PUBLIC_URL",
        "",
        "The dashboard's address as the people on duty open it (e.g. https://dashboard.example.cn): "
        "warning messages link back to the item under it; empty: no links.",
    ),
    Setting("WATCH_INTERVAL_S", "60", "The early-warning watcher: seconds between two rounds of its rules."),
    Setting(
        "RANKING_WEIGHTS",
        "镇党委=1,职能科室=1,工作片=1,党员群众=1",
        "Village ranking (花街擂台): each assessor's weight in a village's monthly track score.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@lru_cache(maxsize=1)
def _secrets() -> dict:
    path = PROJECT_ROOT / ".streamlit" / "secrets.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        return tomllib.load(f)


def get(name: str) -> str:
    """The value of setting `name`: environment, then secrets.toml, then the default."""
    setting = _BY_NAME[name]
    if name in os.environ:
        return os.environ[name]
    value = _secrets().get(name)
    return str(value) if value is not None else setting.default


def get_int(name: str) -> int:
    return int(get(name))


def database_url() -> str:
    return get("DATABASE_URL")
