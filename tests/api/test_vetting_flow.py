"""The vetting workflow end to end: nomination, routing, review and the two-person decision."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.checks import succeeded
from tests.conftest import People, Person
from tests.factories import worker_body
from vetting.db import Database
from vetting.models import AuditEntry


async def _worker(client: httpx.AsyncClient, hr: Person, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/workers", json=worker_body(hr.unit or "", **overrides),
                                 headers=hr.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _submit(client: httpx.AsyncClient, hr: Person, worker_id: str) -> dict[str, Any]:
    response = await client.post("/api/v1/vetting-requests",
                                 json={"worker_id": worker_id, "reason": "KT1 giao nhận"},
                                 headers=hr.headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def cast(people: People) -> dict[str, Person]:
    return {
        "hr": await people.make("post_hr", unit="POST-51"),
        "officer": await people.make("police_officer", unit="POLICE-51"),
        "lead": await people.make("police_lead", unit="POLICE-51"),
        "other_hr": await people.make("post_hr", unit="POST-12"),
        "other_officer": await people.make("police_officer", unit="POLICE-12"),
        "dispatcher": await people.make("dispatcher", unit="POST-51"),
        "admin": await people.make("admin"),
    }


async def test_full_flow_to_cleared(client: httpx.AsyncClient, cast: dict[str, Person],
                                    database: Database) -> None:
    worker = await _worker(client, cast["hr"])
    assert worker["national_id_masked"] is True
    request = await _submit(client, cast["hr"], worker["id"])
    assert request["state"] == "submitted"
    assert request["police_unit"] == "POLICE-51"
    rid = request["id"]
    base = f"/api/v1/vetting-requests/{rid}"

    inbox = await client.get("/api/v1/vetting-requests?state=submitted",
                             headers=cast["officer"].headers)
    assert rid in [r["id"] for r in inbox.json()["items"]]
    claimed = await client.post(f"{base}/claim", headers=cast["officer"].headers)
    assert claimed.status_code == 200 and claimed.json()["state"] == "in_review"
    proposed = await client.post(f"{base}/propose", headers=cast["officer"].headers,
                                 json={"outcome": "meets_standard", "note": "Đạt, không vi phạm"})
    assert proposed.json()["state"] == "awaiting_approval"
    approved = await client.post(f"{base}/approve", headers=cast["lead"].headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "cleared"
    assert approved.json()["outcome"] == "meets_standard"

    hr_view = (await client.get(base, headers=cast["hr"].headers)).json()
    assert hr_view["outcome"] == "meets_standard"
    assert hr_view["police_note"] is None
    police_view = (await client.get(base, headers=cast["officer"].headers)).json()
    assert police_view["police_note"] == "Đạt, không vi phạm"
    assert [e["action"] for e in police_view["history"]] == [
        "submit", "claim", "propose", "approve"]

    async with database.transaction(read_only=True) as session:
        actions = (await session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_id == rid).order_by(AuditEntry.seq))).all()
    assert actions == ["request.submit", "request.claim", "request.propose", "request.approve"]


async def test_proposer_cannot_approve_and_admin_cannot_decide(
        client: httpx.AsyncClient, cast: dict[str, Person], people: People) -> None:
    lead2 = await people.make("police_lead", unit="POLICE-51")
    worker = await _worker(client, cast["hr"])
    rid = (await _submit(client, cast["hr"], worker["id"]))["id"]
    base = f"/api/v1/vetting-requests/{rid}"
    succeeded(await client.post(f"{base}/claim", headers=lead2.headers))
    succeeded(await client.post(f"{base}/propose", headers=lead2.headers,
                                json={"outcome": "does_not_meet", "note": "x"}))
    own = await client.post(f"{base}/approve", headers=lead2.headers)
    assert own.status_code == 403 and own.json()["code"] == "TWO_PERSON_RULE"
    admin = await client.post(f"{base}/approve", headers=cast["admin"].headers)
    assert admin.status_code == 403
    officer = await client.post(f"{base}/approve", headers=cast["officer"].headers)
    assert officer.status_code == 403
    other = await client.post(f"{base}/approve", headers=cast["lead"].headers)
    assert other.status_code == 200 and other.json()["state"] == "not_cleared"


async def test_other_province_sees_nothing(client: httpx.AsyncClient,
                                           cast: dict[str, Person]) -> None:
    worker = await _worker(client, cast["hr"])
    rid = (await _submit(client, cast["hr"], worker["id"]))["id"]
    for who in ("other_hr", "other_officer"):
        assert (await client.get(f"/api/v1/workers/{worker['id']}",
                                 headers=cast[who].headers)).status_code == 404
        assert (await client.get(f"/api/v1/vetting-requests/{rid}",
                                 headers=cast[who].headers)).status_code == 404
    claim = await client.post(f"/api/v1/vetting-requests/{rid}/claim",
                              headers=cast["other_officer"].headers)
    assert claim.status_code == 404


async def test_invalid_transition_and_stale_version(client: httpx.AsyncClient,
                                                    cast: dict[str, Person]) -> None:
    worker = await _worker(client, cast["hr"])
    request = await _submit(client, cast["hr"], worker["id"])
    base = f"/api/v1/vetting-requests/{request['id']}"
    early = await client.post(f"{base}/propose", headers=cast["officer"].headers,
                              json={"outcome": "meets_standard", "note": "x"})
    assert early.status_code == 409 and early.json()["current_state"] == "submitted"
    stale = await client.post(f"{base}/claim", headers={**cast["officer"].headers,
                                                        "If-Match": '"99"'})
    assert stale.status_code == 409 and stale.json()["code"] == "STALE_VERSION"
    ok = await client.post(f"{base}/claim", headers={**cast["officer"].headers,
                                                     "If-Match": f'"{request["version"]}"'})
    assert ok.status_code == 200


async def test_one_open_request_per_worker(client: httpx.AsyncClient,
                                           cast: dict[str, Person]) -> None:
    worker = await _worker(client, cast["hr"])
    await _submit(client, cast["hr"], worker["id"])
    again = await client.post("/api/v1/vetting-requests", headers=cast["hr"].headers,
                              json={"worker_id": worker["id"], "reason": "again"})
    assert again.status_code == 409 and again.json()["code"] == "OPEN_REQUEST_EXISTS"


async def test_return_resubmit_transfer_withdraw(client: httpx.AsyncClient,
                                                 cast: dict[str, Person],
                                                 database: Database) -> None:
    worker = await _worker(client, cast["hr"])
    rid = (await _submit(client, cast["hr"], worker["id"]))["id"]
    base = f"/api/v1/vetting-requests/{rid}"
    succeeded(await client.post(f"{base}/claim", headers=cast["officer"].headers))
    returned = await client.post(f"{base}/return", headers=cast["officer"].headers,
                                 json={"note": "Bổ sung nơi ở hiện tại"})
    assert returned.json()["state"] == "needs_info"
    hr_sees = (await client.get(base, headers=cast["hr"].headers)).json()
    assert hr_sees["info_request"] == "Bổ sung nơi ở hiện tại"
    resubmitted = await client.post(f"{base}/resubmit", headers=cast["hr"].headers,
                                    json={"current_address": "5 Hùng Vương"})
    assert resubmitted.json()["state"] == "submitted"
    unexplained = await client.post(f"{base}/transfer", headers=cast["officer"].headers,
                                    json={"police_unit": "POLICE-12"})
    assert unexplained.status_code == 400 and "reason" in unexplained.text
    blank = await client.post(f"{base}/transfer", headers=cast["officer"].headers,
                              json={"police_unit": "POLICE-12", "reason": "   "})
    assert blank.status_code == 400
    why = "Người lao động cư trú tại Lai Châu"
    moved = await client.post(f"{base}/transfer", headers=cast["officer"].headers,
                              json={"police_unit": "POLICE-12", "reason": why})
    assert moved.status_code == 200 and moved.json()["police_unit"] == "POLICE-12"
    async with database.transaction() as session:
        entry = await session.scalar(select(AuditEntry).where(
            AuditEntry.action == "request.transfer", AuditEntry.object_id == rid))
    assert entry is not None and json.loads(entry.body)["reason_given"] is True
    assert "Lai" not in entry.body  # the reason may name people: history only
    assert (await client.get(base, headers=cast["officer"].headers)).status_code == 404
    history = (await client.get(base, headers=cast["other_officer"].headers)).json()["history"]
    assert [(e["action"], e["police_unit"]) for e in history][-1] == ("transfer", "POLICE-12")
    assert history[-1]["reason"] == why and history[0]["reason"] is None
    assert history[0]["police_unit"] == "POLICE-51"
    withdrawn = await client.post(f"{base}/withdraw", headers=cast["hr"].headers)
    assert withdrawn.json()["state"] == "withdrawn"
    again = await client.post(f"{base}/withdraw", headers=cast["hr"].headers)
    assert again.status_code == 409


async def test_idempotent_replay_and_conflicting_replay(client: httpx.AsyncClient,
                                                        cast: dict[str, Person]) -> None:
    body = worker_body("POST-51")
    headers = {**cast["hr"].headers, "Idempotency-Key": "create-worker-1"}
    first = await client.post("/api/v1/workers", json=body, headers=headers)
    second = await client.post("/api/v1/workers", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["idempotent-replayed"] == "true"
    other = await client.post("/api/v1/workers", json={**body, "full_name": "Khác"},
                              headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.parametrize(
    ("change", "field", "status", "code"),
    [
        ({"national_id": "12345"}, "national_id", 400, "VALIDATION_FAILED"),
        ({"national_id": "999090123456"}, "national_id", 422, "CCCD_PROVINCE"),
        ({"national_id": "051190123456"}, "national_id", 422, "CCCD_SEX_CENTURY"),
        ({"national_id": "051085123456"}, "national_id", 422, "CCCD_BIRTH_YEAR"),
        ({"date_of_birth": "2015-01-01"}, "date_of_birth", 422, "AGE_OUT_OF_RANGE"),
        ({"date_of_birth": "1990-02-30"}, "date_of_birth", 400, "VALIDATION_FAILED"),
        ({"stages": ["flying"]}, "stages[0]", 400, "VALIDATION_FAILED"),
        ({"post_unit": "POST-12"}, "post_unit", 422, "OUT_OF_SCOPE"),
        ({"permanent_province": "99"}, "permanent_province", 422, "UNKNOWN_PROVINCE"),
    ],
)
async def test_worker_validation_names_the_field(client: httpx.AsyncClient, people: People,
                                                 change: dict[str, Any], field: str,
                                                 status: int, code: str) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    response = await client.post("/api/v1/workers", headers=hr.headers,
                                 json={**worker_body("POST-51"), **change})
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert [p["name"] for p in response.json()["invalid_params"]] == [field]


async def test_duplicate_national_id_does_not_reveal_the_other(client: httpx.AsyncClient,
                                                               people: People) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    other = await people.make("post_hr", unit="POST-12")
    body = worker_body("POST-51")
    assert (await client.post("/api/v1/workers", json=body, headers=hr.headers)).status_code == 201
    dup = await client.post("/api/v1/workers", headers=other.headers,
                            json={**worker_body("POST-12"), "national_id": body["national_id"],
                                  "date_of_birth": body["date_of_birth"]})
    assert dup.status_code == 409
    assert dup.json()["code"] == "DUPLICATE_NATIONAL_ID"
    assert "POST-51" not in dup.text and body["employee_no"] not in dup.text


async def test_dispatcher_sees_no_dossier_and_police_see_full_id(
        client: httpx.AsyncClient, cast: dict[str, Person]) -> None:
    body = worker_body("POST-51")
    worker = (await client.post("/api/v1/workers", json=body, headers=cast["hr"].headers)).json()
    assert worker["national_id"] != body["national_id"]
    assert worker["national_id"].endswith(body["national_id"][-3:])
    summary = (await client.get(f"/api/v1/workers/{worker['id']}",
                                headers=cast["dispatcher"].headers)).json()
    assert set(summary) == {"id", "employee_no", "full_name", "post_unit", "stages", "employed"}
    before = await client.get(f"/api/v1/workers/{worker['id']}", headers=cast["officer"].headers)
    assert before.status_code == 404  # no request routed to the police yet
    await _submit(client, cast["hr"], worker["id"])
    police = (await client.get(f"/api/v1/workers/{worker['id']}",
                               headers=cast["officer"].headers)).json()
    assert police["national_id"] == body["national_id"]
    assert police["national_id_masked"] is False


async def test_list_items_name_the_worker_without_dossier_data(
        client: httpx.AsyncClient, cast: dict[str, Person]) -> None:
    worker = await _worker(client, cast["hr"], full_name="Phạm Thị Hoa", employee_no="HOA-77")
    rid = (await _submit(client, cast["hr"], worker["id"]))["id"]
    for who in ("hr", "officer"):
        listed = await client.get("/api/v1/vetting-requests", headers=cast[who].headers,
                                  params={"worker_id": worker["id"]})
        assert listed.status_code == 200, listed.text
        [item] = listed.json()["items"]
        assert item["id"] == rid and item["worker_full_name"] == "Phạm Thị Hoa"
        assert item["worker_employee_no"] == "HOA-77"
        assert "national_id" not in item and "date_of_birth" not in item
        assert worker["national_id"] not in listed.text
