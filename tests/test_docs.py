"""The README keeps up with the code: every setting is documented, every label translated."""

import tomllib
from pathlib import Path

from data_access.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent


def test_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert not missing, f"settings not in README.md: {missing}"


def test_readme_starts_with_the_two_commands():
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:1500]
    assert "scripts/setup.sh run" in head and "scripts/setup.sh test" in head


def test_every_label_has_both_languages():
    with (ROOT / "assets" / "i18n.toml").open("rb") as f:
        labels = tomllib.load(f)["labels"]
    incomplete = [key for key, text in labels.items() if set(text) != {"zh", "en"} or not all(text.values())]
    assert not incomplete, incomplete


def test_every_label_the_code_uses_exists():
    import re

    with (ROOT / "assets" / "i18n.toml").open("rb") as f:
        labels = tomllib.load(f)["labels"]
    used = set()
    for path in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""", path.read_text(encoding="utf-8")))
    assert not used - set(labels), sorted(used - set(labels))


def test_the_run_command_starts_the_watcher_beside_the_dashboard():
    """Issue 17: `scripts/setup.sh run` starts `data_access watch` in the background before the
    dashboard, stops both together, and the README says so and gives the watcher's unit file."""
    script = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    run = script[script.index("    run)"):script.index("    test)")]
    watcher, dashboard = run.index('-m data_access watch &'), run.index("-m streamlit run app.py")
    assert watcher < dashboard and 'kill "$app" "$watcher"' in run
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "the early-warning watcher\n(`.venv/bin/python -m data_access watch`" in readme
    assert "ExecStart=/opt/huajie-dashboard/.venv/bin/python -m data_access watch" in readme
