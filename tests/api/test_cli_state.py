"""The command line on first use: commands that read the registry create nothing.

Run from another folder, the default relative paths name no database and no keys; such a
command must say which variable to set (exit 2), never start an empty registry with a new
master key and then report the audit log as tampered (exit 1).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import new_database_url
from vetting.settings import Settings, read_settings

KT1VET = str(Path(sys.executable).with_name("kt1vet"))

#: Every command that works on an existing registry (all but `serve` and `db upgrade`).
READING_COMMANDS = [
    ["audit", "verify"],
    ["users", "create", "--username", "clerk51", "--role", "post_hr", "--unit", "POST-51",
     "--password-stdin"],
    ["keys", "rotate", "--unit", "POLICE-51"],
    ["keys", "rotate-data"],
    ["notifications", "expiring"],
]


async def run(args: list[str], cwd: Path, **env: str) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KT1_")}
    process = await asyncio.create_subprocess_exec(
        KT1VET, *args, cwd=cwd, env={**clean, **env}, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(
        process.communicate(b"amber quartz lantern meadow\n"), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def refused(code: int, out: str, err: str, variable: str) -> str:
    """Exit 2 with one line naming `variable`; no traceback, no verdict."""
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err
    assert out == "", out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {variable}: "), err
    return lines[0]


def touch(path: str) -> None:
    Path(path).touch()


def everything_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


@pytest.mark.parametrize("args", READING_COMMANDS, ids=lambda a: " ".join(a[:2]))
async def test_from_another_folder_nothing_is_created(args: list[str], tmp_path: Path) -> None:
    code, out, err = await run(args, tmp_path)
    line = refused(code, out, err, "KT1_DATABASE_URL")
    assert str(tmp_path / "var" / "kt1.db") in line
    assert everything_under(tmp_path) == []  # no var/, no kt1.db, no keys, no master.key


def test_reading_settings_creates_no_folder(tmp_path: Path) -> None:
    settings = read_settings({"KT1_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/db/kt1.db",
                              "KT1_KEYS_DIR": str(tmp_path / "keys")})
    assert settings.keys_dir == tmp_path / "keys"
    assert everything_under(tmp_path) == []


async def test_a_database_without_the_schema_is_refused(backend: str, keys_dir: Path,
                                                        tmp_path: Path) -> None:
    url = await new_database_url(backend, tmp_path)
    if backend == "sqlite":
        touch(url.split(":///", 1)[1])  # the file exists, the schema does not
    code, out, err = await run(["audit", "verify"], tmp_path, KT1_DATABASE_URL=url,
                               KT1_KEYS_DIR=str(keys_dir))
    assert "is not at the latest migration" in refused(code, out, err, "KT1_DATABASE_URL")
    # nothing was migrated on the way: the second run is refused alike
    code, out, err = await run(["audit", "verify"], tmp_path, KT1_DATABASE_URL=url,
                               KT1_KEYS_DIR=str(keys_dir))
    assert code == 2, (out, err)


@pytest.mark.parametrize("url", [
    "postgresql+asyncpg://kt1:secret-pw@127.0.0.1:1/kt1",       # nothing listens
    "postgresql+asyncpg://postgres@127.0.0.1:5432/kt1_no_such_database_here",
], ids=["unreachable", "no-such-database"])
async def test_an_unreachable_postgresql_is_named(url: str, keys_dir: Path,
                                                  tmp_path: Path) -> None:
    code, out, err = await run(["audit", "verify"], tmp_path, KT1_DATABASE_URL=url,
                               KT1_KEYS_DIR=str(keys_dir))
    line = refused(code, out, err, "KT1_DATABASE_URL")
    assert "cannot reach the database" in line
    assert "secret-pw" not in line


@pytest.mark.parametrize("args", READING_COMMANDS, ids=lambda a: " ".join(a[:2]))
async def test_keys_folder_without_the_master_key_is_refused(
        args: list[str], settings: Settings, tmp_path: Path) -> None:
    empty = tmp_path / "keys"
    empty.mkdir()
    code, out, err = await run(args, tmp_path, KT1_DATABASE_URL=settings.database_url,
                               KT1_KEYS_DIR=str(empty))
    assert "master.key" in refused(code, out, err, "KT1_KEYS_DIR")
    assert everything_under(empty) == []
    missing = tmp_path / "nowhere"
    code, out, err = await run(args, tmp_path, KT1_DATABASE_URL=settings.database_url,
                               KT1_KEYS_DIR=str(missing))
    refused(code, out, err, "KT1_KEYS_DIR")
    assert not missing.exists()


async def test_a_missing_audit_key_is_refused_not_minted(settings: Settings,
                                                        tmp_path: Path) -> None:
    """A master key without the registry's audit key would otherwise mint a new one, and
    every stored checkpoint would then fail its signature: "tampered"."""
    partial = Path(shutil.copytree(settings.keys_dir, tmp_path / "keys"))
    (partial / "registry" / "audit-ed25519.wrapped").unlink()
    code, out, err = await run(["audit", "verify"], tmp_path,
                               KT1_DATABASE_URL=settings.database_url,
                               KT1_KEYS_DIR=str(partial))
    assert "audit-ed25519" in refused(code, out, err, "KT1_KEYS_DIR")
    assert not (partial / "registry" / "audit-ed25519.wrapped").exists()


async def test_db_upgrade_sets_up_a_registry_the_readers_then_accept(
        backend: str, tmp_path: Path) -> None:
    """`db upgrade` (like `serve`) is what creates: folders, schema and keys."""
    url = await new_database_url(backend, tmp_path / "var")  # a folder that does not exist
    keys = tmp_path / "secrets" / "keys"
    env = {"KT1_DATABASE_URL": url, "KT1_KEYS_DIR": str(keys)}
    code, out, err = await run(["db", "upgrade"], tmp_path, **env)
    assert code == 0, err
    assert (keys / "master.key").is_file() and (keys.stat().st_mode & 0o777) == 0o700
    code, out, err = await run(["audit", "verify"], tmp_path, **env)
    assert code == 0, err
    assert out.splitlines()[-1] == "audit log intact"

