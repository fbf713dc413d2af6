"""Tampering with the stored audit log is found by `kt1vet audit verify`.

Each test owns its database (`fresh_settings`), appends a few dozen entries, then
edits the tables behind the application's back the way an attacker with database
access could: on PostgreSQL that needs `session_replication_role = replica`
(superuser) to get past the append-only triggers.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import checkpoints, merkle
from vetting.audit import proofs
from vetting.audit.entries import append, entry_bytes
from vetting.audit.verify import VerifyReport, verify_log
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import AuditCheckpoint, AuditEntry, AuditHead, AuditNode
from vetting.principal import SYSTEM, Actor, Context
from vetting.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
KT1VET = next((p for p in (ROOT / ".venv/bin/kt1vet", Path(sys.executable).parent / "kt1vet")
               if p.exists()), ROOT / ".venv/bin/kt1vet")
APPENDED = 40
ENTRY = AuditEntry.__table__
CONTENT_COLUMNS = [c.name for c in ENTRY.columns if c.name != "seq"]


# ------------------------------------------------------------------------ helpers


@dataclass
class Log:
    settings: Settings
    size: int

    @property
    def url(self) -> str:
        return self.settings.database_url

    @property
    def is_postgres(self) -> bool:
        return not self.settings.is_sqlite


@dataclass
class CliResult:
    code: int
    out: str

    def value(self, label: str) -> str | None:
        found = re.search(rf"^{re.escape(label)}: (\S+)$", self.out, re.MULTILINE)
        return found.group(1) if found else None

    @property
    def size(self) -> int | None:
        value = self.value("size")
        return None if value is None else int(value)

    @property
    def first_bad(self) -> int | None:
        value = self.value("first bad sequence number")
        return None if value is None else int(value)


async def run_cli(settings: Settings, *args: str) -> CliResult:
    """`kt1vet audit verify ARGS` in a subprocess against this test's database and keys."""
    env = {**os.environ, "KT1_DATABASE_URL": settings.database_url,
           "KT1_KEYS_DIR": str(settings.keys_dir),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    process = await asyncio.create_subprocess_exec(
        str(KT1VET), "audit", "verify", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return CliResult(process.returncode, out.decode())


async def verify(settings: Settings, saved: checkpoints.Checkpoint | None = None,
                 signature: str = "") -> VerifyReport:
    keys = RegistryKeys.open(settings.keys_dir)
    database = Database(settings.database_url)
    try:
        async with database.transaction(read_only=True) as s:
            return await verify_log(s, audit_jwk=keys.audit_jwk(), saved=saved,
                                    saved_signature=signature)
    finally:
        await database.dispose()


async def tamper(log: Log, *statements: Any) -> None:
    """Run statements in one transaction with the append-only triggers switched off."""
    database = Database(log.url)
    try:
        async with database.transaction() as s:
            if log.is_postgres:
                await s.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in statements:
                await (statement(s) if callable(statement) else s.execute(statement))
    finally:
        await database.dispose()


async def rows(settings: Settings) -> list[AuditEntry]:
    database = Database(settings.database_url)
    try:
        async with database.transaction(read_only=True) as s:
            return list((await s.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all())
    finally:
        await database.dispose()


async def save_checkpoint(log: Log, path: Path) -> dict[str, Any]:
    """What an inspector keeps: the JSON of GET /api/v1/audit/checkpoint."""
    keys = RegistryKeys.open(log.settings.keys_dir)
    database = Database(log.url)
    try:
        async with database.transaction() as s:
            cp = await proofs.checkpoint(s, Context(actor=SYSTEM), keys)
            data = {"origin": cp.origin, "size": cp.size, "root": cp.root.hex(),
                    "timestamp": cp.timestamp, "key_id": cp.key_id, "signature": cp.signature}
    finally:
        await database.dispose()
    await asyncio.to_thread(path.write_text, json.dumps(data), encoding="utf-8")
    return data


def saved_of(data: dict[str, Any]) -> checkpoints.Checkpoint:
    return checkpoints.Checkpoint(data["origin"], data["size"], bytes.fromhex(data["root"]),
                                  data["timestamp"])


def rewrite_everything(changes: dict[int, dict[str, Any]], *, keep_size: int | None = None,
                       drop_checkpoints: bool = True) -> Any:
    """A consistent forgery: edit entries, rehash every leaf, rebuild nodes and head."""

    async def work(s: AsyncSession) -> None:
        entries = list((await s.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all())
        if keep_size is not None:
            for entry in entries[keep_size:]:
                await s.delete(entry)
            entries = entries[:keep_size]
        for entry in entries:
            for name, value in changes.get(entry.seq, {}).items():
                setattr(entry, name, value)
            entry.leaf_hash = merkle.leaf_hash(entry_bytes(entry))
        await s.flush()
        await s.execute(delete(AuditNode))
        nodes = merkle.all_coords_for_leaves([e.leaf_hash for e in entries])
        if nodes:
            await s.execute(insert(AuditNode), [{"level": lvl, "idx": i, "hash": h}
                                                for (lvl, i), h in nodes.items()])
        await s.execute(update(AuditHead).where(AuditHead.id == 1).values(size=len(entries)))
        if drop_checkpoints:
            await s.execute(delete(AuditCheckpoint))

    return work


@pytest.fixture
async def log(fresh_settings: Settings) -> Log:
    """A database of its own holding a few dozen varied entries."""
    database = Database(fresh_settings.database_url)
    try:
        async with database.transaction() as s:
            for i in range(APPENDED):
                actor = SYSTEM if i % 3 else Actor(id=f"user-{i}", role="admin")
                await append(s, Context(actor=actor, request_id=f"req-{i}"), action="test.x",
                             object_type="t", object_id=f"obj-{i}", body={"i": i})
        async with database.transaction(read_only=True) as s:
            size = int(await s.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    finally:
        await database.dispose()
    assert size >= APPENDED
    return Log(fresh_settings, size)


def assert_intact(result: CliResult, size: int) -> None:
    assert result.code == 0, result.out
    assert "audit log intact" in result.out
    assert result.size == size
    assert result.first_bad is None
    assert "TAMPERED" not in result.out


def assert_tampered(result: CliResult, first_bad: int | None) -> None:
    assert result.code == 1, result.out
    assert "audit log intact" not in result.out
    assert "TAMPERED" in result.out
    assert result.first_bad == first_bad, result.out


# -------------------------------------------------------------------------- intact


async def test_an_untouched_log_is_intact(log: Log) -> None:
    entries = await rows(log.settings)
    assert [e.seq for e in entries] == list(range(log.size))
    leaves = [merkle.leaf_hash(entry_bytes(e)) for e in entries]
    expected_root = merkle.root_from_leaves(leaves)

    report = await verify(log.settings)
    assert report.intact, report.problems
    assert report.size == log.size
    assert report.root == expected_root
    assert report.first_bad_seq is None

    result = await run_cli(log.settings)
    assert_intact(result, log.size)
    assert result.value("root") == expected_root.hex()


async def test_an_entry_stamped_in_another_time_zone_verifies(log: Log) -> None:
    """Context.now may be any aware datetime; the stored instant is the same one."""
    hanoi = datetime.now(timezone(timedelta(hours=7)))
    database = Database(log.url)
    try:
        async with database.transaction() as s:
            entry = await append(s, Context(actor=SYSTEM, now=hanoi), action="test.tz",
                                 object_type="t")
    finally:
        await database.dispose()
    stored = (await rows(log.settings))[-1]
    assert stored.seq == entry.seq and stored.created_at == hanoi
    report = await verify(log.settings)
    assert report.intact, report.problems
    assert report.size == log.size + 1


async def test_a_saved_checkpoint_of_the_intact_log_verifies(log: Log, tmp_path: Path) -> None:
    saved = tmp_path / "checkpoint.json"
    data = await save_checkpoint(log, saved)
    assert data["size"] == log.size
    # the log grows after the inspector saved it: still an extension
    database = Database(log.url)
    try:
        async with database.transaction() as s:
            await append(s, Context(actor=SYSTEM), action="test.later", object_type="t")
    finally:
        await database.dispose()
    result = await run_cli(log.settings, "--checkpoint", str(saved))
    assert_intact(result, log.size + 1)
    assert (f"checkpoint: checkpoint of size {log.size} is consistent with the log of size "
            f"{log.size + 1}: signature verified") in result.out
    report = await verify(log.settings, saved_of(data), data["signature"])
    assert report.intact, report.problems


# ------------------------------------------------------------------- plain tamper


async def test_an_edited_body_names_that_entry(log: Log) -> None:
    target = 17
    await tamper(log, update(AuditEntry).where(AuditEntry.seq == target)
                 .values(body='{"i":999}'))
    report = await verify(log.settings)
    assert not report.intact
    assert report.first_bad_seq == target
    assert_tampered(await run_cli(log.settings), target)


async def test_every_hashed_column_is_covered(log: Log) -> None:
    """Edit each column in turn (then put it back): every one is found, at that entry."""
    entries = {e.seq: e for e in await rows(log.settings)}
    target = next(s for s, e in entries.items() if e.actor_id is not None and s > 0)
    original = entries[target]
    edits: dict[str, Any] = {
        "created_at": original.created_at.replace(year=original.created_at.year - 1),
        "actor_id": None, "actor_role": "inspector", "action": "test.innocent",
        "object_type": "u", "object_id": "obj-other", "outcome": "denied",
        "request_id": "req-other", "body": '{"i":-1}',
    }
    assert set(edits) == set(CONTENT_COLUMNS) - {"leaf_hash"}, "a new column is not covered"
    for column, value in edits.items():
        assert getattr(original, column) != value
        where = update(ENTRY).where(ENTRY.c.seq == target)
        await tamper(log, where.values(**{column: value}))
        report = await verify(log.settings)
        assert not report.intact, column
        assert report.first_bad_seq == target, column
        await tamper(log, where.values(**{column: getattr(original, column)}))
        assert (await verify(log.settings)).intact, column
    # a forger who also fixes the leaf hash is caught by the tree nodes
    forged = {**{c: getattr(original, c) for c in CONTENT_COLUMNS}, "body": '{"i":-1}'}
    probe = AuditEntry(seq=target, **forged)
    forged["leaf_hash"] = merkle.leaf_hash(entry_bytes(probe))
    await tamper(log, update(ENTRY).where(ENTRY.c.seq == target).values(**forged))
    report = await verify(log.settings)
    assert not report.intact
    assert report.first_bad_seq is not None and report.first_bad_seq <= target


async def test_a_deleted_middle_entry_is_found(log: Log) -> None:
    target = 20
    await tamper(log, delete(AuditEntry).where(AuditEntry.seq == target))
    report = await verify(log.settings)
    assert not report.intact
    assert report.first_bad_seq == target
    assert_tampered(await run_cli(log.settings), target)


async def test_a_deleted_last_entry_is_found(log: Log) -> None:
    last = log.size - 1
    await tamper(log, delete(AuditEntry).where(AuditEntry.seq == last))
    report = await verify(log.settings)
    assert not report.intact
    assert report.first_bad_seq == last
    result = await run_cli(log.settings)
    assert_tampered(result, last)
    assert result.size == last


async def test_an_entry_slipped_in_behind_the_head_is_named(log: Log) -> None:
    """A well-formed row at seq == size that no append made (the head still says size)."""
    last = (await rows(log.settings))[-1]
    forged = AuditEntry(seq=log.size, created_at=last.created_at, actor_id=None,
                        actor_role="system", action="test.forged", object_type=None,
                        object_id=None, outcome="success", request_id=None, body="{}")
    forged.leaf_hash = merkle.leaf_hash(entry_bytes(forged))
    await tamper(log, insert(ENTRY).values(
        seq=forged.seq, created_at=forged.created_at, actor_role=forged.actor_role,
        action=forged.action, outcome=forged.outcome, body=forged.body,
        leaf_hash=forged.leaf_hash))
    report = await verify(log.settings)
    assert not report.intact
    assert report.first_bad_seq == log.size, report.problems
    assert_tampered(await run_cli(log.settings), log.size)


async def test_two_swapped_entries_name_the_earlier(log: Log) -> None:
    low, high = 5, 30
    entries = {e.seq: e for e in await rows(log.settings)}

    def content(seq: int) -> dict[str, Any]:
        return {name: getattr(entries[seq], name) for name in CONTENT_COLUMNS}

    # every column moves, leaf hash included: each row is a genuine entry, in the wrong place
    await tamper(log, update(ENTRY).where(ENTRY.c.seq == low).values(**content(high)),
                 update(ENTRY).where(ENTRY.c.seq == high).values(**content(low)))
    swapped = {e.seq: e for e in await rows(log.settings)}
    assert swapped[low].body == entries[high].body
    report = await verify(log.settings)
    assert not report.intact
    assert report.first_bad_seq == low
    assert_tampered(await run_cli(log.settings), low)


async def test_an_altered_tree_node_is_found(log: Log) -> None:
    level, idx = 2, 3  # covers leaves 12..15
    await tamper(log, update(AuditNode).where(AuditNode.level == level, AuditNode.idx == idx)
                 .values(hash=bytes(32)))
    report = await verify(log.settings)
    assert not report.intact
    assert report.first_bad_seq == idx << level
    assert_tampered(await run_cli(log.settings), idx << level)


async def test_a_missing_tree_node_is_found(log: Log) -> None:
    await tamper(log, delete(AuditNode).where(AuditNode.level == 1, AuditNode.idx == 4))
    report = await verify(log.settings)
    assert not report.intact
    assert any("missing" in p for p in report.problems), report.problems


# ------------------------------------------------------------ wholesale rewrites


async def test_a_consistent_rewrite_fails_against_a_saved_checkpoint(
        log: Log, tmp_path: Path) -> None:
    saved = tmp_path / "checkpoint.json"
    data = await save_checkpoint(log, saved)
    assert (await verify(log.settings, saved_of(data), data["signature"])).intact

    await tamper(log, rewrite_everything({3: {"body": '{"i":"rewritten"}'}}))
    rewritten = await rows(log.settings)
    assert rewritten[3].body == '{"i":"rewritten"}'
    # without the inspector's checkpoint the forgery is self-consistent ...
    report = await verify(log.settings)
    assert report.intact, report.problems
    assert report.size == log.size
    assert report.root != bytes.fromhex(data["root"])
    assert_intact(await run_cli(log.settings), log.size)
    # ... but it is not an extension of the log the inspector saw
    report = await verify(log.settings, saved_of(data), data["signature"])
    assert not report.intact
    assert any("saved checkpoint" in p for p in report.problems), report.problems
    result = await run_cli(log.settings, "--checkpoint", str(saved))
    assert result.code == 1, result.out
    assert "TAMPERED" in result.out and "saved checkpoint" in result.out
    assert (f"checkpoint: saved checkpoint at size {log.size}: the log is not an extension "
            "of it") in result.out.splitlines()
    assert "audit log intact" not in result.out


async def test_a_truncation_fails_against_a_saved_checkpoint(log: Log, tmp_path: Path) -> None:
    saved = tmp_path / "checkpoint.json"
    await save_checkpoint(log, saved)
    kept = log.size - 5
    await tamper(log, rewrite_everything({}, keep_size=kept))
    assert_intact(await run_cli(log.settings), kept)
    result = await run_cli(log.settings, "--checkpoint", str(saved))
    assert result.code == 1, result.out
    assert (f"checkpoint: saved checkpoint at size {log.size}: the log has only {kept} "
            "entries") in result.out.splitlines()
    assert result.size == kept


async def test_a_rewrite_that_keeps_the_stored_checkpoints_is_found(log: Log,
                                                                     tmp_path: Path) -> None:
    await save_checkpoint(log, tmp_path / "checkpoint.json")
    await tamper(log, rewrite_everything({3: {"body": '{"i":"rewritten"}'}},
                                         drop_checkpoints=False))
    report = await verify(log.settings)
    assert not report.intact
    assert any("stored checkpoint" in p for p in report.problems), report.problems
    result = await run_cli(log.settings)
    assert result.code == 1, result.out
    assert "stored checkpoint" in result.out


@pytest.mark.parametrize("change", ["root", "size", "timestamp", "signature"])
async def test_a_stored_checkpoint_that_no_longer_matches_is_found(
        change: str, log: Log, tmp_path: Path) -> None:
    data = await save_checkpoint(log, tmp_path / "checkpoint.json")
    values: dict[str, Any] = {
        "root": {"root": bytes(32)},
        "size": {"size": data["size"] + 100},
        "timestamp": {"timestamp": "2001-01-01T00:00:00Z"},
        "signature": {"signature": data["signature"][:-4] + "AAAA"},
    }[change]
    await tamper(log, update(AuditCheckpoint).where(AuditCheckpoint.size == data["size"])
                 .values(**values))
    report = await verify(log.settings)
    assert not report.intact
    assert any("stored checkpoint" in p for p in report.problems), report.problems
    if change == "root":
        result = await run_cli(log.settings)
        assert result.code == 1, result.out
        assert "stored checkpoint" in result.out


async def test_a_forged_saved_checkpoint_is_refused(log: Log, tmp_path: Path) -> None:
    saved = tmp_path / "checkpoint.json"
    data = await save_checkpoint(log, saved)
    saved.write_text(json.dumps({**data, "root": bytes(32).hex()}), encoding="utf-8")
    result = await run_cli(log.settings, "--checkpoint", str(saved))
    assert result.code == 1, result.out
    assert "bad signature" in result.out


async def test_an_unreadable_checkpoint_file_is_exit_2(log: Log, tmp_path: Path) -> None:
    saved = tmp_path / "checkpoint.json"
    saved.write_text('{"size": 1}', encoding="utf-8")
    result = await run_cli(log.settings, "--checkpoint", str(saved))
    assert result.code == 2, result.out


# ---------------------------------------------------------------- append-only


REFUSED = (
    "UPDATE audit_entry SET body = '{}' WHERE seq = 1",
    "DELETE FROM audit_entry WHERE seq = 1",
    "DELETE FROM audit_entry",
    "TRUNCATE audit_entry",
    "UPDATE audit_node SET hash = hash",
    "DELETE FROM audit_node WHERE level = 0 AND idx = 1",
    "TRUNCATE audit_node",
    "UPDATE audit_checkpoint SET root = root",
    "DELETE FROM audit_checkpoint",
)


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on the tree")


async def test_postgresql_refuses_changes_to_the_audit_tables(
        postgres_only: None, log: Log, tmp_path: Path) -> None:
    await save_checkpoint(log, tmp_path / "checkpoint.json")  # so audit_checkpoint has a row
    database = Database(log.url)
    try:
        for statement in REFUSED:
            with pytest.raises(DBAPIError, match="append-only"):
                async with database.transaction() as s:
                    await s.execute(text(statement))
        # appending is still allowed
        async with database.transaction() as s:
            await append(s, Context(actor=SYSTEM), action="test.after", object_type="t")
    finally:
        await database.dispose()
    report = await verify(log.settings)
    assert report.intact, report.problems
    assert report.size == log.size + 1
