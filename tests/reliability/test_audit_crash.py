"""A writer killed with SIGKILL at random moments loses nothing it acknowledged.

The writer appends one audit entry per transaction and prints its sequence number
only after the commit returned. The test kills it over and over (restarting it
each time), then checks that every acknowledged entry is present, the log has no
gap, and the whole tree still verifies.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from vetting.audit.entries import append
from vetting.audit.proofs import log_size
from vetting.audit.verify import verify_log
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import AuditEntry
from vetting.principal import SYSTEM, Context
from vetting.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PYTHON = next((p for p in (ROOT / ".venv/bin/python", Path(sys.executable)) if p.exists()),
              Path(sys.executable))
KILLS = 20
MAX_RUN_SECONDS = 0.25
ACTION = "crash.test"

WRITER = f'''
import asyncio, os, sys

from vetting.audit.entries import append
from vetting.db import Database
from vetting.principal import SYSTEM, Context


async def main() -> None:
    run = sys.argv[1]
    database = Database(os.environ["KT1_DATABASE_URL"])
    i = 0
    while True:
        async with database.transaction() as session:
            entry = await append(session, Context(actor=SYSTEM), action="{ACTION}",
                                 object_type="crash", object_id=f"{{run}}-{{i}}",
                                 body={{"run": run, "i": i}})
        seq = entry.seq  # numbered as its transaction commits
        # only now is the entry committed: acknowledge it
        sys.stdout.write(f"{{seq}} {{run}}-{{i}}\\n")
        sys.stdout.flush()
        i += 1


asyncio.run(main())
'''


def parse_acks(output: bytes, acked: dict[int, str]) -> None:
    """Complete lines only: a line cut by the kill was never acknowledged."""
    text = output.decode()
    lines = text.split("\n")[:-1]  # whatever follows the last newline is incomplete
    for line in lines:
        seq, object_id = line.split()
        assert int(seq) not in acked, (
            f"seq {seq} acknowledged twice: an acknowledged entry was lost and its seq reused")
        acked[int(seq)] = object_id


async def run_and_kill(script: Path, run: int, env: dict[str, str], rng: random.Random,
                       acked: dict[int, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        str(PYTHON), str(script), str(run), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    try:
        # let it get into its loop (imports, connect), then kill it at a random moment
        first = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        assert first.endswith(b"\n"), (await process.stderr.read()).decode()
        await asyncio.sleep(rng.uniform(0, MAX_RUN_SECONDS))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
    rest = await asyncio.wait_for(process.stdout.read(), timeout=30)
    errors = await process.stderr.read()
    await process.wait()
    assert process.returncode == -signal.SIGKILL, errors.decode()
    parse_acks(first + rest, acked)


@pytest.mark.slow
async def test_killed_writers_lose_no_acknowledged_entry(fresh_settings: Settings,
                                                         tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    await asyncio.to_thread(script.write_text, WRITER, encoding="utf-8")
    env = {**os.environ, "KT1_DATABASE_URL": fresh_settings.database_url,
           "KT1_KEYS_DIR": str(fresh_settings.keys_dir),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    acked: dict[int, str] = {}
    runs = KILLS
    for run in range(runs):
        await run_and_kill(script, run, env, rng, acked)

    database = Database(fresh_settings.database_url)
    try:
        async with database.transaction(read_only=True) as s:
            entries = list((await s.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all())
            head = await log_size(s)
        size = len(entries)
        assert [e.seq for e in entries] == list(range(size)), f"gap in the log (seed {seed})"
        assert head == size
        by_seq = {e.seq: e for e in entries}
        for seq, object_id in acked.items():
            assert seq in by_seq, f"acknowledged seq {seq} was lost (seed {seed})"
            assert by_seq[seq].object_id == object_id, f"seq {seq} holds another entry"
            assert by_seq[seq].action == ACTION

        # each run wrote a prefix 0..m-1 of its entries; at most its last one was unacknowledged
        written: dict[int, list[int]] = {}
        for e in entries:
            if e.action == ACTION:
                run, i = map(int, str(e.object_id).split("-"))
                written.setdefault(run, []).append(i)
        acked_per_run: dict[int, set[int]] = {}
        for object_id in acked.values():
            run, i = map(int, object_id.split("-"))
            acked_per_run.setdefault(run, set()).add(i)
        for run in range(runs):
            got = written.get(run, [])
            assert got == list(range(len(got))), f"run {run} has a gap: {got}"
            assert len(got) - len(acked_per_run.get(run, set())) in (0, 1), f"run {run}"
            assert acked_per_run.get(run, set()) <= set(got)
        assert len(acked) >= runs, "every run acknowledged at least its first entry"

        # the log is intact and still takes appends after all the crashes
        keys = RegistryKeys.open(fresh_settings.keys_dir)
        async with database.transaction(read_only=True) as s:
            report = await verify_log(s, audit_jwk=keys.audit_jwk())
        assert report.intact, (report.problems, seed)
        assert report.size == size
        async with database.transaction() as s:
            entry = await append(s, Context(actor=SYSTEM), action="crash.after", object_type="t")
        assert entry.seq == size
    finally:
        await database.dispose()
