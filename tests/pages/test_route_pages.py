"""The dispatcher's pages, as a dispatcher uses them (forms posted through the app, cookies
kept): routes, the roster with ok or blocked and the reasons in words, eligibility for a
pasted list, assigning (every refusal reason shown, nothing written) and ending."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.i18n import message
from tests.api.test_eligibility import Desk
from tests.conftest import People, unique
from tests.pages.conftest import Visit
from tests.pages.visitor import Visitor
from vetting.db import Database
from vetting.models import Assignment, AuditEntry, Route

VIETNAM = "+07:00"


def local(moment: datetime) -> str:
    """A `datetime-local` value as the dispatcher types it: Vietnam wall-clock time."""
    return (moment + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
async def desk(client: httpx.AsyncClient, people: People) -> Desk:
    return await Desk.of_province_51(client, people)


@pytest.fixture
async def dispatcher_page(visitors: Visit, desk: Desk) -> Visitor:
    return await visitors(desk.p["dispatcher"])


async def employee_no(desk: Desk, worker_id: str) -> str:
    response = await desk.client.get(f"/api/v1/workers/{worker_id}",
                                     headers=desk.p["hr"].headers)
    return str(response.json()["employee_no"])


async def count(database: Database, model: Any, *where: Any) -> int:
    async with database.transaction(read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where))
                   or 0)


def route_id_of(response: httpx.Response) -> str:
    found = re.fullmatch(r"/routes/([^/?]+)\?notice=\w+", response.headers["location"])
    assert found, response.headers.get("location")
    return found.group(1)


async def test_a_dispatcher_creates_a_route_and_finds_it_listed(
        dispatcher_page: Visitor) -> None:
    code = unique("PG-")
    created = await dispatcher_page.submit("/routes/new", {
        "code": code, "name": "Tuyến KT1 Quảng Ngãi – Sơn Tịnh", "stage": "transport",
        "service_classes": ["standard", "express"], "max_secrecy": "B"})
    assert created.status_code == 303, created.text
    shown = await dispatcher_page.get(created.headers["location"])
    assert shown.status_code == 200
    assert "Đã tạo tuyến." in shown.text and "Vận chuyển" in shown.text
    assert "Thường, Chuyển phát nhanh" in shown.text and "B (Tối mật)" in shown.text
    listed = await dispatcher_page.get("/routes")
    assert code in listed.text and f'href="/routes/{route_id_of(created)}"' in listed.text


async def test_a_bad_route_code_shows_the_error_beside_the_field_and_writes_nothing(
        dispatcher_page: Visitor, database: Database) -> None:
    before = await count(database, Route)
    refused = await dispatcher_page.submit("/routes/new", {
        "code": "mã sai!", "name": "Tuyến", "stage": "transport",
        "service_classes": ["standard"], "max_secrecy": "A"}, form_page="/routes/new")
    assert refused.status_code == 422
    assert 'href="#code"' in refused.text and 'id="code-error"' in refused.text
    assert 'value="Tuyến"' in refused.text  # what was typed is kept
    assert await count(database, Route) == before


async def test_assign_then_the_roster_turns_blocked_when_the_clearance_is_suspended(
        desk: Desk, dispatcher_page: Visitor) -> None:
    route_id, worker_id = await desk.route(), await desk.cleared_worker()
    number = await employee_no(desk, worker_id)
    start = datetime.now(UTC) + timedelta(hours=1)
    assigned = await dispatcher_page.submit(f"/routes/{route_id}/assign", {
        "employee_no": number, "starts_at": local(start),
        "ends_at": local(start + timedelta(days=2))})
    assert assigned.status_code == 303, assigned.text
    roster = (await desk.roster(route_id))[0]
    assert roster["assignment"]["starts_at"].startswith(
        start.strftime("%Y-%m-%dT%H:%M"))  # Vietnam wall-clock time read back as UTC
    shown = await dispatcher_page.get(assigned.headers["location"])
    assert "Đã phân công nhân viên vào tuyến." in shown.text and "Đạt" in shown.text
    suspended = await desk.post("lead", f"/api/v1/workers/{worker_id}/clearance/suspend",
                                {"reason": "kiểm tra"})
    assert suspended.status_code == 200
    shown = await dispatcher_page.get(f"/routes/{route_id}")
    assert "Bị chặn" in shown.text
    assert message("vi", "CLEARANCE_SUSPENDED") in shown.text


async def test_a_refused_assignment_names_every_reason_writes_nothing_but_its_audit(
        desk: Desk, dispatcher_page: Visitor, database: Database) -> None:
    route_id = await desk.route()
    worker_id = await desk.worker(trained=False, committed=False)
    start = datetime.now(UTC) + timedelta(hours=1)
    refused = await dispatcher_page.submit(f"/routes/{route_id}/assign", {
        "employee_no": await employee_no(desk, worker_id), "starts_at": local(start)})
    assert refused.status_code == 409
    for code in ("NOT_ELIGIBLE", "NO_CLEARANCE", "TRAINING_MISSING", "COMMITMENT_MISSING"):
        assert message("vi", code) in refused.text, code
    assert await count(database, Assignment, Assignment.worker_id == worker_id) == 0
    assert await count(database, AuditEntry, AuditEntry.action == "assignment.refuse",
                       AuditEntry.object_id == worker_id) == 1


async def test_an_unknown_employee_number_and_a_bad_time_are_named(
        desk: Desk, dispatcher_page: Visitor) -> None:
    route_id = await desk.route()
    unknown = await dispatcher_page.submit(f"/routes/{route_id}/assign", {
        "employee_no": "KHONGCO", "starts_at": local(datetime.now(UTC))})
    assert unknown.status_code == 422 and 'href="#employee_no"' in unknown.text
    assert message("vi", "UNKNOWN_EMPLOYEE_NO", {"field": "Mã nhân viên"}) in unknown.text
    worker_id = await desk.cleared_worker()
    bad_time = await dispatcher_page.submit(f"/routes/{route_id}/assign", {
        "employee_no": await employee_no(desk, worker_id), "starts_at": "ngày mai"})
    assert bad_time.status_code == 422 and 'href="#starts_at"' in bad_time.text


async def test_eligibility_for_a_pasted_list_hides_other_units(
        desk: Desk, dispatcher_page: Visitor, people: People, client: httpx.AsyncClient
        ) -> None:
    route_id = await desk.route()
    good, untrained = await desk.cleared_worker(), await desk.worker(trained=False)
    other_hr = await people.make("post_hr", unit="POST-12")
    from tests.factories import worker_body
    foreign = await client.post("/api/v1/workers", json=worker_body("POST-12"),
                                headers=other_hr.headers)
    assert foreign.status_code == 201
    pasted = "\n".join([await employee_no(desk, good), await employee_no(desk, untrained),
                        foreign.json()["employee_no"], "KHONGCO"])
    shown = await dispatcher_page.submit(f"/routes/{route_id}/eligibility",
                                         {"employee_nos": pasted})
    assert shown.status_code == 200
    assert "1/2 người đủ điều kiện lúc này" in shown.text
    assert message("vi", "TRAINING_MISSING") in shown.text
    assert f"{foreign.json()['employee_no']}, KHONGCO" in shown.text  # not found, not leaked
    empty = await dispatcher_page.submit(f"/routes/{route_id}/eligibility",
                                         {"employee_nos": " \n "})
    assert empty.status_code == 422 and 'href="#employee_nos"' in empty.text


async def test_another_provinces_route_is_the_not_found_page(
        desk: Desk, dispatcher_page: Visitor) -> None:
    other = Desk(desk.client, {"dispatcher": desk.p["other_dispatcher"]})
    foreign_route = await other.route(province="12")
    for path in (f"/routes/{foreign_route}", f"/routes/{foreign_route}/assign",
                 f"/routes/{foreign_route}/edit", f"/routes/{foreign_route}/eligibility"):
        response = await dispatcher_page.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")


async def test_deactivating_blocks_the_roster_and_a_stale_page_is_refused(
        desk: Desk, dispatcher_page: Visitor) -> None:
    route_id, worker_id = await desk.route(), await desk.cleared_worker()
    start = datetime.now(UTC) + timedelta(hours=1)
    assert (await desk.assign(worker_id, route_id, start, start + timedelta(days=1))
            ).status_code == 201
    off = await dispatcher_page.submit(f"/routes/{route_id}/active",
                                       {"active": "false", "version": "1"},
                                       form_page=f"/routes/{route_id}")
    assert off.status_code == 303
    shown = await dispatcher_page.get(f"/routes/{route_id}")
    assert "Tuyến này đã ngừng hoạt động" in shown.text
    assert message("vi", "ROUTE_INACTIVE") in shown.text
    stale = await dispatcher_page.submit(f"/routes/{route_id}/active",
                                         {"active": "true", "version": "1"},
                                         form_page=f"/routes/{route_id}")
    assert stale.status_code == 409
    assert (await desk.client.get(f"/api/v1/routes/{route_id}",
                                  headers=desk.p["dispatcher"].headers)).json()["active"] is False


async def test_ending_an_assignment_takes_it_off_the_roster(
        desk: Desk, dispatcher_page: Visitor) -> None:
    route_id, worker_id = await desk.route(), await desk.cleared_worker()
    start = datetime.now(UTC) + timedelta(hours=1)
    created = await desk.assign(worker_id, route_id, start, start + timedelta(days=1))
    assignment_id = created.json()["id"]
    ended = await dispatcher_page.submit(f"/assignments/{assignment_id}/end", {},
                                         form_page=f"/routes/{route_id}")
    assert ended.status_code == 303
    assert ended.headers["location"] == f"/routes/{route_id}?notice=assignment_ended"
    assert await desk.roster(route_id) == []
    again = await dispatcher_page.submit(f"/assignments/{assignment_id}/end", {},
                                         form_page=f"/routes/{route_id}")
    assert again.status_code == 409


async def test_the_route_forms_refuse_a_post_without_its_csrf_token(
        desk: Desk, dispatcher_page: Visitor, database: Database) -> None:
    before = await count(database, Route)
    response = await dispatcher_page.client.post("/routes/new", data={
        "code": unique("X-"), "name": "x", "stage": "transport",
        "service_classes": "standard", "max_secrecy": "A"})
    assert response.status_code == 403
    assert await count(database, Route) == before
