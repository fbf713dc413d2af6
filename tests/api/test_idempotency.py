"""Idempotent replays (api/idempotency.py, vetting/idempotency.py): an answer belongs to the
account and the scope it was made under, is replayed only while the caller could still read
it (and then audited like that read), carries its status and headers, expires, and is stored
in the action's own transaction so that a crash can never leave a done action unanswered."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.routes import HTTPRoute
from sqlalchemy import func, select, update

from api import idempotency as middleware
from api.app import create_app
from tests.api.test_body_guard import written
from tests.api.test_eligibility import Desk
from tests.conftest import People, Person, served, settings_for
from tests.factories import worker_body
from vetting import idempotency as store
from vetting.db import Database
from vetting.models import AuditEntry, IdempotencyRecord
from vetting.models.base import utcnow
from vetting.principal import Actor
from vetting.settings import Settings, SettingsError, read_settings


def _keyed(person: Person, key: str) -> dict[str, str]:
    return {**person.headers, "Idempotency-Key": key}


async def _reads(database: Database, worker_id: str) -> list[str | None]:
    """The request ids of the dossier reads of a worker, oldest first."""
    async with database.transaction(read_only=True) as session:
        return list((await session.scalars(select(AuditEntry.request_id).where(
            AuditEntry.action == "worker.dossier_read", AuditEntry.object_id == worker_id
        ).order_by(AuditEntry.seq))).all())


async def _sign_in(client: httpx.AsyncClient, person: Person) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={
        "username": person.username, "password": person.password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_a_replay_shows_the_dossier_and_is_audited_as_a_read(
        client: httpx.AsyncClient, people: People, database: Database) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    body = worker_body()
    first = await client.post("/api/v1/workers", json=body, headers=_keyed(hr, "reg-1"))
    assert first.status_code == 201, first.text
    worker_id = first.json()["id"]
    before = await _reads(database, worker_id)
    again = await client.post("/api/v1/workers", json=body, headers=_keyed(hr, "reg-1"))
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["content-type"] == "application/json"
    assert await _reads(database, worker_id) == [*before, again.headers["x-request-id"]]


async def test_a_moved_account_gets_no_replay_of_what_it_can_no_longer_read(
        client: httpx.AsyncClient, people: People, database: Database) -> None:
    """Issue 19 bug 1: HR of POST-51 registers with a key, is moved to POST-01, and sends the
    same POST again: no replay of the dossier, no dossier shown, nothing written."""
    hr = await people.make("post_hr", unit="POST-51")
    admin = await people.make("admin")
    body = worker_body()
    first = await client.post("/api/v1/workers", json=body, headers=_keyed(hr, "move-1"))
    assert first.status_code == 201
    worker_id = first.json()["id"]
    moved = await client.patch(f"/api/v1/users/{hr.id}", json={"unit": "POST-01"},
                               headers=admin.headers)
    assert moved.status_code == 200, moved.text
    fresh = await _sign_in(client, hr)
    reads, count = await _reads(database, worker_id), await written(database)
    again = await client.post("/api/v1/workers", json=body,
                              headers={**fresh, "Idempotency-Key": "move-1"})
    assert again.status_code == 422, again.text
    assert again.json()["code"] == "OUT_OF_SCOPE" and "idempotent-replayed" not in again.headers
    assert body["hometown"] not in again.text
    assert (await client.get(f"/api/v1/workers/{worker_id}", headers=fresh)).status_code == 404
    assert await _reads(database, worker_id) == reads
    assert (await written(database))[1] == count[1]


async def test_a_replay_needs_the_object_to_be_readable_still(desk: Desk) -> None:
    """Same account, same scope, but the request went to another province's police."""
    worker_id = await desk.worker()
    request_id = await desk.request(worker_id, until="submitted")
    claim = f"/api/v1/vetting-requests/{request_id}/claim"
    officer = desk.p["officer"]
    first = await desk.client.post(claim, headers=_keyed(officer, "claim-1"))
    assert first.status_code == 200, first.text
    replayed = await desk.client.post(claim, headers=_keyed(officer, "claim-1"))
    assert replayed.status_code == 200 and replayed.headers["idempotent-replayed"] == "true"
    moved = await desk.post("officer", f"/api/v1/vetting-requests/{request_id}/transfer",
                            {"police_unit": "POLICE-12", "reason": "nơi làm việc ở tỉnh khác"})
    assert moved.status_code == 200, moved.text
    gone = await desk.client.post(claim, headers=_keyed(officer, "claim-1"))
    assert gone.status_code == 404, gone.text
    assert gone.json()["code"] == "NOT_FOUND" and request_id not in gone.text


async def test_a_replay_repeats_status_and_headers(client: httpx.AsyncClient,
                                                   people: People) -> None:
    admin = await people.make("admin")
    body = {"username": f"u{admin.id[:8]}", "role": "dispatcher", "unit": "POST-51"}
    first = await client.post("/api/v1/users", json=body, headers=_keyed(admin, "user-1"))
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"/api/v1/users/{first.json()['id']}"
    again = await client.post("/api/v1/users", json=body, headers=_keyed(admin, "user-1"))
    assert (again.status_code, again.headers["location"]) == (201, first.headers["location"])
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    refused = await client.post("/api/v1/users", json=body, headers=_keyed(admin, "user-2"))
    assert refused.status_code == 409
    replayed = await client.post("/api/v1/users", json=body, headers=_keyed(admin, "user-2"))
    assert replayed.status_code == 409 and replayed.headers["idempotent-replayed"] == "true"
    assert replayed.headers["content-type"] == "application/problem+json"
    assert replayed.json() == refused.json()


@pytest.mark.parametrize(("key", "status", "code"), [
    ("bad key with spaces", 422, "INVALID_IDEMPOTENCY_KEY"), ("x" * 256, 422,
                                                              "INVALID_IDEMPOTENCY_KEY"),
])
async def test_a_malformed_key_is_a_problem_naming_the_header(
        client: httpx.AsyncClient, people: People, key: str, status: int, code: str) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    response = await client.post("/api/v1/workers", json=worker_body(),
                                 headers=_keyed(hr, key))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == code and problem["title"] == "Unprocessable Content"
    assert problem["invalid_params"][0]["in"] == "header"
    assert problem["invalid_params"][0]["name"] == "Idempotency-Key"


async def test_a_long_path_with_a_key_is_no_server_error(desk: Desk) -> None:
    """The record keeps 500 characters of the path: PostgreSQL refused a longer one (500)."""
    path = f"/api/v1/vetting-requests/{'x' * 600}/claim"
    for _ in range(2):
        response = await desk.client.post(path, headers=_keyed(desk.p["officer"], "long-1"))
        assert response.status_code == 404, response.text


async def test_a_reused_key_names_the_header(client: httpx.AsyncClient, people: People) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    assert (await client.post("/api/v1/workers", json=worker_body(),
                              headers=_keyed(hr, "reuse-1"))).status_code == 201
    other = await client.post("/api/v1/workers", json=worker_body(),
                              headers=_keyed(hr, "reuse-1"))
    assert other.status_code == 422
    assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert other.json()["invalid_params"][0]["in"] == "header"


async def _record(database: Database, user_id: str, key: str) -> IdempotencyRecord | None:
    async with database.transaction(read_only=True) as session:
        return await session.scalar(select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key))


async def _set(database: Database, user_id: str, key: str, **values: Any) -> None:
    async with database.transaction() as session:
        await session.execute(update(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key).values(**values))


async def test_records_expire(client: httpx.AsyncClient, people: People,
                              database: Database) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    first = await client.post("/api/v1/workers", json=worker_body(),
                              headers=_keyed(hr, "old-1"))
    record = await _record(database, hr.id, "old-1")
    assert record is not None and record.expires_at - record.created_at == timedelta(hours=24)
    await _set(database, hr.id, "old-1", expires_at=utcnow() - timedelta(seconds=1))
    later = await client.post("/api/v1/workers", json=worker_body(),
                              headers=_keyed(hr, "old-1"))
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]


def test_the_lifetime_is_configurable(tmp_path: Path) -> None:
    env = {"KT1_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
           "KT1_KEYS_DIR": str(tmp_path / "keys")}
    assert read_settings(env).idempotency_ttl == timedelta(hours=24)
    assert read_settings({**env, "KT1_IDEMPOTENCY_HOURS": "2"}).idempotency_ttl == timedelta(
        hours=2)
    for bad in ("0", "1e3", "-1", "721", "two"):
        with pytest.raises(SettingsError, match="KT1_IDEMPOTENCY_HOURS"):
            read_settings({**env, "KT1_IDEMPOTENCY_HOURS": bad})


async def test_a_short_lifetime_is_used(keys_dir: Path, people: People, settings: Settings,
                                        database: Database) -> None:
    short = settings_for(settings.database_url, keys_dir, KT1_IDEMPOTENCY_HOURS="2")
    hr = await people.make("post_hr", unit="POST-51")
    async with served(create_app(short, database)) as own:
        assert (await own.post("/api/v1/workers", json=worker_body(),
                               headers=_keyed(hr, "short-1"))).status_code == 201
    record = await _record(database, hr.id, "short-1")
    assert record is not None and record.expires_at - record.created_at == timedelta(hours=2)


def _actor(person: Person) -> Actor:
    return Actor(id=person.id, role=person.role, username=person.username,
                 province=person.province, unit=person.unit)


def _digest(path: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(path.encode() + b"\n" + httpx.Request(
        "POST", "/", json=body).content).hexdigest()


async def test_a_claim_left_by_a_dead_request_is_taken_over(
        client: httpx.AsyncClient, people: People, database: Database) -> None:
    """A request that died before its commit did nothing: after the lease its key is free,
    while a fresh claim still answers 409."""
    hr = await people.make("post_hr", unit="POST-51")
    body = worker_body()
    async with database.transaction() as session:
        now = utcnow()
        for key, claimed in (("dead-1", now - store.LEASE - timedelta(seconds=1)),
                             ("busy-1", now)):
            session.add(IdempotencyRecord(
                user_id=hr.id, scope=store.scope_of(_actor(hr)), key=key, method="POST",
                path="/api/v1/workers", request_sha256=_digest("/api/v1/workers", body),
                claim="x" * 32, claimed_at=claimed, status_code=store.RUNNING,
                response_headers="[]", response_body="", created_at=claimed,
                expires_at=now + timedelta(hours=1)))
    busy = await client.post("/api/v1/workers", json=body, headers=_keyed(hr, "busy-1"))
    assert busy.status_code == 409 and busy.json()["code"] == "IDEMPOTENCY_IN_PROGRESS"
    assert busy.headers["content-type"].startswith("application/problem+json")
    taken = await client.post("/api/v1/workers", json=body, headers=_keyed(hr, "dead-1"))
    assert taken.status_code == 201, taken.text
    again = await client.post("/api/v1/workers", json=body, headers=_keyed(hr, "dead-1"))
    assert again.headers["idempotent-replayed"] == "true" and again.json() == taken.json()


async def test_the_answer_is_committed_with_the_action(
        client: httpx.AsyncClient, people: People, database: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing after the commit is needed to answer a replay: a crash once the action has
    committed cannot leave its key answering 409."""
    hr = await people.make("post_hr", unit="POST-51")
    calls: list[object] = []

    async def crashed(*args: object) -> None:
        calls.append(args)  # the process died here: nothing after the commit ran

    monkeypatch.setattr(store, "settle_apart", crashed)
    body = worker_body()
    first = await client.post("/api/v1/workers", json=body, headers=_keyed(hr, "atomic-1"))
    assert first.status_code == 201 and calls == []
    record = await _record(database, hr.id, "atomic-1")
    assert record is not None and record.status_code == 201
    again = await client.post("/api/v1/workers", json=body, headers=_keyed(hr, "atomic-1"))
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"


async def test_an_action_whose_claim_was_taken_over_rolls_back(
        client: httpx.AsyncClient, people: People, database: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    original = middleware.Pending.before_commit

    async def overtaken(self: middleware.Pending, session: Any) -> None:
        self.held = store.Claim(self.held.user_id, self.held.scope, self.held.key, "y" * 32)
        await original(self, session)

    monkeypatch.setattr(middleware.Pending, "before_commit", overtaken)
    before = await written(database)
    lost = await client.post("/api/v1/workers", json=worker_body(),
                             headers=_keyed(hr, "lost-1"))
    assert lost.status_code == 409 and lost.json()["code"] == "IDEMPOTENCY_IN_PROGRESS"
    assert (await written(database))[1] == before[1]


async def test_reads_sent_as_post_are_answered_afresh(desk: Desk, database: Database) -> None:
    worker_id = await desk.worker()
    route = await desk.post("dispatcher", "/api/v1/routes", {
        "code": f"R{worker_id[:8]}", "name": "Tuyến", "province": "51", "stage": "transport",
        "service_classes": ["standard"], "max_secrecy": "A"})
    body = {"route_id": route.json()["id"], "worker_ids": [worker_id]}
    headers = _keyed(desk.p["dispatcher"], "batch-1")
    for _ in range(2):
        answer = await desk.client.post("/api/v1/eligibility/batch", json=body, headers=headers)
        assert answer.status_code == 200 and "idempotent-replayed" not in answer.headers
    async with database.transaction(read_only=True) as session:
        assert await session.scalar(select(func.count()).select_from(IdempotencyRecord).where(
            IdempotencyRecord.key == "batch-1")) == 0


def test_every_authenticated_post_says_how_its_replay_is_checked(app: Any) -> None:
    posts = {route.path_format for route in app.routes if isinstance(route, HTTPRoute)
             and "POST" in route.methods and route.path_format.startswith("/api/")
             and not route.route_handler_map["POST"][0].opt.get("public")}
    public = {"/api/v1/attestations/verify"}  # rerun when a key is sent; public all the same
    assert posts == (set(middleware.READS) | middleware.RERUN) - public
