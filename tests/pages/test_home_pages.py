"""Home pages by role: each count is the one the API's own scoped list answers at the same
moment, and moves when the records do; notifications with their unread badge."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

from tests.api.test_eligibility import Desk
from tests.checks import succeeded
from tests.conftest import People, Person
from tests.pages.visitor import PLACEMENT, Visitor, csrf_of


@pytest.fixture
async def desk(client: httpx.AsyncClient, people: People) -> Desk:
    return Desk(client, {
        "hr": await people.make("post_hr", unit="POST-51"),
        "officer": await people.make("police_officer", unit="POLICE-51"),
        "lead": await people.make("police_lead", unit="POLICE-51"),
        "dispatcher": await people.make("dispatcher", unit="POST-51"),
    })


def card(html: str, href: str) -> int:
    """The count on the home-page card that links to `href`."""
    escaped = re.escape(href.replace("&", "&amp;"))
    found = re.search(rf'href="{escaped}"><span class="card__count">(\d+)</span>', html)
    assert found, f"no card for {href}"
    return int(found.group(1))


async def api_total(client: httpx.AsyncClient, person: Person, path: str) -> int:
    response = await client.get(path + ("&" if "?" in path else "?") + "limit=1",
                                headers=person.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


async def home_of(app: Litestar, person: Person) -> tuple[Visitor, str]:
    browser = Visitor.of(app)
    assert (await browser.sign_in(person)).status_code == 303
    response = await browser.get("/")
    assert response.status_code == 200, response.text
    return browser, response.text


async def test_hr_counts_are_the_apis_and_follow_the_records(
        app: Litestar, client: httpx.AsyncClient, desk: Desk) -> None:
    hr = desk.p["hr"]
    browser, before = await home_of(app, hr)
    for state in ("none", "pending", "active"):
        href = f"/workers?clearance_state={state}&employed=true"
        assert card(before, href) == await api_total(
            client, hr, f"/api/v1/workers?clearance_state={state}&employed=true")
    assert card(before, "/requests?state=needs_info") == await api_total(
        client, hr, "/api/v1/vetting-requests?state=needs_info")
    assert card(before, "/workers?expiring_within_days=60") == await api_total(
        client, hr, "/api/v1/workers?expiring_within_days=60&employed=true")
    await desk.worker()
    after = (await browser.get("/")).text
    none = "/workers?clearance_state=none&employed=true"
    assert card(after, none) == card(before, none) + 1
    assert "Người lao động theo tình trạng thẩm tra" in after
    await browser.close()


async def test_police_see_their_inbox_and_the_lead_the_approvals(
        app: Litestar, client: httpx.AsyncClient, desk: Desk) -> None:
    worker = await desk.worker()
    request_id = await desk.request(worker, until="submitted")
    officer, text = await home_of(app, desk.p["officer"])
    assert card(text, "/requests?state=submitted") == await api_total(
        client, desk.p["officer"], "/api/v1/vetting-requests?state=submitted")
    assert card(text, "/requests?overdue=true") == await api_total(
        client, desk.p["officer"], "/api/v1/vetting-requests?overdue=true")
    assert "/requests?state=awaiting_approval" not in text
    base = f"/api/v1/vetting-requests/{request_id}"
    succeeded(await desk.post("officer", f"{base}/claim"))
    succeeded(await desk.post("officer", f"{base}/propose",
                              {"outcome": "meets_standard", "note": "n"}))
    lead, text = await home_of(app, desk.p["lead"])
    assert card(text, "/requests?state=awaiting_approval") == await api_total(
        client, desk.p["lead"], "/api/v1/vetting-requests?state=awaiting_approval") > 0
    await officer.close()
    await lead.close()


async def test_the_dispatcher_sees_an_assignment_blocked_by_an_incident(
        app: Litestar, desk: Desk) -> None:
    worker = await desk.cleared_worker()
    route = await desk.route()
    start = datetime.now(UTC) + timedelta(minutes=5)
    assigned = await desk.assign(worker, route, start, start + timedelta(days=3))
    assert assigned.status_code == 201, assigned.text
    browser, before = await home_of(app, desk.p["dispatcher"])
    incident = await desk.post("hr", "/api/v1/incidents", {
        "kind": "loss", "occurred_at": datetime.now(UTC).isoformat(),
        "description": "Thất lạc bưu gửi", "worker_ids": [worker]})
    assert incident.status_code == 201, incident.text
    after = (await browser.get("/")).text
    assert card(after, "/routes") == card(before, "/routes") + 1
    await browser.close()


async def test_the_inspector_sees_the_current_period(app: Litestar, people: People) -> None:
    inspector = await people.make("inspector", province="51")
    browser, text = await home_of(app, inspector)
    today = datetime.now(UTC) + timedelta(hours=7)
    period = f"H{1 if today.month <= 6 else 2}-{today.year}"
    assert f'href="/reports?period={period}"' in text and period in text
    await browser.close()


async def test_the_admin_sees_accounts_by_role(app: Litestar, people: People,
                                              client: httpx.AsyncClient) -> None:
    admin = await people.make("admin")
    browser, text = await home_of(app, admin)
    assert card(text, "/accounts?role=inspector") == await api_total(
        client, admin, "/api/v1/users?role=inspector")
    await browser.close()


@pytest.mark.parametrize("role", list(PLACEMENT))
async def test_every_role_has_a_home_page(app: Litestar, people: People, role: str) -> None:
    person = await people.make(role, **PLACEMENT[role])
    browser, text = await home_of(app, person)
    assert 'class="cards"' in text and person.username in text
    await browser.close()


async def test_notifications_with_an_unread_badge_and_mark_as_read(
        app: Litestar, desk: Desk, client: httpx.AsyncClient) -> None:
    officer = desk.p["officer"]
    worker = await desk.worker()
    await desk.request(worker, until="submitted")
    browser, home = await home_of(app, officer)
    unread = await api_total(client, officer, "/api/v1/notifications?unread=true")
    assert unread >= 1
    assert f'<span class="badge">{unread}<' in home
    listing = await browser.get("/notifications")
    assert "Một đề nghị thẩm tra đã được chuyển đến đơn vị của bạn." in listing.text or \
        "notification--unread" in listing.text
    first = re.search(r'action="/notifications/([0-9a-f]+)/read"', listing.text)
    assert first
    done = await browser.submit(f"/notifications/{first.group(1)}/read", {},
                                token=csrf_of(listing.text))
    assert done.status_code == 303 and "notice=notifications_read" in done.headers["location"]
    assert await api_total(client, officer, "/api/v1/notifications?unread=true") == unread - 1
    other = await browser.submit("/notifications/nosuchid/read", {},
                                 token=csrf_of(listing.text))
    assert other.status_code == 404 and "Không tìm thấy trang" in other.text
    # the lead of the same unit was told too, but cannot touch the officer's notification
    lead, _ = await home_of(app, desk.p["lead"])
    listed = await client.get("/api/v1/notifications", headers=officer.headers)
    assert listed.json()["items"]
    for item in listed.json()["items"]:
        taken = await lead.submit(f"/notifications/{item['id']}/read", {}, form_page="/")
        assert taken.status_code == 404
    assert await api_total(client, officer, "/api/v1/notifications?unread=true") == unread - 1
    await browser.close()
    await lead.close()
