"""SQLite's change counter as the read caches see it: per request, one moment."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from vetting.db import Database


async def _commit_a_row(database: Database, value: int) -> None:
    async with database.transaction() as session:
        await session.execute(text("INSERT INTO t VALUES (:v)"), {"v": value})


async def test_a_pinned_request_reads_the_counter_once_until_it_commits(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'versions.db'}"
    here, elsewhere, third = Database(url), Database(url), Database(url)
    try:
        async with here.transaction() as session:
            await session.execute(text("CREATE TABLE t (v INTEGER)"))
        unpinned = here.data_version()
        await _commit_a_row(elsewhere, 1)
        assert here.data_version() != unpinned, "an unpinned read sees every commit"

        pinned = here.pin_version()
        try:
            seen = here.data_version()
            await _commit_a_row(elsewhere, 2)
            assert here.data_version() == seen, "one request, one moment"
            before = elsewhere.data_version()
            await _commit_a_row(third, 5)
            assert elsewhere.data_version() != before, "the pin belongs to its own database"
            await _commit_a_row(here, 3)
            assert here.data_version() != seen, "its own commit is seen at once"
        finally:
            here.unpin(pinned)
        after = here.data_version()
        await _commit_a_row(elsewhere, 4)
        assert here.data_version() != after, "after the request, every commit is seen again"
    finally:
        for database in (here, elsewhere, third):
            await database.dispose()


async def test_an_in_memory_database_has_no_counter_pinned_or_not() -> None:
    memory = Database("sqlite+aiosqlite:///:memory:")
    try:
        pinned = memory.pin_version()
        assert memory.data_version() is None
        memory.unpin(pinned)
    finally:
        await memory.dispose()
