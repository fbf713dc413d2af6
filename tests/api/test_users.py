"""Account administration over HTTP and the `kt1vet users create` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import People, Person, unique
from vetting.db import Database
from vetting.models import AuditEntry
from vetting.settings import Settings

USERS = "/api/v1/users"
GOOD_PASSWORD = "amber quartz lantern meadow"
KT1VET = Path(sys.executable).with_name("kt1vet")


def new_username() -> str:
    return unique("u-").lower()


async def create(client: httpx.AsyncClient, admin: Person, **body: Any) -> httpx.Response:
    return await client.post(USERS, headers=admin.headers,
                             json={"username": new_username(), **body})


async def created(client: httpx.AsyncClient, admin: Person, **body: Any) -> dict[str, Any]:
    response = await create(client, admin, **body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def assert_invalid(response: httpx.Response, status: int, field: str,
                   code: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert field in [p["name"] for p in body["invalid_params"]], body
    if code is not None:
        assert body["code"] == code


async def audit(database: Database, action: str, object_id: str) -> list[AuditEntry]:
    async with database.transaction(read_only=True) as session:
        rows = await session.scalars(select(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.object_id == object_id
        ).order_by(AuditEntry.seq))
        return list(rows.all())


@pytest.fixture
async def admin(people: People) -> Person:
    return await people.make("admin")


# --------------------------------------------------------------------------- create


@pytest.mark.parametrize(("role", "placement", "province"), [
    ("admin", {}, None),
    ("post_hr", {"unit": "POST-51"}, "51"),
    ("dispatcher", {"unit": "POST-12"}, "12"),
    ("police_officer", {"unit": "POLICE-51"}, "51"),
    ("police_lead", {"unit": "POLICE-12", "province": "12"}, "12"),
    ("inspector", {"province": "12"}, "12"),
])
async def test_admin_creates_every_role(client: httpx.AsyncClient, admin: Person,
                                        database: Database, role: str,
                                        placement: dict[str, str], province: str | None) -> None:
    username = new_username()
    response = await client.post(USERS, headers=admin.headers, json={
        "username": username, "role": role, "password": GOOD_PASSWORD, **placement})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["username"] == username and body["role"] == role
    assert body["province"] == province and body["unit"] == placement.get("unit")
    assert body["state"] == "active" and body["version"] == 1
    assert body["must_change_password"] is False and body["one_time_password"] is None
    assert body["mfa_enrolled"] is False and body["locked_until"] is None
    assert "password" not in body and "password_hash" not in body
    got = await client.get(f"{USERS}/{body['id']}", headers=admin.headers)
    assert got.status_code == 200
    assert {k: v for k, v in got.json().items() if k != "one_time_password"} == {
        k: v for k, v in body.items() if k != "one_time_password"}
    [entry] = await audit(database, "user.create", body["id"])
    assert entry.actor_id == admin.id and entry.outcome == "success"
    detail = json.loads(entry.body)
    assert detail["role"] == role and detail["unit"] == placement.get("unit")
    assert GOOD_PASSWORD not in entry.body


@pytest.mark.parametrize("role", ["post_hr", "dispatcher", "police_officer", "police_lead"])
async def test_unit_roles_need_a_unit(client: httpx.AsyncClient, admin: Person,
                                      role: str) -> None:
    response = await create(client, admin, role=role, province="51", password=GOOD_PASSWORD)
    assert_invalid(response, 422, "unit", "UNIT_REQUIRED")


@pytest.mark.parametrize(("role", "unit"), [
    ("post_hr", "POLICE-51"),
    ("dispatcher", "POLICE-12"),
    ("police_officer", "POST-51"),
    ("police_lead", "POST-12"),
])
async def test_unit_must_be_of_the_roles_kind(client: httpx.AsyncClient, admin: Person,
                                              role: str, unit: str) -> None:
    response = await create(client, admin, role=role, unit=unit, password=GOOD_PASSWORD)
    assert_invalid(response, 422, "unit", "WRONG_UNIT_KIND")


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"role": "inspector"}, "province", "PROVINCE_REQUIRED"),
    ({"role": "inspector", "province": "99"}, "province", "UNKNOWN_PROVINCE"),
    ({"role": "inspector", "unit": "POST-51", "province": "51"}, "unit", "UNIT_NOT_ALLOWED"),
    ({"role": "post_hr", "unit": "POST-99"}, "unit", "UNKNOWN_UNIT"),
    ({"role": "police_officer", "unit": "POLICE-ZZ"}, "unit", "UNKNOWN_UNIT"),
    ({"role": "post_hr", "unit": "POST-51", "province": "12"}, "province", "PROVINCE_MISMATCH"),
    ({"role": "admin", "unit": "POST-51"}, "unit", "UNIT_NOT_ALLOWED"),
    ({"role": "admin", "province": "51"}, "province", "PROVINCE_NOT_ALLOWED"),
], ids=["inspector-no-province", "unknown-province", "inspector-with-unit", "unknown-post-unit",
        "unknown-police-unit", "province-mismatch", "admin-with-unit", "admin-with-province"])
async def test_placement_is_checked(client: httpx.AsyncClient, admin: Person,
                                    body: dict[str, str], field: str, code: str) -> None:
    response = await create(client, admin, password=GOOD_PASSWORD, **body)
    assert_invalid(response, 422, field, code)


@pytest.mark.parametrize("password", ["short", "passwordpassword", "{username} forever more"])
async def test_weak_initial_password_is_refused(client: httpx.AsyncClient, admin: Person,
                                                password: str) -> None:
    username = new_username()
    response = await client.post(USERS, headers=admin.headers, json={
        "username": username, "role": "post_hr", "unit": "POST-51",
        "password": password.format(username=username)})
    assert_invalid(response, 422, "password")
    listing = await client.get(USERS, headers=admin.headers, params={"limit": 200,
                                                                     "role": "post_hr"})
    assert username not in {u["username"] for u in listing.json()["items"]}


async def test_duplicate_username_is_a_conflict(client: httpx.AsyncClient,
                                                admin: Person) -> None:
    first = await created(client, admin, role="post_hr", unit="POST-51", password=GOOD_PASSWORD)
    response = await client.post(USERS, headers=admin.headers, json={
        "username": first["username"], "role": "inspector", "province": "12",
        "password": GOOD_PASSWORD})
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "USERNAME_TAKEN"


@pytest.mark.parametrize("username", ["Bad Name!", "ab", "UPPER", "-dash-first", "x" * 65, ""])
async def test_bad_username_pattern_is_refused(client: httpx.AsyncClient, admin: Person,
                                               username: str) -> None:
    response = await client.post(USERS, headers=admin.headers, json={
        "username": username, "role": "post_hr", "unit": "POST-51", "password": GOOD_PASSWORD})
    assert_invalid(response, 400, "username", "VALIDATION_FAILED")


@pytest.mark.parametrize("body", [
    {"role": "chief"},
    {"role": "post_hr", "unit": "post-51"},
    {"role": "post_hr", "unit": "POST-51", "is_admin": True},
], ids=["unknown-role", "bad-unit-pattern", "unknown-field"])
async def test_malformed_create_is_a_bad_request(client: httpx.AsyncClient, admin: Person,
                                                 body: dict[str, Any]) -> None:
    response = await create(client, admin, password=GOOD_PASSWORD, **body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_FAILED"


async def test_create_without_password_gives_a_one_time_password(client: httpx.AsyncClient,
                                                                 admin: Person) -> None:
    body = await created(client, admin, role="post_hr", unit="POST-51")
    assert body["must_change_password"] is True
    assert isinstance(body["one_time_password"], str) and len(body["one_time_password"]) >= 15
    again = await client.get(f"{USERS}/{body['id']}", headers=admin.headers)
    assert again.json()["one_time_password"] is None  # shown once
    login = await client.post("/api/v1/auth/login", json={
        "username": body["username"], "password": body["one_time_password"]})
    assert login.status_code == 200
    assert login.json()["password_change_required"] is True


# --------------------------------------------------------------------------- update


async def test_stale_version_is_a_conflict(client: httpx.AsyncClient, admin: Person) -> None:
    user = await created(client, admin, role="post_hr", unit="POST-51", password=GOOD_PASSWORD)
    first = await client.patch(f"{USERS}/{user['id']}", headers=admin.headers,
                               json={"version": 1, "unit": "POST-12"})
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 2
    stale = await client.patch(f"{USERS}/{user['id']}", headers=admin.headers,
                               json={"version": 1, "state": "disabled"})
    assert stale.status_code == 409
    assert stale.json()["code"] == "STALE_VERSION"
    assert stale.json()["current_version"] == 2
    now = await client.get(f"{USERS}/{user['id']}", headers=admin.headers)
    assert now.json()["state"] == "active" and now.json()["version"] == 2


async def test_changing_role_and_unit(client: httpx.AsyncClient, admin: Person,
                                      database: Database) -> None:
    user = await created(client, admin, role="post_hr", unit="POST-51", password=GOOD_PASSWORD)
    response = await client.patch(f"{USERS}/{user['id']}", headers=admin.headers,
                                  json={"version": 1, "role": "police_officer",
                                        "unit": "POLICE-12"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["role"], body["unit"], body["province"]) == ("police_officer", "POLICE-12",
                                                               "12")
    assert body["version"] == 2
    moved = await client.patch(f"{USERS}/{user['id']}", headers=admin.headers,
                               json={"unit": "POLICE-51"})
    assert (moved.json()["unit"], moved.json()["province"]) == ("POLICE-51", "51")
    inspector = await client.patch(f"{USERS}/{user['id']}", headers=admin.headers,
                                   json={"role": "inspector", "province": "12"})
    assert inspector.status_code == 200, inspector.text
    assert (inspector.json()["unit"], inspector.json()["province"]) == (None, "12")
    entries = await audit(database, "user.update", user["id"])
    assert [json.loads(e.body).get("role") for e in entries] == [
        "police_officer", "police_officer", "inspector"]
    assert all(e.actor_id == admin.id for e in entries)


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"role": "police_officer"}, "unit", "UNIT_REQUIRED"),
    ({"role": "dispatcher", "unit": "POLICE-51"}, "unit", "WRONG_UNIT_KIND"),
    ({"unit": "POST-99"}, "unit", "UNKNOWN_UNIT"),
    ({}, "body", "EMPTY_CHANGE"),
], ids=["role-without-unit", "wrong-kind", "unknown-unit", "empty"])
async def test_bad_change_is_refused_and_changes_nothing(
        client: httpx.AsyncClient, admin: Person, change: dict[str, str], field: str,
        code: str) -> None:
    user = await created(client, admin, role="post_hr", unit="POST-51", password=GOOD_PASSWORD)
    response = await client.patch(f"{USERS}/{user['id']}", headers=admin.headers, json=change)
    assert_invalid(response, 422, field, code)
    after = (await client.get(f"{USERS}/{user['id']}", headers=admin.headers)).json()
    assert (after["role"], after["unit"], after["version"]) == ("post_hr", "POST-51", 1)


async def test_reset_password_returns_a_one_time_password(client: httpx.AsyncClient,
                                                          admin: Person,
                                                          database: Database) -> None:
    user = await created(client, admin, role="post_hr", unit="POST-51", password=GOOD_PASSWORD)
    response = await client.patch(f"{USERS}/{user['id']}", headers=admin.headers,
                                  json={"reset_password": True})
    assert response.status_code == 200, response.text
    body = response.json()
    one_time = body["one_time_password"]
    assert isinstance(one_time, str) and len(one_time) >= 15
    assert body["must_change_password"] is True
    old = await client.post("/api/v1/auth/login",
                            json={"username": user["username"], "password": GOOD_PASSWORD})
    assert old.status_code == 401
    new = await client.post("/api/v1/auth/login",
                            json={"username": user["username"], "password": one_time})
    assert new.status_code == 200 and new.json()["password_change_required"] is True
    [entry] = await audit(database, "user.update", user["id"])
    assert json.loads(entry.body) == {"password_reset": True}
    assert one_time not in entry.body


async def test_unknown_user_is_not_found(client: httpx.AsyncClient, admin: Person) -> None:
    for response in (
        await client.get(f"{USERS}/{'0' * 32}", headers=admin.headers),
        await client.patch(f"{USERS}/{'0' * 32}", headers=admin.headers,
                           json={"state": "disabled"}),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize("change", [{"state": "disabled"}, {"role": "inspector",
                                                            "province": "51"}],
                         ids=["disable", "demote"])
async def test_admin_cannot_lock_themselves_out(client: httpx.AsyncClient, admin: Person,
                                                change: dict[str, str]) -> None:
    response = await client.patch(f"{USERS}/{admin.id}", headers=admin.headers, json=change)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "SELF_LOCKOUT"
    assert (await client.get(USERS, headers=admin.headers)).status_code == 200


async def test_disable_and_enable_are_audited(client: httpx.AsyncClient, admin: Person,
                                              database: Database) -> None:
    user = await created(client, admin, role="inspector", province="51", password=GOOD_PASSWORD)
    for state in ("disabled", "active"):
        response = await client.patch(f"{USERS}/{user['id']}", headers=admin.headers,
                                      json={"state": state})
        assert response.status_code == 200 and response.json()["state"] == state
    entries = await audit(database, "user.update", user["id"])
    assert [json.loads(e.body) for e in entries] == [{"state": "disabled"}, {"state": "active"}]


# --------------------------------------------------------------------------- list


async def test_list_pages_and_filters_by_role(client: httpx.AsyncClient, admin: Person) -> None:
    mine = {(await created(client, admin, role="dispatcher", unit="POST-12",
                           password=GOOD_PASSWORD))["id"] for _ in range(3)}
    everything = await client.get(USERS, headers=admin.headers,
                                  params={"role": "dispatcher", "limit": 200})
    assert everything.status_code == 200
    page = everything.json()
    assert set(page) == {"items", "total"}
    assert all(item["role"] == "dispatcher" for item in page["items"])
    assert mine <= {item["id"] for item in page["items"]}
    total = page["total"]
    assert total == len(page["items"]) or total > 200
    names = [item["username"] for item in page["items"]]
    assert names == sorted(names)

    seen: list[str] = []
    for offset in range(min(total, 6)):
        one = await client.get(USERS, headers=admin.headers,
                               params={"role": "dispatcher", "limit": 1, "offset": offset})
        assert one.json()["total"] == total
        [item] = one.json()["items"]
        seen.append(item["id"])
    assert len(set(seen)) == len(seen) and seen == [i["id"] for i in page["items"]][:len(seen)]
    beyond = await client.get(USERS, headers=admin.headers,
                              params={"role": "dispatcher", "offset": total})
    assert beyond.json() == {"items": [], "total": total}

    unfiltered = (await client.get(USERS, headers=admin.headers)).json()
    assert unfiltered["total"] >= total and len(unfiltered["items"]) <= 50


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"offset": -1},
                                    {"role": "chief"}, {"limit": "many"}])
async def test_list_refuses_bad_paging(client: httpx.AsyncClient, admin: Person,
                                       params: dict[str, Any]) -> None:
    response = await client.get(USERS, headers=admin.headers, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_FAILED"


# --------------------------------------------------------------------------- CLI


def kt1vet(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KT1_DATABASE_URL": settings.database_url,
           "KT1_KEYS_DIR": str(settings.keys_dir)}
    env.pop("KT1_POLICY_FILE", None)
    return subprocess.run([str(KT1VET), *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=60, check=False)


async def test_cli_creates_an_account_that_can_log_in(client: httpx.AsyncClient,
                                                      settings: Settings) -> None:
    username = new_username()
    result = kt1vet(settings, "users", "create", "--username", username, "--role", "post_hr",
                    "--unit", "POST-51", "--password-stdin", stdin=GOOD_PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    user_id = result.stdout.strip()
    assert len(user_id.splitlines()) == 1 and user_id.isalnum()
    assert GOOD_PASSWORD not in result.stdout + result.stderr
    login = await client.post("/api/v1/auth/login",
                              json={"username": username, "password": GOOD_PASSWORD})
    assert login.status_code == 200, login.text
    me = await client.get("/api/v1/auth/me",
                          headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert me.json()["id"] == user_id and me.json()["unit"] == "POST-51"


def _refused_in_one_line(result: subprocess.CompletedProcess[str], names: str) -> None:
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.lower().startswith("error")]
    assert len(errors) == 1, result.stderr
    assert names in errors[0]


def test_cli_refuses_a_missing_unit_in_one_line(settings: Settings) -> None:
    result = kt1vet(settings, "users", "create", "--username", new_username(), "--role",
                    "post_hr", "--password-stdin", stdin=GOOD_PASSWORD + "\n")
    _refused_in_one_line(result, "unit")
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_refuses_an_unknown_role(tmp_path: Path) -> None:
    """Refused while parsing the options, before any database is opened."""
    env = {**os.environ, "KT1_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'none.db'}",
           "KT1_KEYS_DIR": str(tmp_path / "keys")}
    result = subprocess.run([str(KT1VET), "users", "create", "--username", "someone",
                             "--role", "chief", "--unit", "POST-51", "--password-stdin"],
                            input=GOOD_PASSWORD + "\n", capture_output=True, text=True,
                            env=env, timeout=60, check=False)
    _refused_in_one_line(result, "role")
    assert not (tmp_path / "none.db").exists()
