"""`PATCH /api/v1/workers/{id}`: HR corrects a registration with a JSON merge patch against the
version it read (If-Match), re-sealed, re-folded and audited by field name; every refusal
names the field and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import func, select

from tests.api.test_eligibility import Desk, codes, days_ago
from tests.api.test_worker_list import listing, tag
from tests.conftest import People
from tests.factories import worker_body
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import AuditEntry, Worker

MERGE_PATCH = "application/merge-patch+json"


async def correct(desk: Desk, worker_id: str, body: Any, *, version: int | str | None = 1,
                  who: str = "hr", media_type: str = MERGE_PATCH,
                  **headers: str) -> httpx.Response:
    sent = {**desk.p[who].headers, "Content-Type": media_type, **headers}
    if version is not None:
        sent["If-Match"] = version if isinstance(version, str) else f'"{version}"'
    return await desk.client.patch(f"/api/v1/workers/{worker_id}", headers=sent,
                                   content=json.dumps(body))


async def updates(database: Database, worker_id: str) -> list[AuditEntry]:
    async with database.transaction(read_only=True) as session:
        return list((await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "worker.update", AuditEntry.object_id == worker_id)
            .order_by(AuditEntry.seq))).all())


async def stored(database: Database, worker_id: str) -> Worker:
    async with database.transaction(read_only=True) as session:
        worker = await session.get(Worker, worker_id)
        assert worker is not None
        return worker


def invalid(response: httpx.Response) -> tuple[int, str, str, str]:
    body = response.json()
    [param] = body["invalid_params"]
    return response.status_code, body["code"], param["name"], param["in"]


async def test_hr_corrects_names_addresses_and_stages(desk: Desk, database: Database,
                                                      keys: RegistryKeys) -> None:
    word = tag()
    worker_id = await desk.worker(full_name=f"Nguyen Van An {word}", stages=["acceptance"])
    read = await desk.client.get(f"/api/v1/workers/{worker_id}", headers=desk.p["hr"].headers)
    assert read.headers["etag"] == '"1"' and read.json()["version"] == 1
    before = await stored(database, worker_id)

    response = await correct(desk, worker_id, {
        "full_name": f"  Trần Thị Bình {word}  ", "current_address": "5 Hùng Vương, Quảng Ngãi",
        "stages": ["delivery", "acceptance", "transport"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert response.headers["etag"] == '"2"' and body["version"] == 2
    assert body["full_name"] == f"Trần Thị Bình {word}"  # trimmed, NFC
    assert body["current_address"] == "5 Hùng Vương, Quảng Ngãi"
    assert body["permanent_address"] == "12 Lê Lợi, Quảng Ngãi"  # left out: unchanged
    assert body["stages"] == ["acceptance", "transport", "delivery"]  # canonical order
    assert body["national_id_masked"] is True and "*" in body["national_id"]

    after = await stored(database, worker_id)
    assert after.full_name_folded == f"tran thi binh {word}"
    assert after.current_address_enc != before.current_address_enc
    assert after.permanent_address_enc == before.permanent_address_enc  # not re-sealed
    assert keys.data.unseal(after.current_address_enc, table="worker", column="current_address",
                            row_id=worker_id) == "5 Hùng Vương, Quảng Ngãi"
    found = await listing(desk, "hr", q=f"tran thi binh {word}")
    assert [w["id"] for w in found["items"]] == [worker_id]
    assert (await listing(desk, "hr", q=f"nguyen van an {word}"))["total"] == 0

    [entry] = await updates(database, worker_id)
    assert json.loads(entry.body) == {"fields": ["current_address", "full_name", "stages"]}
    assert word not in entry.body and "Hùng" not in entry.body and entry.actor_role == "post_hr"
    # plain JSON means the same; the new ETag is what the next correction names
    again = await correct(desk, worker_id, {"hometown": "Sơn Tịnh, Quảng Ngãi"}, version=2,
                          media_type="application/json")
    assert again.status_code == 200 and again.headers["etag"] == '"3"'
    assert again.json()["hometown"] == "Sơn Tịnh, Quảng Ngãi"


async def test_if_match_is_required_and_a_stale_version_writes_nothing(
        desk: Desk, database: Database) -> None:
    worker_id = await desk.worker()
    missing = await correct(desk, worker_id, {"full_name": "Lê Văn Cường"}, version=None)
    assert missing.status_code == 428 and missing.json()["code"] == "IF_MATCH_REQUIRED"
    assert missing.headers["content-type"].startswith("application/problem+json")
    weak = await correct(desk, worker_id, {"full_name": "Lê Văn Cường"}, version='W/"1"')
    assert invalid(weak) == (422, "INVALID_IF_MATCH", "If-Match", "header")
    assert (await correct(desk, worker_id, {"full_name": "Lê Văn Cường"})).status_code == 200
    stale = await correct(desk, worker_id, {"full_name": "Lê Văn Dũng"}, version=1)
    assert stale.status_code == 409 and stale.json()["code"] == "STALE_VERSION"
    assert stale.json()["current_version"] == 2
    for media_type in ("application/json-patch+json", "text/plain"):
        refused = await correct(desk, worker_id, {"full_name": "Lê Văn Dũng"}, version=2,
                                media_type=media_type)
        assert refused.status_code == 415  # the body gate: JSON or a JSON merge patch only
        assert refused.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
        assert "application/merge-patch+json" in refused.headers["accept-patch"]
    worker = await stored(database, worker_id)
    assert worker.version == 2 and worker.full_name == "Lê Văn Cường"
    assert len(await updates(database, worker_id)) == 1


async def test_bad_input_names_the_field_and_writes_nothing(desk: Desk,
                                                            database: Database) -> None:
    body = worker_body("POST-51")
    created = await desk.post("hr", "/api/v1/workers", body)
    worker_id = created.json()["id"]
    taken = await desk.worker()
    taken_no = (await stored(database, taken)).employee_no
    refusals: list[tuple[dict[str, Any], tuple[int, str, str, str]]] = [
        ({"national_id": body["national_id"]},
         (422, "NATIONAL_ID_NOT_CORRECTABLE", "national_id", "body")),
        ({"full_name": "Phạm Thị Dung", "national_id": "051090000001"},
         (422, "NATIONAL_ID_NOT_CORRECTABLE", "national_id", "body")),
        ({"post_unit": "POST-12"}, (422, "POST_UNIT_NOT_CORRECTABLE", "post_unit", "body")),
        ({"full_name": None}, (422, "FIELD_REQUIRED", "full_name", "body")),
        ({}, (422, "EMPTY_CHANGE", "body", "body")),
        ({"permanent_province": "99"}, (422, "UNKNOWN_PROVINCE", "permanent_province", "body")),
        # the CCCD number on file says born 1990, male: a correction must agree with it
        ({"date_of_birth": "1991-05-17"}, (422, "CCCD_BIRTH_YEAR", "date_of_birth", "body")),
        ({"sex": "female"}, (422, "CCCD_SEX_CENTURY", "sex", "body")),
        ({"date_of_birth": days_ago(365 * 10)},
         (422, "AGE_OUT_OF_RANGE", "date_of_birth", "body")),
        ({"employee_no": taken_no}, (409, "DUPLICATE_EMPLOYEE_NO", "", "")),
        ({"full_name": "   "}, (400, "VALIDATION_FAILED", "full_name", "body")),
        ({"stages": ["flying"]}, (400, "VALIDATION_FAILED", "stages[0]", "body")),
        ({"stages": []}, (400, "VALIDATION_FAILED", "stages", "body")),
        ({"left_on": days_ago(1)}, (400, "VALIDATION_FAILED", "left_on", "body")),
        ({"date_of_birth": "17/05/1990"}, (400, "VALIDATION_FAILED", "date_of_birth", "body")),
    ]
    for patch, expected in refusals:
        response = await correct(desk, worker_id, patch)
        if expected[0] == 409:
            assert (response.status_code, response.json()["code"]) == expected[:2], patch
        else:
            assert invalid(response) == expected, (patch, response.text)
    en = await correct(desk, worker_id, {"national_id": body["national_id"]},
                       **{"Accept-Language": "en"})
    assert "CCCD number cannot be changed" in en.json()["detail"]
    not_json = await desk.client.patch(f"/api/v1/workers/{worker_id}", content=b"[1, 2",
                                       headers={**desk.p["hr"].headers, "If-Match": '"1"',
                                                "Content-Type": MERGE_PATCH})
    assert not_json.status_code == 400
    worker = await stored(database, worker_id)
    assert worker.version == 1 and worker.full_name == body["full_name"]
    assert await updates(database, worker_id) == []
    # the same birth year, another day: agrees with the CCCD number
    fixed = await correct(desk, worker_id, {"date_of_birth": "1990-11-02"})
    assert fixed.status_code == 200 and fixed.json()["date_of_birth"] == "1990-11-02"


async def test_only_hr_of_the_unit_corrects(desk: Desk, people: People,
                                            database: Database) -> None:
    worker_id = await desk.worker()
    desk.p["hr12"] = await people.make("post_hr", unit="POST-12")
    desk.p["inspector"] = await people.make("inspector", province="51")
    assert (await correct(desk, worker_id, {"full_name": "X Y"}, who="hr12")).status_code == 404
    for who in ("dispatcher", "officer", "lead", "inspector"):
        response = await correct(desk, worker_id, {"full_name": "X Y"}, who=who)
        assert response.status_code == 403, who
    assert (await correct(desk, "no-such-worker", {"full_name": "X Y"})).status_code == 404
    assert (await stored(database, worker_id)).version == 1


async def test_the_same_values_change_nothing(desk: Desk, database: Database) -> None:
    worker_id = await desk.worker(full_name="Hoàng Văn Em")
    same = await correct(desk, worker_id, {"full_name": "Hoàng Văn Em",
                                           "stages": ["transport", "acceptance"]})
    assert same.status_code == 200 and same.headers["etag"] == '"1"'
    assert await updates(database, worker_id) == []


async def test_a_stage_added_after_clearance_needs_a_new_request(desk: Desk) -> None:
    worker_id = await desk.cleared_worker(stages=["acceptance"])
    transport = await desk.route(stage="transport")
    assert codes(await desk.check(worker_id, transport)) == ["STAGE_NOT_CLEARED"]
    added = await correct(desk, worker_id, {"stages": ["acceptance", "transport"]}, version=1)
    assert added.status_code == 200, added.text
    assert added.json()["stages"] == ["acceptance", "transport"]
    # the clearance signs acceptance only: the new stage is not covered by it
    assert codes(await desk.check(worker_id, transport)) == ["STAGE_NOT_CLEARED"]
    await desk.request(worker_id)
    assert (await desk.check(worker_id, transport))["eligible"] is True


async def test_a_former_worker_keeps_correctable_records_but_not_stages(
        desk: Desk, database: Database) -> None:
    worker_id = await desk.worker(trained=False, committed=False)
    left = await desk.post("hr", f"/api/v1/workers/{worker_id}/leave",
                           {"left_on": days_ago(1), "reason": "nghỉ"})
    assert left.status_code == 200
    version = (await stored(database, worker_id)).version
    stages = await correct(desk, worker_id, {"stages": ["delivery"]}, version=version)
    assert stages.status_code == 409 and stages.json()["code"] == "EMPLOYMENT_ENDED"
    named = await correct(desk, worker_id, {"full_name": "Vũ Thị Giang"}, version=version)
    assert named.status_code == 200 and named.json()["employed"] is False


async def test_the_answer_and_audit_are_one_entry(desk: Desk, database: Database) -> None:
    """A correction writes exactly one audit entry (no dossier-read entry besides)."""
    worker_id = await desk.worker()
    async with database.transaction(read_only=True) as session:
        size = await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.object_id == worker_id))
    assert (await correct(desk, worker_id, {"hometown": "Mộ Đức"})).status_code == 200
    async with database.transaction(read_only=True) as session:
        entries = (await session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_id == worker_id).order_by(AuditEntry.seq).offset(size))).all()
    assert list(entries) == ["worker.update"]
