"""Process-level caches of what immutable rows decode to (a theme version's spec, form,
guidance table, typed definition).

Every such cache in the app is a `ProcessCache`: bounded, guarded by a lock, and keyed by
`version_key` — the database, the row id *and* the content digest. The id alone is unsafe:
one process may talk to two databases (tests, tools), and SQLite hands a rolled-back id out
again. The lock matters because threads of one server build entries at the same moment, and
some builders are not thread-safe (an unguarded lxml XMLSchema build crashed a server).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import inspect

V = TypeVar("V")


class ProcessCache(Generic[V]):
    """A small LRU map whose entries are built once, under a lock, by `build`."""

    def __init__(self, name: str, maxsize: int = 256):
        self.name = name
        self.maxsize = maxsize
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.RLock()

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            # Built while holding the lock: two threads never build the same (or any) entry
            # at once. Builds are rare (once per version per process), so the wait is cheap.
            value = build()
            self._entries[key] = value
            if len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
            return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def version_key(row: Any) -> tuple[str, int, str | None]:
    """A cache key for an immutable row with `id` and `digest`: its database, id and digest."""
    state = inspect(row, raiseerr=False)  # None for a detached stand-in (tests, tools)
    session = state.session if state is not None else None
    bind = session.get_bind() if session is not None else None
    where = bind.engine.url.render_as_string(hide_password=True) if bind is not None else ""
    return (where, row.id, getattr(row, "digest", None))
