"""Waiting out failed sign-ins (429 + Retry-After) alike with or without an account, codes
used twice, and what the password change says must follow (issue: first-use traps)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

import crypto.passwords
from api.i18n import message
from crypto import totp
from tests.conftest import People, Person, unique
from tests.security.test_login import (
    NEW_PASSWORD,
    account,
    assert_login_failed,
    assert_wait,
    audit,
    bearer,
    create_user,
    login,
    now,
    post_hr,
    set_account,
    shape,
)
from vetting.accounts import throttle
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import LoginThrottle

WRONG = "wrong password guess"


class Contenders:
    """An active account, a disabled one and a name with no account, failing side by side."""

    def __init__(self, client: httpx.AsyncClient, database: Database, keys: RegistryKeys,
                 active: Person, disabled: Person) -> None:
        self.client, self.database, self.keys = client, database, keys
        self.active, self.disabled, self.ghost = active, disabled, unique("ghost-")

    async def fail_once_each(self) -> list[httpx.Response]:
        return [await login(self.client, name, WRONG)
                for name in (self.active.username, self.disabled.username, self.ghost)]

    async def right_passwords(self) -> list[httpx.Response]:
        return [await login(self.client, self.active.username, self.active.password),
                await login(self.client, self.disabled.username, self.disabled.password),
                await login(self.client, self.ghost, "anything at all, really")]

    async def let_the_delay_pass(self) -> None:
        for person in (self.active, self.disabled):
            await set_account(self.database, person.id, throttled_until=None)
        async with self.database.transaction() as session:
            await session.execute(update(LoginThrottle).where(
                LoginThrottle.key == self.keys.data.username_key(self.ghost)
            ).values(throttled_until=None))


async def contenders(client: httpx.AsyncClient, people: People, database: Database,
                     keys: RegistryKeys) -> Contenders:
    active, disabled = await post_hr(people), await post_hr(people)
    await set_account(database, disabled.id, state="disabled")
    return Contenders(client, database, keys, active, disabled)


def assert_alike(responses: list[httpx.Response]) -> None:
    first = shape(responses[0])
    for response in responses[1:]:
        assert shape(response) == first


def assert_waits_alike(responses: list[httpx.Response], seconds: int) -> None:
    """The same 429 for each: status, headers and body, but for the seconds left, which
    differ by the time the requests themselves took (a second or two on a busy machine)."""
    def waiting_shape(response: httpx.Response) -> tuple[Any, ...]:
        assert_wait(response, seconds)
        headers = {k: v for k, v in response.headers.items()
                   if k not in ("x-request-id", "retry-after", "content-length")}
        body = {k: v for k, v in response.json().items() if k not in ("detail", "retry_after")}
        return response.status_code, headers, body
    first = waiting_shape(responses[0])
    for response in responses[1:]:
        assert waiting_shape(response) == first


async def test_a_wait_answers_alike_with_or_without_an_account(
        client: httpx.AsyncClient, people: People, database: Database, keys: RegistryKeys,
        long_delays: timedelta) -> None:
    """The attempt after the third failure is 429 with the same Retry-After, headers and body
    for an account (even with its right password), a disabled account and a name that has
    none; so is every attempt during the lock that the tenth failure starts."""
    them = await contenders(client, people, database, keys)
    for _ in range(throttle.THROTTLE_AFTER):
        failures = await them.fail_once_each()
        assert_login_failed(failures[0])
        assert_alike(failures)
    assert_waits_alike(await them.right_passwords(), int(long_delays.total_seconds()))

    for _ in range(throttle.THROTTLE_AFTER, throttle.LOCK_AFTER):
        await them.let_the_delay_pass()
        failures = await them.fail_once_each()
        assert_login_failed(failures[0])
        assert_alike(failures)
    locked = await them.right_passwords()
    assert_waits_alike(locked, int(throttle.LOCK_FOR.total_seconds()))
    [lock] = await audit(database, "auth.lock", object_id=them.active.id)
    assert lock.outcome == "success"
    [entry] = await audit(database, "auth.login", request_id=locked[2].headers["x-request-id"])
    assert json.loads(entry.body) == {"reason": "unknown_user", "waiting": "locked",
                                      "actor_address": "127.0.0.1"}


async def test_a_wait_is_answered_without_verifying_a_password(
        client: httpx.AsyncClient, people: People, database: Database, keys: RegistryKeys,
        long_delays: timedelta, monkeypatch: pytest.MonkeyPatch) -> None:
    """Attempts during a wait spend no argon2 run, with or without an account, so they take
    alike: the two medians differ by far less than one verification costs."""
    monkeypatch.setattr(crypto.passwords, "_hasher",
                        PasswordHasher(time_cost=3, memory_cost=16384, parallelism=1))
    crypto.passwords._dummy_hash.cache_clear()
    try:
        them = await contenders(client, people, database, keys)
        costly = crypto.passwords.hash_password(them.active.password)
        await set_account(database, them.active.id, password_hash=costly)
        for _ in range(throttle.THROTTLE_AFTER):
            await them.fail_once_each()
        verified = []
        real = crypto.passwords.verify_password
        monkeypatch.setattr(crypto.passwords, "verify_password",
                            lambda *args: verified.append(1) or real(*args))

        async def timed(name: str, password: str) -> float:
            start = time.perf_counter()
            assert (await login(client, name, password)).status_code == 429
            return time.perf_counter() - start

        known, unknown = [], []
        for _ in range(7):
            known.append(await timed(them.active.username, them.active.password))
            unknown.append(await timed(them.ghost, them.active.password))
        start = time.perf_counter()
        real(costly, "one honest verification")
        cost = time.perf_counter() - start
    finally:
        crypto.passwords._dummy_hash.cache_clear()
    assert verified == []
    gap = abs(statistics.median(known) - statistics.median(unknown))
    assert gap < cost / 2, f"account {known} vs no account {unknown}; one verify {cost}"


async def test_names_without_an_account_are_counted_but_never_stored(
        client: httpx.AsyncClient, database: Database, keys: RegistryKeys) -> None:
    ghost = unique("Ghost-Nguyen-")
    for _ in range(2):
        assert_login_failed(await login(client, ghost, WRONG))
    async with database.transaction(read_only=True) as session:
        rows = (await session.scalars(select(LoginThrottle))).all()
    [row] = [r for r in rows if r.key == keys.data.username_key(ghost)]
    assert row.failed_logins == 2 and row.throttled_until is None
    assert all(ghost.lower() not in r.key.lower() for r in rows)
    assert keys.data.username_key(ghost) != keys.data.username_key(ghost.lower())


async def test_old_failures_are_forgotten_alike(client: httpx.AsyncClient, people: People,
                                                database: Database, keys: RegistryKeys) -> None:
    """Nine failures a day and more ago count for nothing now, for an account and for a name
    without one; the forgotten rows of such names are deleted."""
    long_ago = now() - throttle.FORGET_AFTER - timedelta(minutes=1)
    person = await post_hr(people)
    await set_account(database, person.id, failed_logins=throttle.LOCK_AFTER - 1,
                      last_failed_at=long_ago)
    ghost, stale = unique("ghost-"), unique("stale-")
    async with database.transaction() as session:
        for name in (ghost, stale):
            session.add(LoginThrottle(key=keys.data.username_key(name), last_failed_at=long_ago,
                                      failed_logins=throttle.LOCK_AFTER - 1))
    assert_login_failed(await login(client, person.username, WRONG))
    assert_login_failed(await login(client, ghost, WRONG))
    row = await account(database, person.id)
    assert (row.failed_logins, row.locked_until) == (1, None)
    async with database.transaction(read_only=True) as session:
        counted = await session.get(LoginThrottle, keys.data.username_key(ghost))
        gone = await session.get(LoginThrottle, keys.data.username_key(stale))
    assert counted is not None and (counted.failed_logins, counted.locked_until) == (1, None)
    assert gone is None


# --------------------------------------------------------------------------- TOTP


async def test_a_code_already_used_is_refused_with_its_own_message(
        client: httpx.AsyncClient, people: People, database: Database) -> None:
    admin = await people.make("admin")
    assert admin.totp_secret is not None
    code = totp.code_at(admin.totp_secret, time.time())
    assert (await login(client, admin.username, admin.password, code)).status_code == 200
    again = await login(client, admin.username, admin.password, code)
    assert again.status_code == 401, again.text
    assert again.headers["www-authenticate"].startswith("Bearer")
    assert again.json()["code"] == "OTP_ALREADY_USED"
    assert again.json()["detail"] == message("vi", "OTP_ALREADY_USED")
    assert message("vi", "OTP_ALREADY_USED") != message("en", "OTP_ALREADY_USED")
    english = await client.post("/api/v1/auth/login", headers={"Accept-Language": "en"}, json={
        "username": admin.username, "password": admin.password, "otp": code})
    assert english.json()["detail"] == "This code was already used; wait for the next one."
    [entry] = await audit(database, "auth.login", request_id=again.headers["x-request-id"])
    assert json.loads(entry.body)["reason"] == "otp_reused"
    # with a wrong password the used code tells nothing
    assert_login_failed(await login(client, admin.username, WRONG, code))


async def test_one_code_sent_twice_at_once_signs_in_once(client: httpx.AsyncClient,
                                                         people: People) -> None:
    admin = await people.make("admin")
    assert admin.totp_secret is not None
    code = totp.code_at(admin.totp_secret, time.time())
    answers = await asyncio.gather(login(client, admin.username, admin.password, code),
                                   login(client, admin.username, admin.password, code))
    outcomes = sorted((a.status_code, a.json().get("code", "")) for a in answers)
    assert outcomes == [(200, ""), (401, "OTP_ALREADY_USED")]


# --------------------------------------------------------------------------- password change


@pytest.mark.parametrize(("role", "placement", "must_enrol"), [
    ("police_lead", {"unit": "POLICE-51"}, True),
    ("admin", {}, True),
    ("post_hr", {"unit": "POST-51"}, False),
])
async def test_the_password_change_says_whether_a_second_factor_must_follow(
        client: httpx.AsyncClient, people: People, role: str, placement: dict[str, Any],
        must_enrol: bool) -> None:
    admin = await people.make("admin")
    created = await create_user(client, admin, role=role, **placement)
    signed_in = await login(client, created["username"], created["one_time_password"])
    assert signed_in.json()["mfa_enrolment_required"] is must_enrol
    changed = await client.post("/api/v1/auth/password",
                                headers=bearer(signed_in.json()["access_token"]),
                                json={"current_password": created["one_time_password"],
                                      "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["password_change_required"] is False
    assert body["mfa_enrolment_required"] is must_enrol
    me = await client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.json()["setup_required"] is must_enrol  # what the flag promised


async def test_the_password_change_of_an_enrolled_account_needs_nothing_more(
        client: httpx.AsyncClient, people: People) -> None:
    lead = await people.make("police_lead", unit="POLICE-51")
    changed = await client.post("/api/v1/auth/password", headers=lead.headers, json={
        "current_password": lead.password, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert changed.json()["mfa_enrolment_required"] is False
