"""Two people acting on the same object at the same moment: one wins, one is refused with
409, and the audit log records the one action that happened.

The requests run concurrently through the app on its connection pool, so on PostgreSQL
the two transactions really overlap (row locks decide); on SQLite the write lock does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import httpx
from sqlalchemy import func, select

from tests.api.test_eligibility import Desk
from tests.conftest import People
from vetting.db import Database
from vetting.models import AuditEntry, Clearance

CONTENDERS = 2


async def at_once(*calls: Awaitable[httpx.Response]) -> list[int]:
    return sorted(r.status_code for r in await asyncio.gather(*calls))


async def successes(database: Database, action: str, object_id: str) -> int:
    async with database.transaction(read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.object_id == object_id,
            AuditEntry.outcome == "success")) or 0)


async def race_desk(client: httpx.AsyncClient, people: People) -> Desk:
    """Province 51 with two officers and two leads, so the contenders are different people."""
    return Desk(client, {
        "hr": await people.make("post_hr", unit="POST-51"),
        "officer": await people.make("police_officer", unit="POLICE-51"),
        "officer2": await people.make("police_officer", unit="POLICE-51"),
        "lead": await people.make("police_lead", unit="POLICE-51"),
        "lead2": await people.make("police_lead", unit="POLICE-51"),
    })


async def test_two_officers_claim_one_request(client: httpx.AsyncClient, people: People,
                                              database: Database) -> None:
    desk = await race_desk(client, people)
    rid = await desk.request(await desk.worker(), until="submitted")
    url = f"/api/v1/vetting-requests/{rid}/claim"
    assert await at_once(desk.post("officer", url), desk.post("officer2", url)) == [200, 409]
    assert await successes(database, "request.claim", rid) == 1


async def test_two_leads_approve_one_proposal(client: httpx.AsyncClient, people: People,
                                              database: Database) -> None:
    desk = await race_desk(client, people)
    rid = await desk.request(await desk.worker(), until="submitted")
    base = f"/api/v1/vetting-requests/{rid}"
    assert (await desk.post("officer", f"{base}/claim")).status_code == 200
    proposed = await desk.post("officer", f"{base}/propose",
                               {"outcome": "meets_standard", "note": "n"})
    assert proposed.status_code == 200, proposed.text
    url = f"{base}/approve"
    assert await at_once(desk.post("lead", url), desk.post("lead2", url)) == [200, 409]
    assert await successes(database, "request.approve", rid) == 1
    request = await client.get(base, headers=desk.p["lead"].headers)
    assert request.json()["state"] == "cleared"


async def test_two_submissions_for_one_worker(client: httpx.AsyncClient, people: People,
                                              database: Database) -> None:
    desk = await race_desk(client, people)
    worker_id = await desk.worker()
    body: dict[str, Any] = {"worker_id": worker_id, "reason": "KT1"}
    calls = [desk.post("hr", "/api/v1/vetting-requests", body) for _ in range(CONTENDERS)]
    assert await at_once(*calls) == [201, 409]
    listed = await client.get("/api/v1/vetting-requests", params={"worker_id": worker_id},
                              headers=desk.p["hr"].headers)
    (only,) = listed.json()["items"]
    assert await successes(database, "request.submit", only["id"]) == 1


async def test_two_leads_reinstate_one_clearance(client: httpx.AsyncClient, people: People,
                                                 database: Database) -> None:
    desk = await race_desk(client, people)
    worker_id = await desk.cleared_worker()
    base = f"/api/v1/workers/{worker_id}/clearance"
    suspended = await desk.post("lead", f"{base}/suspend", {"reason": "kiểm tra"})
    assert suspended.status_code == 200, suspended.text
    clearance_id = await clearance_of(database, worker_id)
    before = await successes(database, "clearance.reinstate", clearance_id)
    url = f"{base}/reinstate"
    assert await at_once(desk.post("lead", url), desk.post("lead2", url)) == [200, 409]
    assert await successes(database, "clearance.reinstate", clearance_id) == before + 1
    state = await client.get(base, headers=desk.p["lead"].headers)
    assert state.json()["state"] == "active"


async def clearance_of(database: Database, worker_id: str) -> str:
    async with database.transaction(read_only=True) as session:
        return str(await session.scalar(select(Clearance.id).where(
            Clearance.worker_id == worker_id)))
