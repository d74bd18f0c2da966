"""Finding clear personal values (names, ID numbers, phones) in what a page shows or sends, in
one pass over the text rather than one search per value.

A name is a run of Chinese characters, an ID number or a phone a run of digits (an ID number may
end in X). Wherever such a value occurs in a text, it lies inside one maximal run of its kind of
characters, so each run is cut into every window of the values' lengths and the windows are
looked up in a set. That finds exactly what `value in text` finds for every value, in time that
grows with the text, not with text × values (13,000-odd demo values against a page's megabytes).
Values of any other shape are few and are searched for one by one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KINDS = (re.compile(f"[{HAN}]+"), re.compile(r"[0-9Xx]+"))


class LeakCheck:
    """The clear values to look for; `found_in(...)` lists those that occur in any text given."""

    def __init__(self, values: Iterable[str]):
        self.values = sorted({v for v in values if v})
        # One (run pattern, values of that kind, their lengths) per kind of characters.
        self._kinds = []
        claimed: set[str] = set()
        for pattern in _KINDS:
            mine = {v for v in self.values if pattern.fullmatch(v)}
            claimed |= mine
            self._kinds.append((pattern, mine, sorted({len(v) for v in mine})))
        self._others = [v for v in self.values if v not in claimed]

    def __len__(self) -> int:
        return len(self.values)

    def found_in(self, *texts: str | bytes) -> list[str]:
        """The values that occur in any of `texts` (bytes are read as UTF-8), sorted."""
        found: set[str] = set()
        for text in texts:
            if isinstance(text, bytes):
                # An invalid byte never swallows the valid character after it, so every value
                # encoded in the bytes survives the decoding.
                text = text.decode("utf-8", errors="replace")
            for pattern, values, lengths in self._kinds:
                for run in pattern.findall(text):
                    for n in lengths:
                        if n <= len(run):
                            found |= values.intersection(run[i:i + n] for i in range(len(run) - n + 1))
            found.update(v for v in self._others if v in text)
        return sorted(found)
