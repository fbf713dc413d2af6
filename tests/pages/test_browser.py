"""The pages in a real browser (Debian's Chromium) against a real server, on both backends:
signing in and out, sessions ended by logout and by disabling the account, a form without
its CSRF token, the first sign-in (password change, authenticator enrolment with the QR
code), the language switch, each role's home page; axe-core on every page, at 360 px and
1280 px, and (in every test, through the `pages` fixture) no request leaving the origin."""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Page

from crypto import totp
from tests.conftest import People, Person, unique
from tests.factories import worker_body
from tests.pages.conftest import LiveServer, sign_in_on
from tests.pages.visitor import PLACEMENT

NewPage = Callable[..., Awaitable[Page]]
SignedIn = Callable[..., Awaitable[tuple[Page, Person]]]
Check = Callable[[Page], Awaitable[None]]
Shoot = Callable[[Page, str], Awaitable[list[Path]]]
NEW_PASSWORD = "violet harbour pebble orchard"


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


async def test_public_pages(new_page: NewPage, axe_check: Check, shoot: Shoot) -> None:
    page = await new_page()
    await page.goto("/")
    assert await page.locator("h1").inner_text() == "Sổ đăng ký thẩm tra KT1"
    await axe_check(page)
    await shoot(page, "public-home")
    await page.goto("/login")
    assert await page.locator("h1").inner_text() == "Đăng nhập"
    await axe_check(page)
    await shoot(page, "login")
    await page.click("main button[type=submit]")  # nothing filled in
    summary = page.locator(".error-summary")
    assert await summary.is_visible()
    await page.click(".error-summary a[href='#username']")
    assert await page.evaluate("document.activeElement.id") == "username"
    await axe_check(page)
    await shoot(page, "login-errors")
    await page.goto("/no-such-page")
    assert await page.locator("h1").inner_text() == "Không tìm thấy trang"
    await axe_check(page)
    await shoot(page, "not-found")


async def test_the_api_documentation_loads_nothing_from_elsewhere(new_page: NewPage,
                                                                  shoot: Shoot) -> None:
    page = await new_page()
    await page.goto("/schema")
    await page.wait_for_selector(".swagger-ui .info", timeout=20_000)
    await page.wait_for_load_state("networkidle")
    assert "KT1 vetting registry" in await page.locator(".swagger-ui .info").inner_text()
    await shoot(page, "schema")


async def test_login_and_logout(signed_in: SignedIn, axe_check: Check, shoot: Shoot) -> None:
    page, person = await signed_in("post_hr")
    assert person.username in await page.locator(".header").inner_text()
    await page.click("text=Đăng xuất")
    await page.wait_for_load_state("load")
    assert path_of(page) == "/login"
    assert "Bạn đã đăng xuất." in await page.locator(".banner").inner_text()
    await axe_check(page)
    await shoot(page, "signed-out")
    await page.goto("/account")
    assert path_of(page) == "/login"  # the session is over
    await page.go_back()
    await page.reload()
    assert path_of(page) == "/login"


async def test_a_disabled_account_loses_its_session_at_once(
        signed_in: SignedIn, live: LiveServer, live_people: People) -> None:
    page, person = await signed_in("dispatcher")
    admin = await live_people.make("admin")
    async with httpx.AsyncClient(base_url=live.base_url) as api:
        response = await api.patch(f"/api/v1/users/{person.id}", headers=admin.headers,
                                   json={"state": "disabled"})
        assert response.status_code == 200, response.text
    await page.goto("/account")
    assert path_of(page) == "/login"
    await sign_in_on(page, person)
    assert path_of(page) == "/login"  # and cannot sign in again
    assert await page.locator(".error-summary").is_visible()


async def test_a_form_without_its_csrf_token_is_refused(signed_in: SignedIn, axe_check: Check,
                                                        shoot: Shoot) -> None:
    page, _ = await signed_in("inspector")
    await page.evaluate("document.querySelectorAll('.header__form input[name=_csrf_token]')"
                        ".forEach(e => e.remove())")
    await page.click("text=Đăng xuất")
    await page.wait_for_load_state("load")
    assert "Biểu mẫu đã hết hạn" in await page.locator("main").inner_text()
    await axe_check(page)
    await shoot(page, "csrf-refused")
    await page.goto("/account")
    assert path_of(page) == "/account"  # still signed in: the forged post did nothing


async def test_first_sign_in_changes_the_password_and_enrols_the_authenticator(
        new_page: NewPage, live: LiveServer, live_people: People, axe_check: Check,
        shoot: Shoot) -> None:
    admin = await live_people.make("admin")
    async with httpx.AsyncClient(base_url=live.base_url) as api:
        created = (await api.post("/api/v1/users", headers=admin.headers, json={
            "username": unique("lead-").lower(), "role": "police_lead",
            "unit": "POLICE-51"})).json()
    page = await new_page(width=360)
    person = Person(id=created["id"], username=created["username"],
                    password=created["one_time_password"], role="police_lead",
                    province="51", unit="POLICE-51")
    await sign_in_on(page, person)
    assert path_of(page) == "/account/password"
    await axe_check(page)
    await shoot(page, "first-password")
    await page.fill("#current_password", person.password)
    await page.fill("#new_password", NEW_PASSWORD)
    await page.fill("#confirm_password", NEW_PASSWORD)
    await page.click("main button[type=submit]")
    await page.wait_for_load_state("load")
    assert path_of(page) == "/account/mfa"
    await axe_check(page)
    await shoot(page, "mfa-intro")
    await page.click("main button[type=submit]")
    await page.wait_for_load_state("load")
    qr = page.locator("svg.qr")
    assert await qr.is_visible()
    assert (await qr.bounding_box() or {}).get("width", 0) >= 150
    key = (await page.locator(".secret").inner_text()).strip()
    await axe_check(page)
    await shoot(page, "mfa-qr")
    await page.fill("#otp", "000000" if totp.code_at(_secret(key), time.time()) != "000000"
                    else "111111")
    await page.click("form[action='/account/mfa/confirm'] button")
    await page.wait_for_load_state("load")
    assert await page.locator("#otp-error").is_visible()
    await axe_check(page)
    await shoot(page, "mfa-wrong-code")
    await page.fill("#otp", totp.code_at(_secret(key), time.time()))
    await page.click("form[action='/account/mfa/confirm'] button")
    await page.wait_for_load_state("load")
    assert path_of(page) == "/account"
    assert await page.locator(".banner").is_visible()
    await axe_check(page)
    await shoot(page, "profile")
    await page.goto("/")
    assert await page.locator("h1").inner_text() == "Trang chủ"


def _secret(key: str) -> bytes:
    return base64.b32decode(key + "=" * (-len(key) % 8))


async def test_the_language_choice_is_remembered_for_the_account(
        new_page: NewPage, live_people: People, axe_check: Check, shoot: Shoot) -> None:
    person = await live_people.make("police_officer", unit="POLICE-51")
    page = await new_page()
    await sign_in_on(page, person)
    await page.click("button[name=language][value=en]")
    await page.wait_for_load_state("load")
    assert path_of(page) == "/"
    assert await page.locator("h1").inner_text() == "Home"
    assert await page.get_attribute("html", "lang") == "en"
    await axe_check(page)
    await shoot(page, "home-english")
    elsewhere = await new_page()  # another browser, still asking for Vietnamese
    await sign_in_on(elsewhere, person, otp="")
    assert await elsewhere.locator("h1").inner_text() == "Home"


@pytest.mark.parametrize("role", list(PLACEMENT))
async def test_each_roles_home_page(signed_in: SignedIn, axe_check: Check, shoot: Shoot,
                                    role: str) -> None:
    page, _ = await signed_in(role)
    assert await page.locator("h1").inner_text() == "Trang chủ"
    assert await page.locator(".card").count() >= 1
    await axe_check(page)
    await shoot(page, f"home-{role}")
    for path, name in (("/notifications", "notifications"), ("/account", "account")):
        await page.goto(path)
        assert path_of(page) == path
        await axe_check(page)
        await shoot(page, f"{name}-{role}")


async def test_a_role_refused_a_page_gets_the_403_page(signed_in: SignedIn, axe_check: Check,
                                                       shoot: Shoot) -> None:
    page, _ = await signed_in("dispatcher")
    await page.goto("/account/setup")
    assert path_of(page) == "/"
    response = await page.goto("/notifications?offset=-1")
    assert response is not None and response.status == 400
    await axe_check(page)
    await shoot(page, "bad-request")


async def test_notifications_show_their_badge_and_can_be_marked_read(
        new_page: NewPage, live: LiveServer, live_people: People, axe_check: Check,
        shoot: Shoot) -> None:
    hr = await live_people.make("post_hr", unit="POST-51")
    officer = await live_people.make("police_officer", unit="POLICE-51")
    async with httpx.AsyncClient(base_url=live.base_url) as api:
        worker = await api.post("/api/v1/workers", headers=hr.headers, json=worker_body())
        assert worker.status_code == 201, worker.text
        submitted = await api.post("/api/v1/vetting-requests", headers=hr.headers,
                                   json={"worker_id": worker.json()["id"], "reason": "KT1"})
        assert submitted.status_code == 201, submitted.text
    page = await new_page()
    await sign_in_on(page, officer)
    badge = page.locator(".header .badge")
    assert (await badge.inner_text()).startswith("1")
    await page.click(".header a[href='/notifications']")
    await page.wait_for_load_state("load")
    assert await page.locator(".notification--unread").count() == 1
    await axe_check(page)
    await shoot(page, "notifications-unread")
    await page.click(".notification button")
    await page.wait_for_load_state("load")
    assert "Thông báo đã được đánh dấu là đã đọc." in await page.locator(".banner").inner_text()
    assert await page.locator(".header .badge").count() == 0
    assert await page.locator(".notification--unread").count() == 0
    await axe_check(page)
