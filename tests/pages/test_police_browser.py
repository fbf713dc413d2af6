"""The vetting request, clearance, incident and printable attestation pages in a real browser
(Debian's Chromium) against a real server, on both backends: an officer claims, returns and
proposes; HR resubmits; another lead checks and approves, and prints the attestation; a lead
suspends a clearance after checking and concludes an incident review. axe-core and a
screenshot (1280 px and 360 px) of every page, and (through the `pages` fixture) no request
leaving the origin. JavaScript plays no part: every step is a plain form."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from playwright.async_api import Page

from tests.conftest import People, Person
from tests.factories import days_ago, worker_body
from tests.pages.conftest import LiveServer, sign_in_on

NewPage = Callable[..., Awaitable[Page]]
Check = Callable[[Page], Awaitable[None]]
Shoot = Callable[[Page, str], Awaitable[list[Path]]]


class Scene:
    """Accounts of POST-51 and POLICE-51 on the live server, and workers brought to a state
    through the API."""

    def __init__(self, api: httpx.AsyncClient, people: dict[str, Person]) -> None:
        self.api, self.p = api, people

    @classmethod
    async def of(cls, api: httpx.AsyncClient, live_people: People) -> Scene:
        return cls(api, {
            "hr": await live_people.make("post_hr", unit="POST-51"),
            "officer": await live_people.make("police_officer", unit="POLICE-51"),
            "lead": await live_people.make("police_lead", unit="POLICE-51"),
            "lead2": await live_people.make("police_lead", unit="POLICE-51"),
        })

    async def call(self, who: str, path: str, body: Any = None) -> dict[str, Any]:
        answer = await self.api.post(path, json=body, headers=self.p[who].headers)
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    async def request(self, name: str, *, until: str = "submitted") -> tuple[str, str]:
        worker = await self.call("hr", "/api/v1/workers", worker_body(full_name=name))
        wid = worker["id"]
        for kind in ("postal_operations", "kt1_security"):
            await self.call("hr", f"/api/v1/workers/{wid}/trainings",
                            {"kind": kind, "completed_on": days_ago(30)})
        await self.call("hr", f"/api/v1/workers/{wid}/commitments",
                        {"signed_on": days_ago(29), "document_sha256": "d" * 64})
        rid = (await self.call("hr", "/api/v1/vetting-requests",
                               {"worker_id": wid, "reason": "KT1 tuyến Quảng Ngãi"}))["id"]
        base = f"/api/v1/vetting-requests/{rid}"
        if until in ("awaiting_approval", "cleared"):
            await self.call("officer", f"{base}/claim")
            await self.call("officer", f"{base}/propose",
                            {"outcome": "meets_standard", "note": "Đã xác minh"})
        if until == "cleared":
            await self.call("lead2", f"{base}/approve")
        return wid, rid


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


async def submit(page: Page, selector: str = "main form button[type=submit]") -> None:
    async with page.expect_navigation():
        await page.click(selector)


async def look(page: Page, axe_check: Check, shoot: Shoot, name: str) -> None:
    await axe_check(page)
    await shoot(page, name)


async def test_officer_hr_and_lead_take_a_request_to_its_printed_attestation(
        new_page: NewPage, live: LiveServer, live_people: People, axe_check: Check,
        shoot: Shoot) -> None:
    async with httpx.AsyncClient(base_url=live.base_url) as api:
        scene = await Scene.of(api, live_people)
        _, rid = await scene.request("Vũ Thị Lan Anh")
        _, other = await scene.request("Đặng Quốc Bảo")

    officer = await new_page()
    await sign_in_on(officer, scene.p["officer"])
    await officer.goto("/requests")
    assert await officer.locator(f"a[href='/requests/{rid}']").count() == 1
    await look(officer, axe_check, shoot, "requests-police-inbox")
    await officer.goto(f"/requests/{rid}")
    assert "Vũ Thị Lan Anh" in await officer.locator("h1").inner_text()
    assert "Việc bạn xem hồ sơ này được ghi vào nhật ký kiểm toán." in await officer.content()
    await look(officer, axe_check, shoot, "request-police")
    await submit(officer, f"form[action='/requests/{rid}/claim'] button")
    assert "Bạn đã nhận đề nghị" in await officer.locator(".banner").inner_text()
    await officer.click(f"a[href='/requests/{rid}/return']")
    await officer.wait_for_load_state("load")
    await submit(officer)  # no note
    await officer.click(".error-summary a[href='#note']")
    assert await officer.evaluate("document.activeElement.id") == "note"
    await look(officer, axe_check, shoot, "request-return-errors")
    await officer.fill("#note", "Cần bổ sung nơi ở hiện tại")
    await submit(officer)
    assert path_of(officer) == f"/requests/{rid}"
    await officer.goto(f"/requests/{other}/transfer")
    await look(officer, axe_check, shoot, "request-transfer")

    hr = await new_page()
    await sign_in_on(hr, scene.p["hr"])
    await hr.goto("/requests?state=needs_info")
    await look(hr, axe_check, shoot, "requests-hr-outbox")
    await hr.goto(f"/requests/{rid}")
    assert "Cần bổ sung nơi ở hiện tại" in await hr.content()
    await look(hr, axe_check, shoot, "request-hr")
    await hr.click(f"a[href='/requests/{rid}/resubmit']")
    await hr.wait_for_load_state("load")
    await look(hr, axe_check, shoot, "request-resubmit")
    await hr.fill("#current_address", "45 Hùng Vương, Quảng Ngãi")
    await submit(hr)
    assert "Đề nghị đã được gửi lại cho công an." in await hr.locator(".banner").inner_text()

    await officer.goto(f"/requests/{rid}")
    await submit(officer, f"form[action='/requests/{rid}/claim'] button")
    await officer.click(f"a[href='/requests/{rid}/propose']")
    await officer.wait_for_load_state("load")
    await look(officer, axe_check, shoot, "request-propose")
    await officer.check("#outcome")
    await officer.fill("#note", "Không có tiền án, tiền sự")
    await submit(officer)
    assert "chờ một lãnh đạo công an khác" in await officer.locator(".banner").inner_text()

    lead = await new_page()
    await sign_in_on(lead, scene.p["lead"])
    await lead.goto("/requests?state=awaiting_approval")
    assert await lead.locator(f"a[href='/requests/{rid}']").count() == 1
    await look(lead, axe_check, shoot, "requests-approval-queue")
    await lead.goto(f"/requests/{rid}/approve")
    text = await lead.locator("main").inner_text()
    assert "Vũ Thị Lan Anh" in text and "Đạt tiêu chuẩn chính trị" in text
    await look(lead, axe_check, shoot, "request-approve-check")
    await submit(lead)
    assert "văn bản xác nhận đã được ký" in await lead.locator(".banner").inner_text()
    await lead.click("main a[href$='/print']")
    await lead.wait_for_load_state("load")
    assert re.fullmatch(r"/attestations/[0-9a-f]{32}/print", path_of(lead))
    assert await lead.locator("svg.qr").count() == 1
    await look(lead, axe_check, shoot, "attestation-print")
    await lead.emulate_media(media="print")
    assert not await lead.locator(".header").is_visible()
    pdf = await lead.pdf(prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one A4 page


async def test_a_lead_suspends_after_checking_and_concludes_an_incident_review(
        new_page: NewPage, live: LiveServer, live_people: People, axe_check: Check,
        shoot: Shoot) -> None:
    async with httpx.AsyncClient(base_url=live.base_url) as api:
        scene = await Scene.of(api, live_people)
        suspended, _ = await scene.request("Lý Minh Tuấn", until="cleared")
        reviewed, _ = await scene.request("Mai Thị Thu", until="cleared")
        occurred = (datetime.now(UTC) - timedelta(hours=5)).isoformat()
        incident = (await scene.call("hr", "/api/v1/incidents", {
            "kind": "loss", "occurred_at": occurred, "description": "Thất lạc túi thư KT1",
            "worker_ids": [reviewed]}))["id"]

    lead = await new_page()
    await sign_in_on(lead, scene.p["lead"])
    await lead.goto("/clearances?state=active")
    assert await lead.locator(f"a[href='/clearances/{suspended}']").count() == 1
    await look(lead, axe_check, shoot, "clearances")
    await lead.goto(f"/clearances/{suspended}")
    await look(lead, axe_check, shoot, "clearance")
    await lead.click(f"a[href='/clearances/{suspended}/suspend']")
    await lead.wait_for_load_state("load")
    await look(lead, axe_check, shoot, "clearance-suspend")
    await lead.fill("#reason", "Đang xác minh thông tin mới")
    await submit(lead)
    assert "Đang xác minh thông tin mới" in await lead.locator("main").inner_text()
    await look(lead, axe_check, shoot, "clearance-suspend-check")
    await submit(lead, f"form[action='/clearances/{suspended}/suspend'] button")
    assert "Kết quả thẩm tra đang bị tạm đình chỉ." in await lead.locator(".banner").inner_text()

    await lead.goto("/incidents?awaiting=true")
    assert await lead.locator(f"a[href='/incidents/{incident}']").count() == 1
    await look(lead, axe_check, shoot, "incidents")
    await lead.goto(f"/incidents/{incident}")
    await look(lead, axe_check, shoot, "incident")
    await lead.click(f"a[href='/incidents/{incident}/conclude?worker_id={reviewed}']")
    await lead.wait_for_load_state("load")
    await look(lead, axe_check, shoot, "incident-conclude")
    await lead.check("#decision")
    await lead.fill("#reason", "Đã tìm thấy túi thư, niêm phong còn nguyên")
    await submit(lead)
    await look(lead, axe_check, shoot, "incident-conclude-check")
    await submit(lead, f"form[action='/incidents/{incident}/conclude'] button")
    assert "Việc xem xét đã được kết luận." in await lead.locator(".banner").inner_text()
    await lead.goto(f"/clearances/{reviewed}")
    assert "Còn hiệu lực" in await lead.locator("main").inner_text()
