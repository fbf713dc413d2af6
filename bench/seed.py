"""Seeding a bench database through the service's own code.

Every worker, training, commitment, vetting request, attestation, route and assignment is made
by the same service functions the API calls (so the rows, audit entries and signatures are the
real ones); only the bench accounts are written directly, as `tests/conftest.py` does. Work is
committed in batches of workers, each batch one transaction holding everything about its
workers, so the number of workers in the database *is* the progress: an interrupted seed
resumes where it stopped, and a finished one is reused until its marker says otherwise.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

import crypto.passwords
from vetting.bootstrap import prepare
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import Route, UserAccount, Worker
from vetting.models.base import new_id, utcnow
from vetting.principal import Actor, Context
from vetting.reference_data import police_unit_code, post_unit_code
from vetting.requests import service as requests
from vetting.routes import assignments
from vetting.routes.service import RouteInput, create_route
from vetting.settings import Settings, read_settings
from vetting.workers.records import add_commitment, add_training
from vetting.workers.service import WorkerInput, create_worker

#: Ten provinces, each with the legacy (pre-2025) code that opens its workers' CCCD numbers.
PROVINCES: dict[str, str] = {"01": "001", "79": "079", "48": "048", "51": "051", "31": "031",
                             "92": "092", "22": "022", "38": "038", "40": "040", "56": "056"}
ROUTES = 1000
ROUTES_PER_PROVINCE = ROUTES // len(PROVINCES)
BATCH = 500  # workers per transaction: large enough to amortise the commit, small to resume
ROLES = ("post_hr", "police_officer", "police_lead", "dispatcher")
STAGES = ("acceptance", "processing", "transport", "delivery")
#: What every seeded worker is nominated and cleared for: only routes of these stages are
#: assigned and checked (a route of another stage would be refused, rightly).
WORKER_STAGES = ("acceptance", "transport")
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em",
         "Vũ Thị Giang", "Đặng Văn Hải", "Bùi Thị Lan", "Đỗ Văn Minh", "Ngô Thị Nga")
MAX_WORKERS = 999_999  # the CCCD serial below has six digits
Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Crew:
    """The four people who act for one province in the seed (and the dispatcher in the load)."""

    hr: Actor
    officer: Actor
    lead: Actor
    dispatcher: Actor


@dataclass(frozen=True, slots=True)
class BenchDb:
    """One bench database: its URL, the worker count it must hold and where its marker lives."""

    url: str
    workers: int
    marker: Path

    @property
    def label(self) -> str:
        return f"{self.workers:,} workers"


def settings_for(url: str, keys_dir: Path, port: int = 8000) -> Settings:
    return read_settings({"KT1_DATABASE_URL": url, "KT1_KEYS_DIR": str(keys_dir),
                          "KT1_PORT": str(port)})


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    return Path(parsed.database or "") if parsed.drivername.startswith("sqlite") else None


def database_name(url: str) -> str:
    path = sqlite_path(url)
    return path.stem if path is not None else str(make_url(url).database)


def read_marker(db: BenchDb) -> dict[str, object]:
    try:
        data = json.loads(db.marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def is_complete(db: BenchDb) -> bool:
    """The marker says this database is finished (and, for SQLite, the file is still there)."""
    marker, path = read_marker(db), sqlite_path(db.url)
    return bool(marker.get("complete")) and marker.get("workers") == db.workers and (
        path is None or path.exists())


def _username(role: str, province: str) -> str:
    return f"bench-{role.replace('_', '')}-{province}"


def _actor(user: UserAccount) -> Actor:
    return Actor(id=user.id, role=user.role, username=user.username,
                 province=user.province_code, unit=user.unit_code)


async def crews(session: AsyncSession, *, create: bool = False) -> dict[str, Crew]:
    """The bench accounts per province, created straight in the database (no argon2 per login:
    nobody logs in as them; the load signs tokens for the dispatchers directly)."""
    users = {u.username: u for u in (await session.scalars(select(UserAccount).where(
        UserAccount.username.like("bench-%")))).all()}
    result: dict[str, Crew] = {}
    for province in PROVINCES:
        actors: dict[str, Actor] = {}
        for role in ROLES:
            name = _username(role, province)
            user = users.get(name)
            if user is None:
                if not create:
                    raise RuntimeError(f"bench account {name} is missing: reseed")
                unit = police_unit_code(province) if role.startswith("police") \
                    else post_unit_code(province)
                user = UserAccount(
                    id=new_id(), username=name, role=role, province_code=province,
                    unit_code=unit, must_change_password=False, totp_confirmed=False,
                    password_hash=crypto.passwords.hash_password(secrets.token_urlsafe(24)))
                session.add(user)
            actors[role] = _actor(user)
        result[province] = Crew(hr=actors["post_hr"], officer=actors["police_officer"],
                                lead=actors["police_lead"], dispatcher=actors["dispatcher"])
    await session.flush()
    return result


async def _routes(session: AsyncSession, crew_by_province: dict[str, Crew]
                  ) -> dict[str, list[str]]:
    """Each province's routes of the workers' stages, made by its dispatcher through
    `create_route` (routes of every stage) when missing."""
    found: dict[str, list[tuple[str, str]]] = {p: [] for p in PROVINCES}
    have_codes: dict[str, set[str]] = {p: set() for p in PROVINCES}
    for route_id, province, code, stage in (await session.execute(select(
            Route.id, Route.province_code, Route.code, Route.stage).where(
            Route.code.like("BENCH-%")))).all():
        have_codes.setdefault(province, set()).add(code)
        if stage in WORKER_STAGES:
            found.setdefault(province, []).append((code, route_id))
    for province, crew in crew_by_province.items():
        have = have_codes[province]
        ctx = Context(actor=crew.dispatcher)
        for n in range(ROUTES_PER_PROVINCE):
            code = f"BENCH-{n:03d}"
            if code in have:
                continue
            route = await create_route(session, ctx, RouteInput(
                code=code, name=f"Tuyến KT1 {province}-{n:03d}", province=province,
                stage=STAGES[n % len(STAGES)], service_classes=("standard", "express"),
                max_secrecy="ABC"[n % 3]))
            if route.stage in WORKER_STAGES:
                found[province].append((code, route.id))
    return {p: [rid for _, rid in sorted(rows)] for p, rows in found.items()}


def _worker_input(i: int, province: str) -> WorkerInput:
    born = date(1970 + i % 30, 1 + i % 12, 1 + i % 28)
    sex = "male" if i % 2 == 0 else "female"
    century = (born.year // 100 - 19) * 2 + (1 if sex == "female" else 0)
    national_id = f"{PROVINCES[province]}{century}{born.year % 100:02d}{i:06d}"
    return WorkerInput(
        employee_no=f"BE{i:07d}", full_name=NAMES[i % len(NAMES)], date_of_birth=born, sex=sex,
        national_id=national_id, hometown=f"Xã {i % 97}, tỉnh {province}",
        permanent_address=f"{i % 300} Lê Lợi, {province}", permanent_province=province,
        current_address=f"{i % 300} Lê Lợi, {province}", post_unit=post_unit_code(province),
        stages=WORKER_STAGES)


async def cleared_worker(session: AsyncSession, i: int, crew: Crew, settings: Settings,
                         keys: RegistryKeys, now: datetime) -> Worker:
    """Worker `i` registered, trained, committed and cleared, each step by the role that
    takes it (all at `now`: the clearance starts before any check that follows)."""
    hr, officer, lead = (Context(actor=a, now=now) for a in (crew.hr, crew.officer, crew.lead))
    policy, day = settings.policy, now.date()
    worker = await create_worker(session, hr, keys.data, _worker_input(i, hr.actor.province or ""))
    for kind in ("postal_operations", "kt1_security"):
        await add_training(session, hr, policy, worker_id=worker.id, kind=kind,
                           completed_on=day - timedelta(days=30 + i % 200), valid_until=None)
    await add_commitment(session, hr, worker_id=worker.id,
                         signed_on=day - timedelta(days=20 + i % 100),
                         document_sha256=f"{i:064x}")
    request = await requests.submit(session, hr, policy, worker_id=worker.id,
                                    reason="Bố trí làm việc trên tuyến KT1")
    await requests.claim(session, officer, request.id, expected_version=None)
    await requests.propose(session, officer, keys.data, request.id, outcome="meets_standard",
                           note="Không có thông tin bất lợi", expected_version=None)
    await requests.approve(session, lead, policy, keys, settings.public_url, request.id,
                           expected_version=None)
    return worker


async def _seed_worker(session: AsyncSession, i: int, crew: Crew, routes: list[str],
                       settings: Settings, keys: RegistryKeys) -> None:
    """One worker's whole life up to two assignments."""
    now = utcnow()
    worker = await cleared_worker(session, i, crew, settings, keys, now)
    dispatcher, policy = Context(actor=crew.dispatcher, now=now), settings.policy
    first = (i // len(PROVINCES)) % len(routes)
    for route_id in (routes[first], routes[(first + len(routes) // 2 + 1) % len(routes)]):
        await assignments.create(session, dispatcher, policy, worker_id=worker.id,
                                 route_id=route_id, starts_at=now, ends_at=None,
                                 signatures=keys.attestations)


async def count_workers(database: Database) -> int:
    async with database.transaction(read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(Worker)) or 0)


async def _ensure_postgres_database(url: str, template: str | None = None) -> bool:
    """Create the PostgreSQL database when missing (from `template` if given); True if made."""
    parsed = make_url(url)
    admin = Database(parsed.set(database="postgres").render_as_string(hide_password=False),
                     isolation_level="AUTOCOMMIT")
    try:
        async with admin.engine.connect() as connection:
            exists = await connection.scalar(text(
                "SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database})
            if exists:
                return False
            source = f' TEMPLATE "{template}"' if template else ""
            await connection.execute(text(f'CREATE DATABASE "{parsed.database}"{source}'))
            return True
    finally:
        await admin.dispose()


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy (WAL included) through SQLite's online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".copying")
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        src.backup(dst)
    shutil.move(partial, target)


async def start_from(db: BenchDb, smaller: BenchDb | None, log: Log) -> None:
    """Start a new, larger database from a finished smaller one instead of from nothing."""
    if smaller is None or not is_complete(smaller):
        return
    path, small_path = sqlite_path(db.url), sqlite_path(smaller.url)
    if path is not None and small_path is not None:
        if not path.exists():
            log(f"starting {path} as a copy of {small_path} ({smaller.label})")
            _copy_sqlite(small_path, path)
    elif path is None and small_path is None and await _ensure_postgres_database(
            db.url, template=database_name(smaller.url)):
        log(f"created {database_name(db.url)} from template {database_name(smaller.url)}")


@contextlib.contextmanager
def _only_seeder(db: BenchDb) -> Iterator[None]:
    """Two seeders of one database would both create worker i and the second would fail on
    the duplicate: the second one is refused instead."""
    lock = db.marker.with_suffix(".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise SystemExit(f"{database_name(db.url)} is being seeded by another process "
                             f"(pid {handle.read().strip() or '?'}): wait for it") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield


async def seed(db: BenchDb, keys_dir: Path, log: Log, smaller: BenchDb | None = None) -> float:
    """Bring `db` to `db.workers` workers (resuming, or starting from a copy of the finished
    `smaller`), then mark it complete; seconds spent."""
    if db.workers > MAX_WORKERS:
        raise ValueError(f"at most {MAX_WORKERS} workers")
    with _only_seeder(db):
        if is_complete(db):
            return 0.0
        await start_from(db, smaller, log)
        return await _seed(db, keys_dir, log)


async def _seed(db: BenchDb, keys_dir: Path, log: Log) -> float:
    if sqlite_path(db.url) is None:
        await _ensure_postgres_database(db.url)
    settings = settings_for(db.url, keys_dir)
    started = time.perf_counter()
    await prepare(settings, create_admin=False)
    keys = RegistryKeys.open(keys_dir)
    database = Database(db.url, inline=True)  # the seed is the database's only user
    try:
        async with database.transaction() as session:
            crew_by_province = await crews(session, create=True)
            routes = await _routes(session, crew_by_province)
        done = await count_workers(database)
        if done > db.workers:
            raise RuntimeError(f"{database_name(db.url)} holds {done:,} workers, more than "
                               f"{db.workers:,}: remove it or choose --workers {done}")
        log(f"seeding {database_name(db.url)}: {done:,} of {db.workers:,} workers present, "
            f"{sum(map(len, routes.values())):,} routes")
        batch_start, first = time.perf_counter(), done
        rate = 0.0
        while done < db.workers:
            upto = min(done + BATCH, db.workers)
            async with database.transaction() as session:
                for i in range(done, upto):
                    province = list(PROVINCES)[i % len(PROVINCES)]
                    await _seed_worker(session, i, crew_by_province[province],
                                       routes[province], settings, keys)
            done = upto
            elapsed = time.perf_counter() - batch_start
            rate = (done - first) / elapsed
            log(f"  {done:>7,}/{db.workers:,} workers  {rate:6.1f} workers/s  "
                f"elapsed {_clock(elapsed)}  eta {_clock((db.workers - done) / rate)}")
    finally:
        await database.dispose()
    spent = time.perf_counter() - started
    db.marker.parent.mkdir(parents=True, exist_ok=True)
    db.marker.write_text(json.dumps({
        "complete": True, "workers": db.workers, "routes": ROUTES, "attestations": db.workers,
        "assignments": 2 * db.workers, "seeded": db.workers - first, "seconds": round(spent, 1),
        "workers_per_s": round(rate, 2),
        "finished_at": datetime.now().astimezone().isoformat(timespec="seconds")}, indent=2),
        encoding="utf-8")
    return spent


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
