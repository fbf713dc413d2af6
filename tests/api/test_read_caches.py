"""The read caches behind the bearer check and eligibility, on both engines: a warm answer
costs no query, a commit by this app or by another connection is seen by the very next
request, and a commit drops only the answers about what it changed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, update

from tests.api.test_eligibility import Desk, codes, forge_signature
from tests.conftest import People
from vetting.db import Database
from vetting.models import Clearance, UserAccount
from vetting.settings import Settings


@pytest.fixture
async def elsewhere(settings: Settings) -> Any:
    """Another engine on the same database: its commits come from other connections, as the
    CLI's or another server process's would."""
    other = Database(settings.database_url)
    yield other
    await other.dispose()


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)


async def test_a_repeated_check_is_answered_without_a_query(
        desk: Desk, database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    first = await desk.check(worker_id, route_id)
    sessions, catch_ups = 0, 0
    open_transaction, catch_up = database.transaction, database.changes._catch_up

    def counting_transaction(*args: Any, **kwargs: Any) -> Any:
        nonlocal sessions
        sessions += 1
        return open_transaction(*args, **kwargs)

    async def counting_catch_up() -> bool:
        nonlocal catch_ups
        catch_ups += 1
        return await catch_up()

    monkeypatch.setattr(database, "transaction", counting_transaction)
    monkeypatch.setattr(database.changes, "_catch_up", counting_catch_up)
    with statements(database) as seen:
        again = await desk.check(worker_id, route_id)
    assert again == first and again["eligible"] is True
    assert seen == [] and sessions == 0, "a warm check opens no session"
    assert catch_ups == 1, "one request asks the change feed once"


async def test_another_workers_change_leaves_the_warm_answers_alone(
        desk: Desk, database: Database) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    assert (await desk.check(worker_id, route_id))["eligible"] is True
    await desk.worker()  # HR registers someone else: a commit, but not about this worker
    with statements(database) as seen:
        again = await desk.check(worker_id, route_id)
    assert again["eligible"] is True
    assert seen == [], "HR's writes about other workers do not empty the dispatchers' cache"


async def test_a_commit_elsewhere_reaches_the_next_check(desk: Desk, elsewhere: Database
                                                         ) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    assert (await desk.check(worker_id, route_id))["eligible"] is True  # now in the cache
    async with elsewhere.transaction() as session:
        await session.execute(update(Clearance).where(Clearance.worker_id == worker_id)
                              .values(state="suspended"))
    assert codes(await desk.check(worker_id, route_id)) == ["CLEARANCE_SUSPENDED"]


async def test_a_warm_roster_reads_no_records_and_sees_a_commit_elsewhere(
        desk: Desk, database: Database, elsewhere: Database) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    starts = datetime.now().astimezone() + timedelta(minutes=5)
    assert (await desk.assign(worker_id, route_id, starts)).status_code == 201
    assert [line["status"] for line in await desk.roster(route_id)] == ["ok"]
    with statements(database) as seen:
        again = await desk.roster(route_id)
    assert [line["status"] for line in again] == ["ok"]
    record_reads = [s for s in seen if "FROM training" in s or "JOIN attestation" in s]
    assert record_reads == [], "the workers' records come from the read cache"
    async with elsewhere.transaction() as session:
        await session.execute(update(Clearance).where(Clearance.worker_id == worker_id)
                              .values(state="suspended"))
    (line,) = await desk.roster(route_id)
    assert line["status"] == "blocked"
    assert codes(line["eligibility"]) == ["CLEARANCE_SUSPENDED"]


async def test_a_tamper_after_a_warm_check_is_caught(desk: Desk, elsewhere: Database) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    assert (await desk.check(worker_id, route_id))["eligible"] is True
    await forge_signature(elsewhere, worker_id)
    assert codes(await desk.check(worker_id, route_id)) == ["ATTESTATION_INVALID"]
    batch = await desk.post("dispatcher", "/api/v1/eligibility/batch",
                            {"route_id": route_id, "worker_ids": [worker_id]})
    assert [r["code"] for r in batch.json()["results"][0]["reasons"]] == ["ATTESTATION_INVALID"]


async def test_a_warm_answer_is_not_shown_to_another_scope(desk: Desk) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    assert (await desk.check(worker_id, route_id))["eligible"] is True
    foreign = await desk.client.get("/api/v1/eligibility", headers=desk.p[
        "other_dispatcher"].headers, params={"worker_id": worker_id, "route_id": route_id})
    assert foreign.status_code == 404  # the route of another province stays hidden
    batch = await desk.post("other_dispatcher", "/api/v1/eligibility/batch",
                            {"route_id": route_id, "worker_ids": [worker_id]})
    assert batch.status_code == 404


async def test_a_cached_answer_is_judged_at_the_time_asked(desk: Desk) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    now = await desk.check(worker_id, route_id)
    assert now["eligible"] is True
    later = datetime.fromisoformat(now["valid_until"]) + timedelta(days=1)
    after = await desk.check(worker_id, route_id, at=later.isoformat())
    # The trainings (a month older than the clearance) lapse first; the clearance still holds.
    assert codes(after) == ["TRAINING_EXPIRED"]


@pytest.mark.parametrize("change", [
    {"token_version": UserAccount.token_version + 1},  # a logout or password change elsewhere
    {"state": "disabled"},  # an administrator disables the account
], ids=["token-version", "disabled"])
async def test_the_bearer_check_sees_an_account_change_at_once(
        client: httpx.AsyncClient, people: People, elsewhere: Database,
        change: dict[str, Any]) -> None:
    person = await people.make("dispatcher", unit="POST-51")
    assert (await client.get("/api/v1/auth/me", headers=person.headers)).status_code == 200
    async with elsewhere.transaction() as session:
        await session.execute(update(UserAccount).where(UserAccount.id == person.id)
                              .values(**change))
    ended = await client.get("/api/v1/auth/me", headers=person.headers)
    assert ended.status_code == 401 and ended.json()["code"] == "INVALID_TOKEN"
