"""The worker summary (each worker's latest clearance and request, which the list filters and
counts by) follows every change the registry makes, says what `/clearance` says, is filled
for earlier workers by its migration, and loses no concurrent change on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select
from sqlalchemy.engine import Connection

from api.app import create_app
from tests.api.test_eligibility import Desk, days_ago
from tests.api.test_worker_corrections import correct
from tests.api.test_worker_list import listing, tag
from tests.conftest import People, served
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.migrate import alembic_config
from vetting.models import Clearance, VettingRequest, WorkerSummary
from vetting.models.summary import refresh
from vetting.settings import Settings


async def agree(desk: Desk, worker_id: str, word: str, expected: str) -> None:
    """The list line and `/clearance` give the same state (and end), and it is `expected`;
    filtering by it finds the worker."""
    [line] = [w for w in (await listing(desk, "hr", q=word))["items"] if w["id"] == worker_id]
    response = await desk.client.get(f"/api/v1/workers/{worker_id}/clearance",
                                     headers=desk.p["hr"].headers)
    view = response.json()
    assert (line["clearance_state"], view["state"]) == (expected, expected)
    if expected == "active":
        assert line["clearance_valid_until"] == view["valid_until"]
    found = await listing(desk, "hr", q=word, clearance_state=expected)
    assert worker_id in {w["id"] for w in found["items"]}
    # the expiry filter finds active clearances only (its condition is the index's, not the
    # computed state's: an expired or suspended clearance must not slip through)
    expiring = await listing(desk, "hr", q=word, expiring_within_days="3660")
    assert (worker_id in {w["id"] for w in expiring["items"]}) == (expected == "active")


async def clearance_change(desk: Desk, worker_id: str, action: str) -> None:
    body = None if action == "reinstate" else {"reason": "xác minh"}
    response = await desk.post("lead", f"/api/v1/workers/{worker_id}/clearance/{action}", body)
    assert response.status_code == 200, response.text


async def test_the_list_state_follows_every_change(desk: Desk, database: Database) -> None:
    word = tag()
    worker_id = await desk.worker(full_name=f"Bùi Thị Lan {word}", stages=["acceptance"])
    await agree(desk, worker_id, word, "none")
    rid = await desk.request(worker_id, until="submitted")
    await agree(desk, worker_id, word, "pending")
    base = f"/api/v1/vetting-requests/{rid}"
    assert (await desk.post("officer", f"{base}/claim")).status_code == 200
    assert (await desk.post("officer", f"{base}/return", {"note": "bổ sung"})).status_code == 200
    await agree(desk, worker_id, word, "pending")
    assert (await desk.post("hr", f"{base}/withdraw")).status_code == 200
    await agree(desk, worker_id, word, "none")
    await desk.request(worker_id)
    await agree(desk, worker_id, word, "active")
    for action, state in (("suspend", "suspended"), ("reinstate", "active")):
        await clearance_change(desk, worker_id, action)
        await agree(desk, worker_id, word, state)
    # a new request for an added stage while the clearance holds: still active, as /clearance
    assert (await correct(desk, worker_id, {"stages": ["acceptance", "delivery"]},
                          version=1)).status_code == 200
    await desk.request(worker_id, until="submitted")
    await agree(desk, worker_id, word, "active")
    # expiry is judged when asked, from the end the summary copied
    async with database.transaction() as session:
        clearance = await session.scalar(select(Clearance).where(
            Clearance.worker_id == worker_id).order_by(Clearance.valid_from.desc()).limit(1))
        assert clearance is not None
        clearance.valid_from = datetime.now(UTC) - timedelta(days=800)
        clearance.valid_until = datetime.now(UTC) - timedelta(days=1)
    await agree(desk, worker_id, word, "pending")  # expired, and a request is open
    left = await desk.post("hr", f"/api/v1/workers/{worker_id}/leave",
                           {"left_on": days_ago(0), "reason": "nghỉ"})
    assert left.status_code == 200, left.text
    await agree(desk, worker_id, word, "revoked")

    refused = await desk.worker(full_name=f"Ngô Thị Nga {word}")
    await desk.request(refused, outcome="does_not_meet")
    await agree(desk, refused, word, "not_cleared")
    revoked = await desk.cleared_worker(full_name=f"Hồ Văn Sơn {word}")
    await clearance_change(desk, revoked, "revoke")
    await agree(desk, revoked, word, "revoked")


async def test_a_rolled_back_change_leaves_the_summary_as_it_was(
        desk: Desk, database: Database) -> None:
    worker_id = await desk.cleared_worker()
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            clearance = await session.scalar(select(Clearance).where(
                Clearance.worker_id == worker_id))
            assert clearance is not None
            clearance.state = "revoked"
            await session.flush()
            raise RuntimeError("the action failed")
    async with database.transaction(read_only=True) as session:
        summary = await session.get(WorkerSummary, worker_id)
    assert summary is not None and summary.clearance_state == "active"


def _migrate(revision: str, *, down: bool = False) -> Any:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
    return run


async def _summaries(database: Database) -> dict[str, tuple[Any, ...]]:
    async with database.transaction(read_only=True) as session:
        rows = (await session.scalars(select(WorkerSummary))).all()
    return {r.worker_id: (r.post_unit_code, r.clearance_state, r.clearance_valid_until,
                          r.request_state) for r in rows}


async def test_the_migration_fills_the_summary_of_earlier_workers(
        fresh_settings: Settings, keys: RegistryKeys) -> None:
    database = Database(fresh_settings.database_url)
    try:
        people = People(database=database, keys=keys)
        async with served(create_app(fresh_settings, database)) as client:
            desk = Desk(client, {
                "hr": await people.make("post_hr", unit="POST-51"),
                "officer": await people.make("police_officer", unit="POLICE-51"),
                "lead": await people.make("police_lead", unit="POLICE-51")})
            made = [await desk.worker(), await desk.worker(), await desk.cleared_worker()]
            await desk.request(made[1], until="submitted")
        before = await _summaries(database)
        assert set(before) == set(made)
        assert [before[w][1::2] for w in made] == [(None, None), (None, "submitted"),
                                                    ("active", "cleared")]
        async with database.engine.begin() as connection:
            await connection.run_sync(_migrate("0013_login_throttle", down=True))  # before 0014
        async with database.engine.begin() as connection:
            await connection.run_sync(_migrate("head"))
        assert await _summaries(database) == before
    finally:
        await database.dispose()


async def test_concurrent_changes_of_one_worker_are_both_kept(
        backend: str, desk: Desk, database: Database) -> None:
    """PostgreSQL: one transaction holds the worker's summary row while another, which
    changed the worker's requests, commits; the second recomputes after the first commits
    and keeps both changes (a recomputation from the snapshot it started with would put the
    first one's suspension back to active)."""
    if backend != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    worker_id = await desk.cleared_worker()
    suspended, waiting = asyncio.Event(), asyncio.Event()

    async def suspend() -> None:
        async with database.transaction() as session:
            clearance = await session.scalar(select(Clearance).where(
                Clearance.worker_id == worker_id))
            assert clearance is not None
            clearance.state = "suspended"
            await session.flush()
            await session.run_sync(lambda s: refresh(s.connection(), [worker_id]))
            suspended.set()
            await waiting.wait()
            await asyncio.sleep(0.5)  # the other commit is waiting on the summary row now

    async def nominate() -> None:
        await suspended.wait()
        async with database.transaction() as session:
            request = await session.scalar(select(VettingRequest).where(
                VettingRequest.worker_id == worker_id))
            assert request is not None
            request.reason = "KT1, bổ sung"
            request.state = "needs_info"  # any change to the worker's requests
            await session.flush()
            waiting.set()

    await asyncio.gather(suspend(), nominate())
    summary = (await _summaries(database))[worker_id]
    assert summary[1] == "suspended" and summary[3] == "needs_info"

