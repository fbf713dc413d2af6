"""Typed settings, read once from the environment and validated at start.

A bad value stops the service with one line naming the variable; there is no
per-process random fallback for anything that must survive a restart.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from policies.policy import Policy, PolicyError, load_policy

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/kt1.db"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
ENV_VARS = ("KT1_DATABASE_URL", "KT1_HOST", "KT1_PORT", "KT1_KEYS_DIR", "KT1_POLICY_FILE",
            "KT1_PUBLIC_URL", "KT1_READ_CACHE_ENTRIES", "KT1_VERIFY_CHECKS_PER_MINUTE",
            "KT1_IDEMPOTENCY_HOURS", "KT1_WEBHOOK_RELAY",
            "KT1_WEBHOOK_ALLOWED_HOSTS", "KT1_WEBHOOK_TIMEOUT_S", "KT1_WEBHOOK_LEASE_S",
            "KT1_WEBHOOK_POLL_S", "KT1_WEBHOOK_RETRY_BASE_S", "KT1_WEBHOOK_RETRY_MAX_DELAY_S",
            "KT1_WEBHOOK_RETRY_WINDOW_S", "KT1_WEBHOOK_MAX_ATTEMPTS", "KT1_TRUSTED_PROXIES")
#: Workers' eligibility records kept in memory until they change (about 2 KB each); 0 turns the
#: read caches off.
DEFAULT_READ_CACHE_ENTRIES = 50_000
#: Public attestation checks a minute from one client address, per server process.
DEFAULT_VERIFY_CHECKS_PER_MINUTE = 60
#: How long an answer stored under an `Idempotency-Key` may be replayed.
DEFAULT_IDEMPOTENCY_HOURS = 24
MAX_IDEMPOTENCY_HOURS = 24 * 30


class SettingsError(Exception):
    """A configuration variable is unusable; the message starts with its name."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable, self.message = variable, message

    def __reduce__(self) -> tuple[type[SettingsError], tuple[str, str]]:
        return SettingsError, (self.variable, self.message)  # crosses process pools intact


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_HOST_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
                        r"(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


class AllowedTargets:
    """Host names and networks (KT1_WEBHOOK_ALLOWED_HOSTS) that webhooks may reach although
    they are not public. A plain class, not a dataclass: Litestar converts dependencies with
    msgspec, which cannot type a union of two address classes."""

    __slots__ = ("hosts", "networks")

    def __init__(self, hosts: frozenset[str] = frozenset(),
                 networks: tuple[IPNetwork, ...] = ()) -> None:
        self.hosts, self.networks = hosts, networks

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AllowedTargets) and (self.hosts, self.networks) == (
            other.hosts, other.networks)

    def __hash__(self) -> int:
        return hash((self.hosts, self.networks))

    def __repr__(self) -> str:
        return f"AllowedTargets({sorted(self.hosts)}, {[str(n) for n in self.networks]})"


class TrustedProxies:
    """Networks of reverse proxies (KT1_TRUSTED_PROXIES). A plain class for the same reason
    as `AllowedTargets`."""

    __slots__ = ("networks",)

    def __init__(self, networks: tuple[IPNetwork, ...] = ()) -> None:
        self.networks = networks

    def __contains__(self, address: object) -> bool:
        """Whether `address` (text) is one of them; anything not an IP address is not."""
        try:
            ip = ipaddress.ip_address(str(address))
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TrustedProxies) and self.networks == other.networks

    def __hash__(self) -> int:
        return hash(self.networks)

    def __repr__(self) -> str:
        return f"TrustedProxies({[str(n) for n in self.networks]})"


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """The webhook relay. Private, loopback and other non-public addresses are refused as
    targets unless their host name or network is in `allowed` (KT1_WEBHOOK_ALLOWED_HOSTS);
    retries back off exponentially with jitter, bounded by `retry_window_s` from the first
    attempt (24 h) and `max_attempts`."""

    relay: bool = True  # run the relay inside `kt1vet serve`
    allowed: AllowedTargets = field(default_factory=AllowedTargets)
    timeout_s: float = 10.0  # one whole attempt: name lookup, connect, send, status line
    lease_s: float = 60.0  # a claimed delivery is another relay's to retry after this
    poll_s: float = 2.0
    retry_base_s: float = 5.0
    retry_max_delay_s: float = 5 * 3600.0
    retry_window_s: float = 24 * 3600.0
    max_attempts: int = 20


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
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    idempotency_ttl: timedelta = timedelta(hours=DEFAULT_IDEMPOTENCY_HOURS)
    #: Reverse proxies whose `X-Forwarded-For` names the client (KT1_TRUSTED_PROXIES).
    trusted_proxies: TrustedProxies = field(default_factory=TrustedProxies)

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


def _idempotency_ttl(raw: str) -> timedelta:
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_IDEMPOTENCY_HOURS:
        raise SettingsError("KT1_IDEMPOTENCY_HOURS",
                            f"must be a whole number of hours from 1 to {MAX_IDEMPOTENCY_HOURS}")
    return timedelta(hours=int(raw))


def _public_url(raw: str | None, host: str, port: int) -> str:
    if raw is None:
        return f"http://{host}:{port}"
    if not raw.startswith(("http://", "https://")) or " " in raw:
        raise SettingsError("KT1_PUBLIC_URL", "must be an http(s) URL")
    return raw.rstrip("/")


def _seconds(env: Mapping[str, str], variable: str, default: float, *, low: float,
             high: float) -> float:
    raw = env.get(variable)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # NaN fails too
        raise SettingsError(variable, f"must be a number of seconds from {low:g} to {high:g}")
    return value


def _allowed_targets(raw: str) -> AllowedTargets:
    """Host names, IP addresses and CIDR networks, separated by commas or spaces."""
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for item in raw.replace(",", " ").split():
        entry = item.strip().lower().strip("[]")
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        if not _HOST_NAME.match(entry):
            raise SettingsError("KT1_WEBHOOK_ALLOWED_HOSTS",
                                f"{item!r} is not a host name, IP address or network")
        hosts.add(entry)
    return AllowedTargets(frozenset(hosts), tuple(networks))


def _trusted_proxies(raw: str) -> TrustedProxies:
    """IP addresses and CIDR networks, separated by commas or spaces."""
    networks: list[IPNetwork] = []
    for item in raw.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item.strip().strip("[]"), strict=False))
        except ValueError as exc:
            raise SettingsError("KT1_TRUSTED_PROXIES",
                                f"{item!r} is not an IP address or network") from exc
    return TrustedProxies(tuple(networks))


def _webhook_settings(env: Mapping[str, str]) -> WebhookSettings:
    relay = env.get("KT1_WEBHOOK_RELAY", "on").strip().lower()
    if relay not in ("on", "off"):
        raise SettingsError("KT1_WEBHOOK_RELAY", "must be on or off")
    allowed = _allowed_targets(env.get("KT1_WEBHOOK_ALLOWED_HOSTS", ""))
    defaults = WebhookSettings()
    timeout = _seconds(env, "KT1_WEBHOOK_TIMEOUT_S", defaults.timeout_s, low=0.1, high=120)
    lease = _seconds(env, "KT1_WEBHOOK_LEASE_S", defaults.lease_s, low=1, high=3600)
    if lease < timeout + 1:
        raise SettingsError("KT1_WEBHOOK_LEASE_S", "must exceed KT1_WEBHOOK_TIMEOUT_S by at "
                                                   "least 1 second")
    attempts = env.get("KT1_WEBHOOK_MAX_ATTEMPTS", str(defaults.max_attempts))
    if not attempts.isdigit() or not 1 <= int(attempts) <= 100:
        raise SettingsError("KT1_WEBHOOK_MAX_ATTEMPTS", "must be a whole number from 1 to 100")
    return WebhookSettings(
        relay=relay == "on", allowed=allowed,
        timeout_s=timeout, lease_s=lease,
        poll_s=_seconds(env, "KT1_WEBHOOK_POLL_S", defaults.poll_s, low=0.01, high=300),
        retry_base_s=_seconds(env, "KT1_WEBHOOK_RETRY_BASE_S", defaults.retry_base_s,
                              low=0, high=3600),
        retry_max_delay_s=_seconds(env, "KT1_WEBHOOK_RETRY_MAX_DELAY_S",
                                   defaults.retry_max_delay_s, low=0, high=86400),
        retry_window_s=_seconds(env, "KT1_WEBHOOK_RETRY_WINDOW_S", defaults.retry_window_s,
                                low=0, high=7 * 86400),
        max_attempts=int(attempts))


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
        webhooks=_webhook_settings(env),
        idempotency_ttl=_idempotency_ttl(
            env.get("KT1_IDEMPOTENCY_HOURS", str(DEFAULT_IDEMPOTENCY_HOURS))),
        trusted_proxies=_trusted_proxies(env.get("KT1_TRUSTED_PROXIES", "")),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return read_settings()
