"""`GET /api/v1/workers/{id}/trainings`, `/commitments` and `/timeline`: scoped like the worker
itself, paged, and the timeline (the worker's audit entries) shaped per role."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from api.i18n.codes import AUDIT_ACTIONS
from policies.vetting_states import TRANSITIONS
from tests.api.test_eligibility import Desk, days_ago
from tests.api.test_worker_corrections import correct
from tests.conftest import People
from tests.factories import worker_body
from vetting.attestations.lifecycle import CHANGES
from vetting.db import Database
from vetting.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]
#: What only HR of the unit and the inspector see: who read or looked the worker up, and the
#: records that bear on eligibility but not on vetting (training, commitment, assignments).
HR_ONLY = {"worker.dossier_read", "worker.search_national_id"}
VETTING = {"worker.create", "worker.update", "request.submit", "request.claim",
           "request.propose", "request.approve", "attestation.issue", "incident.report"}
ELIGIBILITY = {"worker.create", "worker.update", "worker.training", "worker.commitment",
               "attestation.issue", "assignment.create"}


async def get(desk: Desk, who: str, url: str, expect: int = 200, **params: Any) -> Any:
    headers = {**desk.p[who].headers, **params.pop("headers", {})}
    response = await desk.client.get(url, headers=headers, params=params)
    assert response.status_code == expect, (who, url, response.text)
    return response.json()


async def a_worker_with_a_life(desk: Desk) -> str:
    """Registered, trained, committed, cleared, corrected, looked up, assigned, and named in a
    reported delay."""
    body = worker_body("POST-51", full_name="Đỗ Văn Minh")
    created = await desk.post("hr", "/api/v1/workers", body)
    worker_id = str(created.json()["id"])
    for kind in ("postal_operations", "kt1_security"):
        assert (await desk.post("hr", f"/api/v1/workers/{worker_id}/trainings", {
            "kind": kind, "completed_on": days_ago(30)})).status_code == 201
    assert (await desk.post("hr", f"/api/v1/workers/{worker_id}/commitments", {
        "signed_on": days_ago(29), "document_sha256": "d" * 64})).status_code == 201
    await desk.request(worker_id)
    assert (await correct(desk, worker_id, {"current_address": "3 Phan Đình Phùng"})
            ).status_code == 200
    await get(desk, "hr", "/api/v1/workers", national_id=body["national_id"])
    route = await desk.route()
    start = datetime.now(UTC) + timedelta(hours=1)
    assert (await desk.assign(worker_id, route, start, start + timedelta(days=3))
            ).status_code == 201
    reported = await desk.post("hr", "/api/v1/incidents", {
        "kind": "delay", "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "description": "Chậm phát", "worker_ids": [worker_id]})
    assert reported.status_code == 201, reported.text
    return worker_id


def actions(page: dict[str, Any]) -> list[str]:
    return [item["action"] for item in page["items"]]


async def test_the_timeline_is_shaped_per_role(desk: Desk, people: People) -> None:
    worker_id = await a_worker_with_a_life(desk)
    url = f"/api/v1/workers/{worker_id}/timeline"
    desk.p["inspector"] = await people.make("inspector", province="51")

    hr = await get(desk, "hr", url, limit=200)
    seen = set(actions(hr))
    assert VETTING | ELIGIBILITY | HR_ONLY <= seen
    assert hr["total"] == len(hr["items"])
    assert actions(hr)[0] == "incident.report"  # newest first
    assert actions(hr)[-2:] == ["worker.dossier_read", "worker.create"]  # the POST's answer
    for item in hr["items"]:
        assert item["at"].endswith("Z") and item["actor_id"] is None
        assert item["label"] and item["label"] != item["action"]
    first = hr["items"][-1]
    assert (first["label"], first["actor_role"], first["object_type"], first["object_id"]) == (
        "Đăng ký người lao động", "post_hr", "worker", worker_id)
    [update] = [i for i in hr["items"] if i["action"] == "worker.update"]
    assert update["fields"] == ["current_address"] and "Phan" not in str(update)
    approve = next(i for i in hr["items"] if i["action"] == "request.approve")
    assert approve["actor_role"] == "police_lead" and approve["object_type"] == "vetting_request"
    english = await get(desk, "hr", url, limit=200, headers={"Accept-Language": "en"})
    assert english["items"][-1]["label"] == "Registered"

    police = set(actions(await get(desk, "officer", url, limit=200)))
    assert police == VETTING
    dispatcher = set(actions(await get(desk, "dispatcher", url, limit=200)))
    assert dispatcher == ELIGIBILITY
    inspector = await get(desk, "inspector", url, limit=200)
    assert set(actions(inspector)) == seen
    assert all(i["actor_id"] for i in inspector["items"])  # the audit log shows it them anyway


async def test_other_provinces_and_roles_without_the_worker_get_nothing(
        desk: Desk, people: People) -> None:
    worker_id = await desk.worker()
    await desk.request(worker_id, until="submitted")
    others = {"hr12": ("post_hr", {"unit": "POST-12"}),
              "officer12": ("police_officer", {"unit": "POLICE-12"}),
              "inspector12": ("inspector", {"province": "12"}),
              "admin": ("admin", {})}
    for name, (role, where) in others.items():
        desk.p[name] = await people.make(role, **where)
    for path in ("timeline", "trainings", "commitments"):
        url = f"/api/v1/workers/{worker_id}/{path}"
        for who in ("hr12", "officer12", "inspector12", "other_dispatcher"):
            assert (await get(desk, who, url, 404))["code"] == "NOT_FOUND"
        assert (await get(desk, "admin", url, 403))["code"] == "FORBIDDEN"
        await get(desk, "hr", f"/api/v1/workers/no-such-worker/{path}", 404)
        for who in ("hr", "officer", "dispatcher"):
            await get(desk, who, url)
        bad = await get(desk, "hr", url, 400, limit=0)
        assert bad["invalid_params"][0]["name"] == "limit"


async def test_police_see_only_the_requests_routed_to_them(desk: Desk, people: People) -> None:
    worker_id = await desk.worker()
    first = await desk.request(worker_id, until="submitted")
    moved = await desk.post("officer", f"/api/v1/vetting-requests/{first}/transfer",
                            {"police_unit": "POLICE-01", "reason": "nơi cư trú"})
    assert moved.status_code == 200, moved.text
    assert (await desk.post("hr", f"/api/v1/vetting-requests/{first}/withdraw")
            ).status_code == 200
    second = await desk.request(worker_id, until="submitted")
    desk.p["officer01"] = await people.make("police_officer", unit="POLICE-01")
    url = f"/api/v1/workers/{worker_id}/timeline"

    ours = (await get(desk, "officer", url))["items"]
    requests = {(i["object_id"], i["action"]) for i in ours if i["object_type"] ==
                "vetting_request"}
    assert requests == {(second, "request.submit")}
    theirs = (await get(desk, "officer01", url))["items"]
    assert {(i["object_id"], i["action"]) for i in theirs if i["object_type"] ==
            "vetting_request"} == {(first, "request.submit"), (first, "request.transfer"),
                                   (first, "request.withdraw")}
    hr = (await get(desk, "hr", url))["items"]
    assert {i["object_id"] for i in hr if i["object_type"] == "vetting_request"} == {
        first, second}


async def test_timeline_paging(desk: Desk) -> None:
    worker_id = await desk.worker()  # create, dossier read, two trainings, a commitment
    url = f"/api/v1/workers/{worker_id}/timeline"
    whole = await get(desk, "hr", url)
    assert whole["total"] == 5 and len(whole["items"]) == 5
    page = await get(desk, "hr", url, limit=2, offset=2)
    assert page["total"] == 5 and page["items"] == whole["items"][2:4]


async def test_trainings_and_commitments_latest_first_for_every_reader(
        desk: Desk, people: People, database: Database) -> None:
    worker_id = await desk.worker(trained=False, committed=False)
    for kind, days in (("postal_operations", 300), ("kt1_security", 20),
                       ("postal_operations", 10)):
        assert (await desk.post("hr", f"/api/v1/workers/{worker_id}/trainings", {
            "kind": kind, "completed_on": days_ago(days)})).status_code == 201
    for days in (40, 5):
        assert (await desk.post("hr", f"/api/v1/workers/{worker_id}/commitments", {
            "signed_on": days_ago(days), "document_sha256": f"{days:064x}"})).status_code == 201
    await desk.request(worker_id, until="submitted")
    desk.p["inspector"] = await people.make("inspector", province="51")
    async with database.transaction(read_only=True) as session:
        before = await session.scalar(select(func.count()).select_from(AuditEntry))
    for who in ("hr", "dispatcher", "officer", "lead", "inspector"):
        trainings = await get(desk, who, f"/api/v1/workers/{worker_id}/trainings")
        assert trainings["total"] == 3
        assert [t["completed_on"] for t in trainings["items"]] == [
            days_ago(10), days_ago(20), days_ago(300)]
        assert set(trainings["items"][0]) >= {"id", "kind", "valid_until", "created_at"}
        commitments = await get(desk, who, f"/api/v1/workers/{worker_id}/commitments")
        assert [c["signed_on"] for c in commitments["items"]] == [days_ago(5), days_ago(40)]
        assert commitments["items"][0]["document_sha256"] == f"{5:064x}"
    paged = await get(desk, "hr", f"/api/v1/workers/{worker_id}/trainings", limit=1, offset=1)
    assert paged["total"] == 3 and [t["completed_on"] for t in paged["items"]] == [days_ago(20)]
    async with database.transaction(read_only=True) as session:
        after = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert after == before  # reading records is not a dossier read: nothing audited


#: An audit append naming its action literally (not an access action such as `clearance.read`).
_LITERAL = re.compile(r"""append\([^)]*?action=["']((?:worker|request|clearance|attestation|"""
                      r"""assignment|incident)\.[a-z_]+)["']""")


def _worker_actions_in_source() -> set[str]:
    found = {f"request.{t}" for t in TRANSITIONS} | {f"clearance.{c}" for c in CHANGES}
    found |= {"clearance.supersede", "assignment.ended", "assignment.blocked"}
    for package in ("vetting", "api"):
        for path in (ROOT / package).rglob("*.py"):
            found |= set(_LITERAL.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_action_a_timeline_can_show_has_a_label() -> None:
    actions_in_source = _worker_actions_in_source()
    assert "worker.update" in actions_in_source and "request.approve" in actions_in_source
    assert not sorted(actions_in_source - set(AUDIT_ACTIONS))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_labels_render(language: str) -> None:
    from api.i18n import action_label
    assert action_label(language, "worker.create") == (
        "Đăng ký người lao động" if language == "vi" else "Registered")
    assert action_label(language, "no.such") == "no.such"
