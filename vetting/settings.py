"""Typed settings, read once from the environment and validated at start.

A bad value stops the service with one line naming the variable; there is no
per-process random fallback for anything that must survive a restart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from policies.policy import Policy, PolicyError, load_policy

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/kt1.db"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
ENV_VARS = ("KT1_DATABASE_URL", "KT1_HOST", "KT1_PORT", "KT1_KEYS_DIR", "KT1_POLICY_FILE",
            "KT1_PUBLIC_URL", "KT1_READ_CACHE_ENTRIES")
#: Workers' eligibility records kept in memory between commits (about 2 KB each); 0 turns the
#: read caches off.
DEFAULT_READ_CACHE_ENTRIES = 50_000
#: Public attestation checks a minute from one client address, per server process.
DEFAULT_VERIFY_CHECKS_PER_MINUTE = 60


class SettingsError(Exception):
    """A configuration variable is unusable; the message starts with its name."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable, self.message = variable, message

    def __reduce__(self) -> tuple[type[SettingsError], tuple[str, str]]:
        return SettingsError, (self.variable, self.message)  # crosses process pools intact


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    host: str
    port: int
    keys_dir: Path
    policy_file: Path | None
    policy: Policy
    public_url: str  # where third parties fetch status lists and keys
    read_cache_entries: int = DEFAULT_READ_CACHE_ENTRIES
    verify_checks_per_minute: int = DEFAULT_VERIFY_CHECKS_PER_MINUTE

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _database_url(raw: str) -> str:
    try:
        url: URL = make_url(raw)
    except ArgumentError as exc:
        raise SettingsError("KT1_DATABASE_URL", "not a database URL") from exc
    if url.drivername not in SUPPORTED_DRIVERS:
        raise SettingsError(
            "KT1_DATABASE_URL",
            f"driver {url.drivername!r} is not supported; use {' or '.join(SUPPORTED_DRIVERS)}",
        )
    if url.drivername.startswith("sqlite"):
        if not url.database or url.database == ":memory:":
            raise SettingsError("KT1_DATABASE_URL", "SQLite needs a file path")
        _check_creatable("KT1_DATABASE_URL", Path(url.database).parent)
    return raw


def _port(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise SettingsError("KT1_PORT", "must be a port number from 1 to 65535")
    return int(raw)


def _check_creatable(variable: str, path: Path) -> None:
    """`path` is a usable directory, or could be made one: reading settings creates nothing
    (only `serve` and `db upgrade` do, through `create_storage`)."""
    if path.exists():
        if not path.is_dir() or not os.access(path, os.R_OK | os.W_OK | os.X_OK):
            raise SettingsError(variable, f"{path} is not a readable, writable directory")
        return
    ancestor = next(p for p in path.absolute().parents if p.exists())
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise SettingsError(variable, f"cannot create {path}: {ancestor} is not a writable "
                                      "directory")


def _keys_dir(raw: str) -> Path:
    path = Path(raw)
    _check_creatable("KT1_KEYS_DIR", path)
    return path


def create_storage(settings: Settings) -> None:
    """Make the SQLite file's folder and the keys folder (0700): for the commands that set a
    registry up, never for those that read one."""
    folders = [("KT1_KEYS_DIR", settings.keys_dir, 0o700)]
    if settings.is_sqlite:
        database = make_url(settings.database_url).database or ""
        folders.append(("KT1_DATABASE_URL", Path(database).parent, 0o755))
    for variable, folder, mode in folders:
        try:
            folder.mkdir(mode=mode, parents=True, exist_ok=True)
        except OSError as exc:
            raise SettingsError(variable, f"cannot create {folder}: {exc.strerror}") from exc


def _policy(raw: str | None) -> tuple[Path | None, Policy]:
    path = Path(raw) if raw else None
    try:
        return path, load_policy(path)
    except PolicyError as exc:
        message = exc.reason if exc.key == "KT1_POLICY_FILE" else str(exc)
        raise SettingsError("KT1_POLICY_FILE", message) from exc


def _whole_number(variable: str, raw: str, low: int, high: int) -> int:
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise SettingsError(variable, f"must be a whole number from {low} to {high}")
    return int(raw)


def _public_url(raw: str | None, host: str, port: int) -> str:
    if raw is None:
        return f"http://{host}:{port}"
    if not raw.startswith(("http://", "https://")) or " " in raw:
        raise SettingsError("KT1_PUBLIC_URL", "must be an http(s) URL")
    return raw.rstrip("/")


def read_settings(env: Mapping[str, str] = os.environ) -> Settings:
    """Build settings from an environment mapping (tests pass their own)."""
    policy_file, policy = _policy(env.get("KT1_POLICY_FILE"))
    host, port = env.get("KT1_HOST", "127.0.0.1"), _port(env.get("KT1_PORT", "8000"))
    return Settings(
        database_url=_database_url(env.get("KT1_DATABASE_URL", DEFAULT_DATABASE_URL)),
        host=host,
        port=port,
        keys_dir=_keys_dir(env.get("KT1_KEYS_DIR", "var/keys")),
        policy_file=policy_file,
        policy=policy,
        public_url=_public_url(env.get("KT1_PUBLIC_URL"), host, port),
        read_cache_entries=_whole_number(
            "KT1_READ_CACHE_ENTRIES",
            env.get("KT1_READ_CACHE_ENTRIES", str(DEFAULT_READ_CACHE_ENTRIES)), 0, 10_000_000),
        verify_checks_per_minute=_whole_number(
            "KT1_VERIFY_CHECKS_PER_MINUTE",
            env.get("KT1_VERIFY_CHECKS_PER_MINUTE", str(DEFAULT_VERIFY_CHECKS_PER_MINUTE)),
            1, 1_000_000),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return read_settings()
