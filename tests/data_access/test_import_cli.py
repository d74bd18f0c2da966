"""`python -m data_access import KIND FILE …`: exit codes 0 / 1 / 2, the summary on stdout, the
rejected rows on stderr and in --errors, in this process (tests/data_access/test_cli.py runs the real
`python -m data_access` once)."""

from __future__ import annotations

import argparse

import pytest
from sqlalchemy import func, select

from data_access.cli.main import build_parser, main
from data_access.db import get_engine
from data_access.models import Alert

from ..import_support import SAMPLES, base_row, csv_bytes


@pytest.fixture
def import_command(monkeypatch, capsys):
    """`import_command(url, *args)`: `python -m data_access import ARGS` on the database at `url`,
    in this process; (exit code, stdout, stderr)."""

    def run(url: str, *args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_URL", url)
        capsys.readouterr()
        code = main(["import", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_exit_codes_through_the_command(tmp_path, import_command):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    code, out, err = import_command(url, "villages", str(SAMPLES / "villages.geojson"))
    assert code == 0, err
    assert out.startswith("villages villages.geojson: 4 features read: 4 inserted")

    bad = tmp_path / "alerts.csv"
    bad.write_bytes(csv_bytes([base_row("alerts", 1), {**base_row("alerts", 2), "village": "无名村"}]))
    errors = tmp_path / "errors.csv"
    code, out, err = import_command(url, "alerts", str(bad), "--errors", str(errors))
    assert code == 1
    assert "1 inserted" in out and "1 rejected" in out
    assert "row 3, village '无名村': unknown village" in err
    assert (
        errors.read_bytes().decode("utf-8-sig").splitlines()[1]
        == "3,village,无名村,unknown village: not in the village list"
    )

    unusable = tmp_path / "alerts.xls"
    unusable.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64))
    code, out, err = import_command(url, "alerts", str(unusable))
    assert code == 2 and out == "" and ".xls" in err

    with get_engine(url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(Alert)).scalar_one() == 1


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["import", *argv])


@pytest.fixture
def database_url(databases, backend, monkeypatch) -> str:
    url = databases.new_url(backend)  # a new, empty database: the command initialises it itself
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_the_command_in_process(database_url, tmp_path, capsys):
    args = _args("villages", str(SAMPLES / "villages.geojson"))
    assert args.func(args) == 0
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes([base_row("alerts", 1), {**base_row("alerts", 2), "effective": "?"}]))
    args = _args("alerts", str(path), "--dry-run", "--actor", "测试")
    assert args.func(args) == 1
    out, err = capsys.readouterr()
    assert "dry run: nothing was written" in out and "row 3, effective '?'" in err
    with get_engine(database_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(Alert)).scalar_one() == 0
    args = _args("alerts", str(tmp_path / "missing.csv"))
    assert args.func(args) == 2
    assert "no such file" in capsys.readouterr().err
    get_engine(database_url).dispose()
