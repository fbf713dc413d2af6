"""Login, second factor, throttling, sessions and their end (security.md #1-#9, #20).

Time is never slept away: where a throttle or lock must pass, the test moves
`throttled_until` / `locked_until` into the past in the database. TOTP codes cannot be
replayed per user, so a second login by one user uses the next step's code.
"""

from __future__ import annotations

import base64
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

import crypto.passwords
from api.i18n import message
from crypto import totp
from tests.conftest import People, Person, unique
from vetting.accounts import sessions, throttle
from vetting.db import Database
from vetting.models import AuditEntry, UserAccount

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/auth/me"
GOOD_PASSWORD = "amber quartz lantern meadow"
NEW_PASSWORD = "violet harbour pebble orchard"


# --------------------------------------------------------------------------- helpers


async def login(client: httpx.AsyncClient, username: str, password: str,
                otp: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return await client.post(LOGIN, json=body)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload)
                                                                                  % 4)))
    return result


def now() -> datetime:
    return datetime.now(UTC)


def wrong_code(secret: bytes) -> str:
    """A six-digit code matching none of the steps the server would accept now."""
    t = time.time()
    near = {totp.code_at(secret, t + delta) for delta in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222") if code not in near)


async def account(database: Database, user_id: str) -> UserAccount:
    async with database.transaction(read_only=True) as session:
        user = await session.get(UserAccount, user_id)
        assert user is not None
        return user


async def set_account(database: Database, user_id: str, **values: Any) -> None:
    """Change an account behind the service's back (to simulate the passing of time)."""
    async with database.transaction() as session:
        await session.execute(update(UserAccount).where(UserAccount.id == user_id)
                              .values(**values))


async def audit(database: Database, action: str, *, object_id: str | None = None,
                request_id: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if request_id is not None:
        query = query.where(AuditEntry.request_id == request_id)
    async with database.transaction(read_only=True) as session:
        return list((await session.scalars(query)).all())


def assert_login_failed(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "INVALID_CREDENTIALS"


async def post_hr(people: People) -> Person:
    return await people.make("post_hr", unit="POST-51")


async def create_user(client: httpx.AsyncClient, admin: Person, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/users", headers=admin.headers,
                                 json={"username": unique("u-").lower(), **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def secret_of(otpauth_uri: str) -> bytes:
    parsed = urlparse(otpauth_uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    query = parse_qs(parsed.query)
    encoded = query["secret"][0]
    assert query["issuer"] == [sessions.TOTP_ISSUER]
    return base64.b32decode(encoded + "=" * (-len(encoded) % 8))


# --------------------------------------------------------------------------- login


async def test_login_returns_the_contract_fields(client: httpx.AsyncClient,
                                                 people: People) -> None:
    person = await post_hr(people)
    response = await login(client, person.username, person.password)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"access_token", "refresh_token", "token_type", "expires_in"} <= set(body)
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 900
    assert body["password_change_required"] is False
    assert body["mfa_enrolment_required"] is False
    assert response.headers["cache-control"] == "no-store"
    claims = claims_of(body["access_token"])
    assert claims["sub"] == person.id and claims["exp"] - claims["iat"] <= 900
    assert body["refresh_token"].count(".") == 0  # opaque, not a JWT
    me = await client.get(ME, headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() | {"setup_required": False} == {
        "id": person.id, "username": person.username, "role": "post_hr", "province": "51",
        "unit": "POST-51", "setup_required": False}


def shape(response: httpx.Response) -> tuple[int, bytes, dict[str, str]]:
    """Everything a client sees but the request's own id."""
    headers = {k: v for k, v in response.headers.items() if k != "x-request-id"}
    return response.status_code, response.content, headers


async def test_every_login_failure_answers_alike(client: httpx.AsyncClient, people: People,
                                                 database: Database) -> None:
    """Unknown user, wrong password, disabled, missing code: one answer (ASVS 6.3.8)."""
    wrong_pw = await post_hr(people)
    disabled = await post_hr(people)
    await set_account(database, disabled.id, state="disabled")
    admin = await people.make("admin")
    answers = [
        await login(client, unique("nobody-"), "some password at all"),
        await login(client, wrong_pw.username, "some password at all"),
        await login(client, disabled.username, disabled.password),
        await login(client, admin.username, admin.password),
    ]

    first = shape(answers[0])
    assert first[0] == 401
    for response in answers[1:]:
        assert shape(response) == first


async def test_unknown_user_and_wrong_password_take_similar_time(
        client: httpx.AsyncClient, people: People, database: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The unknown-user path burns a verification of the same cost as a real one.

    The suite's argon2 is cheap; here both the account's hash and the dummy hash use a
    moderately costly hasher, so a missing verification would show as a clear gap. The
    account's failures are forgotten before each try, so it is never throttled (a throttled
    attempt is answered without verifying anything, as `test_throttled_*` shows).
    """
    monkeypatch.setattr(crypto.passwords, "_hasher",
                        PasswordHasher(time_cost=3, memory_cost=16384, parallelism=1))
    crypto.passwords._dummy_hash.cache_clear()
    try:
        person = await post_hr(people)

        async def timed(username: str) -> float:
            await set_account(database, person.id, failed_logins=0, throttled_until=None)
            start = time.perf_counter()
            assert_login_failed(await login(client, username, "not the password at all"))
            return time.perf_counter() - start

        await timed(unique("ghost-"))   # warm-up: computes the dummy hash
        await timed(person.username)
        unknown, wrong = [], []
        for _ in range(5):
            unknown.append(await timed(unique("ghost-")))
            wrong.append(await timed(person.username))
    finally:
        crypto.passwords._dummy_hash.cache_clear()
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 1 / 3 < ratio < 3, f"unknown {unknown} vs wrong password {wrong}"


def assert_wait(response: httpx.Response, seconds: int) -> int:
    """A 429 saying to wait `seconds`, less the few the requests since took; the seconds left."""
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    left = int(response.headers["retry-after"])
    assert seconds - 3 <= left <= seconds
    body = response.json()
    assert (body["code"], body["retry_after"]) == ("TOO_MANY_REQUESTS", left)
    assert body["detail"] == message("vi", "TOO_MANY_REQUESTS", {"retry_after": left})
    return left


async def test_failures_throttle_even_the_right_password(client: httpx.AsyncClient,
                                                         people: People, database: Database,
                                                         long_delays: timedelta) -> None:
    """During the delay the right password is answered 429 with Retry-After, not 401: the
    person is told to wait, not that the password is wrong."""
    person = await post_hr(people)
    for _ in range(throttle.THROTTLE_AFTER):
        assert_login_failed(await login(client, person.username, "wrong password guess"))
    row = await account(database, person.id)
    assert row.failed_logins == throttle.THROTTLE_AFTER
    assert row.throttled_until is not None and row.throttled_until > now()

    response = await login(client, person.username, person.password)
    assert_wait(response, int(long_delays.total_seconds()))
    [entry] = await audit(database, "auth.login",
                          request_id=response.headers["x-request-id"])
    assert json.loads(entry.body)["reason"] == "throttled"
    assert (await account(database, person.id)).failed_logins == throttle.THROTTLE_AFTER

    await set_account(database, person.id, throttled_until=now() - timedelta(seconds=1))
    response = await login(client, person.username, person.password)
    assert response.status_code == 200, response.text
    row = await account(database, person.id)
    assert (row.failed_logins, row.throttled_until) == (0, None)


async def test_ten_failures_lock_the_account_and_audit_it(client: httpx.AsyncClient,
                                                          people: People,
                                                          database: Database) -> None:
    person = await post_hr(people)
    for _ in range(throttle.LOCK_AFTER):
        assert_login_failed(await login(client, person.username, "wrong password guess"))
        await set_account(database, person.id, throttled_until=None)  # the delay passes
    row = await account(database, person.id)
    assert row.failed_logins == throttle.LOCK_AFTER
    assert row.locked_until is not None
    assert row.locked_until > now() + throttle.LOCK_FOR - timedelta(minutes=1)
    [lock] = await audit(database, "auth.lock", object_id=person.id)
    assert lock.outcome == "success" and "until" in json.loads(lock.body)

    assert_wait(await login(client, person.username, person.password),
                int(throttle.LOCK_FOR.total_seconds()))
    await set_account(database, person.id, locked_until=now() - timedelta(seconds=1))
    assert (await login(client, person.username, person.password)).status_code == 200


async def test_disabled_account_cannot_log_in(client: httpx.AsyncClient, people: People,
                                              database: Database) -> None:
    person = await post_hr(people)
    await set_account(database, person.id, state="disabled")
    response = await login(client, person.username, person.password)
    assert_login_failed(response)
    [entry] = await audit(database, "auth.login", request_id=response.headers["x-request-id"])
    assert json.loads(entry.body)["reason"] == "disabled"


async def test_admin_login_needs_a_fresh_totp_code(client: httpx.AsyncClient,
                                                   people: People) -> None:
    admin = await people.make("admin")
    assert admin.totp_secret is not None
    assert_login_failed(await login(client, admin.username, admin.password))
    assert_login_failed(await login(client, admin.username, admin.password,
                                    wrong_code(admin.totp_secret)))
    code = totp.code_at(admin.totp_secret, time.time())
    response = await login(client, admin.username, admin.password, code)
    assert response.status_code == 200, response.text
    assert response.json()["mfa_enrolment_required"] is False
    replay = await login(client, admin.username, admin.password, code)
    assert replay.status_code == 401 and replay.json()["code"] == "OTP_ALREADY_USED"
    # a right code with the wrong password is still a failure
    assert_login_failed(await login(client, admin.username, "wrong password guess",
                                    totp.code_at(admin.totp_secret, time.time() + 30)))
    following = totp.code_at(admin.totp_secret, time.time() + 30)
    assert (await login(client, admin.username, admin.password, following)).status_code == 200


@pytest.mark.parametrize(("role", "placement", "protected"), [
    ("police_lead", {"unit": "POLICE-51"}, None),
    ("admin", {}, "/api/v1/users"),
])
async def test_mfa_enrolment_flow(client: httpx.AsyncClient, people: People,
                                  database: Database, role: str, placement: dict[str, str],
                                  protected: str | None) -> None:
    admin = await people.make("admin")
    created = await create_user(client, admin, role=role, password=GOOD_PASSWORD, **placement)
    assert created["mfa_enrolled"] is False and created["must_change_password"] is False

    response = await login(client, created["username"], GOOD_PASSWORD)
    assert response.status_code == 200, response.text
    assert response.json()["mfa_enrolment_required"] is True
    assert response.json()["password_change_required"] is False
    headers = bearer(response.json()["access_token"])
    assert (await client.get(ME, headers=headers)).json()["setup_required"] is True
    if protected is not None:
        denied = await client.get(protected, headers=headers)
        assert denied.status_code == 403
        assert denied.headers["content-type"].startswith("application/problem+json")
        assert denied.json()["code"] == "ACCOUNT_SETUP_REQUIRED"
        [entry] = await audit(database, "access.denied",
                              request_id=denied.headers["x-request-id"])
        assert entry.actor_id == created["id"]
        assert json.loads(entry.body)["code"] == "ACCOUNT_SETUP_REQUIRED"

    enrol = await client.post("/api/v1/auth/mfa/enrol", headers=headers)
    assert enrol.status_code == 200, enrol.text
    secret = secret_of(enrol.json()["otpauth_uri"])
    assert created["username"] in enrol.json()["otpauth_uri"]

    bad = await client.post("/api/v1/auth/mfa/confirm", headers=headers,
                            json={"otp": wrong_code(secret)})
    assert bad.status_code == 422
    assert bad.json()["code"] == "INVALID_OTP"
    assert bad.json()["invalid_params"][0]["name"] == "otp"
    confirm = await client.post("/api/v1/auth/mfa/confirm", headers=headers,
                                json={"otp": totp.code_at(secret, time.time())})
    assert confirm.status_code == 200, confirm.text

    assert (await client.get(ME, headers=headers)).json()["setup_required"] is False
    if protected is not None:
        assert (await client.get(protected, headers=headers)).status_code == 200
    again = await client.post("/api/v1/auth/mfa/enrol", headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "MFA_ALREADY_ENROLLED"
    assert (await account(database, created["id"])).totp_confirmed is True

    assert_login_failed(await login(client, created["username"], GOOD_PASSWORD))
    response = await login(client, created["username"], GOOD_PASSWORD,
                           totp.code_at(secret, time.time() + 30))
    assert response.status_code == 200, response.text
    assert response.json()["mfa_enrolment_required"] is False


async def test_one_time_password_must_be_changed_first(client: httpx.AsyncClient,
                                                       people: People) -> None:
    admin = await people.make("admin")
    created = await create_user(client, admin, role="inspector", province="51")
    one_time = created["one_time_password"]
    assert one_time and len(one_time) >= 15 and created["must_change_password"] is True

    response = await login(client, created["username"], one_time)
    assert response.status_code == 200, response.text
    assert response.json()["password_change_required"] is True
    headers = bearer(response.json()["access_token"])
    denied = await client.get("/api/v1/audit/checkpoint", headers=headers)
    assert denied.status_code == 403 and denied.json()["code"] == "ACCOUNT_SETUP_REQUIRED"
    assert (await client.get(ME, headers=headers)).json()["setup_required"] is True

    changed = await client.post("/api/v1/auth/password", headers=headers,
                                json={"current_password": one_time,
                                      "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    fresh = bearer(changed.json()["access_token"])
    assert (await client.get(ME, headers=headers)).status_code == 401
    assert (await client.get("/api/v1/audit/checkpoint", headers=fresh)).status_code == 200

    assert_login_failed(await login(client, created["username"], one_time))
    response = await login(client, created["username"], NEW_PASSWORD)
    assert response.status_code == 200
    assert response.json()["password_change_required"] is False


async def test_admin_without_password_changes_it_then_enrols(client: httpx.AsyncClient,
                                                            people: People) -> None:
    """The first-admin path: a one-time password, then a second factor, then work."""
    admin = await people.make("admin")
    created = await create_user(client, admin, role="admin")
    response = await login(client, created["username"], created["one_time_password"])
    body = response.json()
    assert body["password_change_required"] is True and body["mfa_enrolment_required"] is True
    headers = bearer(body["access_token"])
    changed = await client.post("/api/v1/auth/password", headers=headers, json={
        "current_password": created["one_time_password"], "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    headers = bearer(changed.json()["access_token"])
    still = await client.get("/api/v1/users", headers=headers)
    assert still.status_code == 403 and still.json()["code"] == "ACCOUNT_SETUP_REQUIRED"
    secret = secret_of((await client.post("/api/v1/auth/mfa/enrol", headers=headers))
                       .json()["otpauth_uri"])
    confirm = await client.post("/api/v1/auth/mfa/confirm", headers=headers,
                                json={"otp": totp.code_at(secret, time.time())})
    assert confirm.status_code == 200
    assert (await client.get("/api/v1/users", headers=headers)).status_code == 200


# --------------------------------------------------------------------------- password change


@pytest.mark.parametrize(("new_password", "code"), [
    ("short pass", "PASSWORD_TOO_SHORT"),
    ("passwordpassword", "PASSWORD_COMMON"),
    ("Iloveyouiloveyou", "PASSWORD_COMMON"),
    ("my name is {username} ok", "PASSWORD_CONTEXT"),
    ("{password}", "PASSWORD_REUSED"),
], ids=["too-short", "blocklisted", "blocklisted-case", "username", "unchanged"])
async def test_password_change_refuses_a_weak_new_password(
        client: httpx.AsyncClient, people: People, new_password: str, code: str) -> None:
    person = await post_hr(people)
    new = new_password.format(username=person.username, password=person.password)
    response = await client.post("/api/v1/auth/password", headers=person.headers,
                                 json={"current_password": person.password, "new_password": new})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == code
    assert [p["name"] for p in body["invalid_params"]] == ["new_password"]
    assert new not in response.text  # the refused password is not echoed
    assert (await client.get(ME, headers=person.headers)).status_code == 200  # nothing ended
    assert (await login(client, person.username, person.password)).status_code == 200


async def test_password_change_needs_the_current_password(client: httpx.AsyncClient,
                                                          people: People) -> None:
    person = await post_hr(people)
    response = await client.post("/api/v1/auth/password", headers=person.headers,
                                 json={"current_password": "not my password at all",
                                       "new_password": NEW_PASSWORD})
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "current_password"
    assert (await client.get(ME, headers=person.headers)).status_code == 200
    assert_login_failed(await login(client, person.username, NEW_PASSWORD))


async def test_password_change_ends_every_earlier_token(client: httpx.AsyncClient,
                                                        people: People,
                                                        database: Database) -> None:
    person = await post_hr(people)
    other = (await login(client, person.username, person.password)).json()
    response = await client.post("/api/v1/auth/password", headers=person.headers,
                                 json={"current_password": person.password,
                                       "new_password": NEW_PASSWORD})
    assert response.status_code == 200, response.text
    fresh = response.json()
    for headers in (person.headers, bearer(other["access_token"])):
        assert (await client.get(ME, headers=headers)).status_code == 401
    assert (await client.get(ME, headers=bearer(fresh["access_token"]))).status_code == 200
    assert (await client.post(REFRESH, json={"refresh_token": fresh["refresh_token"]})
            ).status_code == 200
    assert (await client.post(REFRESH, json={"refresh_token": other["refresh_token"]})
            ).status_code == 401
    assert_login_failed(await login(client, person.username, person.password))
    assert (await login(client, person.username, NEW_PASSWORD)).status_code == 200
    assert await audit(database, "auth.password_change", object_id=person.id)


# --------------------------------------------------------------------------- ending sessions


async def test_logout_ends_every_token_at_once(client: httpx.AsyncClient,
                                               people: People) -> None:
    person = await post_hr(people)
    other = (await login(client, person.username, person.password)).json()
    response = await client.post("/api/v1/auth/logout", headers=person.headers)
    assert response.status_code == 204 and response.content == b""
    assert (await client.get(ME, headers=person.headers)).status_code == 401
    assert (await client.get(ME, headers=bearer(other["access_token"]))).status_code == 401
    assert (await client.post(REFRESH, json={"refresh_token": other["refresh_token"]})
            ).status_code == 401
    assert (await client.post("/api/v1/auth/logout", headers=person.headers)).status_code == 401
    assert (await login(client, person.username, person.password)).status_code == 200


async def test_disabling_an_account_ends_its_tokens(client: httpx.AsyncClient, people: People,
                                                    database: Database) -> None:
    admin = await people.make("admin")
    person = await post_hr(people)
    pair = (await login(client, person.username, person.password)).json()
    patch = await client.patch(f"/api/v1/users/{person.id}", headers=admin.headers,
                               json={"state": "disabled"})
    assert patch.status_code == 200, patch.text
    assert (await client.get(ME, headers=person.headers)).status_code == 401
    assert (await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
            ).status_code == 401
    assert_login_failed(await login(client, person.username, person.password))

    enable = await client.patch(f"/api/v1/users/{person.id}", headers=admin.headers,
                                json={"state": "active"})
    assert enable.status_code == 200
    assert (await client.get(ME, headers=person.headers)).status_code == 401  # stays ended
    assert (await login(client, person.username, person.password)).status_code == 200


@pytest.mark.parametrize("change", [
    {"role": "dispatcher", "unit": "POST-51"},
    {"unit": "POST-12"},
], ids=["role", "unit"])
async def test_role_or_scope_change_ends_the_tokens(client: httpx.AsyncClient, people: People,
                                                    change: dict[str, str]) -> None:
    admin = await people.make("admin")
    person = await post_hr(people)
    patch = await client.patch(f"/api/v1/users/{person.id}", headers=admin.headers, json=change)
    assert patch.status_code == 200, patch.text
    assert (await client.get(ME, headers=person.headers)).status_code == 401
    response = await login(client, person.username, person.password)
    me = (await client.get(ME, headers=bearer(response.json()["access_token"]))).json()
    assert me["unit"] == change["unit"]
    assert me["role"] == change.get("role", "post_hr")


# --------------------------------------------------------------------------- refresh


async def test_refresh_rotates_the_pair(client: httpx.AsyncClient, people: People) -> None:
    person = await post_hr(people)
    first = (await login(client, person.username, person.password)).json()
    response = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    second = response.json()
    assert second["token_type"] == "Bearer" and 0 < second["expires_in"] <= 900
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert (await client.get(ME, headers=bearer(second["access_token"]))).status_code == 200
    third = await client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert third.status_code == 200
    again = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401
    assert again.json()["code"] == "INVALID_REFRESH_TOKEN"


async def test_refresh_reuse_revokes_the_family(client: httpx.AsyncClient, people: People,
                                                database: Database) -> None:
    person = await post_hr(people)
    first = (await login(client, person.username, person.password)).json()
    second = (await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})).json()
    reuse = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    newest = await client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert newest.status_code == 401, "the newest token of a reused family must die too"
    assert (await client.get(ME, headers=bearer(second["access_token"]))).status_code == 401
    [entry] = await audit(database, "auth.refresh_reuse",
                          request_id=reuse.headers["x-request-id"])
    assert entry.outcome == "failure" and entry.object_id == person.id
    assert first["refresh_token"] not in entry.body
    assert (await login(client, person.username, person.password)).status_code == 200


async def test_stale_refresh_token_does_not_end_the_new_session(client: httpx.AsyncClient,
                                                                people: People) -> None:
    """Another device still holding a pre-change refresh token tries it after the change."""
    person = await post_hr(people)
    other = (await login(client, person.username, person.password)).json()
    response = await client.post("/api/v1/auth/password", headers=person.headers,
                                 json={"current_password": person.password,
                                       "new_password": NEW_PASSWORD})
    fresh = response.json()
    stale = await client.post(REFRESH, json={"refresh_token": other["refresh_token"]})
    assert stale.status_code == 401
    assert (await client.get(ME, headers=bearer(fresh["access_token"]))).status_code == 200


async def test_unknown_refresh_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(REFRESH, json={"refresh_token": "not-a-token"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


# --------------------------------------------------------------------------- audit


async def test_logins_are_audited_without_secrets(client: httpx.AsyncClient, people: People,
                                                  database: Database) -> None:
    person = await post_hr(people)
    attempt = "a wrong password guess 123"
    failed = await login(client, person.username, attempt)
    ghost = unique("ghost-")
    unknown = await login(client, ghost, attempt)
    success = await login(client, person.username, person.password)

    [failure] = await audit(database, "auth.login", request_id=failed.headers["x-request-id"])
    assert (failure.outcome, failure.object_id) == ("failure", person.id)
    assert json.loads(failure.body)["reason"] == "bad_password"
    [nobody] = await audit(database, "auth.login", request_id=unknown.headers["x-request-id"])
    assert nobody.outcome == "failure" and json.loads(nobody.body)["reason"] == "unknown_user"
    [good] = await audit(database, "auth.login", request_id=success.headers["x-request-id"])
    assert (good.outcome, good.actor_id, good.object_id) == ("success", person.id, person.id)
    for entry in (failure, nobody, good):
        assert attempt not in entry.body and person.password not in entry.body
        assert ghost not in entry.body
    tokens = success.json()
    assert tokens["refresh_token"] not in good.body and tokens["access_token"] not in good.body
