"""The dispatcher's, inspector's, administrator's and the public pages in a real browser
against a real server, on both backends: each filled in as a person would, checked with
axe-core, shot at 1280 and 360 px; no request leaves the origin (the `pages` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page

from tests.api.test_eligibility import Desk
from tests.conftest import People, Person, unique
from tests.pages.conftest import LiveServer

NewPage = Callable[..., Awaitable[Page]]
SignedIn = Callable[..., Awaitable[tuple[Page, Person]]]
Check = Callable[[Page], Awaitable[None]]
Shoot = Callable[[Page, str], Awaitable[list[Path]]]


@pytest.fixture
async def api(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
        yield client


@pytest.fixture
async def desk(api: httpx.AsyncClient, live_people: People) -> Desk:
    return await Desk.of_province_51(api, live_people)


async def employee_no(desk: Desk, worker_id: str) -> str:
    response = await desk.client.get(f"/api/v1/workers/{worker_id}",
                                     headers=desk.p["hr"].headers)
    return str(response.json()["employee_no"])


async def test_a_dispatcher_creates_a_route_assigns_and_checks(
        desk: Desk, new_page: NewPage, axe_check: Check, shoot: Shoot) -> None:
    from tests.pages.conftest import sign_in_on

    page = await new_page()
    await sign_in_on(page, desk.p["dispatcher"])
    await page.goto("/routes")
    await axe_check(page)
    await shoot(page, "routes")
    await page.click("text=Tạo tuyến")
    await axe_check(page)
    await shoot(page, "route-new")
    code = unique("BR-")
    await page.fill("#code", code)
    await page.fill("#name", "Tuyến KT1 Quảng Ngãi – Bình Sơn")
    await page.check("label:has-text('Vận chuyển')")
    await page.check("label:has-text('Thường')")
    await page.check("label:has-text('A (Tuyệt mật)')")
    await page.click("main button[type=submit]")
    assert "Đã tạo tuyến." in await page.locator(".banner").inner_text()
    route_url = page.url.split("?")[0]

    good = await desk.cleared_worker()
    untrained = await desk.worker(trained=False, committed=False)
    await page.click("text=Phân công nhân viên")
    start = datetime.now(UTC) + timedelta(hours=2)
    await page.fill("#employee_no", await employee_no(desk, untrained))
    await page.fill("#starts_at", (start + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M"))
    await page.click("main button[type=submit]")
    summary = await page.locator(".error-summary").inner_text()
    assert ("không đủ điều kiện" in summary and "Chưa" in summary) or "chưa" in summary
    await axe_check(page)
    await shoot(page, "assign-refused")
    await page.fill("#employee_no", await employee_no(desk, good))
    await page.fill("#starts_at", (start + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M"))
    await page.fill("#ends_at", (start + timedelta(days=3, hours=7)).strftime(
        "%Y-%m-%dT%H:%M"))
    await page.click("main button[type=submit]")
    assert "Đã phân công" in await page.locator(".banner").inner_text()
    assert "Đạt" in await page.locator("table").inner_text()
    await axe_check(page)
    await shoot(page, "route-roster")

    await page.goto(route_url + "/eligibility")
    await page.fill("#employee_nos", "\n".join([await employee_no(desk, good),
                                                await employee_no(desk, untrained)]))
    await page.click("main button[type=submit]")
    assert "1/2 người đủ điều kiện lúc này" in await page.locator("h2").first.inner_text()
    await axe_check(page)
    await shoot(page, "eligibility-batch")


async def test_an_inspector_reads_the_report_and_checks_a_saved_checkpoint(
        signed_in: SignedIn, axe_check: Check, shoot: Shoot, tmp_path: Path) -> None:
    page, _ = await signed_in("inspector")
    await page.goto("/reports")
    assert await page.locator("svg.chart, table").count() >= 1
    await axe_check(page)
    await shoot(page, "report")
    async with page.expect_download() as download_info:
        await page.click("text=Tải CSV")
    csv_file = tmp_path / "report.csv"
    await (await download_info.value).save_as(csv_file)
    assert csv_file.read_bytes().startswith("\ufeff".encode())

    await page.goto("/audit")
    await axe_check(page)
    await shoot(page, "audit")
    async with page.expect_download() as download_info:
        await page.click("text=Tải điểm kiểm tra về")
    saved = tmp_path / "checkpoint.json"
    await (await download_info.value).save_as(saved)
    await page.set_input_files("#checkpoint", str(saved))
    await page.click("text=Kiểm tra tính nhất quán")
    assert await page.locator(".panel__title").inner_text() == "Nhất quán"
    await axe_check(page)
    await shoot(page, "audit-consistent")
    await page.goto("/audit/entries")
    await axe_check(page)
    await shoot(page, "audit-entries")


async def test_an_admin_creates_an_account(signed_in: SignedIn, axe_check: Check,
                                           shoot: Shoot) -> None:
    page, _ = await signed_in("admin")
    await page.goto("/accounts")
    await axe_check(page)
    await shoot(page, "accounts")
    await page.click("text=Tạo tài khoản")
    await page.fill("#username", unique("hr").lower())
    await page.check("label:has-text('Nhân sự bưu điện')")
    await page.fill("#unit", "POST-51")
    await axe_check(page)
    await shoot(page, "account-new")
    await page.click("main button[type=submit]")
    assert len(await page.locator(".secret").inner_text()) >= 15
    await axe_check(page)
    await shoot(page, "account-password")


async def test_anyone_checks_an_attestation(desk: Desk, new_page: NewPage,
                                            axe_check: Check, shoot: Shoot) -> None:
    worker_id = await desk.cleared_worker()
    state = await desk.client.get(f"/api/v1/workers/{worker_id}/clearance",
                                  headers=desk.p["hr"].headers)
    attestation = await desk.client.get(
        f"/api/v1/attestations/{state.json()['attestation_id']}",
        headers=desk.p["hr"].headers)
    page = await new_page()
    await page.goto("/verify")
    await axe_check(page)
    await shoot(page, "verify")
    await page.fill("#jws", attestation.json()["jws"])
    await page.click("main button[type=submit]")
    assert await page.locator(".panel__title").inner_text() == "Hợp lệ"
    await axe_check(page)
    await shoot(page, "verify-valid")
    await page.goto("/verify?jws=" + attestation.json()["jws"][:-6] + "AAAAAA")
    assert await page.locator(".panel__title").inner_text() == "Không hợp lệ"
    await shoot(page, "verify-invalid")
