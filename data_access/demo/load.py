"""Bulk writing of demo rows inside the caller's transaction, and removing earlier demo rows.

SQLite gets the driver's executemany in large chunks; PostgreSQL gets COPY … FROM STDIN
through psycopg. Both run on the driver connection under the caller's SQLAlchemy
transaction, so a failure leaves nothing behind.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from psycopg import sql as pgsql
from sqlalchemy import Column, Connection, Table, delete, exists, func, insert, select, text
from sqlalchemy.schema import AddConstraint, DropConstraint
from tqdm import tqdm

from ..models import RECORD_TABLES, Base, Grid, Hazard, HazardHistory, NotifyDelivery, NotifyWarning, Village

Columns = dict[str, np.ndarray]

CHUNK_ROWS = 50_000
SQLITE_TIME_SUFFIX = ".000000"  # SQLAlchemy stores SQLite datetimes with microseconds; text compares


def demo_tables() -> list[Table]:
    """The tables the demo writes rows with is_demo into, parents first (not user accounts)."""
    mine = {model.__table__ for model in (Village, Grid, *RECORD_TABLES)}
    return [t for t in Base.metadata.sorted_tables if t in mine]


def written_tables() -> list[Table]:
    """Every table the demo writes, parents first."""
    mine = set(demo_tables()) | {HazardHistory.__table__}
    return [t for t in Base.metadata.sorted_tables if t in mine]


def has_non_demo(conn: Connection) -> bool:
    """Whether any table holds a row that is not demo data."""
    for table in demo_tables():
        if conn.execute(select(table.c.id).where(table.c.is_demo.is_(False)).limit(1)).first():
            return True
    return False


def _references(table: Table) -> list[Column]:
    """The foreign-key columns, in any table, that point at `table`."""
    return [
        fk.parent
        for other in Base.metadata.tables.values()
        for fk in other.foreign_keys
        if fk.column.table is table
    ]


def delete_demo(conn: Connection) -> None:
    """Delete the demo rows, children first; a demo row that real rows still point at stays."""
    if not has_non_demo(conn):
        _wipe(conn)
        return
    demo_hazards = select(Hazard.id).where(Hazard.is_demo.is_(True))
    conn.execute(delete(HazardHistory).where(HazardHistory.hazard_id.in_(demo_hazards)))
    for table in reversed(demo_tables()):
        condition = table.c.is_demo.is_(True)
        for column in _references(table):
            condition = condition & ~exists().where(column == table.c.id)
        conn.execute(delete(table).where(condition))


def _wipe(conn: Connection) -> None:
    """Empty the demo's tables when they hold nothing else (much faster than row by row), and
    forget the warnings about their records (they name records by ids, which start again)."""
    conn.execute(delete(NotifyDelivery))
    conn.execute(delete(NotifyWarning))
    tables = written_tables()
    if conn.dialect.name == "postgresql":
        names = pgsql.SQL(", ").join(pgsql.Identifier(t.name) for t in tables)
        with conn.connection.driver_connection.cursor() as cursor:
            cursor.execute(pgsql.SQL("TRUNCATE {}").format(names))
        return
    for table in reversed(tables):
        conn.execute(delete(table))


def next_id(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def after_load(conn: Connection) -> None:
    """PostgreSQL: move the id sequences past the ids written here, and refresh statistics."""
    if conn.dialect.name != "postgresql":
        return
    for table in written_tables():
        after_max = select(func.coalesce(func.max(table.c.id), 0) + 1).scalar_subquery()
        conn.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"), after_max, False)))
    conn.execute(text("ANALYZE"))


def allow_long_statements(conn: Connection) -> None:
    """PostgreSQL: lift the engine's statement timeout for this transaction (a COPY is long)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL statement_timeout = 0"))


@contextmanager
def bulk_mode(conn: Connection, tables: list[Table]) -> Iterator[None]:
    """Drop the tables' non-unique indexes (and on PostgreSQL their foreign keys) for a bulk
    load and restore them afterwards: building and checking once at the end is much faster
    than row by row. It is all inside the caller's transaction: SQLite readers keep seeing the
    old rows meanwhile; PostgreSQL readers of these tables wait until it commits."""
    indexes = [index for table in tables for index in sorted(table.indexes, key=lambda i: i.name)]
    foreign_keys = []
    if conn.dialect.name == "postgresql":
        foreign_keys = [
            fk for table in tables for fk in sorted(table.foreign_key_constraints, key=lambda c: c.name)
        ]
    for fk in foreign_keys:
        conn.execute(DropConstraint(fk))
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)
    for fk in foreign_keys:
        conn.execute(AddConstraint(fk))


def _time_text(values: np.ndarray, unit: str, suffix: str) -> np.ndarray:
    missing = np.isnat(values)
    textual = np.datetime_as_string(values, unit=unit)
    if unit == "s":
        textual = np.strings.add(np.strings.replace(textual, "T", " "), suffix)
    out = textual.astype(object)
    out[missing] = None
    return out


def _python_values(values: np.ndarray, postgres: bool) -> list:
    """A column as the Python values both drivers take: times as SQLAlchemy's SQLite text
    (which PostgreSQL parses too), NaT as None, booleans as 0/1 for SQLite."""
    if values.dtype.kind == "M":
        return _time_text(values, np.datetime_data(values.dtype)[0], SQLITE_TIME_SUFFIX).tolist()
    if values.dtype.kind == "b" and not postgres:
        # sqlite3 binds exact ints on its fast path; bools would go through adaptation.
        return values.astype(np.int64).tolist()
    return values.tolist()


class BulkWriter:
    """Writes whole columns to tables on one connection and counts the rows."""

    def __init__(self, conn: Connection, bar: tqdm):
        self.conn = conn
        self.driver = conn.connection.driver_connection
        self.postgres = conn.dialect.name == "postgresql"
        self.bar = bar
        self.counts: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()  # time spent writing, per table

    def write(self, table: Table, cols: Columns) -> None:
        """Write the rows given as one array per column; every column of the table is required."""
        names = [c.name for c in table.columns]
        if set(names) != set(cols):
            raise ValueError(f"{table.name}: columns {sorted(set(names) ^ set(cols))} missing or unknown")
        n = len(cols[names[0]])
        started = time.perf_counter()
        for start in range(0, n, CHUNK_ROWS):
            columns = [
                _python_values(np.asarray(cols[name][start : start + CHUNK_ROWS]), self.postgres)
                for name in names
            ]
            rows = list(zip(*columns, strict=True))
            if self.postgres:
                self._copy(table, names, rows)
            else:
                self._insert(table, rows)
            self.bar.update(len(rows))
        self.counts[table.name] += n
        self.seconds[table.name] += time.perf_counter() - started

    def _insert(self, table: Table, rows: list[tuple]) -> None:
        statement = insert(table).compile(dialect=self.conn.dialect).string
        cursor = self.driver.cursor()
        try:
            cursor.executemany(statement, rows)
        finally:
            cursor.close()

    def _copy(self, table: Table, names: list[str], rows: list[tuple]) -> None:
        statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(table.name), pgsql.SQL(", ").join(pgsql.Identifier(n) for n in names)
        )
        with self.driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
