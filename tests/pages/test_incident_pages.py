"""Incident pages: the list and one incident for every role the API lets read them, and a
police lead's conclusion of the reviews their unit must make (reinstate or revoke), after a
check-your-answers page, by the API's own service. Through the ASGI app on both backends."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

from tests.conftest import People
from tests.pages.police_desk import PoliceDesk, desk_in
from tests.pages.visitor import csrf_of


@pytest.fixture
async def desk(app: Litestar, client: httpx.AsyncClient,
               people: People) -> AsyncIterator[PoliceDesk]:
    found = await PoliceDesk(app, client, people).setup()
    yield found
    await found.close()


async def incident_with(desk: PoliceDesk, *worker_ids: str, kind: str = "loss") -> str:
    occurred = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    answer = await desk.api("hr", "POST", "/api/v1/incidents", {
        "kind": kind, "occurred_at": occurred, "description": "Mất túi thư KT1 tại bưu cục",
        "worker_ids": list(worker_ids)})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def clearance_state(desk: PoliceDesk, worker_id: str) -> str:
    answer = await desk.api("hr", "GET", f"/api/v1/workers/{worker_id}/clearance")
    return str(answer.json()["state"])


def incident_links(html: str) -> list[str]:
    return re.findall(r'href="/incidents/([0-9a-f]{32})"', html)


async def test_the_lead_finds_the_reviews_to_conclude(
        app: Litestar, client: httpx.AsyncClient, people: People) -> None:
    async with desk_in(app, client, people, "75", "66") as desk:
        await _reviews_to_conclude(desk)


async def _reviews_to_conclude(desk: PoliceDesk) -> None:
    cleared, _ = await desk.request(until="cleared", full_name="Phạm Thị Dung")
    uncleared = await desk.worker()
    incident = await incident_with(desk, cleared, uncleared)
    quiet = await incident_with(desk, uncleared, kind="delay")
    lead = await desk.browser("lead")
    waiting = await lead.get("/incidents?awaiting=true")
    assert waiting.status_code == 200
    assert incident_links(waiting.text) == [incident]
    everything = await lead.get("/incidents?state=")
    assert set(incident_links(everything.text)) == {incident, quiet}
    hr = await desk.browser("hr")
    assert set(incident_links((await hr.get("/incidents")).text)) == {incident, quiet}
    page = await lead.get(f"/incidents/{incident}")
    assert page.status_code == 200 and "Mất túi thư KT1 tại bưu cục" in page.text
    assert "Phạm Thị Dung" in page.text
    assert f'href="/incidents/{incident}/conclude?worker_id={cleared}"' in page.text
    assert f"worker_id={uncleared}" not in page.text  # nothing of theirs to conclude


async def test_who_else_reads_incidents_and_who_is_refused(desk: PoliceDesk) -> None:
    cleared, _ = await desk.request(until="cleared")
    incident = await incident_with(desk, cleared)
    hr = await desk.browser("hr")
    page = await hr.get(f"/incidents/{incident}")
    assert page.status_code == 200 and "/conclude" not in page.text
    officer = await desk.browser("officer")
    shown = await officer.get(f"/incidents/{incident}")
    assert shown.status_code == 200 and "/conclude" not in shown.text
    assert (await officer.get(f"/incidents/{incident}/conclude?worker_id={cleared}")
            ).status_code == 403
    other = await desk.browser("other_lead")
    assert incident not in incident_links((await other.get("/incidents")).text)
    assert (await other.get(f"/incidents/{incident}")).status_code == 404
    assert (await other.get(f"/incidents/{incident}/conclude?worker_id={cleared}")
            ).status_code == 404
    dispatcher = await desk.browser("dispatcher")
    assert (await dispatcher.get("/incidents")).status_code == 403
    home = await officer.get("/")
    refused = await officer.submit(f"/incidents/{incident}/conclude", {
        "worker_id": cleared, "decision": "revoke", "reason": "x"}, token=csrf_of(home.text))
    assert refused.status_code == 403
    assert await clearance_state(desk, cleared) == "suspended"


async def test_concluding_checks_the_decision_then_records_it(desk: PoliceDesk) -> None:
    cleared, _ = await desk.request(until="cleared")
    incident = await incident_with(desk, cleared)
    lead = await desk.browser("lead")
    form = await lead.get(f"/incidents/{incident}/conclude?worker_id={cleared}")
    assert form.status_code == 200
    token = csrf_of(form.text)
    missing = await lead.submit(f"/incidents/{incident}/conclude/check",
                                {"worker_id": cleared, "reason": "Đã tìm thấy"}, token=token)
    assert missing.status_code == 422 and 'href="#decision"' in missing.text
    assert "Đã tìm thấy</textarea>" in missing.text
    no_reason = await lead.submit(f"/incidents/{incident}/conclude/check",
                                  {"worker_id": cleared, "decision": "reinstate"}, token=token)
    assert no_reason.status_code == 422 and 'href="#reason"' in no_reason.text
    check = await lead.submit(f"/incidents/{incident}/conclude/check",
                              {"worker_id": cleared, "decision": "reinstate",
                               "reason": "Đã tìm thấy túi thư"}, token=token)
    assert check.status_code == 200 and "Đã tìm thấy túi thư" in check.text
    assert "Khôi phục kết quả thẩm tra" in check.text
    assert await clearance_state(desk, cleared) == "suspended"  # nothing yet
    back = await lead.submit(f"/incidents/{incident}/conclude/check",
                             {"worker_id": cleared, "decision": "reinstate",
                              "reason": "Đã tìm thấy túi thư", "change": "1"}, token=token)
    assert 'value="reinstate" checked' in back.text
    done = await lead.submit(f"/incidents/{incident}/conclude",
                             {"worker_id": cleared, "decision": "reinstate",
                              "reason": "Đã tìm thấy túi thư"}, token=token)
    assert done.status_code == 303
    assert done.headers["location"] == f"/incidents/{incident}?notice=incident_conclude"
    assert await clearance_state(desk, cleared) == "active"
    page = await lead.get(done.headers["location"])
    assert "Việc xem xét đã được kết luận." in page.text and "Đã khôi phục" in page.text
    assert "Đã kết luận" in page.text  # the incident closed with its last review
    again = await lead.submit(f"/incidents/{incident}/conclude",
                              {"worker_id": cleared, "decision": "revoke", "reason": "x"},
                              token=token)
    assert again.status_code == 409 and "Việc xem xét này đã được kết luận." in again.text
    assert await clearance_state(desk, cleared) == "active"


async def test_a_revocation_by_conclusion_and_a_forged_post(desk: PoliceDesk) -> None:
    cleared, _ = await desk.request(until="cleared")
    incident = await incident_with(desk, cleared, kind="suspected_leak")
    lead = await desk.browser("lead")
    forged = await lead.client.post(f"/incidents/{incident}/conclude", data={
        "worker_id": cleared, "decision": "revoke", "reason": "x"})
    assert forged.status_code == 403
    assert await clearance_state(desk, cleared) == "suspended"
    form = await lead.get(f"/incidents/{incident}/conclude?worker_id={cleared}")
    wrong = await lead.submit(f"/incidents/{incident}/conclude/check",
                              {"worker_id": cleared, "decision": "forgive", "reason": "x"},
                              token=csrf_of(form.text))
    assert wrong.status_code == 422 and 'href="#decision"' in wrong.text
    done = await lead.submit(f"/incidents/{incident}/conclude",
                             {"worker_id": cleared, "decision": "revoke",
                              "reason": "Xác định làm lộ bí mật"}, token=csrf_of(form.text))
    assert done.status_code == 303
    assert await clearance_state(desk, cleared) == "revoked"
