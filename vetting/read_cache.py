"""Rows read from the database, kept until something they were read from changes.

The hot reads (the bearer check, eligibility) ask the same questions all day while the answers
change only when someone writes. A `ReadCache` keeps each answer with the change keys it
depends on (`worker:<id>`, `route:<id>`, `account:<id>`: see `vetting.changes`) and drops it
when the change feed reports one of them, so a cached answer is never older than the last
commit by anyone (another request, another process, the CLI), and HR registering a worker
does not empty what the dispatchers read about the others. Where the feed cannot vouch for
being up to date the cache is off and every read goes to the database.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

from vetting.changes import Changed, ChangeFeed

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: What `get` returns for a key it does not hold (None is a value worth caching: "not found").
MISSING: object = object()

#: How many recent changes a cache remembers, to tell whether a read that began before them
#: may still be kept (a read older than all of them is simply not kept).
RECENT_CHANGES = 1024


class ReadCache(Generic[K, V]):
    """A bounded map whose entries go when their change keys change; the oldest go first
    when it is full."""

    def __init__(self, changes: ChangeFeed, limit: int) -> None:
        self._changes = changes
        self._limit = limit
        self._live = False
        self._entries: dict[K, tuple[V, tuple[str, ...]]] = {}
        # tuples, not sets: a set is always tracked by the cyclic garbage collector, a tuple
        # of keys is not (see `vetting.eligibility.service.Records`)
        self._by_change_key: dict[str, tuple[K, ...]] = {}
        self._stamp = 0  # counts the changes seen
        self._recent: deque[tuple[int, Changed]] = deque(maxlen=RECENT_CHANGES)
        changes.subscribe(self._changed)

    async def snapshot(self) -> int | None:
        """Catch up with every commit acknowledged so far; the stamp to `put` what is read
        next with (None: caching is off, read the database)."""
        self._live = self._limit > 0 and await self._changes.sync()
        return self._stamp if self._live else None

    def get(self, key: K) -> V | object:
        entry = self._entries.get(key) if self._live else None
        return MISSING if entry is None else entry[0]

    def put(self, stamp: int | None, key: K, value: V, depends_on: Iterable[str]) -> None:
        """Keep `value`, read after `snapshot` gave `stamp`, unless what it depends on has
        changed since."""
        keys = tuple(depends_on)
        if stamp is None or not self._unchanged_since(stamp, keys):
            return
        if key in self._entries:
            self._forget(key)
        elif len(self._entries) >= self._limit:
            self._forget(next(iter(self._entries)))
        self._entries[key] = (value, keys)
        for change_key in keys:
            holders = self._by_change_key.get(change_key, ())
            if key not in holders:
                self._by_change_key[change_key] = (*holders, key)

    def _unchanged_since(self, stamp: int, keys: tuple[str, ...]) -> bool:
        if stamp == self._stamp:
            return True
        if not self._recent or self._recent[0][0] > stamp + 1:
            return False  # changes older than those remembered came after the read began
        return not any(n > stamp and (changed is None or changed.intersection(keys))
                       for n, changed in self._recent)

    def _changed(self, changed: Changed) -> None:
        self._stamp += 1
        self._recent.append((self._stamp, changed))
        if changed is None:
            self._entries.clear()
            self._by_change_key.clear()
            return
        for change_key in changed:
            for key in self._by_change_key.pop(change_key, ()):
                self._forget(key)

    def _forget(self, key: K) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for change_key in entry[1]:
            rest = tuple(k for k in self._by_change_key.get(change_key, ()) if k != key)
            if rest:
                self._by_change_key[change_key] = rest
            else:
                self._by_change_key.pop(change_key, None)

    def __len__(self) -> int:
        return len(self._entries)
