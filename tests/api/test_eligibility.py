"""Routes, eligibility (now and as of the past), assignments and the roster cascade."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from tests.checks import succeeded
from tests.conftest import People, Person, unique
from tests.factories import days_ago, vn_today, worker_body
from vetting.db import Database
from vetting.models import Attestation, AuditEntry, Training, Worker

DIGEST = "b" * 64


class Desk:
    """The people of province 51 and helpers to bring a worker to a given state."""

    def __init__(self, client: httpx.AsyncClient, people: dict[str, Person]) -> None:
        self.client, self.p = client, people

    @classmethod
    async def of_province_51(cls, client: httpx.AsyncClient, people: People) -> Desk:
        return cls(client, {
            "hr": await people.make("post_hr", unit="POST-51"),
            "officer": await people.make("police_officer", unit="POLICE-51"),
            "lead": await people.make("police_lead", unit="POLICE-51"),
            "dispatcher": await people.make("dispatcher", unit="POST-51"),
            "other_dispatcher": await people.make("dispatcher", unit="POST-12"),
        })

    async def post(self, who: str, url: str, body: Any = None, **kw: Any) -> httpx.Response:
        return await self.client.post(url, json=body, headers=self.p[who].headers, **kw)

    async def worker(self, *, trained: bool = True, committed: bool = True,
                     **body: Any) -> str:
        """A worker trained 30 days ago (so the training lapses before a new clearance does)
        and committed 29 days ago; `body` overrides the registration fields."""
        response = await self.post("hr", "/api/v1/workers",
                                   worker_body(**{"post_unit": "POST-51", **body}))
        assert response.status_code == 201, response.text
        worker_id = response.json()["id"]
        for kind in ("postal_operations", "kt1_security") if trained else ():
            assert (await self.post("hr", f"/api/v1/workers/{worker_id}/trainings", {
                "kind": kind, "completed_on": days_ago(30)})).status_code == 201
        if committed:
            assert (await self.post("hr", f"/api/v1/workers/{worker_id}/commitments", {
                "signed_on": days_ago(29), "document_sha256": DIGEST})).status_code == 201
        return str(worker_id)

    async def request(self, worker_id: str, *, until: str = "approved",
                      outcome: str = "meets_standard") -> str:
        rid = succeeded(await self.post("hr", "/api/v1/vetting-requests",
                                        {"worker_id": worker_id, "reason": "KT1"})).json()["id"]
        base = f"/api/v1/vetting-requests/{rid}"
        if until == "submitted":
            return str(rid)
        succeeded(await self.post("officer", f"{base}/claim"))
        succeeded(await self.post("officer", f"{base}/propose", {"outcome": outcome, "note": "n"}))
        approved = await self.post("lead", f"{base}/approve")
        assert approved.status_code == 200, approved.text
        return rid

    async def cleared_worker(self, **body: Any) -> str:
        worker_id = await self.worker(**body)
        await self.request(worker_id)
        return worker_id

    async def assign(self, worker_id: str, route_id: str, starts_at: datetime,
                     ends_at: datetime | None = None) -> httpx.Response:
        body = {"worker_id": worker_id, "route_id": route_id, "starts_at": starts_at.isoformat()}
        if ends_at is not None:
            body["ends_at"] = ends_at.isoformat()
        return await self.post("dispatcher", "/api/v1/assignments", body)

    async def roster(self, route_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(f"/api/v1/routes/{route_id}/roster",
                                         headers=self.p["dispatcher"].headers)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def route(self, **overrides: Any) -> str:
        body = {"code": unique("R-"), "name": "Tuyến KT1 Quảng Ngãi", "province": "51",
                "stage": "transport", "service_classes": ["standard", "express"],
                "max_secrecy": "A", **overrides}
        response = await self.post("dispatcher", "/api/v1/routes", body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def check(self, worker_id: str, route_id: str, **params: str) -> dict[str, Any]:
        response = await self.client.get("/api/v1/eligibility", headers=self.p["dispatcher"]
                                          .headers, params={"worker_id": worker_id,
                                                            "route_id": route_id, **params})
        assert response.status_code == 200, response.text
        return response.json()


def codes(answer: dict[str, Any]) -> list[str]:
    return [r["code"] for r in answer["reasons"]]


async def forge_signature(database: Database, worker_id: str) -> None:
    """Change one character of the signature of the worker's attestation, in the database."""
    async with database.transaction() as session:
        jws = await session.scalar(select(Attestation.jws).where(
            Attestation.worker_id == worker_id))
        assert jws is not None
        head, payload, signature = jws.split(".")
        forged = ".".join((head, payload, ("A" if signature[0] != "A" else "B") + signature[1:]))
        await session.execute(update(Attestation).where(Attestation.worker_id == worker_id)
                              .values(jws=forged))


async def test_a_cleared_trained_committed_worker_is_eligible(desk: Desk) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    answer = await desk.check(worker_id, route_id)
    assert answer["eligible"] is True and answer["reasons"] == []
    assert answer["valid_until"] is not None and answer["policy_version"].startswith("p-")
    assert set(answer) == {"worker_id", "full_name", "employee_no", "eligible", "reasons",
                           "valid_until", "policy_version"}


async def test_each_missing_fact_has_its_reason(desk: Desk) -> None:
    route_id = await desk.route()
    bare = await desk.worker(trained=False, committed=False)
    assert codes(await desk.check(bare, route_id)) == [
        "NO_CLEARANCE", "TRAINING_MISSING", "COMMITMENT_MISSING"]
    pending = await desk.worker()
    await desk.request(pending, until="submitted")
    assert codes(await desk.check(pending, route_id)) == ["CLEARANCE_PENDING"]
    refused = await desk.worker()
    await desk.request(refused, outcome="does_not_meet")
    assert codes(await desk.check(refused, route_id)) == ["NOT_CLEARED"]
    unknown = await desk.check("no-such-worker", route_id)
    assert codes(unknown) == ["UNKNOWN_WORKER"] and unknown["full_name"] is None


async def test_expired_by_time_and_training_expiry(desk: Desk) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    later = (datetime.now(UTC) + timedelta(days=800)).isoformat()
    assert "CLEARANCE_EXPIRED" in codes(await desk.check(worker_id, route_id, at=later))
    assert "TRAINING_EXPIRED" in codes(await desk.check(worker_id, route_id, at=later))


async def test_suspend_revoke_and_leave_block_with_reasons(desk: Desk) -> None:
    route_id = await desk.route()
    worker_id = await desk.cleared_worker()
    succeeded(await desk.post("lead", f"/api/v1/workers/{worker_id}/clearance/suspend",
                              {"reason": "sự cố"}))
    assert codes(await desk.check(worker_id, route_id)) == ["CLEARANCE_SUSPENDED"]
    succeeded(await desk.post("lead", f"/api/v1/workers/{worker_id}/clearance/revoke",
                              {"reason": "x"}))
    assert codes(await desk.check(worker_id, route_id)) == ["CLEARANCE_REVOKED"]
    leaver = await desk.cleared_worker()
    succeeded(await desk.post("hr", f"/api/v1/workers/{leaver}/leave",
                              {"left_on": vn_today().isoformat(), "reason": "nghỉ"}))
    assert codes(await desk.check(leaver, route_id)) == ["EMPLOYMENT_ENDED", "CLEARANCE_REVOKED"]


async def test_inactive_route_and_english_messages(desk: Desk) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    response = await desk.client.patch(f"/api/v1/routes/{route_id}", json={"active": False},
                                       headers=desk.p["dispatcher"].headers)
    assert response.status_code == 200
    vi = await desk.check(worker_id, route_id)
    assert codes(vi) == ["ROUTE_INACTIVE"] and "Tuyến" in vi["reasons"][0]["message"]
    en = await desk.client.get("/api/v1/eligibility", headers={
        **desk.p["dispatcher"].headers, "Accept-Language": "en"},
        params={"worker_id": worker_id, "route_id": route_id})
    assert en.json()["reasons"][0]["message"] == "The KT1 route is not active."


async def test_a_tampered_attestation_makes_the_worker_ineligible(desk: Desk,
                                                                  database: Database) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    await forge_signature(database, worker_id)
    assert codes(await desk.check(worker_id, route_id)) == ["ATTESTATION_INVALID"]


async def test_as_of_answers_what_was_true_then(desk: Desk) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    before = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.01)
    succeeded(await desk.post("lead", f"/api/v1/workers/{worker_id}/clearance/suspend",
                              {"reason": "sự cố"}))
    assert codes(await desk.check(worker_id, route_id)) == ["CLEARANCE_SUSPENDED"]
    assert (await desk.check(worker_id, route_id, at=before))["eligible"] is True
    long_ago = "2020-01-01T00:00:00+00:00"
    assert "NO_CLEARANCE" in codes(await desk.check(worker_id, route_id, at=long_ago))
    naive = await desk.client.get("/api/v1/eligibility", headers=desk.p["dispatcher"].headers,
                                  params={"worker_id": worker_id, "route_id": route_id,
                                          "at": "2026-01-01T00:00:00"})
    assert naive.status_code == 400 and naive.json()["invalid_params"][0]["name"] == "at"


async def test_batch_answers_in_order_and_hides_other_units(desk: Desk, people: People,
                                                            client: httpx.AsyncClient) -> None:
    route_id = await desk.route()
    good, bare = await desk.cleared_worker(), await desk.worker(trained=False)
    other_hr = await people.make("post_hr", unit="POST-12")
    foreign = (await client.post("/api/v1/workers", json=worker_body("POST-12", legacy_code="012"),
                                 headers=other_hr.headers)).json()["id"]
    response = await desk.post("dispatcher", "/api/v1/eligibility/batch",
                               {"route_id": route_id, "worker_ids": [good, bare, foreign]})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["worker_id"] for r in results] == [good, bare, foreign]
    assert results[0]["eligible"] and not results[1]["eligible"]
    assert codes(results[2]) == ["UNKNOWN_WORKER"] and results[2]["full_name"] is None
    too_many = await desk.post("dispatcher", "/api/v1/eligibility/batch",
                               {"route_id": route_id, "worker_ids": ["x"] * 1001})
    assert too_many.status_code == 400
    elsewhere = await desk.client.get("/api/v1/eligibility", headers=desk.p[
        "other_dispatcher"].headers, params={"worker_id": good, "route_id": route_id})
    assert elsewhere.status_code == 404  # the route is in another province


async def test_assignment_refused_with_reasons_and_allowed(desk: Desk,
                                                           database: Database) -> None:
    route_id = await desk.route()
    bare = await desk.worker(trained=False)
    start = datetime.now(UTC) + timedelta(hours=1)
    refused = await desk.post("dispatcher", "/api/v1/assignments", {
        "worker_id": bare, "route_id": route_id, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=7)).isoformat()})
    assert refused.status_code == 409
    assert refused.json()["eligible"] is False
    assert {"NO_CLEARANCE", "TRAINING_MISSING"} <= set(codes(refused.json()))
    async with database.transaction(read_only=True) as session:
        audited = await session.scalar(select(AuditEntry.action).where(
            AuditEntry.object_id == bare, AuditEntry.action == "assignment.refuse"))
    assert audited == "assignment.refuse"

    good = await desk.cleared_worker()
    too_long = await desk.post("dispatcher", "/api/v1/assignments", {
        "worker_id": good, "route_id": route_id, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=3650)).isoformat()})
    assert too_long.status_code == 409 and codes(too_long.json()) == [
        "WINDOW_EXCEEDS_CLEARANCE", "WINDOW_EXCEEDS_TRAINING"]
    created = await desk.post("dispatcher", "/api/v1/assignments", {
        "worker_id": good, "route_id": route_id, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=7)).isoformat()})
    assert created.status_code == 201, created.text
    overlap = await desk.post("dispatcher", "/api/v1/assignments", {
        "worker_id": good, "route_id": route_id,
        "starts_at": (start + timedelta(days=1)).isoformat(),
        "ends_at": (start + timedelta(days=2)).isoformat()})
    assert overlap.status_code == 409 and overlap.json()["code"] == "ASSIGNMENT_OVERLAP"
    open_ended = await desk.post("dispatcher", "/api/v1/assignments", {
        "worker_id": good, "route_id": await desk.route(), "starts_at": start.isoformat()})
    assert open_ended.status_code == 201
    ended = await desk.post("dispatcher", f"/api/v1/assignments/{created.json()['id']}/end")
    assert ended.status_code == 200 and ended.json()["ended_at"] is not None
    again = await desk.post("dispatcher", "/api/v1/assignments", {
        "worker_id": good, "route_id": route_id,
        "starts_at": (start + timedelta(days=1)).isoformat(),
        "ends_at": (start + timedelta(days=2)).isoformat()})
    assert again.status_code == 201


async def test_concurrent_double_assignment_yields_one(desk: Desk) -> None:
    route_id, good = await desk.route(), await desk.cleared_worker()
    start = datetime.now(UTC) + timedelta(hours=2)
    body = {"worker_id": good, "route_id": route_id, "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=3)).isoformat()}
    results = await asyncio.gather(*(desk.post("dispatcher", "/api/v1/assignments", body)
                                     for _ in range(4)))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201, 409, 409, 409], [r.text for r in results]


async def test_roster_shows_blocked_at_once(desk: Desk, database: Database) -> None:
    route_id, good = await desk.route(), await desk.cleared_worker()
    start = datetime.now(UTC)  # running by the time it is judged; cleared just before
    created = await desk.post("dispatcher", "/api/v1/assignments", {
        "worker_id": good, "route_id": route_id, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=7)).isoformat()})
    assert created.status_code == 201, created.text
    roster = (await desk.client.get(f"/api/v1/routes/{route_id}/roster",
                                    headers=desk.p["dispatcher"].headers)).json()
    assert [line["status"] for line in roster["items"]] == ["ok"]
    succeeded(await desk.post("lead", f"/api/v1/workers/{good}/clearance/suspend",
                              {"reason": "sự cố"}))
    roster = (await desk.client.get(f"/api/v1/routes/{route_id}/roster",
                                    headers=desk.p["dispatcher"].headers)).json()
    line = roster["items"][0]
    assert line["status"] == "blocked"
    assert codes(line["eligibility"]) == ["CLEARANCE_SUSPENDED"]
    async with database.transaction(read_only=True) as session:
        blocked = await session.scalar(select(AuditEntry.action).where(
            AuditEntry.object_id == created.json()["id"],
            AuditEntry.action == "assignment.blocked"))
    assert blocked == "assignment.blocked"
    succeeded(await desk.post("lead", f"/api/v1/workers/{good}/clearance/reinstate"))
    roster = (await desk.client.get(f"/api/v1/routes/{route_id}/roster",
                                    headers=desk.p["dispatcher"].headers)).json()
    assert roster["items"][0]["status"] == "ok"
    succeeded(await desk.post("hr", f"/api/v1/workers/{good}/leave",
                              {"left_on": vn_today().isoformat(), "reason": "nghỉ"}))
    roster = (await desk.client.get(f"/api/v1/routes/{route_id}/roster",
                                    headers=desk.p["dispatcher"].headers)).json()
    assert roster["items"] == []  # leaving ended the assignment


async def test_route_rules(desk: Desk) -> None:
    code = unique("R-")
    first = await desk.post("dispatcher", "/api/v1/routes", {
        "code": code, "name": "A", "province": "51", "stage": "delivery",
        "service_classes": ["scheduled"], "max_secrecy": "B"})
    assert first.status_code == 201
    duplicate = await desk.post("dispatcher", "/api/v1/routes", {
        "code": code, "name": "B", "province": "51", "stage": "delivery",
        "service_classes": ["scheduled"], "max_secrecy": "B"})
    assert duplicate.status_code == 409
    foreign = await desk.post("dispatcher", "/api/v1/routes", {
        "code": unique("R-"), "name": "C", "province": "12", "stage": "delivery",
        "service_classes": ["standard"], "max_secrecy": "C"})
    assert foreign.status_code == 422 and foreign.json()["invalid_params"][0]["name"] == \
        "province"
    bad = await desk.post("dispatcher", "/api/v1/routes", {
        "code": unique("R-"), "name": "D", "province": "51", "stage": "delivery",
        "service_classes": ["teleport"], "max_secrecy": "Z"})
    assert bad.status_code == 400
    hidden = await desk.client.get(f"/api/v1/routes/{first.json()['id']}",
                                   headers=desk.p["other_dispatcher"].headers)
    assert hidden.status_code == 404
    stale = await desk.client.patch(f"/api/v1/routes/{first.json()['id']}",
                                    json={"name": "x", "version": 99},
                                    headers=desk.p["dispatcher"].headers)
    assert stale.status_code == 409


async def test_the_route_stage_must_be_among_the_signed_stages(desk: Desk,
                                                               database: Database) -> None:
    worker_id = await desk.cleared_worker(stages=["acceptance"])
    transport, acceptance = await desk.route(), await desk.route(stage="acceptance")
    assert codes(await desk.check(worker_id, transport)) == ["STAGE_NOT_CLEARED"]
    en = await desk.client.get("/api/v1/eligibility", headers={
        **desk.p["dispatcher"].headers, "Accept-Language": "en"},
        params={"worker_id": worker_id, "route_id": transport})
    assert en.json()["reasons"][0]["message"] == \
        "The route's stage is not among the stages the clearance covers."
    assert (await desk.check(worker_id, acceptance))["eligible"] is True
    start = datetime.now(UTC) + timedelta(hours=1)
    refused = await desk.assign(worker_id, transport, start, start + timedelta(days=7))
    assert refused.status_code == 409 and codes(refused.json()) == ["STAGE_NOT_CLEARED"]
    assert "Công đoạn" in refused.json()["reasons"][0]["message"]
    assert (await desk.assign(worker_id, acceptance, start,
                              start + timedelta(days=7))).status_code == 201

    early = await desk.post("hr", "/api/v1/vetting-requests",
                            {"worker_id": worker_id, "reason": "KT1"})
    assert early.status_code == 409 and early.json()["code"] == "REVERIFICATION_TOO_EARLY"
    # Stages added after the clearance (an unsigned row) change nothing: only what the
    # attestation signs counts, until a new request for the new stage is decided (and such a
    # request may be made at once, however long the clearance still holds).
    async with database.transaction() as session:
        await session.execute(update(Worker).where(Worker.id == worker_id)
                              .values(stages="acceptance,transport"))
    assert codes(await desk.check(worker_id, transport)) == ["STAGE_NOT_CLEARED"]
    await desk.request(worker_id)
    assert (await desk.check(worker_id, transport))["eligible"] is True
    assert (await desk.assign(worker_id, transport, start,
                              start + timedelta(days=7))).status_code == 201


async def test_a_past_window_is_judged_at_its_start(desk: Desk) -> None:
    """A window that lies before the clearance was issued is refused with what was true then."""
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    start = datetime.now(UTC) - timedelta(days=14)
    refused = await desk.assign(worker_id, route_id, start, start + timedelta(days=7))
    then = await desk.check(worker_id, route_id, at=start.isoformat())
    assert refused.status_code == 409 and codes(refused.json()) == ["NO_CLEARANCE"]
    assert codes(refused.json()) == codes(then)
    long_ago = datetime.now(UTC) - timedelta(days=3 * 365)
    refused = await desk.assign(worker_id, route_id, long_ago, long_ago + timedelta(days=31))
    assert codes(refused.json()) == ["NO_CLEARANCE", "TRAINING_MISSING", "COMMITMENT_MISSING"]
    open_ended = await desk.assign(worker_id, route_id, start)
    assert open_ended.status_code == 409 and codes(open_ended.json()) == ["NO_CLEARANCE"]


async def test_a_running_window_needs_the_clearance_then_and_now(desk: Desk) -> None:
    route_id = await desk.route()
    steady, suspended = await desk.cleared_worker(), await desk.cleared_worker()
    start = datetime.now(UTC)  # after both clearances were issued
    await asyncio.sleep(0.01)
    succeeded(await desk.post("lead", f"/api/v1/workers/{suspended}/clearance/suspend",
                              {"reason": "sự cố"}))
    end = start + timedelta(days=7)
    assert (await desk.assign(steady, route_id, start, end)).status_code == 201
    refused = await desk.assign(suspended, route_id, start, end)
    assert refused.status_code == 409 and codes(refused.json()) == ["CLEARANCE_SUSPENDED"]


async def test_a_window_beyond_a_training_is_refused(desk: Desk) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    start = datetime.now(UTC) + timedelta(days=1)
    answer = await desk.check(worker_id, route_id, at=start.isoformat())
    until = datetime.fromisoformat(answer["valid_until"])
    clearance = (await desk.client.get(f"/api/v1/workers/{worker_id}/clearance",
                                       headers=desk.p["hr"].headers)).json()
    assert until < datetime.fromisoformat(clearance["valid_until"])  # the training binds
    for beyond in (until + timedelta(seconds=1), until + timedelta(days=1)):
        refused = await desk.assign(worker_id, route_id, start, beyond)
        assert refused.status_code == 409
        assert codes(refused.json()) == ["WINDOW_EXCEEDS_TRAINING"]
        assert refused.json()["reasons"][0]["message"] == \
            "Thời gian phân công vượt quá hiệu lực chứng nhận đào tạo."
    created = await desk.assign(worker_id, route_id, start, until)
    assert created.status_code == 201, created.text
    assert datetime.fromisoformat(created.json()["ends_at"]) == until


async def test_an_open_window_ends_at_valid_until_and_the_roster_agrees(
        desk: Desk, database: Database) -> None:
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    start = datetime.now(UTC) + timedelta(hours=1)
    until = (await desk.check(worker_id, route_id, at=start.isoformat()))["valid_until"]
    created = await desk.assign(worker_id, route_id, start)
    assert created.status_code == 201, created.text
    assert datetime.fromisoformat(created.json()["ends_at"]) == datetime.fromisoformat(until)
    [line] = await desk.roster(route_id)
    assert line["status"] == "ok"
    assert datetime.fromisoformat(line["eligibility"]["valid_until"]) == \
        datetime.fromisoformat(until)
    # A training corrected to end sooner leaves the worker eligible today, but no longer for
    # the whole window: the roster says so, as assignment would.
    shorter = vn_today() + timedelta(days=30)
    async with database.transaction() as session:
        await session.execute(update(Training).where(
            Training.worker_id == worker_id, Training.kind == "kt1_security")
            .values(valid_until=shorter))
    assert (await desk.check(worker_id, route_id))["eligible"] is True
    [line] = await desk.roster(route_id)
    assert line["status"] == "blocked"
    assert codes(line["eligibility"]) == ["WINDOW_EXCEEDS_TRAINING"]
    again = await desk.assign(worker_id, await desk.route(), start,
                              datetime.fromisoformat(created.json()["ends_at"]))
    assert codes(again.json()) == ["WINDOW_EXCEEDS_TRAINING"]
