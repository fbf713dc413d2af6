"""Numbers are not dates and dates are not numbers (api/json_request.py, api/query_guard.py):
JSON bodies are decoded strictly into their structs, and numbers and instants in the query
are taken only as written: digits, or RFC 3339 with an offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.api.test_body_guard import written
from tests.api.test_eligibility import Desk
from tests.conftest import People
from vetting.db import Database


def _soon(hours: int) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(("field", "value", "rule"), [
    ("starts_at", "1796198368", "datetime"), ("starts_at", 1796198368, "wrong_type"),
    ("starts_at", "2027-01-01T08:00:00", "datetime"), ("ends_at", "0.5", "datetime"),
])
async def test_a_number_in_a_body_is_not_a_time(desk: Desk, database: Database, field: str,
                                               value: object, rule: str) -> None:
    body = {"worker_id": "w", "route_id": "r", "starts_at": _soon(1), field: value}
    before = await written(database)
    response = await desk.post("dispatcher", "/api/v1/assignments", body)
    assert response.status_code == 400, response.text
    [problem] = response.json()["invalid_params"]
    assert (problem["name"], problem["in"], problem["rule"]) == (field, "body", rule)
    assert await written(database) == before


@pytest.mark.parametrize(("body", "name", "rule"), [
    ({"version": "2"}, "version", "integer"), ({"version": True}, "version", "integer"),
    ({"active": "true"}, "active", "boolean"), ({"active": 1}, "active", "boolean"),
])
async def test_strings_are_not_numbers_or_booleans_in_a_body(
        client: httpx.AsyncClient, people: People, body: dict[str, object], name: str,
        rule: str) -> None:
    admin = await people.make("admin")
    response = await client.patch("/api/v1/routes/nothing", json=body, headers=admin.headers)
    assert response.status_code == 400, response.text
    [problem] = response.json()["invalid_params"]
    assert (problem["name"], problem["in"], problem["rule"]) == (name, "body", rule)


@pytest.mark.parametrize(("role", "path", "params", "name", "rule"), [
    ("dispatcher", "/api/v1/routes", {"limit": "1e3"}, "limit", "integer"),
    ("dispatcher", "/api/v1/routes", {"limit": "5.0"}, "limit", "integer"),
    ("dispatcher", "/api/v1/routes", {"offset": "0x10"}, "offset", "integer"),
    ("post_hr", "/api/v1/workers", {"expiring_within_days": "3e1"}, "expiring_within_days",
     "integer"),
    ("dispatcher", "/api/v1/eligibility", {"worker_id": "w", "route_id": "r", "at": "0.5"},
     "at", "datetime"),
    ("dispatcher", "/api/v1/eligibility", {"worker_id": "w", "route_id": "r", "at": "-1"},
     "at", "datetime"),
    ("inspector", "/api/v1/audit/entries", {"to": "0.5"}, "to", "datetime"),
    ("inspector", "/api/v1/audit/entries", {"from": "2026-01-01T00:00:00"}, "from",
     "datetime"),
    ("inspector", "/api/v1/audit/proofs/inclusion", {"index": "1e1"}, "index", "integer"),
    ("inspector", "/api/v1/audit/proofs/consistency", {"first": "1", "second": "2.0"},
     "second", "integer"),
])
async def test_query_numbers_and_times_only_as_written(
        client: httpx.AsyncClient, people: People, role: str, path: str,
        params: dict[str, str], name: str, rule: str) -> None:
    person = await people.make(role, unit="POST-51" if role in ("dispatcher", "post_hr")
                               else None, province="51" if role == "inspector" else None)
    response = await client.get(path, params=params, headers=person.headers)
    assert response.status_code == 400, response.text
    [problem] = response.json()["invalid_params"]
    assert (problem["name"], problem["in"], problem["rule"]) == (name, "query", rule)


async def test_plain_digits_and_offset_times_still_pass(client: httpx.AsyncClient,
                                                        people: People) -> None:
    inspector = await people.make("inspector", province="51")
    response = await client.get("/api/v1/audit/entries", headers=inspector.headers, params={
        "limit": "5", "offset": "0", "from": "2026-01-01T00:00:00+07:00", "to": _soon(1)})
    assert response.status_code == 200, response.text


async def test_the_query_rules_hold_on_every_request_not_only_the_first(
        client: httpx.AsyncClient, people: People) -> None:
    """The rules are worked out once per handler and kept: the kept answer must refuse and
    pass exactly as the first one did, whichever request came first."""
    inspector = await people.make("inspector", province="51")
    for limit, status in [("5", 200), ("1e3", 400), ("7", 200), ("0x10", 400)]:
        response = await client.get("/api/v1/audit/entries", headers=inspector.headers,
                                    params={"limit": limit})
        assert response.status_code == status, (limit, response.text)
        if status == 400:
            [problem] = response.json()["invalid_params"]
            assert (problem["name"], problem["rule"]) == ("limit", "integer")
