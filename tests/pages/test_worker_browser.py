"""Post HR's pages in a real browser against a real server, on both backends, and the
registry's whole journey across roles in pages: HR registers a worker (with JavaScript off),
records both trainings and the signed commitment's scan, nominates; an officer claims and
proposes; a lead approves; the dispatcher assigns; HR reports a loss and the roster shows
the assignment blocked; the inspector downloads the period report and checks the audit
checkpoint. axe-core and screenshots (1280 and 360 px) on every HR page; no request leaves
the origin (the `pages` fixture)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page

from tests.api.test_eligibility import Desk
from tests.conftest import People, unique
from tests.factories import cccd, days_ago
from tests.pages.conftest import LiveServer, sign_in_on
from tests.pages.test_police_browser import path_of, submit
from tests.pages.visitor import PLACEMENT

NewPage = Callable[..., Awaitable[Page]]
Check = Callable[[Page], Awaitable[None]]
Shoot = Callable[[Page, str], Awaitable[list[Path]]]
BORN = date(1991, 4, 12)


@pytest.fixture
async def desk(live: LiveServer, live_people: People) -> AsyncIterator[Desk]:
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as api:
        yield await Desk.of_province_51(api, live_people)


async def fill_date(page: Page, name: str, day: date) -> None:
    await page.fill(f"#{name}", str(day.day))
    await page.fill(f"#{name}-month", str(day.month))
    await page.fill(f"#{name}-year", str(day.year))


async def register(page: Page, name: str, national_id: str) -> None:
    await page.goto("/workers/new")
    await page.fill("#full_name", name)
    await page.fill("#employee_no", unique("NV-"))
    await page.fill("#national_id", national_id)
    await fill_date(page, "date_of_birth", BORN)
    await page.check("label:has-text('Nữ')")
    await page.fill("#hometown", "Mộ Đức, Quảng Ngãi")
    await page.fill("#permanent_address", "8 Phan Đình Phùng, Quảng Ngãi")
    await page.fill("#permanent_province", "51")
    await page.fill("#current_address", "8 Phan Đình Phùng, Quảng Ngãi")
    await page.check("label:has-text('Vận chuyển')")
    await submit(page)


async def test_hr_registers_with_javascript_off_and_a_wrong_cccd_is_explained(
        desk: Desk, new_page: NewPage, axe_check: Check, shoot: Shoot) -> None:
    plain = await new_page(javascript=False)
    await sign_in_on(plain, desk.p["hr"])
    name = unique("Phạm Thị Ngọc ")
    await register(plain, name, "12345")
    assert path_of(plain) == "/workers/new"
    summary = plain.locator(".error-summary")
    assert await summary.locator("a[href='#national_id']").count() == 1
    assert await plain.input_value("#full_name") == name
    await plain.fill("#national_id", cccd(born=BORN, sex="female", legacy_code="051"))
    await submit(plain)
    assert path_of(plain).startswith("/workers/"), await plain.content()
    assert name in await plain.locator("h1").inner_text()
    assert "Đã đăng ký nhân viên." in await plain.locator(".banner").inner_text()
    await plain.click("text=Sửa thông tin đăng ký")
    edit_path = path_of(plain)
    assert edit_path.endswith("/edit")
    assert await plain.input_value("#full_name") == name  # filled from the dossier
    await plain.fill("#current_address", "")
    await submit(plain)
    assert await plain.locator(".error-summary a[href='#current_address']").count() == 1
    await plain.fill("#current_address", "3 Hùng Vương, Quảng Ngãi")
    await submit(plain)
    assert "Đã lưu thông tin sửa." in await plain.locator(".banner").inner_text()
    assert "3 Hùng Vương, Quảng Ngãi" in await plain.locator("main").inner_text()

    page = await new_page()
    await sign_in_on(page, desk.p["hr"])
    await page.goto("/workers/new")
    await submit(page)
    first = page.locator(".error-summary a").first
    target = (await first.get_attribute("href") or "#")[1:]
    await first.click()
    assert target and await page.evaluate("document.activeElement.id") == target
    await axe_check(page)
    await shoot(page, "worker-new-errors")
    await page.goto("/workers?q=" + name)
    assert await page.locator("table a", has_text=name).count() == 1
    await axe_check(page)
    await shoot(page, "workers")
    await page.goto(edit_path)
    await axe_check(page)
    await shoot(page, "worker-edit")


async def test_hr_ticks_workers_in_the_list_and_nominates_them_at_once(
        desk: Desk, new_page: NewPage, axe_check: Check, shoot: Shoot) -> None:
    word = unique("Lô ")
    names = [f"{word} Người {n}" for n in ("Một", "Hai", "Ba")]
    for name in names:
        await desk.worker(full_name=name)
    page = await new_page()
    await sign_in_on(page, desk.p["hr"])
    await page.goto("/workers?q=" + word)
    await page.get_by_label(f"Chọn {names[0]}").check()
    await page.get_by_label(f"Chọn {names[2]}").check()
    await axe_check(page)
    await shoot(page, "workers-select")
    await page.click("text=Đề nghị thẩm tra những người đã chọn")
    assert path_of(page) == "/workers/nominate"
    table = await page.locator("table").inner_text()
    assert names[0] in table and names[2] in table and names[1] not in table
    await axe_check(page)
    await shoot(page, "workers-nominate-check")
    await page.fill("#reason", "Tuyến KT1 Quảng Ngãi - Đà Nẵng")
    await page.click("text=Gửi 2 đề nghị")
    assert path_of(page) == "/requests"
    assert "Đã gửi các đề nghị" in await page.locator(".banner").inner_text()


async def test_hr_checks_a_spreadsheet_then_imports_it(
        desk: Desk, new_page: NewPage, axe_check: Check, shoot: Shoot) -> None:
    from tests.api.test_imports import csv_bytes, sheet_row
    from tests.factories import worker_body

    word = unique("Tệp ")
    bad = sheet_row(worker_body(full_name=f"{word} Sai"))
    bad[4] = "12345"
    good = [sheet_row(worker_body(full_name=f"{word} Người {n}")) for n in range(2)]
    page = await new_page()
    await sign_in_on(page, desk.p["hr"])
    await page.goto("/imports")
    await page.goto("/imports/workers")
    await axe_check(page)
    await shoot(page, "import-upload")
    await page.set_input_files("#file", files=[{
        "name": "nhan-su.csv", "mimeType": "text/csv", "buffer": csv_bytes([*good, bad])}])
    await page.click("text=Kiểm tra tệp")
    assert "12345" not in await page.locator("main").inner_text()  # the reason, not the value
    assert await page.locator("table").last.locator("tr").count() == 2  # header + one problem
    await axe_check(page)
    await shoot(page, "import-problems")
    await page.click("text=Tải lên tệp đã sửa")
    await page.set_input_files("#file", files=[{
        "name": "nhan-su.csv", "mimeType": "text/csv", "buffer": csv_bytes(good)}])
    await page.click("text=Kiểm tra tệp")
    await axe_check(page)
    await shoot(page, "import-check")
    await page.click("text=Nhập 2 dòng")
    assert path_of(page) == "/workers"
    assert "Đã nhập tệp" in await page.locator(".banner").inner_text()
    await page.goto("/workers?q=" + word)
    assert await page.locator("table a", has_text=word).count() == 2


async def test_a_worker_goes_from_registration_to_a_blocked_assignment_across_roles(
        desk: Desk, new_page: NewPage, axe_check: Check, shoot: Shoot, live_people: People,
        tmp_path: Path) -> None:
    hr = await new_page()
    await sign_in_on(hr, desk.p["hr"])
    name = unique("Hồ Thị Mai ")
    await register(hr, name, cccd(born=BORN, sex="female", legacy_code="051"))
    worker_url = path_of(hr)
    await hr.click(f"a[href='{worker_url}/trainings/new']")
    await hr.wait_for_load_state("load")
    await axe_check(hr)
    await shoot(hr, "worker-training")
    for label in ("Nghiệp vụ bưu chính", "Bảo vệ bí mật nhà nước (KT1)"):
        await hr.goto(f"{worker_url}/trainings/new")
        await hr.check(f"label:has-text('{label}')")
        await fill_date(hr, "completed_on", date.fromisoformat(days_ago(20)))
        await submit(hr)
        assert "Đã ghi nhận khóa huấn luyện." in await hr.locator(".banner").inner_text()
    await hr.goto(f"{worker_url}/commitments/new")
    await axe_check(hr)
    await shoot(hr, "worker-commitment")
    scan = tmp_path / "cam-ket.pdf"
    scan.write_bytes(b"%PDF-1.4 ban cam ket " + name.encode())
    await fill_date(hr, "signed_on", date.fromisoformat(days_ago(19)))
    await hr.set_input_files("#document", str(scan))
    await submit(hr)
    assert hashlib.sha256(scan.read_bytes()).hexdigest() in await hr.locator("main").inner_text()
    await hr.goto(f"{worker_url}/nominate")
    await axe_check(hr)
    await shoot(hr, "worker-nominate")
    await hr.fill("#reason", "Tuyến KT1 Quảng Ngãi – Bình Sơn")
    await submit(hr)
    request_url = path_of(hr)
    assert request_url.startswith("/requests/")

    officer = await new_page()
    await sign_in_on(officer, desk.p["officer"])
    await officer.goto(request_url)
    await submit(officer, f"form[action='{request_url}/claim'] button")
    await officer.goto(f"{request_url}/propose")
    await officer.check("#outcome")
    await officer.fill("#note", "Không có tiền án, tiền sự")
    await submit(officer)
    lead = await new_page()
    await sign_in_on(lead, desk.p["lead"])
    await lead.goto(f"{request_url}/approve")
    await submit(lead)
    assert "văn bản xác nhận đã được ký" in await lead.locator(".banner").inner_text()

    await hr.goto(worker_url)
    assert "Còn hiệu lực" in await hr.locator("main .tag").first.inner_text()
    assert await hr.locator("main a[href$='/print']").count() == 1
    await axe_check(hr)
    await shoot(hr, "worker")

    route_id = await desk.route(stage="transport")
    dispatcher = await new_page()
    await sign_in_on(dispatcher, desk.p["dispatcher"])
    await dispatcher.goto(f"/routes/{route_id}/assign")
    employee_no = (await hr.locator(".caption").first.inner_text()).split("·")[-1].strip()
    start = datetime.now(UTC) + timedelta(hours=1)
    local = (start + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M")
    await dispatcher.fill("#employee_no", employee_no)
    await dispatcher.fill("#starts_at", local)
    await dispatcher.fill("#ends_at", (start + timedelta(days=2, hours=7)).strftime(
        "%Y-%m-%dT%H:%M"))
    await submit(dispatcher)
    assert "Đã phân công" in await dispatcher.locator(".banner").inner_text()

    await hr.goto(worker_url)
    await hr.click(f"a[href='{worker_url}/incident']")
    await hr.wait_for_load_state("load")
    await axe_check(hr)
    await shoot(hr, "worker-incident")
    await hr.check("label:has-text('Thất lạc')")
    happened = datetime.now(UTC) + timedelta(hours=7) - timedelta(hours=2)
    await hr.fill("#occurred_at", happened.strftime("%Y-%m-%dT%H:%M"))
    await hr.fill("#description", "Thất lạc túi thư KT1 tại bưu cục")
    await submit(hr)
    assert "tạm đình chỉ" in await hr.locator("main").inner_text()
    await axe_check(hr)
    await shoot(hr, "worker-incident-check")
    await submit(hr, f"main form[action='{worker_url}/incident'] button")
    assert path_of(hr).startswith("/incidents/")
    await dispatcher.goto(f"/routes/{route_id}")
    assert "Bị chặn" in await dispatcher.locator("table").inner_text()

    inspector = await new_page()
    await sign_in_on(inspector, await live_people.make("inspector", **PLACEMENT["inspector"]))
    await inspector.goto("/reports")
    async with inspector.expect_download() as download_info:
        await inspector.click("text=Tải CSV")
    report = tmp_path / "report.csv"
    await (await download_info.value).save_as(report)
    assert report.read_bytes().startswith("\ufeff".encode())
    await inspector.goto("/audit")
    async with inspector.expect_download() as download_info:
        await inspector.click("text=Tải điểm kiểm tra về")
    saved = tmp_path / "checkpoint.json"
    await (await download_info.value).save_as(saved)
    await inspector.set_input_files("#checkpoint", str(saved))
    await inspector.click("text=Kiểm tra tính nhất quán")
    assert await inspector.locator(".panel__title").inner_text() == "Nhất quán"

