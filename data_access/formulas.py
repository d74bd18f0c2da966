"""Text that a spreadsheet would read as a formula (CSV injection, OWASP): `=HYPERLINK(…)` in an
imported cell must not become a live link, or `+cmd|…` a command, in the file a user opens in Excel.

Every CSV the app writes, and every table a page shows (Streamlit's table download writes the
cells as shown), passes its text through `csv_safe`: OWASP's rule puts a ' before a text that
starts with = + - @, a tab or a carriage return. A plain signed number (-5, +17.34%) is left as it
is: Excel reads it as a number, never as a formula. The .xlsx exports write text as text cells
instead, which Excel never evaluates (reports.hazard_list). The database keeps the text as given.
"""

from __future__ import annotations

import re

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9,]*(?:\.[0-9]+)?%?")


def starts_a_formula(text: str) -> bool:
    """True when a spreadsheet opening `text` from a CSV could take it for a formula."""
    return text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text)


def csv_safe(value):
    """`value` for a CSV cell: a text that could start a formula gets a leading '; anything else
    is returned unchanged."""
    return "'" + value if isinstance(value, str) and starts_a_formula(value) else value


def csv_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with every text cell through csv_safe (a copy when something changed)."""
    out = df
    for position in range(df.shape[1]):
        values = df.iloc[:, position]
        if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
            continue
        if any(isinstance(v, str) and starts_a_formula(v) for v in values):
            out = out.copy() if out is df else out
            out.iloc[:, position] = [csv_safe(v) for v in values]
    return out
