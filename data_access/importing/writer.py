"""Writing an import inside the caller's transaction: the rules that need the database, then
upserts on source_id (insert the new, update the changed, count the unchanged), and the
hazards' history. A dry run does the same reading and counting and writes nothing.

Rows travel column by column (name → list of values), which keeps per-row Python work low.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np
from sqlalchemy import (
    ARRAY,
    Connection,
    Date,
    DateTime,
    String,
    Table,
    any_,
    bindparam,
    false,
    func,
    insert,
    select,
    update,
)

from ..models import Grid, Hazard, HazardHistory, Village
from . import geo
from .columns import GRID, REFERENCES, VILLAGE, field_of
from .rules import LONLAT, Checked

CHUNK_ROWS = 5000  # rows per look-up of existing ids and per executemany
IMPORT_CACHE_KIB = -64 * 1024  # SQLite's cache_size: negative means KiB, so 64 MiB
HISTORY_TEXT = HazardHistory.__table__.c.old_value.type.length
# A change of these by an import is a step in the hazard's story, with its own history kind.
HAZARD_HISTORY_KINDS = {
    "status": "status",
    "responsible_unit": "reassign",
    "responsible_person": "reassign",
    "deadline": "deadline",
}

Progress = Callable[[int, int], None]
Columns = dict[str, list]  # field name → one value per row
References = dict[str, dict[str, int]]  # reference column → row id by upstream id


@dataclass
class Outcome:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    villages_created: list[str] = field(default_factory=list)
    grids_created: list[str] = field(default_factory=list)


@dataclass
class Context:
    """What every write needs besides the rows."""

    conn: Connection
    dry_run: bool
    now: dt.datetime
    actor: str
    note: str  # written into history rows: which file it came from
    progress: Progress | None = None


def _pick(values: Sequence, rows: Sequence[int]) -> list:
    """values[i] for i in rows (a slice when the rows are consecutive, as they usually are)."""
    if not rows:
        return []
    if rows[-1] - rows[0] + 1 == len(rows):
        return list(values[rows[0] : rows[-1] + 1])
    return [values[rows[0]]] if len(rows) == 1 else list(itemgetter(*rows)(values))


def _matching(conn: Connection, column, keys: Sequence[str]):
    """`column IN keys` with the keys as one bound value (a long IN list costs more to render than to run)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("keys", list(keys), type_=ARRAY(String)))
    if conn.dialect.name == "sqlite":
        each = func.json_each(json.dumps(list(keys), ensure_ascii=False)).table_valued("value")
        return column.in_(select(each.c.value))
    return column.in_(list(keys))


def _insert_defaults(table: Table, names: Iterable[str]) -> dict[str, object]:
    """The model's defaults for the columns a new row does not get from the file (flags: 否)."""
    given = set(names)
    return {
        c.key: c.default.arg
        for c in table.columns
        if c.key not in given and c.default is not None and c.default.is_scalar
    }


def _insert(conn: Connection, table: Table, columns: Columns) -> None:
    """Insert the rows with one executemany."""
    names = list(columns)
    if conn.dialect.name != "sqlite":
        # PostgreSQL: SQLAlchemy batches these into multi-row INSERTs.
        conn.execute(insert(table), [dict(zip(names, row)) for row in zip(*columns.values())])
        return
    # On SQLite, SQLAlchemy's per-row parameter processing costs more than the insert itself, so
    # the compiled statement is run on the driver with the values already in SQLAlchemy's storage
    # format (test_sqlite_storage_format_matches_sqlalchemy checks that the two agree).
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=names)
    ordered = []
    for name in compiled.positiontup:
        values, column_type = columns[name], table.c[name].type
        if isinstance(column_type, DateTime):
            values = [v if v is None else v.isoformat(" ", "microseconds") for v in values]
        elif isinstance(column_type, Date):  # dates repeat: format each distinct one once
            formatted = {v: v.isoformat() for v in set(values) if v is not None}
            values = [None if v is None else formatted[v] for v in values]
        ordered.append(values)
    conn.exec_driver_sql(compiled.string, list(zip(*ordered)))


class Places:
    """Villages and grids by name, and the area's bounds. Missing ones are created when allowed
    (in a dry run they only get a stand-in id)."""

    def __init__(self, ctx: Context, outcome: Outcome):
        self.ctx, self.outcome = ctx, outcome
        rows = ctx.conn.execute(select(Village.id, Village.name, Village.boundary)).all()
        self.villages = {r.name: r.id for r in rows}
        boundaries = [r.boundary for r in rows if r.boundary]
        # Only a village list (a boundary file) makes an unknown name an error; villages created by
        # naming them in a records file carry no boundary and do not close the list.
        self.closed = bool(boundaries)
        self.bounds = geo.area_bounds(boundaries)
        grids = ctx.conn.execute(select(Grid.id, Grid.village_id, Grid.name))
        self.grids = {(g.village_id, g.name): g.id for g in grids}
        self._stand_in_ids = itertools.count(-1, -1)

    def unknown(self, names: Iterable[str]) -> set[str]:
        """The names that are not villages and may not become ones."""
        return set() if not self.closed else set(names) - set(self.villages)

    def village_ids(self, names: Sequence[str | None]) -> list:
        """The village id per name, creating the missing villages in order of first appearance."""
        for name in dict.fromkeys(names):
            if name is not None and name not in self.villages:
                self.villages[name] = self._create(Village.__table__, {"name": name, "is_demo": False})
                self.outcome.villages_created.append(name)
        return [None if n is None else self.villages[n] for n in names]

    def grid_ids(self, village_ids: Sequence, villages: Sequence, grids: Sequence) -> list:
        """The grid id per (village, grid name), creating the missing grids."""
        for village_id, village, grid in dict.fromkeys(zip(village_ids, villages, grids)):
            if grid and (village_id, grid) not in self.grids:
                values = {"village_id": village_id, "name": grid, "is_demo": False}
                self.grids[village_id, grid] = self._create(Grid.__table__, values)
                self.outcome.grids_created.append(f"{village}/{grid}")
        return [self.grids[v, g] if g else None for v, g in zip(village_ids, grids)]

    def _create(self, table: Table, values: dict) -> int:
        if self.ctx.dry_run:
            return next(self._stand_in_ids)
        return self.ctx.conn.execute(insert(table).values(values).returning(table.c.id)).scalar_one()


def _check_against_database(checked: Checked, places: Places, conn: Connection) -> References:
    """Villages known, points inside the area, referenced records known; returns, per reference
    column (a stay's house_id, a project's village's project_id), the row ids by upstream id."""
    problems = checked.problems
    if checked.has("village"):  # every kind but the key projects and their milestones
        good = checked.good_rows()
        villages = checked.values["village"]
        unknown = places.unknown(_pick(villages, good))
        for i in [i for i in good if villages[i] in unknown]:
            problems.add(i, "village", "unknown village: not in the village list")
    if checked.has("lon"):
        lons = np.array(checked.values["lon"], dtype=float)  # None becomes NaN, which compares False
        lats = np.array(checked.values["lat"], dtype=float)
        box = places.bounds
        outside = ~np.isnan(lons) & ~(
            (lons >= box.west) & (lons <= box.east) & (lats >= box.south) & (lats <= box.north)
        )
        for i in np.flatnonzero(outside).tolist():
            problems.add(i, LONLAT, f"outside the area ({box}); GCJ-02 or swapped lon/lat?")
    return {column.name: _referenced(checked, column, conn)
            for column in checked.kind.columns if column.type in REFERENCES and checked.has(column.name)}


# How a missing referenced record is reported, by the kind referred to.
MISSING_REFERENCE = {"houses": "no rented house has this 出租房编号 (import the houses first)",
                     "projects": "no key project has this 项目编号 (import the projects first)"}


def _referenced(checked: Checked, column, conn: Connection) -> dict[str, int]:
    """The row ids of the records the good rows' `column` names (by their upstream id); a row
    naming an unknown one is refused."""
    kind = REFERENCES[column.type]
    table = kind.model.__table__
    names = checked.values[column.name]
    wanted = sorted({names[i] for i in checked.good_rows() if names[i]})
    found: dict[str, int] = {}
    for chunk in (wanted[k : k + CHUNK_ROWS] for k in range(0, len(wanted), CHUNK_ROWS)):
        lookup = select(table.c.source_id, table.c.id).where(_matching(conn, table.c.source_id, chunk))
        found.update((r.source_id, r.id) for r in conn.execute(lookup))
    for i in [i for i in checked.good_rows() if names[i] and names[i] not in found]:
        checked.problems.add(i, column.name, MISSING_REFERENCE[kind.name])
    return found


def _fields(checked: Checked, places: Places, references: References, good: list[int]) -> Columns:
    """Every field to store, for the good rows only, column by column."""
    kind, values = checked.kind, checked.values
    resolved = {c.name for c in kind.columns if c.type in (VILLAGE, GRID) or c.name in references}
    fields: Columns = {
        field_of(kind, name): _pick(v, good) for name, v in values.items() if name not in resolved
    }
    if "village" in values:
        villages = _pick(values["village"], good)
        fields["village_id"] = places.village_ids(villages)
        if "grid" in values:
            fields["grid_id"] = places.grid_ids(fields["village_id"], villages, _pick(values["grid"], good))
    for name, ids in references.items():
        fields[field_of(kind, name)] = [ids.get(h) if h else None for h in _pick(values[name], good)]
    fields["is_demo"] = [False] * len(good)
    return fields


@contextmanager
def _sqlite_cache(conn: Connection) -> Iterator[None]:
    """A bigger page cache while a large import writes (the indexes' pages stay in memory)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    default = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size={IMPORT_CACHE_KIB:d}")  # our constant, not input
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(default):d}")  # the pooled connection gets it back


def _lock_for_writing(ctx: Context) -> None:
    """On SQLite, take the write lock before reading anything. A transaction that reads first and
    writes later fails at once, without waiting, if another writer committed in between; one that
    writes first waits its turn (the busy timeout) instead. WAL readers are never blocked by it."""
    if ctx.conn.dialect.name == "sqlite" and not ctx.dry_run:
        ctx.conn.execute(update(Village).where(false()).values(name=Village.name))  # changes no row


def write_records(ctx: Context, checked: Checked) -> Outcome:
    """Check the rows against the database and upsert the good ones; problems go to `checked`."""
    _lock_for_writing(ctx)
    with _sqlite_cache(ctx.conn):
        return _write_records(ctx, checked)


def _write_records(ctx: Context, checked: Checked) -> Outcome:
    outcome = Outcome()
    places = Places(ctx, outcome)
    references = _check_against_database(checked, places, ctx.conn)
    good = checked.good_rows()
    fields = _fields(checked, places, references, good)
    upsert = _Upsert(ctx, checked.kind.model.__table__, list(fields), outcome)
    for start in range(0, len(good), CHUNK_ROWS):
        upsert.run({name: values[start : start + CHUNK_ROWS] for name, values in fields.items()})
        if ctx.progress:
            ctx.progress(min(start + CHUNK_ROWS, len(good)), len(good))
    return outcome


class _Upsert:
    """Insert, update or leave each row, by source_id; for hazards, write their history."""

    def __init__(self, ctx: Context, table: Table, names: list[str], outcome: Outcome):
        self.ctx, self.table, self.outcome = ctx, table, outcome
        self.fields = [n for n in names if n != "source_id"]
        self.defaults = _insert_defaults(table, names)
        self.hazards = table is Hazard.__table__
        values = {f: bindparam(f"b_{f}") for f in self.fields}
        if self.hazards:
            values["version"] = table.c.version + 1  # a concurrent edit sees the record changed
        self.update = update(table).where(table.c.id == bindparam("b__id")).values(values)
        self.lookup = select(table.c.id, table.c.source_id, *(table.c[f] for f in self.fields))

    def run(self, columns: Columns) -> None:
        keys = columns["source_id"]
        conn, table = self.ctx.conn, self.table
        rows = conn.execute(self.lookup.where(_matching(conn, table.c.source_id, keys)))
        existing = {r.source_id: r._mapping for r in rows}
        new = list(range(len(keys))) if not existing else []
        changed: list[tuple[Mapping, dict]] = []
        for j, key in enumerate(keys) if existing else ():
            old = existing.get(key)
            if old is None:
                new.append(j)
                continue
            row = {f: columns[f][j] for f in self.fields}
            if any(old[f] != row[f] for f in self.fields):
                changed.append((old, row))
        self.outcome.inserted += len(new)
        self.outcome.updated += len(changed)
        self.outcome.unchanged += len(keys) - len(new) - len(changed)
        if self.ctx.dry_run:
            return
        new_columns = columns if len(new) == len(keys) else {n: _pick(v, new) for n, v in columns.items()}
        if new:
            new_columns = {**{n: [v] * len(new) for n, v in self.defaults.items()}, **new_columns}
            _insert(conn, table, new_columns)
        if changed:
            params = [{"b__id": old["id"], **{f"b_{f}": row[f] for f in self.fields}} for old, row in changed]
            conn.execute(self.update, params)
        if self.hazards:
            self._history(new_columns if new else None, changed)

    def _history(self, new: Columns | None, changed: list[tuple[Mapping, dict]]) -> None:
        ctx = self.ctx
        steps = []
        if new:
            lookup = select(Hazard.source_id, Hazard.id).where(
                _matching(ctx.conn, Hazard.source_id, new["source_id"])
            )
            ids = dict(ctx.conn.execute(lookup).all())
            for key, found_at, status in zip(new["source_id"], new["found_at"], new["status"]):
                steps.append(self._step(ids[key], found_at, "found", None, status, ctx.note))
        for old, row in changed:
            steps += self._changes(old, row)
        if steps:
            ctx.conn.execute(insert(HazardHistory.__table__), steps)

    def _changes(self, old: Mapping, row: dict) -> list[dict]:
        """One history step per changed status, responsibility or deadline; one 'import' step for the rest."""
        steps, others = [], []
        for f in self.fields:
            if old[f] == row[f]:
                continue
            if f in HAZARD_HISTORY_KINDS:
                note = f"{f} changed by import; {self.ctx.note}"
                steps.append(
                    self._step(old["id"], self.ctx.now, HAZARD_HISTORY_KINDS[f], old[f], row[f], note)
                )
            else:
                others.append(f)
        if others:
            note = f"changed by import: {', '.join(others)}; {self.ctx.note}"
            steps.append(self._step(old["id"], self.ctx.now, "import", None, None, note))
        return steps

    def _step(self, hazard_id: int, at: dt.datetime, kind: str, old: object, new: object, note: str) -> dict:
        return {
            "hazard_id": hazard_id,
            "at": at,
            "kind": kind,
            "actor": self.ctx.actor,
            "old_value": _history_text(old),
            "new_value": _history_text(new),
            "note": note,
        }


def _history_text(value: object) -> str | None:
    return None if value is None else str(value)[:HISTORY_TEXT]


def write_villages(ctx: Context, features: list[geo.VillageFeature]) -> Outcome:
    """Insert or update villages by name from a boundary file."""
    _lock_for_writing(ctx)
    outcome = Outcome()
    table = Village.__table__
    existing = {r.name: r._mapping for r in ctx.conn.execute(select(table))}
    new, changed = [], []
    for feature in features:
        values = {
            "name": feature.name,
            "boundary": feature.boundary,
            "center_lat": feature.center_lat,
            "center_lon": feature.center_lon,
            "is_demo": False,
        }
        for optional in ("work_area", "town", "in_micro_centre"):
            if getattr(feature, optional) is not None:  # a property the file lacks leaves the stored value
                values[optional] = getattr(feature, optional)
        old = existing.get(feature.name)
        if old is None:
            new.append({"work_area": None, "town": None, **_insert_defaults(table, values), **values})
        elif any(old[k] != v for k, v in values.items()):
            changed.append((old["id"], values))
    outcome.inserted, outcome.updated = len(new), len(changed)
    outcome.unchanged = len(features) - len(new) - len(changed)
    if not ctx.dry_run:
        if new:
            _insert(ctx.conn, table, {name: [row[name] for row in new] for name in new[0]})
        for village_id, values in changed:
            ctx.conn.execute(update(table).where(table.c.id == village_id).values(values))
    if ctx.progress:
        ctx.progress(len(features), len(features))
    return outcome
