"""Nominating many workers at once: all or none, each routed as one nomination is, one
notification per police unit, every refusal named by its position in `worker_ids`."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import func, select

from tests.conftest import People, Person
from tests.factories import worker_body
from vetting.db import Database
from vetting.models import AuditEntry, Notification, OutboxEvent, VettingRequest

URL = "/api/v1/vetting-requests/batch"


async def _workers(client: httpx.AsyncClient, hr: Person, n: int, unit: str = "POST-51"
                   ) -> list[str]:
    ids = []
    for _ in range(n):
        made = await client.post("/api/v1/workers", json=worker_body(unit), headers=hr.headers)
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    return ids


async def _requests(database: Database) -> int:
    async with database.transaction(read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(VettingRequest)) or 0)


async def test_a_batch_is_routed_like_single_nominations_and_notified_once(
        client: httpx.AsyncClient, people: People, database: Database) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    officer = await people.make("police_officer", unit="POLICE-51")
    ids = await _workers(client, hr, 3)
    answer = await client.post(URL, json={"worker_ids": ids, "reason": "KT1 giao nhận"},
                               headers=hr.headers)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["total"] == 3 and [r["worker_id"] for r in body["items"]] == ids
    assert {(r["state"], r["police_unit"]) for r in body["items"]} == {
        ("submitted", "POLICE-51")}
    inbox = (await client.get("/api/v1/notifications?unread=true", headers=officer.headers)
             ).json()
    mine = [n for n in inbox["items"] if n["object_id"] == body["batch_id"]]
    assert len(mine) == 1 and mine[0]["object_type"] == "vetting_batch"
    assert mine[0]["kind"] == "request.routed"
    async with database.transaction(read_only=True) as session:
        events = (await session.scalars(select(OutboxEvent).where(
            OutboxEvent.object_id == body["batch_id"]))).all()
        per_request = await session.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.object_id.in_([r["id"] for r in body["items"]])))
        entries = (await session.scalars(select(AuditEntry).where(AuditEntry.object_id.in_(
            [body["batch_id"], *(r["id"] for r in body["items"])])).order_by(AuditEntry.seq))
                   ).all()
    assert len(events) == 1 and per_request == 0
    assert sorted(json.loads(events[0].payload)["requests"]) == sorted(
        r["id"] for r in body["items"])
    assert [e.action for e in entries] == ["request.submit"] * 3 + ["request.batch_submit"]
    assert all(json.loads(e.body)["batch"] == body["batch_id"] for e in entries[:3])


async def test_one_ineligible_worker_and_nothing_is_submitted(
        client: httpx.AsyncClient, people: People, database: Database) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    ids = await _workers(client, hr, 3)
    first = await client.post("/api/v1/vetting-requests", json={
        "worker_id": ids[1], "reason": "đã gửi"}, headers=hr.headers)
    assert first.status_code == 201
    before = await _requests(database)
    async with database.transaction(read_only=True) as session:
        notices = await session.scalar(select(func.count()).select_from(Notification))
    answer = await client.post(URL, json={"worker_ids": ids, "reason": "KT1"},
                               headers={**hr.headers, "Accept-Language": "en"})
    assert answer.status_code == 409, answer.text
    body = answer.json()
    assert body["code"] == "BATCH_REFUSED"
    assert body["detail"] == "1 of the workers cannot be nominated; nothing was submitted."
    assert body["invalid_params"] == [{
        "name": "worker_ids[1]", "in": "body", "rule": "OPEN_REQUEST_EXISTS",
        "reason": "The worker already has an open vetting request.", "worker_id": ids[1]}]
    assert await _requests(database) == before
    async with database.transaction(read_only=True) as session:
        assert await session.scalar(select(func.count()).select_from(Notification)) == notices
        assert await session.scalar(select(func.count()).select_from(VettingRequest).where(
            VettingRequest.worker_id.in_([ids[0], ids[2]]))) == 0


async def test_unknown_foreign_and_repeated_workers_are_named_by_position(
        client: httpx.AsyncClient, people: People, database: Database) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    other_hr = await people.make("post_hr", unit="POST-12")
    [mine] = await _workers(client, hr, 1)
    [foreign] = await _workers(client, other_hr, 1, "POST-12")
    before = await _requests(database)
    answer = await client.post(URL, json={
        "worker_ids": [mine, "no-such-worker", foreign, mine], "reason": "KT1"},
        headers=hr.headers)
    assert answer.status_code == 422, answer.text
    assert [(p["name"], p["rule"]) for p in answer.json()["invalid_params"]] == [
        ("worker_ids[1]", "UNKNOWN_WORKER"), ("worker_ids[2]", "UNKNOWN_WORKER"),
        ("worker_ids[3]", "DUPLICATE_IN_BATCH")]
    assert answer.json()["invalid_params"][2]["reason"] == (
        "Người lao động này đã có trong danh sách ở vị trí 0.")
    assert await _requests(database) == before


async def test_more_than_500_workers_are_refused(client: httpx.AsyncClient, people: People,
                                                 database: Database) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    before = await _requests(database)
    answer = await client.post(URL, json={"worker_ids": [f"w{i}" for i in range(501)],
                                          "reason": "KT1"}, headers=hr.headers)
    assert answer.status_code == 400, answer.text
    [broken] = answer.json()["invalid_params"]
    assert (broken["name"], broken["rule"]) == ("worker_ids", "too_many")
    assert "500" in broken["reason"]
    empty = await client.post(URL, json={"worker_ids": [], "reason": "KT1"},
                              headers=hr.headers)
    assert empty.status_code == 400
    assert await _requests(database) == before


async def test_only_hr_nominates_in_batches(client: httpx.AsyncClient, people: People) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    ids = await _workers(client, hr, 1)
    for role, unit in (("dispatcher", "POST-51"), ("police_lead", "POLICE-51")):
        caller = await people.make(role, unit=unit)
        refused = await client.post(URL, json={"worker_ids": ids, "reason": "KT1"},
                                    headers=caller.headers)
        assert refused.status_code == 403, refused.text
