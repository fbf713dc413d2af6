"""The scoped repositories: each aggregate's `get` finds what the caller's scope reaches and
answers 'not found' for the rest (another unit, another province, no grant at all), and
`list` counts only what is in scope.

This module has a database of its own (tests/conftest.py), so the counts are exact: one
worker, one request, one clearance, one route and one incident exist in it, all of
province 51."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.test_eligibility import Desk
from tests.api.test_incidents import reported, two_provinces
from tests.conftest import People, Person
from vetting.db import Database
from vetting.errors import NotFound
from vetting.models import (
    AuditEntry,
    Clearance,
    Incident,
    Route,
    UserAccount,
    VettingRequest,
    Worker,
)
from vetting.principal import Actor
from vetting.repositories import (
    ACCOUNTS,
    AUDIT_ENTRIES,
    CLEARANCES,
    INCIDENTS,
    REQUESTS,
    ROUTES,
    WORKERS,
)
from vetting.repositories.base import ScopedRepository


def actor(person: Person) -> Actor:
    return Actor(id=person.id, role=person.role, username=person.username,
                 province=person.province, unit=person.unit)


@dataclass
class Scene:
    desk: Desk
    worker: str
    request: str
    attestation: str  # the clearance's
    route: str
    incident: str


@pytest.fixture(scope="module")
async def scene(client: httpx.AsyncClient, people: People) -> Scene:
    desk = await two_provinces(client, people)
    worker = await desk.worker()
    request = await desk.request(worker)
    route = await desk.route()
    incident = (await reported(desk, "other", [worker]))["id"]
    return Scene(desk, worker, request, await _attestation(client, desk, worker), route,
                 incident)


async def _attestation(client: httpx.AsyncClient, desk: Desk, worker_id: str) -> str:
    """The attestation of the worker's clearance, as HR reads it."""
    response = await client.get(f"/api/v1/workers/{worker_id}/clearance",
                                headers=desk.p["hr"].headers)
    assert response.status_code == 200 and response.json()["state"] == "active", response.text
    attestation_id = response.json()["attestation_id"]
    assert attestation_id
    return str(attestation_id)


async def _get(database: Database, repository: ScopedRepository[Any], who: Person, action: str,
               key: str) -> Any:
    async with database.transaction(read_only=True) as session:
        return await repository.get(session, actor(who), action, key)


async def _total(database: Database, repository: ScopedRepository[Any], who: Person,
                 action: str) -> int:
    async with database.transaction(read_only=True) as session:
        return (await repository.list(session, actor(who), action, limit=10))[1]


CASES = [  # repository, action, scene attribute, who reaches it, who does not
    (WORKERS, "workers.read", "worker", ("hr", "officer", "lead", "dispatcher", "inspector"),
     ("hr12", "officer12", "lead12", "dispatcher12", "inspector12", "admin")),
    (REQUESTS, "requests.read", "request", ("hr", "officer", "lead", "inspector"),
     ("hr12", "officer12", "inspector12", "dispatcher", "admin")),
    (ROUTES, "routes.read", "route", ("dispatcher", "inspector", "admin"),
     ("dispatcher12", "inspector12", "hr")),
    (INCIDENTS, "incidents.read", "incident", ("hr", "officer", "lead", "inspector"),
     ("hr12", "officer12", "inspector12", "dispatcher")),
]


@pytest.mark.parametrize(("repository", "action", "attribute", "reach", "miss"), CASES,
                         ids=["workers", "requests", "routes", "incidents"])
async def test_get_reaches_the_scope_and_nothing_else(
        scene: Scene, database: Database, repository: ScopedRepository[Any], action: str,
        attribute: str, reach: tuple[str, ...], miss: tuple[str, ...]) -> None:
    key = getattr(scene, attribute)
    for who in reach:
        found = await _get(database, repository, scene.desk.p[who], action, key)
        assert found.id == key, who
        assert await _total(database, repository, scene.desk.p[who], action) == 1, who
    for who in miss:
        with pytest.raises(NotFound):
            await _get(database, repository, scene.desk.p[who], action, key)
        assert await _total(database, repository, scene.desk.p[who], action) == 0, who


async def test_a_clearance_is_acted_on_by_the_issuing_unit_only(scene: Scene,
                                                                database: Database) -> None:
    async with database.transaction(read_only=True) as session:
        clearance = await session.scalar(
            CLEARANCES.statement(actor(scene.desk.p["lead"]), "clearance.manage")
            .where(Clearance.worker_id == scene.worker))
        assert clearance is not None and clearance.attestation_id == scene.attestation
        for who in ("lead12", "officer", "hr"):  # another unit's lead; roles without the grant
            assert await session.scalar(
                CLEARANCES.statement(actor(scene.desk.p[who]), "clearance.manage")
                .where(Clearance.worker_id == scene.worker)) is None, who
        # reading goes by the worker's scope
        for who, seen in (("hr", True), ("dispatcher", True), ("hr12", False)):
            found = await session.scalar(
                CLEARANCES.statement(actor(scene.desk.p[who]), "clearance.read")
                .where(Clearance.worker_id == scene.worker))
            assert (found is not None) is seen, who


async def test_accounts_are_for_admins_alone(scene: Scene, database: Database) -> None:
    hr = scene.desk.p["hr"]
    assert (await _get(database, ACCOUNTS, scene.desk.p["admin"], "users.read", hr.id)).id == hr.id
    for who in ("hr", "inspector", "lead"):
        with pytest.raises(NotFound):
            await _get(database, ACCOUNTS, scene.desk.p[who], "users.read", hr.id)
    assert await _total(database, ACCOUNTS, scene.desk.p["admin"], "users.read") == len(
        scene.desk.p)  # every account of this module's database: the scene's
    assert await _total(database, ACCOUNTS, hr, "users.read") == 0


async def test_an_inspector_reads_the_audit_entries_of_their_province(
        scene: Scene, database: Database) -> None:
    async with database.transaction(read_only=True) as session:
        about_worker = AuditEntry.object_id == scene.worker
        mine = (await AUDIT_ENTRIES.list(session, actor(scene.desk.p["inspector"]),
                                         "audit.entries", about_worker, limit=100))[0]
        theirs = (await AUDIT_ENTRIES.list(session, actor(scene.desk.p["inspector12"]),
                                           "audit.entries", about_worker, limit=100))[0]
        nobody = (await AUDIT_ENTRIES.list(session, actor(scene.desk.p["hr"]),
                                           "audit.entries", about_worker, limit=100))[0]
    assert {e.action for e in mine} >= {"worker.create", "worker.training",
                                        "worker.commitment"}
    assert theirs == [] and nobody == []


async def test_a_locked_get_reads_the_row_as_it_is_now(scene: Scene, database: Database) -> None:
    """`lock=True` reads the row from the database even when the session already holds it
    (populate_existing): a version check after it compares with what is stored."""
    hr = actor(scene.desk.p["hr"])
    async with database.transaction() as session:
        held = await WORKERS.get(session, hr, "workers.read", scene.worker)
        stored = held.full_name
        with session.no_autoflush:
            held.full_name = "Nguyễn Văn Bình"  # unflushed: the session's view only
            plain = await WORKERS.get(session, hr, "workers.read", scene.worker)
            assert plain is held and plain.full_name == "Nguyễn Văn Bình"  # identity map
            locked = await WORKERS.get(session, hr, "workers.read", scene.worker, lock=True)
        assert locked is held and locked.full_name == stored
        await session.rollback()


def test_every_aggregate_has_its_repository() -> None:
    models = {r.model for r in (ACCOUNTS, AUDIT_ENTRIES, CLEARANCES, INCIDENTS, REQUESTS,
                                ROUTES, WORKERS)}
    assert models == {UserAccount, AuditEntry, Clearance, Incident, VettingRequest, Route,
                      Worker}


ROOT = Path(__file__).resolve().parents[2]


def _scope_levels_used(path: Path) -> list[int]:
    """Lines of `path` that read a grant's level (Scope.ALL, .UNIT, .PROVINCE): turning a
    grant into rows is the repositories' job alone."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "Scope" and node.attr in ("ALL", "UNIT", "PROVINCE")]


def test_only_the_repositories_turn_a_grant_into_rows() -> None:
    modules = [p for folder in ("vetting", "api") for p in (ROOT / folder).rglob("*.py")
               if "repositories" not in p.parts and "migrations" not in p.parts]
    assert len(modules) > 50
    wrong = {str(p.relative_to(ROOT)): lines for p in modules
             if (lines := _scope_levels_used(p))}
    assert wrong == {}
    assert _scope_levels_used(ROOT / "vetting" / "repositories" / "base.py")  # the check sees it
