"""The administrator's account pages: a new account's one-time password shown once and
usable at first sign-in, disabling ends the person's page session at once, a reset issues a
new one-time password, a stale page is refused, bad input is named and writes nothing."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from sqlalchemy import func, select

from api.i18n import message
from tests.conftest import People, Person, unique
from tests.pages.conftest import Visit
from tests.pages.visitor import Visitor
from vetting.db import Database
from vetting.models import UserAccount

_PASSWORD = re.compile(r'<strong class="secret">([^<]+)</strong>')


@pytest.fixture
async def admin(people: People) -> Person:
    return await people.make("admin")


@pytest.fixture
async def admin_page(visitors: Visit, admin: Person) -> Visitor:
    return await visitors(admin)


async def account_id(database: Database, username: str) -> str:
    async with database.transaction(read_only=True) as session:
        return str(await session.scalar(select(UserAccount.id).where(
            UserAccount.username == username)))


async def test_a_new_account_gets_a_one_time_password_that_signs_in_once(
        app: Litestar, admin_page: Visitor, database: Database) -> None:
    username = unique("hr").lower()
    created = await admin_page.submit("/accounts/new", {
        "username": username, "role": "post_hr", "unit": "POST-51"})
    assert created.status_code == 200
    found = _PASSWORD.search(created.text)
    assert found, created.text
    user_id = await account_id(database, username)
    shown = await admin_page.get(f"/accounts/{user_id}")
    assert found.group(1) not in shown.text  # shown once, on the answer page only
    newcomer = Visitor.of(app)
    signed = await newcomer.submit("/login", {"username": username,
                                              "password": found.group(1), "otp": ""})
    assert signed.status_code == 303
    assert (await newcomer.get("/")).headers.get("location") == "/account/setup"
    await newcomer.close()


async def test_disabling_ends_the_persons_session_at_once(
        app: Litestar, admin_page: Visitor, people: People, database: Database) -> None:
    person = await people.make("dispatcher", unit="POST-51")
    their_page = Visitor.of(app)
    assert (await their_page.sign_in(person)).status_code == 303
    assert (await their_page.get("/routes")).status_code == 200
    done = await admin_page.submit(f"/accounts/{person.id}",
                                   {"state": "disabled", "version": "1"})
    assert done.status_code == 303
    after = await their_page.get("/routes")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")
    await their_page.close()
    async with database.transaction(read_only=True) as session:
        assert (await session.get(UserAccount, person.id)).state == "disabled"  # type: ignore[union-attr]


async def test_a_reset_shows_a_new_one_time_password_and_a_stale_page_is_refused(
        admin_page: Visitor, people: People) -> None:
    person = await people.make("inspector", province="51")
    reset = await admin_page.submit(f"/accounts/{person.id}",
                                    {"reset_password": "true", "version": "1"})
    assert reset.status_code == 200 and _PASSWORD.search(reset.text)
    stale = await admin_page.submit(f"/accounts/{person.id}",
                                    {"state": "disabled", "version": "1"},
                                    form_page=f"/accounts/{person.id}")
    assert stale.status_code == 422
    assert message("vi", "STALE_VERSION", {"current_version": 2}) in stale.text


async def test_a_bad_unit_is_named_and_nothing_is_written(
        admin_page: Visitor, database: Database) -> None:
    async with database.transaction(read_only=True) as session:
        before = await session.scalar(select(func.count()).select_from(UserAccount))
    refused = await admin_page.submit("/accounts/new", {
        "username": unique("x").lower(), "role": "post_hr", "unit": "POLICE-51"})
    assert refused.status_code == 422 and "error-summary" in refused.text
    bad_name = await admin_page.submit("/accounts/new", {
        "username": "A B", "role": "post_hr", "unit": "POST-51"})
    assert bad_name.status_code == 422 and 'href="#username"' in bad_name.text
    async with database.transaction(read_only=True) as session:
        assert await session.scalar(select(func.count()).select_from(UserAccount)) == before


async def test_only_admins_reach_the_account_pages(visitors: Visit, people: People) -> None:
    visitor = await visitors(await people.make("inspector", province="51"))
    assert (await visitor.get("/accounts")).status_code == 403
    assert (await visitor.get("/accounts/new")).status_code == 403
