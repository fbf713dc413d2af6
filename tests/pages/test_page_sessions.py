"""Page sessions (security.md #25, #26): the login page uses the API's login rule; the
session lives server-side behind an opaque HttpOnly, SameSite=Strict cookie; logout,
disable, password and role change end it at once; idle and absolute timeouts; every form
post carries its CSRF token; a cookie never opens /api/v1 and a bearer token never opens a
page. Through the ASGI app on both backends (the browser tests drive the same pages)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar, Router, get
from litestar.middleware.base import DefineMiddleware
from sqlalchemy import select, update

from api.app import create_app
from api.auth.access import PAGE_OPT
from api.pages.errors import PAGE_EXCEPTION_HANDLERS
from api.pages.session import SESSION_COOKIE, PageSessionMiddleware
from crypto import totp
from tests.conftest import People, Person, running_lifespan, unique
from tests.pages.visitor import Visitor, csrf_of
from tests.security.test_login import NEW_PASSWORD, secret_of
from vetting.accounts.page_sessions import IDLE, TOUCH_AFTER
from vetting.db import Database
from vetting.models import AuditEntry, PageSession, UserAccount
from vetting.models.base import utcnow
from vetting.settings import Settings


@pytest.fixture
async def visitor(app: Litestar) -> AsyncIterator[Visitor]:
    found = Visitor.of(app)
    yield found
    await found.close()


async def signed_in(app: Litestar, person: Person) -> Visitor:
    found = Visitor.of(app)
    response = await found.sign_in(person)
    assert response.status_code == 303, response.text
    return found


async def page_sessions_of(database: Database, user_id: str) -> list[PageSession]:
    async with database.transaction(read_only=True) as session:
        return list((await session.scalars(select(PageSession).where(
            PageSession.user_id == user_id))).all())


async def audited(database: Database, action: str) -> list[AuditEntry]:
    async with database.transaction(read_only=True) as session:
        return list((await session.scalars(select(AuditEntry).where(
            AuditEntry.action == action).order_by(AuditEntry.seq))).all())


async def test_login_opens_a_server_side_session_behind_an_opaque_cookie(
        visitor: Visitor, people: People, database: Database) -> None:
    person = await people.make("post_hr", unit="POST-51")
    response = await visitor.sign_in(person)
    assert response.status_code == 303 and response.headers["location"] == "/account/setup"
    set_cookie = next(v for k, v in response.headers.multi_items()
                      if k == "set-cookie" and v.startswith(SESSION_COOKIE + "="))
    attributes = {a.strip().lower() for a in set_cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert "secure" not in attributes  # the test server's public URL is http
    token = visitor.cookie(SESSION_COOKIE)
    assert token and len(token) >= 43
    [row] = await page_sessions_of(database, person.id)
    assert row.id == hashlib.sha256(token.encode()).hexdigest() != token
    assert row.expires_at - row.created_at == timedelta(hours=12)
    home = await visitor.get("/")
    assert home.status_code == 200 and person.username in home.text
    [entry] = [e for e in await audited(database, "auth.login") if e.object_id == person.id]
    assert '"via":"page"' in entry.body


async def test_a_wrong_password_shows_the_api_message_and_counts_as_a_failure(
        visitor: Visitor, people: People, database: Database) -> None:
    person = await people.make("post_hr", unit="POST-51")
    response = await visitor.submit("/login", {"username": person.username,
                                               "password": "not the password at all"})
    assert response.status_code == 401  # the API's answer, as a page
    assert "Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng." in response.text
    assert 'class="error-summary"' in response.text
    assert f'value="{person.username}"' in response.text  # kept; the password is not
    assert visitor.cookie(SESSION_COOKIE) is None
    async with database.transaction(read_only=True) as session:
        user = await session.get(UserAccount, person.id)
        assert user is not None and user.failed_logins == 1  # committed despite the answer


async def test_a_wait_after_failures_is_the_apis_429(visitor: Visitor, people: People,
                                                      database: Database) -> None:
    person = await people.make("post_hr", unit="POST-51")
    async with database.transaction() as session:
        await session.execute(update(UserAccount).where(UserAccount.id == person.id).values(
            failed_logins=5, throttled_until=utcnow() + timedelta(seconds=30)))
    response = await visitor.sign_in(person)  # the right password, during the wait
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    assert "Thử quá nhiều lần; hãy chờ" in response.text and "giây rồi thử lại." in response.text
    assert visitor.cookie(SESSION_COOKIE) is None


async def test_a_blank_field_is_named_in_the_error_summary(visitor: Visitor) -> None:
    response = await visitor.submit("/login", {"username": "", "password": "x"})
    assert response.status_code == 422
    assert 'href="#username"' in response.text
    assert 'id="username-error"' in response.text
    assert "None" not in response.text  # fields without an error say nothing


async def test_logout_ends_the_session_and_every_token(app: Litestar, people: People,
                                                       client: httpx.AsyncClient) -> None:
    person = await people.make("dispatcher", unit="POST-51")
    browser = await signed_in(app, person)
    old = browser.cookie(SESSION_COOKIE)
    home = await browser.get("/")
    response = await browser.submit("/logout", {}, token=csrf_of(home.text))
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert browser.cookie(SESSION_COOKIE) is None
    replay = Visitor.of(app)
    replay.client.cookies.set(SESSION_COOKIE, old or "")
    again = await replay.get("/account")
    assert again.status_code == 303 and again.headers["location"] == "/login?next=/account"
    me = await client.get("/api/v1/auth/me", headers=person.headers)
    assert me.status_code == 401  # the same per-user version as the bearer tokens
    await browser.close()
    await replay.close()


@pytest.mark.parametrize("change", [{"state": "disabled"}, {"unit": "POST-12"},
                                    {"reset_password": True}])
async def test_an_admins_change_ends_the_page_session_at_once(
        app: Litestar, people: People, client: httpx.AsyncClient,
        change: dict[str, Any]) -> None:
    person = await people.make("post_hr", unit="POST-51")
    admin = await people.make("admin")
    browser = await signed_in(app, person)
    assert (await browser.get("/account")).status_code == 200
    patched = await client.patch(f"/api/v1/users/{person.id}", headers=admin.headers,
                                 json=change)
    assert patched.status_code == 200, patched.text
    after = await browser.get("/account")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")
    await browser.close()


async def test_a_password_change_through_the_api_ends_the_page_session(
        app: Litestar, people: People, client: httpx.AsyncClient) -> None:
    person = await people.make("post_hr", unit="POST-51")
    browser = await signed_in(app, person)
    changed = await client.post("/api/v1/auth/password", headers=person.headers, json={
        "current_password": person.password, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200
    assert (await browser.get("/account")).status_code == 303
    await browser.close()


async def test_idle_and_absolute_timeouts(app: Litestar, people: People,
                                          database: Database) -> None:
    person = await people.make("inspector", province="51")
    for column in ("last_seen_at", "expires_at"):
        browser = await signed_in(app, person)
        digest = hashlib.sha256((browser.cookie(SESSION_COOKIE) or "").encode()).hexdigest()
        assert (await browser.get("/account")).status_code == 200
        moved = utcnow() - (IDLE + timedelta(seconds=1) if column == "last_seen_at"
                            else timedelta(seconds=1))
        async with database.transaction() as session:
            await session.execute(update(PageSession).where(PageSession.id == digest)
                                  .values({column: moved}))
        after = await browser.get("/account")
        assert after.status_code == 303, column
        await browser.close()


async def test_use_keeps_an_idle_session_alive(app: Litestar, people: People,
                                               database: Database) -> None:
    person = await people.make("inspector", province="51")
    browser = await signed_in(app, person)
    digest = hashlib.sha256((browser.cookie(SESSION_COOKIE) or "").encode()).hexdigest()
    earlier = utcnow() - TOUCH_AFTER - timedelta(seconds=5)
    async with database.transaction() as session:
        await session.execute(update(PageSession).where(PageSession.id == digest)
                              .values(last_seen_at=earlier))
    assert (await browser.get("/account")).status_code == 200
    [row] = [r for r in await page_sessions_of(database, person.id) if r.id == digest]
    assert row.last_seen_at > earlier + TOUCH_AFTER
    await browser.close()


async def test_a_form_without_its_csrf_token_is_refused_and_audited(
        app: Litestar, people: People, database: Database) -> None:
    person = await people.make("post_hr", unit="POST-51")
    browser = await signed_in(app, person)
    before = len(await audited(database, "access.denied"))
    for token in (None, "0" * 64):
        data = {} if token is None else {"_csrf_token": token}
        refused = await browser.client.post("/logout", data=data)
        assert refused.status_code == 403
        assert "Biểu mẫu đã hết hạn" in refused.text
    entries = await audited(database, "access.denied")
    assert len(entries) == before + 2 and all('"CSRF_REFUSED"' in e.body
                                              for e in entries[before:])
    assert (await browser.get("/account")).status_code == 200  # still signed in
    # another visitor's token does not fit this session
    other = Visitor.of(app)
    foreign = csrf_of((await other.get("/login")).text)
    assert (await browser.client.post("/logout", data={"_csrf_token": foreign})
            ).status_code == 403
    await browser.close()
    await other.close()


async def test_the_login_form_needs_its_csrf_token_too(visitor: Visitor,
                                                       people: People) -> None:
    person = await people.make("post_hr", unit="POST-51")
    response = await visitor.client.post("/login", data={"username": person.username,
                                                         "password": person.password})
    assert response.status_code == 403
    assert visitor.cookie(SESSION_COOKIE) is None


async def test_pages_refuse_a_bearer_token_and_the_api_refuses_the_cookie(
        app: Litestar, people: People) -> None:
    person = await people.make("post_hr", unit="POST-51")
    bearer_only = Visitor.of(app)
    page = await bearer_only.get("/account", headers=person.headers)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    browser = await signed_in(app, person)
    api = await browser.get("/api/v1/auth/me")
    assert api.status_code == 401 and api.json()["code"] == "TOKEN_REQUIRED"
    await bearer_only.close()
    await browser.close()


async def test_next_never_leaves_the_site(visitor: Visitor, people: People) -> None:
    person = await people.make("post_hr", unit="POST-51")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        form = await visitor.get(f"/login?next={target}")
        assert '<input type="hidden" name="next" value="/">' in form.text
    response = await visitor.submit("/login", {
        "username": person.username, "password": person.password,
        "next": "//evil.example/"})
    assert response.headers["location"] == "/account/setup"


async def test_signed_out_visitor_is_sent_to_login_and_back(visitor: Visitor,
                                                            people: People) -> None:
    person = await people.make("post_hr", unit="POST-51")
    first = await visitor.get("/account")
    assert first.headers["location"] == "/login?next=/account"
    form = await visitor.get(first.headers["location"])
    assert 'name="next" value="/account"' in form.text
    response = await visitor.submit("/login", {"username": person.username,
                                               "password": person.password,
                                               "next": "/account"}, token=csrf_of(form.text))
    assert response.headers["location"] == "/account"


async def test_first_login_changes_the_password_then_enrols_the_authenticator(
        app: Litestar, people: People, client: httpx.AsyncClient,
        database: Database) -> None:
    admin = await people.make("admin")
    created = await client.post("/api/v1/users", headers=admin.headers, json={
        "username": unique("lead-").lower(), "role": "police_lead", "unit": "POLICE-51"})
    body = created.json()
    browser = Visitor.of(app)
    response = await browser.submit("/login", {"username": body["username"],
                                               "password": body["one_time_password"]})
    assert response.headers["location"] == "/account/setup"
    assert (await browser.get("/account/setup")).headers["location"] == "/account/password"
    assert (await browser.get("/")).headers["location"] == "/account/setup"
    assert (await browser.get("/account/mfa")).headers["location"] == "/account/password"
    differ = await browser.submit("/account/password", {
        "current_password": body["one_time_password"], "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD + "x"})
    assert differ.status_code == 422 and 'href="#confirm_password"' in differ.text
    weak = await browser.submit("/account/password", {
        "current_password": body["one_time_password"], "new_password": "short",
        "confirm_password": "short"})
    assert weak.status_code == 422 and 'href="#new_password"' in weak.text
    changed = await browser.submit("/account/password", {
        "current_password": body["one_time_password"], "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD})
    assert changed.status_code == 303 and changed.headers["location"] == "/account/mfa"
    assert (await browser.get("/")).headers["location"] == "/account/setup"
    intro = await browser.get("/account/mfa")
    assert intro.status_code == 200 and "<svg" not in intro.text
    started = await browser.submit("/account/mfa/start", {}, form_page="/account/mfa")
    assert started.headers["location"] == "/account/mfa"
    shown = await browser.get("/account/mfa")
    assert '<svg role="img"' in shown.text and "http" not in shown.text.split("<svg", 1)[1][:40]
    async with database.transaction(read_only=True) as session:
        user = await session.scalar(select(UserAccount).where(
            UserAccount.username == body["username"]))
        assert user is not None
    pending = secret_of(await _pending_uri(app, user.id))
    wrong = await browser.submit("/account/mfa/confirm", {"otp": "12345"},
                                 form_page="/account/mfa")
    assert wrong.status_code == 422 and 'href="#otp"' in wrong.text
    right = await browser.submit("/account/mfa/confirm",
                                 {"otp": totp.code_at(pending, time.time())},
                                 form_page="/account/mfa")
    assert right.status_code == 303 and "mfa_enrolled" in right.headers["location"]
    home = await browser.get("/")
    assert home.status_code == 200
    await browser.close()


async def _pending_uri(app: Litestar, user_id: str) -> str:
    from vetting.accounts import sessions
    from vetting.principal import Actor, Context

    registry = app.state.services
    async with registry.db.transaction(read_only=True) as session:
        uri = await sessions.pending_enrolment(
            session, Context(actor=Actor(id=user_id, role="police_lead")), registry.keys)
    assert uri is not None
    return uri


async def test_the_language_choice_is_remembered_per_account(
        app: Litestar, people: People, database: Database) -> None:
    person = await people.make("inspector", province="51")
    anonymous = Visitor.of(app)
    assert "Đăng nhập" in (await anonymous.get("/login")).text
    switched = await anonymous.submit("/language", {"language": "en", "next": "/login"},
                                      form_page="/login")
    assert switched.headers["location"] == "/login"
    assert ">Sign in</h1>" in (await anonymous.get("/login")).text
    browser = await signed_in(app, person)
    await browser.submit("/language", {"language": "en", "next": "/account"},
                         form_page="/account")
    async with database.transaction(read_only=True) as session:
        user = await session.get(UserAccount, person.id)
        assert user is not None and user.language == "en"
    fresh = await signed_in(app, person)  # another browser, no language cookie
    fresh.client.cookies.delete("kt1_lang")
    assert "Your account" in (await fresh.get("/account")).text
    for closing in (anonymous, browser, fresh):
        await closing.close()


async def test_unknown_paths_are_a_404_page_for_browsers_and_problem_json_for_the_api(
        visitor: Visitor) -> None:
    page = await visitor.get("/no-such-page", headers={"accept": "text/html"})
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert "Không tìm thấy trang" in page.text
    api = await visitor.get("/api/v1/no-such", headers={"accept": "text/html"})
    assert api.status_code == 404 and api.headers["content-type"].startswith(
        "application/problem+json")


async def test_pages_carry_their_security_headers(visitor: Visitor) -> None:
    response = await visitor.get("/login")
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


async def test_a_role_the_access_table_refuses_gets_the_403_page_and_an_audit_entry(
        settings: Settings, database: Database, people: People) -> None:
    @get("/admins-only", opt={"action": "users.read"}, sync_to_thread=False)
    def admins_only() -> str:
        return "secret list"

    application = create_app(settings, database)
    application.register(Router(path="/", route_handlers=[admins_only], opt={PAGE_OPT: True},
                                middleware=[DefineMiddleware(PageSessionMiddleware)],
                                exception_handlers=PAGE_EXCEPTION_HANDLERS))
    dispatcher = await people.make("dispatcher", unit="POST-51")
    before = len(await audited(database, "access.denied"))
    async with running_lifespan(application):
        browser = Visitor.of(application)
        await browser.sign_in(dispatcher)
        response = await browser.get("/admins-only")
        await browser.close()
    assert response.status_code == 403 and "secret list" not in response.text
    assert "Bạn không được làm việc này" in response.text
    assert len(await audited(database, "access.denied")) == before + 1


async def test_an_unexpected_error_is_a_500_page_that_says_nothing_of_its_cause(
        settings: Settings, database: Database) -> None:
    @get("/boom", opt={"public": True}, sync_to_thread=False)
    def boom() -> str:
        raise RuntimeError("secret table kt1_internal_x exploded")

    application = create_app(settings, database)
    application.register(Router(path="/", route_handlers=[boom], opt={PAGE_OPT: True},
                                middleware=[DefineMiddleware(PageSessionMiddleware)],
                                exception_handlers=PAGE_EXCEPTION_HANDLERS))
    async with running_lifespan(application):
        browser = Visitor.of(application)
        response = await browser.get("/boom")
        await browser.close()
    assert response.status_code == 500
    assert "kt1_internal_x" not in response.text and "RuntimeError" not in response.text
    assert "Xin lỗi, hệ thống đang gặp sự cố" in response.text
