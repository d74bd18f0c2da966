"""A large import into a SQLite file while readers query the same file: nobody sees
'database is locked', and the readers see either none or all of the import (one transaction)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select, update

from data_access import schema
from data_access.db import get_engine
from data_access.importing import import_file
from data_access.models import Alert, Village

from ..import_support import base_row, csv_bytes, load_sample_villages

ROWS = 50_000
READERS = 3


def test_a_large_import_while_three_readers_query_the_same_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    importer = get_engine(url)
    schema.upgrade(importer)
    load_sample_villages(importer)
    data = csv_bytes(
        [
            {**base_row("alerts", n), "received_at": f"2026-0{1 + n % 9}-1{n % 10} 0{n % 10}:00:00"}
            for n in range(ROWS)
        ]
    )
    done = threading.Event()
    seen: list[set[int]] = [set() for _ in range(READERS)]
    errors: list[BaseException] = []

    def read(k: int) -> None:
        engine = get_engine(url)  # the app's engine: one per URL per process, shared by its threads
        try:
            while not done.is_set():
                with engine.connect() as conn:
                    seen[k].add(conn.execute(select(func.count()).select_from(Alert)).scalar_one())
                    conn.execute(
                        select(Village.name, func.count(Alert.id))
                        .join(Alert, isouter=True)
                        .group_by(Village.name)
                    ).all()
                time.sleep(0.01)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(k,)) for k in range(READERS)]
    for t in threads:
        t.start()
    try:
        report = import_file(importer, "alerts", data, filename="alerts.csv")
    finally:
        done.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors
    assert report.ok and report.inserted == ROWS
    assert all(s <= {0, ROWS} and 0 in s for s in seen), seen  # never a part of the import
    with importer.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Alert)).scalar_one() == ROWS
    importer.dispose()


def test_an_import_and_another_writer_take_turns(tmp_path):
    """The app changes a village while a file is imported: each waits for the other, neither fails."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = get_engine(url)
    schema.upgrade(engine)
    load_sample_villages(engine)
    data = csv_bytes([base_row("alerts", n) for n in range(20_000)])
    done = threading.Event()
    errors: list[BaseException] = []
    writes = []

    def write() -> None:
        try:
            while not done.is_set():
                with engine.begin() as conn:
                    conn.execute(
                        update(Village).where(Village.name == "桃源村").values(town=f"花街镇{len(writes)}")
                    )
                writes.append(1)
                time.sleep(0.005)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.05)
    try:
        report = import_file(engine, "alerts", data, filename="alerts.csv")
    finally:
        done.set()
        writer.join(timeout=30)
    assert not errors, errors
    assert report.ok and report.inserted == 20_000 and writes
    engine.dispose()
