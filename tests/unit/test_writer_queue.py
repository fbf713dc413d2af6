"""SQLite's writers of one process take turns on an asyncio lock (not in SQLite's sleeping
busy handler): one at a time, in arrival order; a task may open a writer inside its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from vetting.db import Database


async def test_writers_of_one_process_take_turns_and_readers_do_not_wait(
        tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}")
    inside, most, order = 0, 0, []
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE t (v INTEGER)"))

        async def write(value: int) -> None:
            nonlocal inside, most
            async with database.transaction() as session:
                inside += 1
                most = max(most, inside)
                order.append(value)
                await session.execute(text("INSERT INTO t VALUES (:v)"), {"v": value})
                await asyncio.sleep(0.01)  # others arrive meanwhile
                inside -= 1

        async def read_while_written() -> int:
            await asyncio.sleep(0.005)
            async with database.transaction(read_only=True) as session:
                return int((await session.execute(text("SELECT count(*) FROM t"))).scalar_one())

        *_, seen = await asyncio.gather(*(write(n) for n in range(6)), read_while_written())
        assert most == 1, "never two writers at once"
        assert order == list(range(6)), "in arrival order"
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
