"""Built once, sent many times: a map's HTML and a chart's spec, kept by what they draw.

A warm rerun of a view (the wall's every refresh, a leader's every click) asks the data cache
for the same frames and used to build the same folium map and the same Altair chart again:
rendering a map's templates, validating a chart's schema, about two thirds of the server's time
per rerun (benchmarks/load.py --server-time; the README's "Many people at once"). Here the
result is kept under a fingerprint of everything it is drawn from (the frames' contents, the
labels, the language, the screen's unit, the builder and its arguments), so new data, another
filter or another language is another entry, and the same data is the same entry for every
session. Entries are few and small (a map's HTML is at most about 1 MB, see README's city
scale) and the least recently used go first.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
import types
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

MAP_ENTRIES = 48  # maps: the boards of a wall or two and the views under the filters in use
CHART_ENTRIES = 512  # chart specs: a few KB each
TABLE_ENTRIES = 128  # tables as shown: at most a few hundred rows each (the lists have limits)


def fingerprint(*parts: Any) -> str:
    """A digest of `parts`: frames and arrays by their pickled bytes; mappings, sequences
    and callables (their code, defaults and the values they close over) by their contents;
    anything else by repr."""
    digest = hashlib.blake2b(digest_size=16)
    _feed(digest, parts)
    return digest.hexdigest()


def _feed(digest, value: Any) -> None:
    if isinstance(value, (pd.DataFrame, pd.Series, pd.Index, np.ndarray)):
        # Pickled: its values, index, columns and dtypes, fifty times faster than hashing
        # them with pandas (a frame built another way may pickle otherwise: only a miss).
        digest.update(b"P")
        digest.update(pickle.dumps(value, protocol=5))
    elif isinstance(value, dict):
        digest.update(b"D")
        for key, item in value.items():
            _feed(digest, key)
            _feed(digest, item)
    elif isinstance(value, (list, tuple)):
        digest.update(b"L" if isinstance(value, list) else b"T")
        digest.update(str(len(value)).encode())
        for item in value:
            _feed(digest, item)
    elif callable(value) and hasattr(value, "__code__"):
        code = value.__code__
        digest.update(b"C")
        digest.update(f"{code.co_filename}:{code.co_firstlineno}:{code.co_name}".encode())
        digest.update(code.co_code)
        _feed(digest, value.__defaults__ or ())
        _feed(digest, value.__kwdefaults__ or {})
        _feed(digest, tuple(_shallow(cell.cell_contents) for cell in (value.__closure__ or ())))
        # A lambda written at a page's top level reads the page's variables as globals.
        names = value.__globals__.keys() & _names(code)
        _feed(digest, tuple((name, _shallow(value.__globals__[name])) for name in sorted(names)))
    else:
        digest.update(b"R")
        digest.update(repr(value).encode())
        digest.update(b"\x00")


def _names(code) -> set[str]:
    """The global names `code` and the functions defined inside it read."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


def _shallow(value: Any) -> Any:
    """A value to fingerprint: a module or function by its name only (they stay the same within a
    process, and a function may name itself), anything else as it is."""
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__}"
    if callable(value) and not hasattr(value, "__code__") or isinstance(value, type):
        return f"callable {getattr(value, '__module__', '')}.{getattr(value, '__qualname__', repr(value))}"
    if callable(value):
        code = value.__code__
        return (f"function {code.co_filename}:{code.co_firstlineno}", value.__defaults__ or ())
    return value


class Memo:
    """A small thread-safe LRU map: `get_or_build(key, build)` builds once per key. Sessions that
    ask for a key while it is being built wait for that build (walls rotate together: twenty
    of them reach a new board in the same second) rather than build it too."""

    def __init__(self, entries: int):
        self.entries = entries
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self.builds = 0  # how many times build ran (the tests read it)

    def get_or_build(self, key: Hashable, build: Callable[[], Any]) -> Any:
        while True:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
                building = self._building.get(key)
                if building is None:  # this thread builds it
                    building = self._building[key] = threading.Lock()
                    building.acquire()
                    break
            with building:  # another thread builds it: wait, then look again
                pass
        try:
            value = build()
            with self._lock:
                self.builds += 1
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.entries:
                    self._items.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._building[key]
            building.release()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


maps = Memo(MAP_ENTRIES)
charts = Memo(CHART_ENTRIES)
tables = Memo(TABLE_ENTRIES)
