"""Anonymous callers are audited as themselves (`anonymous`, with their address), never as
`system`, the actor of the registry's own commands; the log still verifies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import People, unique
from vetting.audit.entries import append
from vetting.audit.verify import verify_log
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import AuditEntry
from vetting.principal import ANONYMOUS_ROLE, SYSTEM, Context

ADDRESS = "203.0.113.7"  # TEST-NET-3: a caller somewhere on the network


@pytest.fixture
async def remote(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client calling from `ADDRESS`, as the server sees its peer."""
    transport = httpx.ASGITransport(app=app, client=(ADDRESS, 50123))
    async with httpx.AsyncClient(transport=transport, base_url="http://kt1.test") as c:
        yield c


async def entry_of(database: Database, response: httpx.Response) -> AuditEntry:
    async with database.transaction(read_only=True) as session:
        [entry] = (await session.scalars(select(AuditEntry).where(
            AuditEntry.request_id == response.headers["x-request-id"]))).all()
        return entry


async def test_anonymous_attempts_are_audited_as_anonymous_with_their_address(
        remote: httpx.AsyncClient, people: People, database: Database) -> None:
    person = await people.make("post_hr", unit="POST-51")
    attempts = [
        await remote.post("/api/v1/auth/login", json={"username": unique("ghost-"),
                                                      "password": "whatever it is"}),
        await remote.post("/api/v1/auth/login", json={"username": person.username,
                                                      "password": "not the password"}),
        await remote.post("/api/v1/auth/refresh", json={"refresh_token": unique("nope-")}),
    ]
    for response in attempts:
        assert response.status_code == 401, response.text
        entry = await entry_of(database, response)
        assert (entry.actor_id, entry.actor_role) == (None, ANONYMOUS_ROLE)
        assert ANONYMOUS_ROLE != SYSTEM.role
        assert json.loads(entry.body)["actor_address"] == ADDRESS


async def test_a_sign_in_is_the_account_s_own_and_says_where_from(
        remote: httpx.AsyncClient, people: People, database: Database) -> None:
    person = await people.make("post_hr", unit="POST-51")
    signed_in = await remote.post("/api/v1/auth/login", json={"username": person.username,
                                                              "password": person.password})
    assert signed_in.status_code == 200, signed_in.text
    entry = await entry_of(database, signed_in)
    assert (entry.actor_id, entry.actor_role, entry.outcome) == (person.id, "post_hr",
                                                                 "success")
    assert json.loads(entry.body) == {"mfa": False, "actor_address": ADDRESS}
    refreshed = await remote.post("/api/v1/auth/refresh", json={
        "refresh_token": signed_in.json()["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    entry = await entry_of(database, refreshed)
    assert (entry.actor_id, entry.actor_role) == (person.id, "post_hr")
    assert json.loads(entry.body) == {"actor_address": ADDRESS}


async def test_the_registry_s_own_entries_stay_system_and_the_log_verifies(
        remote: httpx.AsyncClient, people: People, database: Database,
        keys: RegistryKeys) -> None:
    """`system` is the registry acting on its own (commands, migrations): no address, no
    request. Entries of both kinds recompute to the same tree."""
    async with database.transaction() as session:
        own = await append(session, Context(actor=SYSTEM), action=unique("test.system-"))
    assert (own.actor_role, json.loads(own.body)) == ("system", {})
    person = await people.make("post_hr", unit="POST-51")
    denied = await remote.get("/api/v1/audit/checkpoint", headers=person.headers)
    assert denied.status_code == 403
    entry = await entry_of(database, denied)
    assert (entry.actor_id, entry.actor_role) == (person.id, "post_hr")
    assert "actor_address" not in json.loads(entry.body)  # a bearer's entries are the account's
    async with database.transaction(read_only=True) as session:
        report = await verify_log(session, audit_jwk=keys.audit_jwk())
    assert report.intact, report.problems
