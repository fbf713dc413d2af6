"""A police lead's clearance pages: the unit's clearances, and suspend, reinstate and revoke
by the API's own service, a reason required and a check-your-answers page before suspending
or revoking. Through the ASGI app on both backends."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

from tests.conftest import People
from tests.pages.police_desk import PoliceDesk, desk_in, version_on
from tests.pages.visitor import csrf_of

CONFLICT = "Dữ liệu vừa bị thay đổi"


@pytest.fixture
async def desk(app: Litestar, client: httpx.AsyncClient,
               people: People) -> AsyncIterator[PoliceDesk]:
    found = await PoliceDesk(app, client, people).setup()
    yield found
    await found.close()


async def clearance_of(desk: PoliceDesk, worker_id: str) -> dict[str, object]:
    answer = await desk.api("hr", "GET", f"/api/v1/workers/{worker_id}/clearance")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def worker_links(html: str) -> list[str]:
    return re.findall(r'href="/clearances/([0-9a-f]{32})"', html)


async def test_the_lead_lists_the_clearances_their_unit_issued(
        app: Litestar, client: httpx.AsyncClient, people: People) -> None:
    async with desk_in(app, client, people, "79", "68") as desk:
        await _unit_clearances(desk)


async def _unit_clearances(desk: PoliceDesk) -> None:
    worker_id, _ = await desk.request(until="cleared")
    renewed, _ = await desk.request(until="cleared")
    await desk.api("lead", "POST", f"/api/v1/workers/{renewed}/clearance/suspend",
                   {"reason": "Tạm dừng"})
    lead = await desk.browser("lead")
    page = await lead.get("/clearances")
    assert page.status_code == 200 and worker_id in worker_links(page.text)
    assert 'href="/clearances"' in page.text  # in the lead's menu
    assert set(worker_links(page.text)) == {worker_id, renewed}
    active = await lead.get("/clearances?state=active")
    assert worker_links(active.text) == [worker_id]
    suspended = await lead.get("/clearances?state=suspended")
    assert worker_links(suspended.text) == [renewed]
    assert (await lead.get("/clearances?state=")).status_code == 200
    assert (await lead.get("/clearances?state=gone")).status_code == 400
    other = await desk.browser("other_lead")
    assert worker_id not in worker_links((await other.get("/clearances")).text)
    assert (await other.get(f"/clearances/{worker_id}")).status_code == 404
    assert (await other.get(f"/clearances/{worker_id}/suspend")).status_code == 404


@pytest.mark.parametrize("who", ["officer", "hr", "dispatcher", "inspector"])
async def test_only_a_lead_manages_clearances(desk: PoliceDesk, who: str) -> None:
    worker_id, _ = await desk.request(until="cleared")
    visitor = await desk.browser(who)
    assert (await visitor.get("/clearances")).status_code == 403
    assert (await visitor.get(f"/clearances/{worker_id}")).status_code == 403
    home = await visitor.get("/")
    answer = await visitor.submit(f"/clearances/{worker_id}/suspend", {"reason": "x"},
                                  token=csrf_of(home.text))
    assert answer.status_code == 403
    assert (await clearance_of(desk, worker_id))["state"] == "active"


async def test_suspending_needs_a_reason_and_a_check_then_suspends(desk: PoliceDesk) -> None:
    worker_id, _ = await desk.request(until="cleared", full_name="Lê Văn Cường")
    lead = await desk.browser("lead")
    page = await lead.get(f"/clearances/{worker_id}")
    assert "Lê Văn Cường" in page.text and "Còn hiệu lực" in page.text
    assert f'href="/clearances/{worker_id}/suspend"' in page.text
    assert f'href="/clearances/{worker_id}/reinstate"' not in page.text
    form = await lead.get(f"/clearances/{worker_id}/suspend")
    token = csrf_of(form.text)
    version = version_on(form.text)
    blank = await lead.submit(f"/clearances/{worker_id}/suspend/check",
                              {"reason": " ", "version": version}, token=token)
    assert blank.status_code == 422 and 'href="#reason"' in blank.text
    check = await lead.submit(f"/clearances/{worker_id}/suspend/check",
                              {"reason": "Đang điều tra vụ việc", "version": version},
                              token=token)
    assert check.status_code == 200
    assert "Lê Văn Cường" in check.text and "Đang điều tra vụ việc" in check.text
    assert (await clearance_of(desk, worker_id))["state"] == "active"  # nothing yet
    again = await lead.submit(f"/clearances/{worker_id}/suspend/check",
                              {"reason": "Đang điều tra vụ việc", "version": version,
                               "change": "1"}, token=token)
    assert again.status_code == 200 and "Đang điều tra vụ việc</textarea>" in again.text
    done = await lead.submit(f"/clearances/{worker_id}/suspend",
                             {"reason": "Đang điều tra vụ việc", "version": version},
                             token=token)
    assert done.status_code == 303
    assert done.headers["location"] == f"/clearances/{worker_id}?notice=clearance_suspend"
    state = await clearance_of(desk, worker_id)
    assert state["state"] == "suspended" and state["reason"] == "Đang điều tra vụ việc"
    shown = await lead.get(done.headers["location"])
    assert "Tạm đình chỉ" in shown.text and f"/clearances/{worker_id}/reinstate" in shown.text


async def test_a_suspension_posted_without_a_reason_or_csrf_token_is_refused(
        desk: PoliceDesk) -> None:
    worker_id, _ = await desk.request(until="cleared")
    lead = await desk.browser("lead")
    form = await lead.get(f"/clearances/{worker_id}/suspend")
    bare = await lead.submit(f"/clearances/{worker_id}/suspend", {"version": "1"},
                             token=csrf_of(form.text))
    assert bare.status_code == 422 and 'href="#reason"' in bare.text
    forged = await lead.client.post(f"/clearances/{worker_id}/suspend",
                                    data={"reason": "x", "version": "1"})
    assert forged.status_code == 403
    assert (await clearance_of(desk, worker_id))["state"] == "active"
    assert (await lead.get(f"/clearances/{worker_id}/delete")).status_code == 400


async def test_a_stale_check_page_gets_the_conflict_message(desk: PoliceDesk) -> None:
    worker_id, _ = await desk.request(until="cleared")
    lead = await desk.browser("lead")
    form = await lead.get(f"/clearances/{worker_id}/revoke")
    check = await lead.submit(f"/clearances/{worker_id}/revoke/check",
                              {"reason": "Vi phạm quy định", "version": version_on(form.text)},
                              token=csrf_of(form.text))
    answer = await desk.api("lead2", "POST", f"/api/v1/workers/{worker_id}/clearance/suspend",
                            {"reason": "Tạm dừng"})
    assert answer.status_code == 200
    stale = await lead.submit(f"/clearances/{worker_id}/revoke",
                              {"reason": "Vi phạm quy định",
                               "version": version_on(check.text)}, token=csrf_of(check.text))
    assert stale.status_code == 409 and CONFLICT in stale.text
    assert "Vi phạm quy định</textarea>" in stale.text  # the reason typed is kept
    assert (await clearance_of(desk, worker_id))["state"] == "suspended"


async def test_reinstate_then_revoke(desk: PoliceDesk) -> None:
    worker_id, _ = await desk.request(until="cleared")
    await desk.api("lead", "POST", f"/api/v1/workers/{worker_id}/clearance/suspend",
                   {"reason": "Tạm dừng"})
    lead = await desk.browser("lead")
    form = await lead.get(f"/clearances/{worker_id}/reinstate")
    assert form.status_code == 200
    done = await lead.submit(f"/clearances/{worker_id}/reinstate",
                             {"reason": "", "version": version_on(form.text)},
                             token=csrf_of(form.text))
    assert done.status_code == 303
    assert (await clearance_of(desk, worker_id))["state"] == "active"
    assert (await lead.get(f"/clearances/{worker_id}/reinstate/check")).status_code in (
        404, 405)

    form = await lead.get(f"/clearances/{worker_id}/revoke")
    check = await lead.submit(f"/clearances/{worker_id}/revoke/check",
                              {"reason": "Vi phạm quy định", "version": version_on(form.text)},
                              token=csrf_of(form.text))
    assert "Đã thu hồi" in check.text
    revoked = await lead.submit(f"/clearances/{worker_id}/revoke",
                                {"reason": "Vi phạm quy định",
                                 "version": version_on(check.text)},
                                token=csrf_of(check.text))
    assert revoked.status_code == 303
    assert (await clearance_of(desk, worker_id))["state"] == "revoked"
    page = await lead.get(f"/clearances/{worker_id}")
    assert "/suspend" not in page.text and "/reinstate" not in page.text
    again = await lead.submit(f"/clearances/{worker_id}/reinstate", {"reason": ""},
                              token=csrf_of(page.text))
    assert again.status_code == 409 and 'class="error-summary"' in again.text


async def test_an_incident_review_holds_the_suspension_against_a_manual_reinstate(
        desk: PoliceDesk) -> None:
    worker_id, _ = await desk.request(until="cleared")
    occurred = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    reported = await desk.api("hr", "POST", "/api/v1/incidents", {
        "kind": "loss", "occurred_at": occurred, "description": "Mất túi thư KT1",
        "worker_ids": [worker_id]})
    assert reported.status_code == 201, reported.text
    lead = await desk.browser("lead")
    form = await lead.get(f"/clearances/{worker_id}/reinstate")
    answer = await lead.submit(f"/clearances/{worker_id}/reinstate",
                               {"reason": "Xong", "version": version_on(form.text)},
                               token=csrf_of(form.text))
    assert answer.status_code == 409
    assert "Kết quả thẩm tra đang bị giữ do xem xét sự cố" in answer.text
    assert (await clearance_of(desk, worker_id))["state"] == "suspended"
