"""The read cache: an answer lives until something it was read from changes."""

from __future__ import annotations

from vetting.changes import ChangeFeed
from vetting.read_cache import MISSING, RECENT_CHANGES, ReadCache


class Feed(ChangeFeed):
    """A stand-in for the database's change signal."""

    def __init__(self) -> None:
        super().__init__()
        self.up = True

    async def _catch_up(self) -> bool:
        return self.up

    def commit(self, *keys: str) -> None:
        self._publish(frozenset(keys))


async def test_a_value_is_served_until_what_it_depends_on_changes() -> None:
    feed = Feed()
    cache: ReadCache[str, int] = ReadCache(feed, limit=10)
    stamp = await cache.snapshot()
    cache.put(stamp, "a", 1, depends_on=("worker:a",))
    cache.put(stamp, "b", 2, depends_on=("worker:b",))
    feed.commit("worker:b", "route:r")
    assert await cache.snapshot() is not None
    assert cache.get("a") == 1, "a change to another worker leaves it alone"
    assert cache.get("b") is MISSING and len(cache) == 1


async def test_everything_goes_on_a_change_to_everything() -> None:
    feed = Feed()
    cache: ReadCache[str, int] = ReadCache(feed, limit=10)
    cache.put(await cache.snapshot(), "a", 1, depends_on=("worker:a",))
    feed.commit("*")
    assert cache.get("a") is MISSING and len(cache) == 0


async def test_a_value_read_before_its_change_is_not_kept_after_it() -> None:
    feed = Feed()
    cache: ReadCache[str, int] = ReadCache(feed, limit=10)
    read_at = await cache.snapshot()
    feed.commit("worker:a")  # someone commits while the rows are being read
    feed.commit("worker:c")
    cache.put(read_at, "a", 1, depends_on=("worker:a",))
    cache.put(read_at, "b", 2, depends_on=("worker:b",))
    assert cache.get("a") is MISSING, "stale: its worker changed since the read began"
    assert cache.get("b") == 2, "other workers' changes do not spoil it"


async def test_a_read_older_than_the_remembered_changes_is_not_kept() -> None:
    feed = Feed()
    cache: ReadCache[str, int] = ReadCache(feed, limit=10)
    read_at = await cache.snapshot()
    for n in range(RECENT_CHANGES + 1):
        feed.commit(f"worker:{n}")
    cache.put(read_at, "a", 1, depends_on=("worker:a",))
    assert cache.get("a") is MISSING


async def test_none_is_a_value_but_a_feed_that_cannot_vouch_turns_caching_off() -> None:
    feed = Feed()
    cache: ReadCache[str, int | None] = ReadCache(feed, limit=10)
    cache.put(await cache.snapshot(), "gone", None, depends_on=("worker:gone",))
    assert cache.get("gone") is None
    feed.up = False
    assert await cache.snapshot() is None
    cache.put(None, "a", 1, depends_on=("worker:a",))
    assert cache.get("a") is MISSING and cache.get("gone") is MISSING


async def test_a_zero_limit_keeps_nothing_and_a_full_cache_drops_its_oldest() -> None:
    off: ReadCache[str, int] = ReadCache(Feed(), limit=0)
    off.put(await off.snapshot(), "a", 1, depends_on=())
    assert off.get("a") is MISSING
    feed = Feed()
    cache: ReadCache[str, int] = ReadCache(feed, limit=2)
    stamp = await cache.snapshot()
    for key, value in (("a", 1), ("b", 2), ("c", 3)):
        cache.put(stamp, key, value, depends_on=(f"worker:{key}",))
    assert cache.get("a") is MISSING and cache.get("b") == 2 and cache.get("c") == 3
    cache.put(stamp, "b", 20, depends_on=("worker:b",))  # replacing a key evicts nothing
    assert len(cache) == 2 and cache.get("c") == 3
    feed.commit("worker:a")  # an evicted entry's change finds nothing to drop
    feed.commit("worker:b")
    assert cache.get("b") is MISSING and cache.get("c") == 3
