"""Rows read from the database, kept while the database is unchanged.

The hot reads (the bearer check, eligibility) ask the same questions all day while the answers
change only when someone writes. A `ReadCache` keeps answers stamped with the database's change
counter and drops them all the moment it moves, so a cached answer is never older than the last
commit by anyone: another request, another process, the CLI. Where no cheap change counter
exists the cache is off and every read goes to the database.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: What `get` returns for a key it does not hold (None is a value worth caching: "not found").
MISSING: object = object()


class ReadCache(Generic[K, V]):
    """A bounded map valid for one database version; the oldest entries go first when full."""

    def __init__(self, version: Callable[[], int | None], limit: int) -> None:
        self._version_of_db = version
        self._limit = limit
        self._version: int | None = None
        self._entries: dict[K, V] = {}

    def snapshot(self) -> int | None:
        """The database's version now (None: caching is off); entries of older ones are gone."""
        version = self._version_of_db() if self._limit > 0 else None
        if version != self._version:
            self._entries.clear()
            self._version = version
        return version

    def get(self, key: K) -> V | object:
        return self._entries.get(key, MISSING) if self._version is not None else MISSING

    def put(self, version: int | None, key: K, value: V) -> None:
        """Keep `value`, read at `version`, unless the database has moved on since."""
        if version is None or version != self._version:
            return
        if len(self._entries) >= self._limit and key not in self._entries:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = value

    def __len__(self) -> int:
        return len(self._entries)
