"""Incidents: reporting suspends the involved workers' clearances (for the kinds policy
names) in the same transaction; a police lead of the issuing unit concludes each review;
who sees an incident; the policy file; and the refusal to delete a worker (retention)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update

from api.app import create_app
from tests.api.test_attestations import isolated_registry
from tests.api.test_eligibility import Desk, codes
from tests.checks import succeeded
from tests.conftest import People, Person, served, settings_for, unique
from tests.factories import vn_today, worker_body
from vetting.db import Database
from vetting.models import AuditEntry, Clearance, Incident
from vetting.models.base import Base
from vetting.settings import Settings

INCIDENTS = "/api/v1/incidents"


@pytest.fixture
async def desk(client: httpx.AsyncClient, people: People) -> Desk:
    return await two_provinces(client, people)


async def two_provinces(client: httpx.AsyncClient, people: People) -> Desk:
    """Province 51's staff (the Desk of the eligibility tests) and their peers in 12."""
    return Desk(client, {
        "hr": await people.make("post_hr", unit="POST-51"),
        "other_hr": await people.make("post_hr", unit="POST-51"),
        "officer": await people.make("police_officer", unit="POLICE-51"),
        "lead": await people.make("police_lead", unit="POLICE-51"),
        "dispatcher": await people.make("dispatcher", unit="POST-51"),
        "inspector": await people.make("inspector", province="51"),
        "admin": await people.make("admin"),
        "hr12": await people.make("post_hr", unit="POST-12"),
        "officer12": await people.make("police_officer", unit="POLICE-12"),
        "lead12": await people.make("police_lead", unit="POLICE-12"),
        "dispatcher12": await people.make("dispatcher", unit="POST-12"),
        "inspector12": await people.make("inspector", province="12"),
    })


def moment(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


async def report(desk: Desk, kind: str, worker_ids: list[str], *, who: str = "hr",
                 description: str | None = None, **extra: Any) -> httpx.Response:
    body = {"kind": kind, "occurred_at": moment(minutes=5), "worker_ids": worker_ids,
            "description": description or f"Thất lạc túi KT1 tại bưu cục {unique('d')}",
            **extra}
    return await desk.post(who, INCIDENTS, body)


async def reported(desk: Desk, kind: str, worker_ids: list[str], **kw: Any) -> dict[str, Any]:
    response = await report(desk, kind, worker_ids, **kw)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def clearance_state(desk: Desk, worker_id: str) -> str:
    response = await desk.client.get(f"/api/v1/workers/{worker_id}/clearance",
                                     headers=desk.p["hr"].headers)
    assert response.status_code == 200, response.text
    return str(response.json()["state"])


async def conclude(desk: Desk, who: str, incident_id: str, worker_id: str,
                   decision: str) -> httpx.Response:
    return await desk.post(who, f"{INCIDENTS}/{incident_id}/conclude",
                           {"worker_id": worker_id, "decision": decision,
                            "reason": f"kết luận xác minh {unique('r')}"})


async def audit_of(database: Database, **where: str) -> list[AuditEntry]:
    async with database.transaction(read_only=True) as session:
        query = select(AuditEntry).order_by(AuditEntry.seq)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return list((await session.scalars(query)).all())


async def database_text(backend: str, settings: Settings, database: Database) -> bytes:
    """Everything the database holds: the SQLite files, or every PostgreSQL row as text.

    The SQLite files are read by a child process: opening and closing them here would drop
    every POSIX lock this process holds on them (fcntl locks are per process), pulling the
    floor from under the open connections (later "disk I/O error" elsewhere in the suite)."""
    if backend == "sqlite":
        path = Path(settings.database_url.split("///", 1)[1])
        files = sorted(str(p) for p in path.parent.glob(path.name + "*"))
        child = await asyncio.create_subprocess_exec("cat", *files,
                                                     stdout=asyncio.subprocess.PIPE)
        raw, _ = await child.communicate()
        assert child.returncode == 0 and raw
        return raw
    parts: list[bytes] = []
    async with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in await connection.execute(select(table)):
                parts.extend(v if isinstance(v, bytes) else str(v).encode() for v in row)
    return b"|".join(parts)


async def visible_ids(client: httpx.AsyncClient, person: Person) -> set[str]:
    """Every incident id in the person's list, page by page."""
    seen: set[str] = set()
    offset = 0
    while True:
        response = await client.get(INCIDENTS, headers=person.headers,
                                    params={"limit": 200, "offset": offset})
        assert response.status_code == 200, response.text
        page = response.json()
        seen |= {item["id"] for item in page["items"]}
        offset += 200
        if offset >= page["total"]:
            return seen


# --------------------------------------------------------------------------- reporting


@pytest.mark.parametrize("kind", ["loss", "suspected_leak"])
async def test_a_suspending_incident_suspends_in_the_same_transaction(
        desk: Desk, database: Database, settings: Settings, backend: str, kind: str) -> None:
    route_id = await desk.route()
    first, second = await desk.cleared_worker(), await desk.cleared_worker()
    assert (await desk.check(first, route_id))["eligible"] is True
    secret = unique("MATKT1-")
    description = f"Túi KT1 số {secret} bị thất lạc trên tuyến"

    incident = await reported(desk, kind, [first, second, first], description=description,
                              route_id=route_id)
    assert incident["kind"] == kind and incident["state"] == "open"
    assert incident["post_unit"] == "POST-51" and incident["province"] == "51"
    assert incident["route_id"] == route_id and incident["description"] == description
    assert sorted(incident["workers"], key=lambda w: w["worker_id"]) == sorted(
        [{"worker_id": w, "suspended": True, "resolution": None} for w in (first, second)],
        key=lambda w: w["worker_id"])  # the duplicate id counts once

    for worker_id in (first, second):
        assert await clearance_state(desk, worker_id) == "suspended"
        assert codes(await desk.check(worker_id, route_id)) == ["CLEARANCE_SUSPENDED"]
    for language, wording in (("vi", "Tạm đình chỉ trong khi xem xét sự cố."),
                           ("en", "Suspended pending the review of an incident.")):
        view = (await desk.client.get(f"/api/v1/workers/{first}/clearance", headers={
            **desk.p["hr"].headers, "Accept-Language": language})).json()
        assert (view["reason"], view["reason_code"]) == (wording, "incident_review")

    [entry] = await audit_of(database, action="incident.report", object_id=incident["id"])
    body = json.loads(entry.body)
    assert body["kind"] == kind and sorted(body["suspended"]) == sorted([first, second])
    assert body["policy_version"] == settings.policy.version
    assert entry.actor_id == desk.p["hr"].id
    async with database.transaction(read_only=True) as session:
        clearance_ids = {(await session.scalar(select(Clearance.id).where(
            Clearance.worker_id == w))): w for w in (first, second)}
    suspensions = [e for cid in clearance_ids
                   for e in await audit_of(database, action="clearance.suspend", object_id=cid)]
    assert {json.loads(e.body)["worker"] for e in suspensions} == {first, second}
    # one request, one transaction: the same request id and the same instant
    assert {e.request_id for e in suspensions} == {entry.request_id} != {None}
    assert {e.created_at for e in suspensions} == {entry.created_at}

    # the description is sealed at rest, readable through the API only
    async with database.transaction(read_only=True) as session:
        sealed = await session.scalar(select(Incident.description_enc).where(
            Incident.id == incident["id"]))
    assert sealed and secret.encode() not in sealed
    everything = await database_text(backend, settings, database)
    assert incident["id"].encode() in everything  # the dump does reach the incident
    assert secret.encode() not in everything
    again = await desk.client.get(f"{INCIDENTS}/{incident['id']}",
                                  headers=desk.p["inspector"].headers)
    assert again.status_code == 200 and again.json()["description"] == description


async def test_a_delay_suspends_nothing(desk: Desk, database: Database) -> None:
    route_id, worker_id = await desk.route(), await desk.cleared_worker()
    incident = await reported(desk, "delay", [worker_id])
    assert incident["workers"] == [{"worker_id": worker_id, "suspended": False,
                                    "resolution": None}]
    assert await clearance_state(desk, worker_id) == "active"
    assert (await desk.check(worker_id, route_id))["eligible"] is True
    [entry] = await audit_of(database, action="incident.report", object_id=incident["id"])
    assert json.loads(entry.body)["suspended"] == []
    assert [e for e in await audit_of(database, action="clearance.suspend")
            if e.request_id == entry.request_id] == []
    # nothing was suspended, so there is nothing to conclude
    nothing = await conclude(desk, "lead", incident["id"], worker_id, "reinstate")
    assert nothing.status_code == 404


async def test_workers_without_an_active_clearance_are_listed_not_suspended(
        desk: Desk) -> None:
    bare, pending = await desk.worker(), await desk.worker()
    await desk.request(pending, until="submitted")
    incident = await reported(desk, "loss", [bare, pending])
    assert {w["worker_id"]: w["suspended"] for w in incident["workers"]} == {
        bare: False, pending: False}
    assert await clearance_state(desk, bare) == "none"
    assert await clearance_state(desk, pending) == "pending"


# --------------------------------------------------------------------------- conclusion


async def test_conclusion_reinstates_or_revokes_and_closes_the_incident(
        desk: Desk, database: Database) -> None:
    route_id = await desk.route()
    kept, dropped = await desk.cleared_worker(), await desk.cleared_worker()
    incident = await reported(desk, "loss", [kept, dropped])
    url = f"{INCIDENTS}/{incident['id']}"

    # not the police officer, not HR, not the inspector; not a lead of another province
    for who in ("officer", "hr", "inspector", "dispatcher", "admin"):
        denied = await conclude(desk, who, incident["id"], kept, "reinstate")
        assert denied.status_code == 403, (who, denied.text)
    hidden = await conclude(desk, "lead12", incident["id"], kept, "reinstate")
    assert hidden.status_code == 404
    stranger = await conclude(desk, "lead", incident["id"], await desk.cleared_worker(),
                              "reinstate")
    assert stranger.status_code == 404  # not involved in this incident

    reinstated = await conclude(desk, "lead", incident["id"], kept, "reinstate")
    assert reinstated.status_code == 200, reinstated.text
    assert reinstated.json()["state"] == "open"  # one review still pending
    resolutions = {w["worker_id"]: w["resolution"] for w in reinstated.json()["workers"]}
    assert resolutions == {kept: "reinstated", dropped: None}
    assert await clearance_state(desk, kept) == "active"
    assert (await desk.check(kept, route_id))["eligible"] is True
    twice = await conclude(desk, "lead", incident["id"], kept, "revoke")
    assert twice.status_code == 409 and twice.json()["code"] == "ALREADY_CONCLUDED"
    assert await clearance_state(desk, kept) == "active"

    revoked = await conclude(desk, "lead", incident["id"], dropped, "revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "concluded"
    assert {w["worker_id"]: w["resolution"] for w in revoked.json()["workers"]} == {
        kept: "reinstated", dropped: "revoked"}
    assert await clearance_state(desk, dropped) == "revoked"
    assert codes(await desk.check(dropped, route_id)) == ["CLEARANCE_REVOKED"]
    again = await conclude(desk, "lead", incident["id"], dropped, "revoke")
    assert again.status_code == 409 and again.json()["code"] == "ALREADY_CONCLUDED"

    read = await desk.client.get(url, headers=desk.p["officer"].headers)
    assert read.status_code == 200 and read.json()["state"] == "concluded"
    closed = await desk.client.get(INCIDENTS, headers=desk.p["lead"].headers,
                                   params={"state": "concluded", "limit": 200})
    assert incident["id"] in {i["id"] for i in closed.json()["items"]}
    entries = await audit_of(database, action="incident.conclude", object_id=incident["id"])
    assert [(json.loads(e.body)["worker"], json.loads(e.body)["decision"],
             json.loads(e.body)["closed"]) for e in entries] == [
        (kept, "reinstate", False), (dropped, "revoke", True)]
    assert {e.actor_id for e in entries} == {desk.p["lead"].id}


async def test_the_issuing_unit_concludes_after_a_transfer(desk: Desk) -> None:
    """The request went to POLICE-12 (transfer), so POLICE-12 issued the clearance and is
    the unit whose lead must conclude the review of its suspension. (Regression: both leads
    used to get 404, so the suspension could never be concluded.)"""
    worker_id = await desk.worker()
    rid = await desk.request(worker_id, until="submitted")
    base = f"/api/v1/vetting-requests/{rid}"
    moved = await desk.post("officer", f"{base}/transfer",
                            {"police_unit": "POLICE-12", "reason": "cư trú tại tỉnh 12"})
    assert moved.status_code == 200, moved.text
    succeeded(await desk.post("officer12", f"{base}/claim"))
    succeeded(await desk.post("officer12", f"{base}/propose",
                              {"outcome": "meets_standard", "note": "n"}))
    approved = await desk.post("lead12", f"{base}/approve")
    assert approved.status_code == 200 and approved.json()["state"] == "cleared"
    incident = await reported(desk, "loss", [worker_id])
    assert incident["workers"][0]["suspended"] is True
    # the lead of the province's own police did not issue the clearance
    assert (await conclude(desk, "lead", incident["id"], worker_id, "reinstate")
            ).status_code in (403, 404)
    # the issuing unit sees the incident it must review, though it happened elsewhere
    seen = await desk.client.get(f"{INCIDENTS}/{incident['id']}",
                                 headers=desk.p["lead12"].headers)
    assert seen.status_code == 200, seen.text
    issuing = await conclude(desk, "lead12", incident["id"], worker_id, "reinstate")
    assert issuing.status_code == 200, issuing.text
    assert issuing.json()["state"] == "concluded"
    assert await clearance_state(desk, worker_id) == "active"


async def test_a_second_incident_keeps_the_worker_suspended_until_its_own_review(
        desk: Desk) -> None:
    """The clearance is held by both reviews: reinstated only when the last one concludes.
    (Regression: the second incident used to hold nothing, so concluding the first put the
    worker back on routes and the second could never be concluded.)"""
    route_id, worker_id = await desk.route(), await desk.cleared_worker()
    first = await reported(desk, "loss", [worker_id])
    second = await reported(desk, "suspected_leak", [worker_id])
    assert second["workers"][0]["suspended"] is True  # held by this review too
    assert await clearance_state(desk, worker_id) == "suspended"
    done = await conclude(desk, "lead", first["id"], worker_id, "reinstate")
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "concluded"
    # the suspected leak is still under review: the worker must not be back on a route
    assert await clearance_state(desk, worker_id) == "suspended"
    assert codes(await desk.check(worker_id, route_id)) == ["CLEARANCE_SUSPENDED"]
    closing = await conclude(desk, "lead", second["id"], worker_id, "revoke")
    assert closing.status_code == 200, closing.text
    assert closing.json()["state"] == "concluded"
    assert await clearance_state(desk, worker_id) == "revoked"


async def test_conclusion_input_is_checked(desk: Desk) -> None:
    worker_id = await desk.cleared_worker()
    incident = await reported(desk, "suspected_leak", [worker_id])
    url = f"{INCIDENTS}/{incident['id']}/conclude"
    for body in ({"worker_id": worker_id, "decision": "forgive", "reason": "x"},
                 {"worker_id": worker_id, "decision": "revoke"},
                 {"worker_id": worker_id, "decision": "revoke", "reason": ""}):
        bad = await desk.post("lead", url, body)
        assert bad.status_code == 400, (body, bad.text)
    assert await clearance_state(desk, worker_id) == "suspended"
    missing = await conclude(desk, "lead", "no-such-incident", worker_id, "revoke")
    assert missing.status_code == 404


# --------------------------------------------------------------------------- input


async def test_reporting_input_is_checked(desk: Desk, people: People) -> None:
    mine = await desk.cleared_worker()
    foreign = (await desk.post("hr12", "/api/v1/workers",
                               worker_body("POST-12", legacy_code="012"))).json()["id"]

    outside = await report(desk, "loss", [mine, foreign])
    assert outside.status_code == 422, outside.text
    problem = outside.json()
    assert problem["invalid_params"][0]["name"] == "worker_ids"
    assert problem["worker_ids"] == [foreign]
    assert await clearance_state(desk, mine) == "active"  # nothing half-done
    unknown = await report(desk, "loss", ["no-such-worker"])
    assert unknown.status_code == 422 and unknown.json()["worker_ids"] == ["no-such-worker"]

    future = await report(desk, "loss", [mine], occurred_at=(
        datetime.now(UTC) + timedelta(hours=1)).isoformat())
    assert future.status_code == 422
    assert future.json()["invalid_params"][0]["name"] == "occurred_at"
    naive = await report(desk, "loss", [mine], occurred_at="2026-11-01T08:00:00")
    assert naive.status_code == 400
    assert naive.json()["invalid_params"][0]["name"] == "occurred_at"
    assert await clearance_state(desk, mine) == "active"

    other_route = await desk.post("admin", "/api/v1/routes", {
        "code": unique("R-"), "name": "Tuyến Lai Châu", "province": "12",
        "stage": "transport", "service_classes": ["standard"], "max_secrecy": "A"})
    assert other_route.status_code == 201, other_route.text
    wrong_route = await report(desk, "delay", [mine], route_id=other_route.json()["id"])
    assert wrong_route.status_code == 422
    assert wrong_route.json()["invalid_params"][0]["name"] == "route_id"

    for body in ({"kind": "fire", "occurred_at": moment(hours=1), "description": "x",
                  "worker_ids": [mine]},
                 {"kind": "loss", "occurred_at": moment(hours=1), "description": "x",
                  "worker_ids": []},
                 {"kind": "loss", "occurred_at": moment(hours=1), "description": "",
                  "worker_ids": [mine]}):
        assert (await desk.post("hr", INCIDENTS, body)).status_code == 400, body
    # only post_hr reports
    for who in ("dispatcher", "officer", "lead", "inspector", "admin"):
        denied = await report(desk, "loss", [mine], who=who)
        assert denied.status_code == 403, who
    assert await clearance_state(desk, mine) == "active"


# --------------------------------------------------------------------------- visibility


async def test_who_sees_an_incident(desk: Desk) -> None:
    worker_id = await desk.worker()
    incident = await reported(desk, "damage", [worker_id])
    url = f"{INCIDENTS}/{incident['id']}"
    for who in ("hr", "other_hr", "officer", "lead", "inspector", "admin"):
        one = await desk.client.get(url, headers=desk.p[who].headers)
        assert one.status_code == 200, (who, one.text)
        assert one.json()["description"] == incident["description"]
        assert one.json()["workers"] == incident["workers"]
        assert incident["id"] in await visible_ids(desk.client, desk.p[who]), who
    for who in ("hr12", "officer12", "lead12", "inspector12"):
        one = await desk.client.get(url, headers=desk.p[who].headers)
        assert one.status_code == 404, (who, one.text)
        assert incident["id"] not in await visible_ids(desk.client, desk.p[who]), who
    for who in ("dispatcher", "dispatcher12"):
        assert (await desk.client.get(url, headers=desk.p[who].headers)).status_code == 403
        assert (await desk.client.get(INCIDENTS, headers=desk.p[who].headers)
                ).status_code == 403
    listed = await desk.client.get(INCIDENTS, headers=desk.p["inspector"].headers,
                                   params={"limit": 200})
    item = next(i for i in listed.json()["items"] if i["id"] == incident["id"])
    assert item["description"] is None and item["workers"] is None  # the list stays terse
    assert (await desk.client.get(f"{INCIDENTS}/no-such-incident",
                                  headers=desk.p["admin"].headers)).status_code == 404


# --------------------------------------------------------------------------- policy


async def test_a_policy_file_decides_which_kinds_suspend(
        desk: Desk, settings: Settings, database: Database, keys_dir: Path,
        tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text('suspending_incident_kinds = ["delay"]\n', encoding="utf-8")
    strict = settings_for(settings.database_url, keys_dir, KT1_POLICY_FILE=str(policy_file))
    assert strict.policy.suspending_incident_kinds == ("delay",)
    delayed, lost = await desk.cleared_worker(), await desk.cleared_worker()
    async with served(create_app(strict, database)) as client:
        strict_desk = Desk(client, desk.p)
        delay = await reported(strict_desk, "delay", [delayed])
        loss = await reported(strict_desk, "loss", [lost])
    assert delay["workers"][0]["suspended"] is True
    assert loss["workers"][0]["suspended"] is False
    assert await clearance_state(desk, delayed) == "suspended"
    assert await clearance_state(desk, lost) == "active"
    [entry] = await audit_of(database, action="incident.report", object_id=delay["id"])
    assert json.loads(entry.body)["policy_version"] == strict.policy.version
    assert strict.policy.version != settings.policy.version


# --------------------------------------------------------------------------- retention


async def test_deleting_a_worker_is_refused_for_the_retention_period(
        desk: Desk, database: Database) -> None:
    worker_id = await desk.cleared_worker()
    succeeded(await desk.post("hr", f"/api/v1/workers/{worker_id}/leave",
                              {"left_on": vn_today().isoformat(), "reason": "nghỉ việc"}))
    url = f"/api/v1/workers/{worker_id}"
    refused = await desk.client.delete(url, headers=desk.p["admin"].headers)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "RETENTION_PERIOD"
    today = vn_today()
    # three years (the default retention) from today: the last record is today's
    three_years = date(today.year + 3, today.month, min(today.day, 28 if (
        today.month, today.day) == (2, 29) else today.day))
    assert date.fromisoformat(problem["keep_until"]) == three_years
    # HR of the worker's unit is who would ask: the same refusal, not a 403
    by_hr = await desk.client.delete(url, headers=desk.p["hr"].headers)
    assert by_hr.status_code == 409, by_hr.text
    assert by_hr.json()["code"] == "RETENTION_PERIOD"
    assert by_hr.json()["keep_until"] == problem["keep_until"]
    # another unit's HR does not learn that the worker exists
    elsewhere = await desk.client.delete(url, headers=desk.p["hr12"].headers)
    assert elsewhere.status_code == 404, elsewhere.text
    for who in ("dispatcher", "officer", "lead", "inspector"):
        denied = await desk.client.delete(url, headers=desk.p[who].headers)
        assert denied.status_code == 403, who
    for who in ("admin", "hr"):
        assert (await desk.client.delete("/api/v1/workers/no-such-worker",
                                         headers=desk.p[who].headers)).status_code == 404
    still = await desk.client.get(url, headers=desk.p["hr"].headers)
    assert still.status_code == 200 and still.json()["id"] == worker_id
    entries = await audit_of(database, action="worker.delete_refused", object_id=worker_id)
    assert [(e.outcome, e.actor_id) for e in entries] == [
        ("denied", desk.p["admin"].id), ("denied", desk.p["hr"].id)]
    assert {json.loads(e.body)["keep_until"] for e in entries} == {problem["keep_until"]}


async def test_a_refusal_does_not_extend_the_retention_period(
        fresh_settings: Settings) -> None:
    """A worker who left over a year ago and whose record has been quiet since: the records
    are kept three years from then, however often someone asks to delete them. (Regression:
    the refusal's own audit entry used to restart the three years.)"""
    left_on = vn_today() - timedelta(days=400)
    if (left_on.month, left_on.day) == (2, 29):
        left_on -= timedelta(days=1)  # so that three years on is the same calendar day
    async with isolated_registry(fresh_settings) as registry:
        hr = await registry.people.make("post_hr", unit="POST-51")
        admin = await registry.people.make("admin")
        created = await registry.client.post("/api/v1/workers", json=worker_body("POST-51"),
                                             headers=hr.headers)
        worker_id = created.json()["id"]
        left = await registry.client.post(f"/api/v1/workers/{worker_id}/leave",
                                          json={"left_on": left_on.isoformat(),
                                                "reason": "nghỉ hưu"},
                                          headers=hr.headers)
        assert left.status_code == 200, left.text
        # the record's history as if written that day (this database is the test's own;
        # on PostgreSQL the append-only trigger is switched off for that, as a superuser)
        async with registry.database.transaction() as session:
            if not registry.database.is_sqlite:
                await session.execute(text("SET LOCAL session_replication_role = replica"))
            await session.execute(update(AuditEntry).where(AuditEntry.object_id == worker_id)
                                  .values(created_at=datetime.combine(
                                      left_on, time(3), tzinfo=UTC)))  # 10:00 in Vietnam
        answers = []
        for _ in range(2):
            refused = await registry.client.delete(f"/api/v1/workers/{worker_id}",
                                                   headers=admin.headers)
            assert refused.status_code == 409, refused.text
            answers.append(refused.json()["keep_until"])
        kept_until = left_on.replace(year=left_on.year + 3).isoformat()
        assert answers == [kept_until, kept_until]


async def test_a_manual_reinstate_cannot_lift_a_suspension_an_open_review_holds(
        desk: Desk, database: Database) -> None:
    route_id = await desk.route()
    worker_id = await desk.cleared_worker()
    incident = await reported(desk, "loss", [worker_id])
    clearance_url = f"/api/v1/workers/{worker_id}/clearance"
    before = await audit_of(database, object_type="clearance")
    refused = await desk.post("lead", f"{clearance_url}/reinstate", {"reason": "đã tìm thấy"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "INCIDENT_REVIEW_OPEN"
    assert await clearance_state(desk, worker_id) == "suspended"
    assert codes(await desk.check(worker_id, route_id)) == ["CLEARANCE_SUSPENDED"]
    assert len(await audit_of(database, object_type="clearance")) == len(before)
    # the review's conclusion is what lifts it; after that a manual change is possible again
    concluded = await conclude(desk, "lead", incident["id"], worker_id, "reinstate")
    assert concluded.status_code == 200, concluded.text
    assert (await desk.check(worker_id, route_id))["eligible"] is True
    suspended = await desk.post("lead", f"{clearance_url}/suspend", {"reason": "kiểm tra lại"})
    assert suspended.status_code == 200, suspended.text
    lifted = await desk.post("lead", f"{clearance_url}/reinstate", {"reason": "đã rõ"})
    assert lifted.status_code == 200, lifted.text
