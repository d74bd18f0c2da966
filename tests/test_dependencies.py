"""Every package the code imports is declared, and the lock files pin what the requirements ask.

A fresh machine has only what requirements*.txt name (installed from the .lock files), so an
import that works here because some other package brought it along would fail there."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCKED = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", re.MULTILINE)


def deptry(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deptry", *args, "--no-ansi"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def first_party(*names: str) -> list[str]:
    return [arg for name in names for arg in ("--known-first-party", name)]


def test_the_app_imports_only_packages_that_requirements_txt_names():
    result = deptry(".")  # settings in pyproject.toml [tool.deptry]
    assert result.returncode == 0, result.stdout + result.stderr


def test_tests_and_benchmarks_import_only_packages_that_the_test_requirements_name():
    result = deptry("tests", "benchmarks", "--requirements-files", "requirements-test.txt",
                    "--exclude", r"\.venv", *first_party("data_access", "ui", "deploy", "tests", "benchmarks"),
                    "--ignore", "DEP002")  # the runtime's packages are there for the app, not for tests
    assert result.returncode == 0, result.stdout + result.stderr


def _requirements(path: Path) -> list[Requirement]:
    found = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += _requirements(path.parent / line[3:].strip())
        elif line:
            found.append(Requirement(line))
    return found


@pytest.mark.parametrize(("requirements", "lock"), [("requirements.txt", "requirements.lock"),
                                                    ("requirements-test.txt", "requirements-test.lock")])
def test_the_lock_file_pins_a_version_of_each_requirement_that_it_allows(requirements, lock):
    pinned: dict[str, set[str]] = {}
    for name, version in LOCKED.findall((ROOT / lock).read_text()):
        pinned.setdefault(canonicalize_name(name), set()).add(version)
    for requirement in _requirements(ROOT / requirements):
        versions = pinned.get(canonicalize_name(requirement.name), set())
        assert versions, f"{requirement.name} is not in {lock}: run `bash scripts/setup.sh lock`"
        assert all(requirement.specifier.contains(v, prereleases=True) for v in versions), (
            f"{lock} pins {requirement.name} {versions}, outside {requirement.specifier}: "
            "run `bash scripts/setup.sh lock`")


def test_the_code_has_no_undefined_name_or_unused_import():
    """ruff's correctness rules (pyflakes): a name lost in a move fails here, not in production."""
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "F", "--no-cache",
                             "app.py", "pages", "ui", "data_access", "scripts", "benchmarks", "tests"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
