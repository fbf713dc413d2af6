"""Row locks that do not wait for the KEY SHARE lock PostgreSQL takes on a referenced row at
every insert that refers to it.

Under eight concurrent vetting cycles, a lead signing (audit head locked, then the police
unit locked FOR UPDATE for its key) and an HR officer nominating (the new request's foreign
key KEY SHARE-locks the same unit, then the audit head) waited for each other: PostgreSQL
answered "deadlock detected" and the requests 500. The unit and the scoped rows are now
locked FOR NO KEY UPDATE, which does not conflict with KEY SHARE."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.api.test_eligibility import Desk
from tests.checks import succeeded
from tests.conftest import People
from tests.factories import worker_body
from vetting.attestations import lifecycle, unit_keys
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.principal import SYSTEM, Actor, Context
from vetting.repositories import WORKERS

WAIT_S = 5.0


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time and no row locks")


async def _holding_key_share(database: Database, table: str, key_column: str, key: str,
                             held: asyncio.Event, release: asyncio.Event) -> None:
    """What an insert referring to the row does: KEY SHARE, held until its commit."""
    async with database.transaction() as session:
        await session.execute(text(f"SELECT 1 FROM {table} WHERE {key_column} = :key "  # noqa: S608 - the test's own names
                                   "FOR KEY SHARE"), {"key": key})
        held.set()
        await release.wait()


async def _while_key_shared(database: Database, table: str, key_column: str, key: str,
                            locking: Coroutine[Any, Any, None]) -> None:
    held, release = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(_holding_key_share(database, table, key_column, key, held,
                                                    release))
    await held.wait()
    try:
        await asyncio.wait_for(locking, WAIT_S)
    finally:
        release.set()
        await holder


async def test_signing_does_not_wait_for_an_insert_that_refers_to_the_unit(
        postgres_only: None, database: Database, keys: RegistryKeys) -> None:
    async def sign() -> None:
        async with database.transaction() as session:
            kid, _ = await unit_keys.active_key(session, Context(actor=SYSTEM), keys.store,
                                                "POLICE-51")
            assert kid

    await _while_key_shared(database, "unit", "code", "POLICE-51", sign())


async def test_a_locked_read_does_not_wait_for_an_insert_that_refers_to_the_row(
        postgres_only: None, database: Database, client: httpx.AsyncClient,
        people: People) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    created = succeeded(await client.post("/api/v1/workers", json=worker_body("POST-51"),
                                          headers=hr.headers))
    worker_id = str(created.json()["id"])
    actor = Actor(id=hr.id, role=hr.role, username=hr.username, province=hr.province,
                  unit=hr.unit)

    async def lock() -> None:
        async with database.transaction() as session:
            await WORKERS.get(session, actor, "workers.read", worker_id, lock=True)

    await _while_key_shared(database, "worker", "id", worker_id, lock())


async def test_a_lead_locking_a_clearance_does_not_wait_for_a_row_that_refers_to_it(
        postgres_only: None, database: Database, client: httpx.AsyncClient,
        people: People) -> None:
    """An incident review (`incident_worker`) and each clearance event refer to the clearance
    a lead suspends, reinstates or revokes."""
    desk = await Desk.of_province_51(client, people)
    worker_id = await desk.cleared_worker()
    lead = desk.p["lead"]
    ctx = Context(actor=Actor(id=lead.id, role=lead.role, username=lead.username,
                              province=lead.province, unit=lead.unit))
    async with database.transaction(read_only=True) as session:
        clearance_id = (await lifecycle.unit_clearance(session, ctx, worker_id)).id

    async def lock() -> None:
        async with database.transaction() as session:
            await lifecycle.unit_clearance(session, ctx, worker_id, for_update=True)

    await _while_key_shared(database, "clearance", "id", clearance_id, lock())
