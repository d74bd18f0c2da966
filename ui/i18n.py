"""Labels in Chinese (default) and English, from assets/i18n.toml."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

import streamlit as st

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
CATALOGUE = Path(__file__).resolve().parent.parent / "assets" / "i18n.toml"


@lru_cache(maxsize=1)
def catalogue() -> dict:
    with CATALOGUE.open("rb") as f:
        return tomllib.load(f)


def language() -> str:
    return st.session_state.get("lang", DEFAULT_LANGUAGE)


def t(key: str, **values) -> str:
    """The label `key` in the current language, with {placeholders} filled from `values`."""
    text = catalogue()["labels"][key][language()]
    return text.format(**values) if values else text


def has(key: str) -> bool:
    """Whether the catalogue has a label `key` (for optional ones, such as a tile's short label)."""
    return key in catalogue()["labels"]


def tv(value):
    """A data value (stored in Chinese) in the current language; unknown values unchanged."""
    if language() == "zh" or not isinstance(value, str):
        return value
    return catalogue()["values"].get(value, value)
