"""What the town and city scenarios share: the time span, and writing places and records.

Builders return villages, grids and houses as indexes; here they become ids, records get
ids, demo source ids and is_demo, and everything goes to the BulkWriter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Table, select

from ..filters import minus_years
from ..models import Grid, Village
from .geo import polygon_json
from .geography import Places
from .load import BulkWriter, next_id

YEARS_OF_RECORDS = 3
SOURCE_ID_DIGITS = 8
# Source ids of demo records start with this, so they never meet an upstream system's ids.
SOURCE_PREFIX = "DEMO-"


def day64(day: dt.date) -> np.datetime64:
    return np.datetime64(day.isoformat(), "D")


@dataclass(frozen=True)
class Span:
    """The records' time span: about three years up to the end of the as-of day."""

    as_of: dt.date

    @property
    def first(self) -> dt.date:
        return minus_years(self.as_of, YEARS_OF_RECORDS) + dt.timedelta(days=1)

    @property
    def first_day(self) -> np.datetime64:
        return day64(self.first)

    @property
    def last_day(self) -> np.datetime64:
        return day64(self.as_of)

    @property
    def end(self) -> np.datetime64:
        """The first instant after the as-of day: nothing is at or after it."""
        return (day64(self.as_of) + 1).astype("datetime64[s]")

    @property
    def days(self) -> int:
        return (self.as_of - self.first).days + 1


def days_between(first: dt.date, last: dt.date) -> tuple[np.datetime64, int]:
    """(first day, number of days) of first..last inclusive; 0 days when last < first."""
    return day64(first), max((last - first).days + 1, 0)


def write_places(writer: BulkWriter, places: Places) -> None:
    """Write the villages and grids not yet in the database (by name) and fill in their ids."""
    conn = writer.conn
    known = dict(conn.execute(select(Village.name, Village.id)).all())
    first = next_id(conn, Village.__table__)
    new = [i for i, name in enumerate(places.names) if name not in known]
    ids = {places.names[i]: first + k for k, i in enumerate(new)}
    places.village_ids = np.array([known.get(name) or ids[name] for name in places.names], dtype=np.int64)
    centres = [places.centre(i) for i in new]
    writer.write(
        Village.__table__,
        {
            "id": np.array([ids[places.names[i]] for i in new], dtype=np.int64),
            "name": _objects(places.names[i] for i in new),
            "work_area": _objects(places.work_areas[i] for i in new),
            "town": _objects(places.towns[i] for i in new),
            "boundary": _objects(polygon_json(places.boundary(i)) for i in new),
            "center_lat": np.array([c[0] for c in centres], dtype=float),
            "center_lon": np.array([c[1] for c in centres], dtype=float),
            "in_micro_centre": places.micro[new] if new else np.zeros(0, bool),
            "is_demo": np.ones(len(new), bool),
        },
    )
    _write_grids(writer, places)


def _write_grids(writer: BulkWriter, places: Places) -> None:
    conn = writer.conn
    known = {
        (v, name): gid for gid, v, name in conn.execute(select(Grid.id, Grid.village_id, Grid.name)).all()
    }
    village_of = places.village_ids[places.grid_village]
    keys = [(int(v), name) for v, name in zip(village_of, places.grid_names, strict=True)]
    first = next_id(conn, Grid.__table__)
    new = [i for i, key in enumerate(keys) if key not in known]
    ids = {keys[i]: first + k for k, i in enumerate(new)}
    places.grid_ids = np.array([known.get(key) or ids[key] for key in keys], dtype=np.int64)
    writer.write(
        Grid.__table__,
        {
            "id": np.array([ids[keys[i]] for i in new], dtype=np.int64),
            "village_id": village_of[new],
            "name": _objects(places.grid_names[i] for i in new),
            "boundary": _objects(polygon_json(places.grid_boundary(i)) for i in new),
            "is_demo": np.ones(len(new), bool),
        },
    )


def _objects(values) -> np.ndarray:
    items = list(values)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def sort_by(cols: dict[str, np.ndarray], key: str) -> np.ndarray:
    """Sort every column by `key` (stable) in place; returns the order used."""
    order = np.argsort(cols[key], kind="stable")
    for name in cols:
        cols[name] = cols[name][order]
    return order


class RecordWriter:
    """Gives records their ids and source ids, maps indexes to ids and writes them."""

    def __init__(self, writer: BulkWriter, places: Places):
        self.writer = writer
        self.places = places
        self.house_ids = np.zeros(0, dtype=np.int64)
        self._next: dict[str, int] = {}
        self._serial: dict[str, int] = {}

    def write(self, table: Table, cols: dict[str, np.ndarray], code: str | None) -> np.ndarray:
        """Write the rows (source ids DEMO-<code>-<serial> when code is given); returns their ids."""
        n = len(next(iter(cols.values())))
        if table.name not in self._next:
            self._next[table.name] = next_id(self.writer.conn, table)
        ids = self._next[table.name] + np.arange(n, dtype=np.int64)
        self._next[table.name] += n
        out = dict(cols, id=ids)
        if "village_id" in out:
            out["village_id"] = self.places.village_ids[out["village_id"]]
        if "grid_id" in out:
            out["grid_id"] = self.places.grid_ids[out["grid_id"]]
        if "house_id" in out:
            out["house_id"] = self.house_ids[out["house_id"]]
        if code is not None:
            before = self._serial.get(code, 0)
            self._serial[code] = before + n
            out["source_id"] = source_ids(code, before + 1 + np.arange(n))
            out["is_demo"] = np.ones(n, bool)
        self.writer.write(table, out)
        return ids


def source_ids(code: str, serials: np.ndarray) -> np.ndarray:
    """The demo source ids DEMO-<code>-<serial> of the records of `code` written as the serials-th
    (counting from 1, in the order RecordWriter.write received them)."""
    return f"{SOURCE_PREFIX}{code}-" + np.char.zfill(serials.astype(str), SOURCE_ID_DIGITS).astype(object)


def concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Columns of several builders' outputs, one after another."""
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
