"""The worker list at scale: server time of `GET /api/v1/workers` (a page of 50) on a database
of 100,000 workers, by kind of query, at one connection (so each latency is one request's
server time plus the loopback), against the issue's target of 50 ms.

The list reads workers, their latest clearance and their latest request, so the seed writes
those rows in bulk (Core `INSERT … VALUES` in chunks), not through the services: 100,000
workers with their requests, attestations and clearances take well under a minute instead of
hours. The rows are what the services write (personal data sealed by `DataProtection.seal`,
the blind index, the mask, the folded name, the summary row the list filters by state), with a
spread of clearance states; what the list never reads is left out (no training, commitments,
assignments, audit entries, and the attestations carry no signature: eligibility on these
workers answers ATTESTATION_INVALID).

The roster page is measured on rosters made the other way: each province gets one route with
`ROSTER` workers registered, trained, cleared (signed attestations) and assigned through the
services, every tenth then suspended by the unit's lead, so a roster shows ok and blocked lines
with their reasons, each judged by the real eligibility check.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

import crypto.passwords
from bench import load, seed, server
from bench.table import Figure
from policies.cccd import mask
from policies.folding import fold
from policies.validity import add_months
from vetting.accounts.page_sessions import open_session
from vetting.accounts.tokens import issue_access_token
from vetting.attestations import lifecycle
from vetting.attestations.unit_keys import active_key
from vetting.bootstrap import prepare
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import Attestation, Clearance, Route, UserAccount, VettingRequest, Worker
from vetting.models.base import new_id, utcnow
from vetting.models.summary import fill_missing
from vetting.personal_data import DataProtection
from vetting.principal import SYSTEM, Context
from vetting.reference_data import police_unit_code, post_unit_code
from vetting.routes import assignments
from vetting.routes.service import RouteInput, create_route
from vetting.settings import Settings
from vetting.workers.service import SEALED

TARGET_MS = 50.0
CHUNK = 5_000  # rows per INSERT statement batch
ROSTER = 50  # workers on each province's roster route
ROSTER_CODE = "ROSTER-01"
#: The roster workers' numbers come after the bulk ones (their CCCD serial is `i`).
ROSTER_FIRST = 900_000
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý")
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Ngọc", "Thanh", "Hữu", "Quang")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Giang", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Linh",
         "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn",
         "Vy", "Yến")
Log = Callable[[str], None]


def list_db(base: seed.BenchDb, directory: Path, workers: int) -> seed.BenchDb:
    """The worker-list database, beside the eligibility bench's: `<name>-list` (SQLite file)
    or `<name>_list` (PostgreSQL)."""
    path = seed.sqlite_path(base.url)
    suffix = "" if workers == 100_000 else f"-{workers}w"
    if path is not None:
        url = f"sqlite+aiosqlite:///{path.with_name(f'{path.stem}-list{suffix}.db')}"
    else:
        parsed = make_url(base.url)
        url = parsed.set(database=f"{parsed.database}_list{suffix.replace('-', '_')}"
                         ).render_as_string(hide_password=False)
    return seed.BenchDb(url=url, workers=workers,
                        marker=directory / f"{seed.database_name(url)}.seed.json")


# ----------------------------------------------------------------------------- the seed

@dataclass
class _Rows:
    workers: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    attestations: list[dict[str, Any]] = field(default_factory=list)
    clearances: list[dict[str, Any]] = field(default_factory=list)


def _name(i: int) -> str:
    """One of 3,072 names, spread alike over every province (worker i is of province i % 10)."""
    k = (i // len(seed.PROVINCES)) * 7919 % (len(FAMILY) * len(MIDDLE) * len(GIVEN))
    return (f"{FAMILY[k % len(FAMILY)]} {MIDDLE[k // len(FAMILY) % len(MIDDLE)]} "
            f"{GIVEN[k // (len(FAMILY) * len(MIDDLE))]}")


def _worker_row(i: int, province: str, protection: DataProtection, now: datetime
                ) -> dict[str, Any]:
    """Worker `i` as registration writes it (the bench seed's identities, more names)."""
    data = dataclasses.replace(seed._worker_input(i, province), full_name=_name(i),
                               employee_no=f"BL{i:07d}")
    worker_id = new_id()
    opened = {"national_id": data.national_id, "date_of_birth": data.date_of_birth.isoformat(),
              "hometown": data.hometown, "permanent_address": data.permanent_address,
              "current_address": data.current_address}
    row: dict[str, Any] = {
        "id": worker_id, "post_unit_code": data.post_unit, "employee_no": data.employee_no,
        "full_name": data.full_name, "full_name_folded": fold(data.full_name), "sex": data.sex,
        "stages": ",".join(data.stages), "permanent_province": province,
        "national_id_bidx": protection.national_id_index(data.national_id),
        "national_id_mask": mask(data.national_id), "left_on": None, "leave_reason": None,
        "created_at": now - timedelta(seconds=100_000 - i % 100_000), "updated_at": now,
        "version": 1}
    for name in SEALED:
        row[f"{name}_enc"] = protection.seal(opened[name], table="worker", column=name,
                                             row_id=worker_id)
    return row


def _vetting_rows(i: int, worker: dict[str, Any], kid: str, now: datetime, rows: _Rows) -> None:
    """A spread of states by `i % 100`: 70 active clearances (some expiring soon), 5 expired,
    3 suspended, 2 revoked on leaving, 10 pending, 5 not cleared, 5 never nominated."""
    bucket = i % 100
    if bucket >= 95:
        return
    police = police_unit_code(worker["permanent_province"])
    submitted = now - timedelta(days=800 if 70 <= bucket < 75 else 30 + i % 600)
    request_id = new_id()
    pending = 80 <= bucket < 90
    outcome = "does_not_meet" if bucket >= 90 else "meets_standard"
    decided = None if pending else submitted + timedelta(days=20)
    rows.requests.append({
        "id": request_id, "worker_id": worker["id"], "post_unit_code": worker["post_unit_code"],
        "police_unit_code": police, "state": "submitted" if pending else (
            "not_cleared" if bucket >= 90 else "cleared"), "reason": "KT1",
        "stages": worker["stages"], "due_on": (submitted + timedelta(days=30)).date(),
        "submitted_at": submitted, "submitted_by": None, "claimed_by": None,
        "info_request_enc": None, "proposed_outcome": None if pending else outcome,
        "proposed_by": None, "police_note_enc": None, "outcome": None if pending else outcome,
        "approved_by": None, "decided_at": decided, "policy_version": "p-bench",
        "decision_policy_version": None if pending else "p-bench", "created_at": submitted,
        "updated_at": decided or submitted, "version": 1})
    if decided is None:
        return
    attestation_id = new_id()
    until = datetime.combine(add_months(decided.date(), 24), decided.timetz())
    rows.attestations.append({
        "id": attestation_id, "request_id": request_id, "worker_id": worker["id"],
        "police_unit_code": police, "kid": kid, "outcome": outcome, "valid_from": decided,
        "valid_until": until, "status_index": i, "national_id_salt": secrets.token_hex(16),
        "jws": "bench-worker-list: not signed", "created_at": decided})
    if outcome != "meets_standard":
        return
    state = "suspended" if 75 <= bucket < 78 else "revoked" if 78 <= bucket < 80 else "active"
    if state == "revoked":
        worker["left_on"], worker["leave_reason"] = (now - timedelta(days=3)).date(), "nghỉ"
    rows.clearances.append({
        "id": new_id(), "worker_id": worker["id"], "attestation_id": attestation_id,
        "police_unit_code": police, "valid_from": decided, "valid_until": until,
        "state": state, "reason": None, "updated_at": decided, "version": 1})


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def is_complete(db: seed.BenchDb) -> bool:
    """Finished, rosters included (a database seeded before the rosters gets them added)."""
    return seed.is_complete(db) and seed.read_marker(db).get("roster") == ROSTER


async def seed_list(db: seed.BenchDb, keys_dir: Path, log: Log) -> float:
    """Fill `db` with `db.workers` workers in bulk (idempotent: a complete marker is kept)."""
    with seed._only_seeder(db):
        if is_complete(db):
            return 0.0
        if seed.sqlite_path(db.url) is None:
            await seed._ensure_postgres_database(db.url)
        started = time.perf_counter()
        settings = seed.settings_for(db.url, keys_dir)
        await prepare(settings, create_admin=False)
        keys = RegistryKeys.open(keys_dir)
        database = Database(db.url, inline=True)
        try:
            await _fill(database, keys, db.workers, log)
            await _rosters(database, keys, settings, log)
        finally:
            await database.dispose()
        spent = time.perf_counter() - started
        db.marker.parent.mkdir(parents=True, exist_ok=True)
        db.marker.write_text(json.dumps({
            "complete": True, "workers": db.workers, "roster": ROSTER,
            "seconds": round(spent, 1),
            "finished_at": datetime.now().astimezone().isoformat(timespec="seconds")},
            indent=2), encoding="utf-8")
        return spent


#: Who calls the list in the load: HR and a dispatcher of each province's post unit.
ROLES = ("post_hr", "dispatcher")


async def _accounts(session: AsyncSession) -> None:
    """The callers, written directly with one throwaway password hash between them: nobody
    logs in (tokens are issued with the bench keys), and 20 full-cost argon2 hashes would be
    most of the seed's time."""
    have = set((await session.scalars(select(UserAccount.username).where(
        UserAccount.username.like("bench-%")))).all())
    unusable = crypto.passwords.hash_password(secrets.token_urlsafe(24))
    for province in seed.PROVINCES:
        for role in ROLES:
            name = seed._username(role, province)
            if name not in have:
                session.add(UserAccount(
                    id=new_id(), username=name, role=role, province_code=province,
                    unit_code=post_unit_code(province), must_change_password=False,
                    totp_confirmed=False, password_hash=unusable))
    await session.flush()


async def _fill(database: Database, keys: RegistryKeys, workers: int, log: Log) -> None:
    async with database.transaction() as session:
        present = int(await session.scalar(select(func.count()).select_from(Worker).where(
            Worker.employee_no.like("BL%"))) or 0)  # the bulk's (not the rosters')
        if present not in (0, workers):
            raise RuntimeError(f"{database.url} holds {present:,} workers, not 0 or "
                               f"{workers:,}: remove it to reseed")
        await _accounts(session)
        kids = {p: (await active_key(session, Context(actor=SYSTEM), keys.store,
                                     police_unit_code(p)))[0] for p in seed.PROVINCES}
    if present == workers:
        return
    now, provinces = datetime.now(UTC), list(seed.PROVINCES)
    began = time.perf_counter()
    rows = _Rows()
    for i in range(workers):
        province = provinces[i % len(provinces)]
        worker = _worker_row(i, province, keys.data, now)
        _vetting_rows(i, worker, kids[province], now, rows)
        rows.workers.append(worker)
    log(f"  built {workers:,} workers, {len(rows.requests):,} requests, "
        f"{len(rows.attestations):,} attestations, {len(rows.clearances):,} clearances in "
        f"{time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    tables: list[tuple[Table, list[dict[str, Any]]]] = [
        (Worker.__table__, rows.workers),  # type: ignore[list-item]
        (VettingRequest.__table__, rows.requests),  # type: ignore[list-item]
        (Attestation.__table__, rows.attestations),  # type: ignore[list-item]
        (Clearance.__table__, rows.clearances)]  # type: ignore[list-item]
    async with database.transaction() as session:  # all or nothing: a rerun starts afresh
        for table, table_rows in tables:
            for chunk in _chunks(table_rows):
                await session.execute(insert(table), chunk)
        await session.run_sync(lambda s: fill_missing(s.connection()))  # the list's summary
    log(f"  inserted in {time.perf_counter() - began:.1f} s")
    # fresh planner statistics; on PostgreSQL also the visibility map, as autovacuum sets it
    # soon after a bulk insert (without it no index-only scan skips the heap)
    async with database.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.exec_driver_sql("ANALYZE" if database.is_sqlite else "VACUUM ANALYZE")


async def _rosters(database: Database, keys: RegistryKeys, settings: Settings,
                   log: Log) -> None:
    """Each province's roster route with `ROSTER` workers cleared and assigned through the
    services, one in ten then suspended (a province whose route exists is done)."""
    began = time.perf_counter()
    async with database.transaction() as session:
        crews = await seed.crews(session, create=True)  # adds the officer and the lead
        done = set((await session.scalars(select(Route.province_code).where(
            Route.code == ROSTER_CODE))).all())
    for n, (province, crew) in enumerate(crews.items()):
        if province in done:
            continue
        async with database.transaction() as session:  # one province at a time, whole
            now = utcnow()
            dispatcher = Context(actor=crew.dispatcher, now=now)
            route = await create_route(session, dispatcher, RouteInput(
                code=ROSTER_CODE, name=f"Tuyến KT1 {province} (bảng phân công)",
                province=province, stage="transport", service_classes=("standard",),
                max_secrecy="A"))
            for k in range(ROSTER):
                worker = await seed.cleared_worker(
                    session, ROSTER_FIRST + n * ROSTER + k, crew, settings, keys, now)
                await assignments.create(session, dispatcher, settings.policy,
                                         worker_id=worker.id, route_id=route.id,
                                         starts_at=now, ends_at=None,
                                         signatures=keys.attestations)
                if k % 10 == 9:
                    await lifecycle.change(session, Context(actor=crew.lead, now=now),
                                           worker.id, "suspend", reason="Bench: tạm dừng",
                                           expected_version=None)
    log(f"  rosters: {len(crews) - len(done)} routes of {ROSTER} workers through the services "
        f"in {time.perf_counter() - began:.1f} s")


# ----------------------------------------------------------------------------- the load

@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of list call, rotated over the provinces (and pages, names, ...)."""

    label: str
    paths: list[str]
    role: str = "post_hr"
    page: bool = False  # an HTML page, signed in by the page session's cookie
    by_province: bool = False  # paths[n] is asked with province n's credential only


def _kinds(rng: random.Random, rosters: list[str]) -> list[Kind]:
    """`rosters`: each province's roster route id, in `seed.PROVINCES` order."""
    names = [fold(_name(rng.randrange(10_000))) for _ in range(50)]
    return [
        Kind("first page by name", ["/api/v1/workers?limit=50"]),
        Kind("pages 2-20 by name", [f"/api/v1/workers?limit=50&offset={50 * k}"
                                    for k in range(1, 20)]),
        Kind("search by name (q=, accent-folded)",
             [f"/api/v1/workers?limit=50&q={n.replace(' ', '+')}" for n in names]),
        Kind("employee number prefix (q=BL…)",
             [f"/api/v1/workers?limit=50&q=BL{rng.randrange(100):02d}" for _ in range(20)]),
        Kind("clearance_state=active", ["/api/v1/workers?limit=50&clearance_state=active"]),
        Kind("clearance_state=pending", ["/api/v1/workers?limit=50&clearance_state=pending"]),
        Kind("expiring_within_days=180",
             ["/api/v1/workers?limit=50&expiring_within_days=180"]),
        Kind("employed, stage, newest first",
             ["/api/v1/workers?limit=50&employed=true&stage=transport&sort=-created_at"]),
        Kind("dispatcher, first page", ["/api/v1/workers?limit=50"], role="dispatcher"),
        Kind("PAGE /workers, first page (HTML)", ["/workers"], page=True),
        Kind("PAGE /workers, pages 2-20", [f"/workers?offset={50 * k}" for k in range(1, 20)],
             page=True),
        Kind("PAGE /workers?q= by name", [f"/workers?q={n.replace(' ', '+')}" for n in names],
             page=True),
        Kind(f"roster of {ROSTER} (API)", [f"/api/v1/routes/{r}/roster" for r in rosters],
             role="dispatcher", by_province=True),
        Kind(f"PAGE /routes/{{id}}, roster of {ROSTER}", [f"/routes/{r}" for r in rosters],
             role="dispatcher", page=True, by_province=True),
    ]


async def _roster_routes(url: str) -> list[str]:
    database = Database(url)
    try:
        async with database.transaction(read_only=True) as session:
            found = dict((await session.execute(select(Route.province_code, Route.id).where(
                Route.code == ROSTER_CODE))).tuples().all())
    finally:
        await database.dispose()
    return [found[p] for p in seed.PROVINCES]


@dataclass
class ListFigures:
    workers: int
    database: str
    seed_seconds: float
    kinds: dict[str, dict[str, float]] = field(default_factory=dict)
    health: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


async def _tokens(url: str, keys_dir: Path) -> dict[tuple[str, str], str]:
    """(role, province) -> a bearer token, issued with the bench keys (no argon2 login)."""
    keys, database = RegistryKeys.open(keys_dir), Database(url)
    try:
        async with database.transaction(read_only=True) as session:
            users = (await session.scalars(select(UserAccount).where(
                UserAccount.username.like("bench-%")))).all()
            now = datetime.now(UTC)
            return {(u.role, u.province_code or ""): issue_access_token(u, keys, now)
                    for u in users}
    finally:
        await database.dispose()


async def _page_sessions(url: str) -> dict[tuple[str, str], str]:
    """(role, province) -> a page session's cookie value, opened as a sign-in would open it
    (no argon2 login: the bench measures the page, not the password hash)."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            users = (await session.scalars(select(UserAccount).where(
                UserAccount.username.like("bench-%")))).all()
            ctx = Context(actor=SYSTEM)
            return {(u.role, u.province_code or ""): await open_session(session, ctx, u)
                    for u in users}
    finally:
        await database.dispose()


def measure(db: seed.BenchDb, keys_dir: Path, directory: Path, *, seconds: float,
            log: Log) -> ListFigures:
    """Each kind of list call at one connection for `seconds`, after a short warm-up."""
    name = seed.database_name(db.url)
    marker = seed.read_marker(db)
    figures = ListFigures(workers=db.workers, database=name,
                          seed_seconds=float(str(marker.get("seconds", 0))))
    tokens_by = asyncio.run(_tokens(db.url, keys_dir))
    cookies_by = asyncio.run(_page_sessions(db.url))
    rosters = asyncio.run(_roster_routes(db.url))
    log(f"\nworker list on {name} ({db.label}): {server.kt1vet()} serve")
    running = server.start(db.url, keys_dir, directory / f"server-{name}.log")
    work = directory / "run-list"
    try:
        rng = random.Random(20261202)
        health = load.run(running.base_url, [load.Request("/health")], [], connections=1,
                          seconds=seconds, workdir=work)
        figures.health = {"p50_ms": health.p50_ms, "p99_ms": health.p99_ms}
        log(f"  GET /health at 1 connection (the loopback's share): p50 "
            f"{health.p50_ms:.2f} ms, p99 {health.p99_ms:.2f} ms")
        for kind in _kinds(rng, rosters):
            credentials = cookies_by if kind.page else tokens_by
            carrier = load.PAGE_COOKIE if kind.page else load.BEARER
            tokens = [credentials[kind.role, p] for p in seed.PROVINCES]
            requests = [load.Request(path, n) for n, path in enumerate(kind.paths)] \
                if kind.by_province else [load.Request(path, n) for path in kind.paths
                                          for n in range(len(tokens))]
            load.run(running.base_url, requests, tokens, connections=1,
                     seconds=min(2.0, seconds), workdir=work, carrier=carrier)
            cpu_before = running.cpu_seconds()
            result = load.run(running.base_url, requests, tokens, connections=1,
                              seconds=seconds, workdir=work, carrier=carrier)
            cpu_ms = (running.cpu_seconds() - cpu_before) * 1000 / max(1, result.requests)
            figures.kinds[kind.label] = {"p50_ms": result.p50_ms, "p99_ms": result.p99_ms,
                                         "cpu_ms": cpu_ms, "requests": result.requests}
            if not result.clean:
                figures.problems.append(f"{kind.label}: {result.errors} errors, "
                                        f"{result.non_2xx} non-2xx")
            log(f"  {kind.label}: p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
                f"server CPU {cpu_ms:.2f} ms/request ({result.requests:,} requests)")
    finally:
        running.stop()
    return figures


def summary(figures: ListFigures) -> list[Figure]:
    """p50 / p99 at one connection on the list database (`--list-workers`, 100,000 by
    default); the verdict is on p99. The server's CPU per request, the steady figure on a
    busy machine, is in the run's JSON and its log."""
    return [Figure(f"{label}, p50 / p99", f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} ms",
                   f"p99 < {TARGET_MS:.0f} ms", r["p99_ms"] < TARGET_MS)
            for label, r in figures.kinds.items()]  # the CPU per request: in the JSON


def run(base: seed.BenchDb, directory: Path, workers: int, *, seconds: float,
        log: Log) -> ListFigures:
    """Seed (or reuse) the worker-list database, then measure it."""
    db = list_db(base, directory, workers)
    if is_complete(db):
        log(f"reusing {seed.database_name(db.url)} ({db.label})")
    else:
        log(f"seeding {seed.database_name(db.url)} ({db.label}) in bulk")
        spent = asyncio.run(seed_list(db, directory / "keys", log))
        log(f"seeded {seed.database_name(db.url)} in {spent:.0f} s")
    return measure(db, directory / "keys", directory, seconds=seconds, log=log)
