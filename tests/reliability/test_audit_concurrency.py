"""Concurrent writers never share, skip or lose a sequence number.

Appends are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: a row lock on
audit_head). Several OS processes, and several engines in one event loop, append
at once; afterwards the log must be exactly 0..N-1, hold every acknowledged entry
once, and verify.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from vetting.audit.entries import append
from vetting.audit.proofs import log_size
from vetting.audit.verify import verify_log
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import AuditEntry
from vetting.principal import Actor, Context
from vetting.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PYTHON = next((p for p in (ROOT / ".venv/bin/python", Path(sys.executable)) if p.exists()),
              Path(sys.executable))
PER_WRITER = 25
PROCESSES = 4
TASKS = 8
ACTION = "concurrency.test"

WRITER = f'''
import asyncio, os, sys

from sqlalchemy import text

from vetting.audit.entries import append
from vetting.db import Database
from vetting.principal import Actor, Context


async def main() -> None:
    name = sys.argv[1]
    database = Database(os.environ["KT1_DATABASE_URL"])
    actor = Actor(id=name, role="system")
    async with database.transaction(read_only=True) as session:  # connect before the start
        await session.execute(text("SELECT 1"))
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range({PER_WRITER}):
        async with database.transaction() as session:
            entry = await append(session, Context(actor=actor), action="{ACTION}",
                                 object_type="w", object_id=f"{{name}}-{{i}}")
        seq = entry.seq  # numbered as its transaction commits
        print(seq, f"{{name}}-{{i}}", flush=True)
    await database.dispose()


asyncio.run(main())
'''


async def base_size(settings: Settings) -> int:
    database = Database(settings.database_url)
    try:
        async with database.transaction(read_only=True) as s:
            return await log_size(s)
    finally:
        await database.dispose()


async def check_log(settings: Settings, base: int, acked: list[tuple[int, str]],
                    writers: list[str]) -> None:
    """Exactly 0..N-1, each acknowledged append once at its seq, and the tree verifies."""
    seqs = [seq for seq, _ in acked]
    duplicates = [seq for seq, count in Counter(seqs).items() if count > 1]
    assert not duplicates, f"two writers were given the same seq: {duplicates}"
    database = Database(settings.database_url)
    try:
        async with database.transaction(read_only=True) as s:
            entries = list((await s.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all())
            head = await log_size(s)
        n = len(entries)
        assert [e.seq for e in entries] == list(range(n)), "the log has a gap or a duplicate"
        assert head == n
        assert n == base + len(acked) == base + len(writers) * PER_WRITER
        assert sorted(seqs) == list(range(base, n))
        by_seq = {e.seq: e for e in entries}
        for seq, object_id in acked:
            assert by_seq[seq].object_id == object_id, f"seq {seq} holds another entry"
            assert by_seq[seq].actor_id == object_id.rsplit("-", 1)[0]
        for name in writers:  # each writer's own appends keep its order
            mine = [e.seq for e in entries if e.actor_id == name]
            order = [int(str(by_seq[s].object_id).rsplit("-", 1)[1]) for s in mine]
            assert order == list(range(PER_WRITER)), name

        keys = RegistryKeys.open(settings.keys_dir)
        async with database.transaction(read_only=True) as s:
            report = await verify_log(s, audit_jwk=keys.audit_jwk())
        assert report.intact, report.problems
        assert report.size == n
    finally:
        await database.dispose()


@pytest.mark.slow
async def test_concurrent_processes_get_gap_free_sequence_numbers(
        fresh_settings: Settings, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    await asyncio.to_thread(script.write_text, WRITER, encoding="utf-8")
    env = {**os.environ, "KT1_DATABASE_URL": fresh_settings.database_url,
           "KT1_KEYS_DIR": str(fresh_settings.keys_dir),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    base = await base_size(fresh_settings)
    names = [f"proc{i}" for i in range(PROCESSES)]
    processes = [
        await asyncio.create_subprocess_exec(
            str(PYTHON), str(script), name, cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        for name in names
    ]
    try:
        for process in processes:  # every writer is connected and waiting
            assert process.stdout is not None and process.stderr is not None
            ready = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            assert ready == b"ready\n", (await process.stderr.read()).decode()
        for process in processes:  # then all start at once
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
        outputs = await asyncio.wait_for(
            asyncio.gather(*(process.communicate() for process in processes)), timeout=120)
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
    acked: list[tuple[int, str]] = []
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()
        for line in out.decode().splitlines():
            seq, object_id = line.split()
            acked.append((int(seq), object_id))
    await check_log(fresh_settings, base, acked, names)


async def test_concurrent_engines_in_one_process_get_gap_free_sequence_numbers(
        fresh_settings: Settings) -> None:
    base = await base_size(fresh_settings)
    names = [f"task{i}" for i in range(TASKS)]
    start = asyncio.Event()

    async def writer(name: str) -> list[tuple[int, str]]:
        database = Database(fresh_settings.database_url)  # its own engine and connections
        done: list[tuple[int, str]] = []
        try:
            await start.wait()
            for i in range(PER_WRITER):
                async with database.transaction() as s:
                    entry = await append(s, Context(actor=Actor(id=name, role="system")),
                                         action=ACTION, object_type="w",
                                         object_id=f"{name}-{i}")
                seq = entry.seq  # numbered as its transaction commits
                done.append((seq, f"{name}-{i}"))
                await asyncio.sleep(0)
        finally:
            await database.dispose()
        return done

    tasks = [asyncio.create_task(writer(name)) for name in names]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    await check_log(fresh_settings, base, [a for r in results for a in r], names)
