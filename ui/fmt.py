"""How figures read on screen: rates with two decimals, signed changes, '—' for no value."""

from __future__ import annotations

NO_VALUE = "—"


def rate(value: float | None) -> str:
    """0.99920… → '99.92%'; None (a zero denominator) → '—'."""
    return NO_VALUE if value is None else f"{value * 100:.2f}%"


def change(value: float | None) -> str:
    """-0.1734 → '-17.34%', 0.05 → '+5.00%'; None → '—'."""
    return NO_VALUE if value is None else f"{value * 100:+.2f}%"


def count(value: int | None) -> str:
    return NO_VALUE if value is None else f"{value:,}"
