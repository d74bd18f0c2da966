"""Files from assets/ that the UI draws with, each read once per process."""

from __future__ import annotations

import functools
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"


@functools.cache
def stylesheet(name: str) -> str:
    """assets/`name` (a CSS file) as a <style> element, ready for st.html or a map's header."""
    return f"<style>\n{(ASSETS / name).read_text(encoding='utf-8')}</style>"
