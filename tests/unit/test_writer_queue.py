"""SQLite's writers of one process take turns on an asyncio lock (not in SQLite's sleeping
busy handler): one at a time from their BEGIN to their commit; a session that has not begun
holds no one up; a task may open a writer inside its own. A writer holding the lock runs its
statements on the loop's thread, within a budget; what may wait stays on aiosqlite's."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event, text

from vetting import db
from vetting.db import Database


def _no_busy_handler(database: Database) -> None:
    """SQLite's own wait turned off: a writer that found the write lock taken would fail at
    once with "database is locked", so only the queue can keep these writers apart."""
    @event.listens_for(database.engine.sync_engine, "connect")
    def _impatient(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()


async def test_writers_of_one_process_take_turns_and_readers_do_not_wait(
        tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}")
    _no_busy_handler(database)
    inside, most = 0, 0
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE t (v INTEGER)"))

        async def write(value: int) -> None:
            nonlocal inside, most
            async with database.transaction() as session:
                await asyncio.sleep(0)  # a session not begun yet: it holds no turn
                await session.execute(text("INSERT INTO t VALUES (:v)"), {"v": value})
                inside += 1
                most = max(most, inside)
                await asyncio.sleep(0.01)  # others arrive meanwhile
                inside -= 1

        async def read_while_written() -> int:
            await asyncio.sleep(0.005)
            async with database.transaction(read_only=True) as session:
                return int((await session.execute(text("SELECT count(*) FROM t"))).scalar_one())

        *_, seen = await asyncio.gather(*(write(n) for n in range(6)), read_while_written())
        assert most == 1, "never two writers at once"
        assert seen < 6, "a reader does not queue behind the writers"
        async with database.transaction(read_only=True) as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() == 6
    finally:
        await database.dispose()


async def test_a_writer_opened_inside_a_writer_of_the_same_task_does_not_wait(
        tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'nested.db'}")
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE t (v INTEGER)"))
        async with asyncio.timeout(10), database.transaction() as outer:
            async with database.transaction() as inner:  # before the outer one writes
                await inner.execute(text("INSERT INTO t VALUES (1)"))
            await outer.execute(text("INSERT INTO t VALUES (2)"))
        async with database.transaction(read_only=True) as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() == 2
    finally:
        await database.dispose()


async def test_a_session_that_has_not_begun_holds_no_turn(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'idle.db'}")
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE t (v INTEGER)"))
        async with database.transaction():  # made, never used (a sign-in running argon2)
            async def write() -> None:
                async with database.transaction() as other:
                    await other.execute(text("INSERT INTO t VALUES (1)"))
            await asyncio.wait_for(asyncio.create_task(write()), 10)
    finally:
        await database.dispose()


def _thread_probe(database: Database) -> None:
    """`thread_id()` in SQL: the thread a statement ran on."""
    @event.listens_for(database.engine.sync_engine, "connect")
    def _probe(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("thread_id", 0, threading.get_ident)


async def _threads_of(database: Database, *, read_only: bool) -> list[int]:
    async with database.transaction(read_only=read_only) as session:
        return [int((await session.execute(text("SELECT thread_id()"))).scalar_one())
                for _ in range(3)]


async def test_a_writer_runs_its_statements_on_the_loop_once_it_holds_the_lock(
        tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    _thread_probe(database)
    loop_thread = threading.get_ident()
    try:
        assert set(await _threads_of(database, read_only=False)) == {loop_thread}
        reader = await _threads_of(database, read_only=True)
        assert loop_thread not in reader, "a reader's statements stay on aiosqlite's thread"
    finally:
        await database.dispose()


async def test_a_writer_past_its_inline_budget_goes_back_to_the_thread(
        tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'budget.db'}")
    _thread_probe(database)
    slow = text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                "WHERE x < 1000000) SELECT thread_id(), count(*) FROM c")
    try:
        async with database.transaction() as session:
            began = time.perf_counter()
            first, _ = (await session.execute(slow)).one()
            assert time.perf_counter() - began > db.INLINE_WRITE_BUDGET_S
            later = (await session.execute(text("SELECT thread_id()"))).scalar_one()
        assert first == threading.get_ident(), "the budget was not spent yet"
        assert later != threading.get_ident(), "spent: the rest waits on the thread"
    finally:
        await database.dispose()


async def test_a_writer_waiting_for_another_process_lock_does_not_stall_the_loop(
        tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE t (v INTEGER)"))
        other = sqlite3.connect(path, isolation_level=None)  # as another process would
        other.execute("BEGIN IMMEDIATE")
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        async def write() -> None:
            async with database.transaction() as session:
                await session.execute(text("INSERT INTO t VALUES (1)"))

        ticker = asyncio.create_task(tick())
        writer = asyncio.create_task(write())
        await asyncio.sleep(0.3)
        assert not writer.done(), "the writer waits for the other connection's lock"
        assert ticks >= 10, "meanwhile the loop goes on serving others"
        other.execute("COMMIT")
        other.close()
        await asyncio.wait_for(writer, 10)
        ticker.cancel()
        async with database.transaction(read_only=True) as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1
    finally:
        await database.dispose()


def _count_hand_offs(monkeypatch: Any) -> list[str]:
    """The calls aiosqlite hands to its thread, by name, from now on."""
    names: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        names.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return names


async def test_a_writer_hands_only_its_commit_to_the_thread(tmp_path: Path,
                                                            monkeypatch: Any) -> None:
    """The BEGIN IMMEDIATE of a writer that finds the lock free runs on the loop, as do its
    statements: the COMMIT (its fsync) is the one call that waits on aiosqlite's thread."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'hand-offs.db'}")
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE t (v INTEGER)"))
        hand_offs = _count_hand_offs(monkeypatch)
        async with database.transaction() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
        assert hand_offs == ["commit"]
    finally:
        await database.dispose()


async def test_a_writer_keeps_its_connections_busy_timeout(tmp_path: Path) -> None:
    """The inline BEGIN is tried with no busy timeout; the connection's own comes back after
    it, or a reader on the thread meeting a locked database would fail at once."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'timeout.db'}")
    try:
        for read_only in (False, True):
            async with database.transaction(read_only=read_only) as session:
                await session.execute(text("SELECT 1"))
                timeout = (await session.execute(text("PRAGMA busy_timeout"))).scalar_one()
                assert timeout == db.SQLITE_BUSY_TIMEOUT_MS
    finally:
        await database.dispose()


async def test_a_writer_that_met_another_process_lock_waits_then_writes(
        tmp_path: Path) -> None:
    """The inline BEGIN found the lock taken: the writer waits for it on the thread with the
    connection's own busy timeout, and writes once the other process lets go."""
    path = tmp_path / "contended.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE t (v INTEGER)"))
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        asyncio.get_running_loop().call_later(0.2, other.execute, "COMMIT")
        began = time.perf_counter()
        async with database.transaction() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            timeout = (await session.execute(text("PRAGMA busy_timeout"))).scalar_one()
        assert time.perf_counter() - began >= 0.2, "it waited for the other's commit"
        assert timeout == db.SQLITE_BUSY_TIMEOUT_MS
        other.close()
        async with database.transaction(read_only=True) as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1
    finally:
        await database.dispose()
