"""The command line as a user runs it: exit codes, one-line errors, the KPI object.

The commands run in this process (`data_access.cli.main`, what `python -m data_access` calls),
with DATABASE_URL set for the test; one smoke test runs the real `python -m data_access`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass

import pytest

from data_access import formats
from data_access.cli import main
from data_access.cli.shared import EXIT_BAD_INPUT

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(monkeypatch, capsys):
    """`run(*args, url=...)`: the command `python -m data_access ARGS` on the database at `url`."""

    def run(*args: str, url: str) -> Result:
        monkeypatch.setenv("DATABASE_URL", url)
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse's --help
            code = exit.code
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def assert_one_line_error(result: Result | subprocess.CompletedProcess, code: int, fragment: str) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_help_lists_the_commands(run, url):
    result = run("--help", url=url)
    assert result.returncode == 0
    for command in ("init", "demo", "kpis", "import"):
        assert command in result.stdout


def test_kpis_json_has_the_documented_shape(run, url):
    assert run("init", url=url).returncode == 0
    result = run("kpis", "--json", "--from", "2026-07-01", "--to", "2026-09-30", url=url)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["period"] == {"from": "2026-07-01", "to": "2026-09-30"}
    assert set(figures["events"]) == {"new", "closed", "on_time", "dispatched", "closure_rate",
                                      "on_time_rate", "transfer_rate"}
    assert set(figures["alerts"]) == {"effective", "effective_prev_year", "effective_yoy", "cases",
                                      "cases_prev_year", "cases_yoy"}
    assert set(figures["hazards"]) == {"found", "open", "overdue", "due_soon", "resolved", "enterprises_shut"}
    assert set(figures["population"]) == {"residents", "arrivals", "departures", "anomalies", "anomalies_by_kind"}
    assert set(figures["zero_days"]) == {"civil_to_criminal", "major_accident", "telecom_fraud"}
    assert figures["events"]["closure_rate"] is None  # empty database: no denominator


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("kpis", "--from", "2026-13-01"), 2, "not a date"),
        (("kpis", "--from", "2026-03-02", "--to", "2026-03-01"), 1, "before it starts"),
        (("kpis", "--village", "不存在村"), 1, "unknown village: 不存在村"),
        (("frobnicate",), 2, "invalid choice"),
        (("demo", "--scale", "galaxy"), 2, "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(run, url, args, code, fragment):
    assert run("init", url=url).returncode == 0
    assert_one_line_error(run(*args, url=url), code, fragment)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_database_is_one_line(run):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/nowhere"
    assert_one_line_error(run("kpis", url=url), 2, "database")


def test_uninitialised_database_says_what_to_do(run, tmp_path):
    result = run("kpis", url=f"sqlite:///{tmp_path / 'new.db'}")
    assert_one_line_error(result, 2, "python -m data_access init")


def test_python_m_data_access_passes_on_the_exit_code_and_the_one_line_error(run, tmp_path):
    """The real `python -m data_access`, once; every other test calls the same main() in this process."""
    url = f"sqlite:///{tmp_path / 'smoke.db'}"
    assert run("init", url=url).returncode == 0
    result = subprocess.run([sys.executable, "-m", "data_access", "user", "disable", "nobody"],
                            capture_output=True, text=True, env={**os.environ, "DATABASE_URL": url},
                            cwd=PROJECT, timeout=120)
    assert_one_line_error(result, EXIT_BAD_INPUT, "nobody")


def test_rates_and_changes_read_as_in_the_views():
    assert formats.rate(None) == formats.change(None) == "—"
    assert formats.change(-0.17) == "-17.00%" and formats.change(0.05) == "+5.00%"
    assert formats.rate(0.99920) == "99.92%"

