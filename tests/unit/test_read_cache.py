"""The read cache: answers live exactly as long as the database version they were read at."""

from __future__ import annotations

from vetting.read_cache import MISSING, ReadCache


class Versions:
    """A stand-in for the database's change counter."""

    def __init__(self) -> None:
        self.value: int | None = 1

    def __call__(self) -> int | None:
        return self.value


def test_a_value_is_served_until_the_database_moves() -> None:
    versions = Versions()
    cache: ReadCache[str, int] = ReadCache(versions, limit=10)
    version = cache.snapshot()
    cache.put(version, "a", 1)
    assert cache.snapshot() == 1 and cache.get("a") == 1
    versions.value = 2
    assert cache.snapshot() == 2
    assert cache.get("a") is MISSING and len(cache) == 0


def test_a_value_read_before_a_commit_is_not_kept_after_it() -> None:
    versions = Versions()
    cache: ReadCache[str, int] = ReadCache(versions, limit=10)
    read_at = cache.snapshot()
    versions.value = 2  # someone commits while the rows are being read
    cache.snapshot()
    cache.put(read_at, "a", 1)
    assert cache.get("a") is MISSING


def test_none_is_a_value_but_an_unknown_version_turns_caching_off() -> None:
    versions = Versions()
    cache: ReadCache[str, int | None] = ReadCache(versions, limit=10)
    cache.put(cache.snapshot(), "gone", None)
    assert cache.get("gone") is None
    versions.value = None
    assert cache.snapshot() is None
    cache.put(None, "a", 1)
    assert cache.get("a") is MISSING and cache.get("gone") is MISSING


def test_a_zero_limit_keeps_nothing_and_a_full_cache_drops_its_oldest() -> None:
    off: ReadCache[str, int] = ReadCache(Versions(), limit=0)
    off.put(off.snapshot(), "a", 1)
    assert off.get("a") is MISSING
    cache: ReadCache[str, int] = ReadCache(Versions(), limit=2)
    version = cache.snapshot()
    for key, value in (("a", 1), ("b", 2), ("c", 3)):
        cache.put(version, key, value)
    assert cache.get("a") is MISSING and cache.get("b") == 2 and cache.get("c") == 3
    cache.put(version, "b", 20)  # replacing a key evicts nothing
    assert len(cache) == 2 and cache.get("c") == 3
