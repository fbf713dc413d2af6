"""`GET /api/v1/workers`: scoped in SQL, accent-insensitive search, audited national ID lookup,
filters, paging and sorting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sqlite3
import string
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

from tests.api.test_eligibility import Desk, days_ago
from tests.conftest import People
from tests.factories import worker_body
from vetting.db import Database
from vetting.models import AuditEntry, Worker
from vetting.settings import Settings


def tag() -> str:
    """A letters-only word no other test's worker has, so a search isolates this test's rows."""
    return "".join(random.choices(string.ascii_lowercase, k=10))


async def listing(desk: Desk, who: str, **params: Any) -> dict[str, Any]:
    response = await desk.client.get("/api/v1/workers", params=params,
                                     headers=desk.p[who].headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_search_is_accent_insensitive_and_scoped_to_the_unit(desk: Desk,
                                                                   people: People) -> None:
    word = tag()
    own = await desk.worker(full_name=f"Nguyễn Văn Ân {word.capitalize()}")
    desk.p["hr12"] = await people.make("post_hr", unit="POST-12")
    other = await desk.client.post("/api/v1/workers", headers=desk.p["hr12"].headers,
                                   json=worker_body("POST-12", legacy_code="012",
                                                    full_name=f"Nguyễn Văn Ân {word}"))
    assert other.status_code == 201, other.text
    found = await listing(desk, "hr", q=f"nguyen van an {word}")
    assert found["total"] == 1 and [w["id"] for w in found["items"]] == [own]
    assert found["items"][0]["full_name"] == f"Nguyễn Văn Ân {word.capitalize()}"
    assert found["items"][0]["national_id"].count("*") > 0  # masked, never the number
    assert "date_of_birth" not in found["items"][0]
    theirs = await listing(desk, "hr12", q=f"NGUYEN VĂN AN {word}")
    assert [w["id"] for w in theirs["items"]] == [other.json()["id"]]
    # the other province's dispatcher sees neither of the first unit's workers
    assert (await listing(desk, "other_dispatcher", q=word))["total"] == 1


async def test_shapes_per_role_and_police_see_only_workers_routed_to_them(
        desk: Desk, people: People) -> None:
    word = tag()
    worker_id = await desk.worker(full_name=f"Trần Thị Bình {word}")
    summary = (await listing(desk, "dispatcher", q=word))["items"]
    assert [w["id"] for w in summary] == [worker_id] and "national_id" not in summary[0]
    desk.p["inspector"] = await people.make("inspector", province="51")
    masked = (await listing(desk, "inspector", q=word))["items"][0]
    assert "*" in masked["national_id"]
    assert (await listing(desk, "officer", q=word))["total"] == 0  # nothing routed yet
    await desk.request(worker_id, until="submitted")
    assert [w["id"] for w in (await listing(desk, "officer", q=word))["items"]] == [worker_id]
    desk.p["officer12"] = await people.make("police_officer", unit="POLICE-12")
    assert (await listing(desk, "officer12", q=word))["total"] == 0


async def test_employee_number_prefix(desk: Desk) -> None:
    number = f"KT{tag().upper()}"
    worker_id = await desk.worker(employee_no=number)
    assert [w["id"] for w in (await listing(desk, "hr", q=number[:8].lower()))["items"]] == [
        worker_id]
    assert (await listing(desk, "hr", q=number[2:]))["total"] == 0  # a prefix, not a part


async def test_national_id_lookup_is_audited_and_refused_to_dispatchers(
        desk: Desk, database: Database) -> None:
    body = worker_body("POST-51")
    created = await desk.post("hr", "/api/v1/workers", body)
    assert created.status_code == 201
    found = await listing(desk, "hr", national_id=body["national_id"])
    assert [w["id"] for w in found["items"]] == [created.json()["id"]]
    async with database.transaction() as session:
        entry = await session.scalar(select(AuditEntry).where(
            AuditEntry.action == "worker.search_national_id",
            AuditEntry.actor_id == desk.p["hr"].id).order_by(AuditEntry.seq.desc()).limit(1))
    assert entry is not None and json.loads(entry.body) == {"found": 1}
    assert body["national_id"] not in entry.body and body["national_id"][-3:] not in entry.body
    refused = await desk.client.get("/api/v1/workers", headers=desk.p["dispatcher"].headers,
                                    params={"national_id": body["national_id"]})
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    async with database.transaction() as session:
        denied = await session.scalar(select(AuditEntry).where(
            AuditEntry.action == "access.denied",
            AuditEntry.actor_id == desk.p["dispatcher"].id))
        searched = await session.scalar(select(AuditEntry).where(
            AuditEntry.action == "worker.search_national_id",
            AuditEntry.actor_id == desk.p["dispatcher"].id))
    assert denied is not None and searched is None
    bad = await desk.client.get("/api/v1/workers", headers=desk.p["hr"].headers,
                                params={"national_id": "12345"})
    assert bad.status_code == 400


async def test_filters(desk: Desk) -> None:
    word = tag()
    cleared = await desk.cleared_worker(full_name=f"Lê Văn Cường {word}", stages=["transport"])
    pending = await desk.worker(full_name=f"Lê Văn Dũng {word}", stages=["acceptance"])
    await desk.request(pending, until="submitted")
    idle = await desk.worker(full_name=f"Lê Văn Em {word}", stages=["acceptance"])
    left = await desk.post("hr", f"/api/v1/workers/{idle}/leave",
                           {"left_on": days_ago(1), "reason": "nghỉ"})
    assert left.status_code == 200, left.text

    async def ids(**params: Any) -> set[str]:
        return {w["id"] for w in (await listing(desk, "hr", q=word, **params))["items"]}

    assert await ids(clearance_state="active") == {cleared}
    assert await ids(clearance_state="pending") == {pending}
    assert await ids(clearance_state="none") == {idle}
    assert await ids(clearance_state="revoked") == set()
    assert await ids(employed="false") == {idle}
    assert await ids(employed="true") == {cleared, pending}
    assert await ids(stage="transport") == {cleared}
    assert await ids(stage="acceptance") == {pending, idle}
    assert await ids(post_unit="POST-51") == {cleared, pending, idle}
    assert await ids(post_unit="POST-12") == set()
    assert await ids(expiring_within_days="10") == set()  # valid for about two years
    assert await ids(expiring_within_days="800") == {cleared}
    line = next(w for w in (await listing(desk, "hr", q=word))["items"] if w["id"] == cleared)
    assert line["clearance_state"] == "active" and line["clearance_valid_until"].endswith("Z")
    bad = await desk.client.get("/api/v1/workers", headers=desk.p["hr"].headers,
                                params={"clearance_state": "cleared"})
    assert bad.status_code == 400


async def test_paging_totals_and_sort(desk: Desk) -> None:
    word = tag()
    names = [f"Ánh {word}", f"Bảo {word}", f"Đức {word}"]
    ids = [await desk.worker(full_name=n, employee_no=f"Z{i}{word}", trained=False,
                             committed=False) for i, n in enumerate(reversed(names))]
    by_name = list(reversed(ids))
    first = await listing(desk, "hr", q=word, limit=2)
    assert first["total"] == 3 and [w["id"] for w in first["items"]] == by_name[:2]
    rest = await listing(desk, "hr", q=word, limit=2, offset=2)
    assert rest["total"] == 3 and [w["id"] for w in rest["items"]] == by_name[2:]
    assert [w["id"] for w in (await listing(desk, "hr", q=word, sort="-name"))["items"]] == ids
    assert [w["id"] for w in (await listing(desk, "hr", q=word, sort="employee_no"))
            ["items"]] == ids
    assert [w["id"] for w in (await listing(desk, "hr", q=word, sort="-created_at"))
            ["items"]] == by_name
    bad = await desk.client.get("/api/v1/workers", headers=desk.p["hr"].headers,
                                params={"sort": "national_id"})
    assert bad.status_code == 400


async def test_admins_have_no_worker_list(desk: Desk, people: People) -> None:
    admin = await people.make("admin")
    response = await desk.client.get("/api/v1/workers", headers=admin.headers)
    assert response.status_code == 403


@contextlib.contextmanager
def transactions(database: Database) -> Iterator[list[bool]]:
    """Whether each transaction begun meanwhile was a writer (True) or a reader (False)."""
    begun: list[bool] = []

    def on_begin(connection: Connection) -> None:
        begun.append(not connection.get_execution_options().get("kt1_read_only", False))

    event.listen(database.engine.sync_engine, "begin", on_begin)
    try:
        yield begun
    finally:
        event.remove(database.engine.sync_engine, "begin", on_begin)


async def test_listing_is_a_reader_but_for_an_audited_national_id_lookup(
        desk: Desk, database: Database) -> None:
    body = worker_body("POST-51")
    assert (await desk.post("hr", "/api/v1/workers", body)).status_code == 201
    for params in ({}, {"q": "nguyen van an", "clearance_state": "none", "sort": "-name"},
                   {"expiring_within_days": "30", "limit": "5"}):
        with transactions(database) as begun:
            await listing(desk, "hr", **params)
        assert begun and not any(begun), params
    with transactions(database) as begun:
        found = await listing(desk, "hr", national_id=body["national_id"])
    assert found["total"] == 1 and begun.count(True) == 1  # the lookup and its audit entry
    with transactions(database) as begun:
        refused = await desk.client.get("/api/v1/workers", headers=desk.p["dispatcher"].headers,
                                        params={"national_id": body["national_id"]})
    assert refused.status_code == 403 and begun.count(True) == 1  # the audited refusal only


async def test_listing_does_not_wait_for_a_writer(backend: str, desk: Desk,
                                                  settings: Settings) -> None:
    """SQLite: while another connection holds the write lock, a list call is answered at once
    (a writer's BEGIN IMMEDIATE would wait for the lock), and a national ID lookup waits."""
    if backend != "sqlite":
        pytest.skip("the write lock is SQLite's")
    path = make_url(settings.database_url).database
    assert path
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        page = await asyncio.wait_for(listing(desk, "hr", limit=5), timeout=5)
        assert page["total"] >= 0
        lookup = asyncio.create_task(listing(desk, "hr", national_id="051090000001"))
        await asyncio.sleep(0.5)
        assert not lookup.done()  # it needs the write lock for its audit entry
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (await asyncio.wait_for(lookup, timeout=30))["total"] == 0


async def test_a_postgresql_reader_is_a_read_only_transaction(backend: str,
                                                              database: Database) -> None:
    """A write slipped into a reader fails on PostgreSQL rather than passing unnoticed."""
    if backend != "postgresql":
        pytest.skip("SQLite readers are shown by the write lock test above")
    async with database.transaction(read_only=True) as session:
        assert await session.scalar(text("SHOW transaction_read_only")) == "on"
    async with database.transaction() as session:
        assert await session.scalar(text("SHOW transaction_read_only")) == "off"
    with pytest.raises(DBAPIError, match="read-only transaction"):
        async with database.transaction(read_only=True) as session:
            await session.execute(update(Worker).where(Worker.id == "none").values(version=1))
