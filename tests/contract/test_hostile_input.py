"""The hostile requests of the outside fuzzer (issue: what an outside fuzzer found), each
answered with its status and problem code and nothing written, on SQLite and PostgreSQL:
deep nesting, NUL characters, huge and tiny dates, wrong content types, numbers as dates, and a
replay after the caller's scope changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import People, Person
from tests.factories import worker_body
from vetting.db import Database
from vetting.models import Base

#: Bookkeeping that a refusal may leave: a stored refusal answers its key's replay.
NOT_COUNTED = frozenset({"idempotency_record"})
DEEP = b"[" * 955 + b"]" * 955


def _soon(days: int = 1) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat().replace("+00:00", "Z")


@dataclass
class Caller:
    client: httpx.AsyncClient
    people: People
    cast: dict[str, Person] = field(default_factory=dict)

    async def person(self, role: str) -> Person:
        if role not in self.cast:
            unit = {"post_hr": "POST-51", "dispatcher": "POST-51"}.get(role)
            self.cast[role] = await self.people.make(role, unit=unit)
        return self.cast[role]

    async def headers(self, role: str | None) -> dict[str, str]:
        return {} if role is None else dict((await self.person(role)).headers)


Build = Callable[[Caller], Awaitable[dict[str, Any]]]


def _json(role: str | None, body: Any, **extra: Any) -> Build:
    async def build(caller: Caller) -> dict[str, Any]:
        return {"headers": await caller.headers(role), "json": body, **extra}
    return build


def _raw(role: str | None, content: bytes, content_type: str | None) -> Build:
    async def build(caller: Caller) -> dict[str, Any]:
        headers = await caller.headers(role)
        if content_type is not None:
            headers["Content-Type"] = content_type
        return {"headers": headers, "content": content}
    return build


def _query(role: str, params: dict[str, str]) -> Build:
    async def build(caller: Caller) -> dict[str, Any]:
        return {"headers": await caller.headers(role), "params": params}
    return build


async def _moved_after_registering(caller: Caller) -> dict[str, Any]:
    """HR of POST-51 registers a worker under a key, is moved to POST-01 and signs in again;
    the same POST with the same key and body comes next."""
    hr = await caller.people.make("post_hr", unit="POST-51")
    admin = await caller.person("admin")
    body = worker_body()
    keyed = {"Idempotency-Key": f"hostile-{hr.id}"}
    first = await caller.client.post("/api/v1/workers", json=body,
                                     headers={**hr.headers, **keyed})
    assert first.status_code == 201, first.text
    moved = await caller.client.patch(f"/api/v1/users/{hr.id}", json={"unit": "POST-01"},
                                      headers=admin.headers)
    assert moved.status_code == 200, moved.text
    login = await caller.client.post("/api/v1/auth/login", json={
        "username": hr.username, "password": hr.password})
    token = login.json()["access_token"]
    return {"headers": {"Authorization": f"Bearer {token}", **keyed}, "json": body}


WORKERS, LOGIN = "/api/v1/workers", "/api/v1/auth/login"
#: (name, method, path, request, status, problem code)
HOSTILE: list[tuple[str, str, str, Build, int, str]] = [
    ("nested login", "POST", LOGIN, _raw(None, DEEP, "application/json"), 400, "JSON_TOO_DEEP"),
    ("nested refresh", "POST", "/api/v1/auth/refresh", _raw(None, DEEP, "application/json"),
     400, "JSON_TOO_DEEP"),
    ("nested worker", "POST", WORKERS, _raw("post_hr", DEEP, "application/json"), 400,
     "JSON_TOO_DEEP"),
    ("nested verify", "POST", "/api/v1/attestations/verify",
     _raw("dispatcher", DEEP, "application/json"), 400, "JSON_TOO_DEEP"),
    ("NUL in a login name", "POST", LOGIN, _json(None, {"username": "ad\x00min",
                                                       "password": "x"}),
     400, "VALIDATION_FAILED"),
    ("NUL in a worker's name", "POST", WORKERS,
     _json("post_hr", worker_body(full_name="Nguyễn\x00An")), 400, "VALIDATION_FAILED"),
    ("NUL in a route name", "POST", "/api/v1/routes", _json("dispatcher", {
        "code": "R-NUL", "name": "Tuyến\x00", "province": "51", "stage": "transport",
        "service_classes": ["standard"], "max_secrecy": "A"}), 400, "VALIDATION_FAILED"),
    ("NUL in a request reason", "POST", "/api/v1/vetting-requests",
     _json("post_hr", {"worker_id": "w1", "reason": "KT1\x00"}), 400, "VALIDATION_FAILED"),
    ("NUL in a path id", "GET", "/api/v1/workers/ab%00cd", _json("post_hr", None), 400,
     "VALIDATION_FAILED"),
    ("year 1 birth date", "POST", WORKERS,
     _json("post_hr", worker_body(date_of_birth="0001-01-01")), 400, "VALIDATION_FAILED"),
    ("year 1 incident", "POST", "/api/v1/incidents", _json("post_hr", {
        "kind": "loss", "occurred_at": "0001-01-01T00:00:00Z", "description": "mất",
        "worker_ids": ["w1"]}), 400, "VALIDATION_FAILED"),
    ("year 9999 assignment", "POST", "/api/v1/assignments", _json("dispatcher", {
        "worker_id": "w1", "route_id": "r1", "starts_at": "9999-12-31T00:00:00Z"}), 400,
     "VALIDATION_FAILED"),
    ("year 0 report", "GET", "/api/v1/reports/summary", _query("admin", {"period": "H1-0000"}),
     422, "YEAR_OUT_OF_RANGE"),
    ("worker as text/plain", "POST", WORKERS,
     _raw("post_hr", httpx.Request("POST", "/", json=worker_body()).content, "text/plain"),
     415, "UNSUPPORTED_MEDIA_TYPE"),
    ("worker without a content type", "POST", WORKERS,
     _raw("post_hr", httpx.Request("POST", "/", json=worker_body()).content, None),
     415, "UNSUPPORTED_MEDIA_TYPE"),
    ("login as a form", "POST", LOGIN,
     _raw(None, b"username=a&password=b", "application/x-www-form-urlencoded"), 415,
     "UNSUPPORTED_MEDIA_TYPE"),
    ("login as XML", "POST", LOGIN, _raw(None, b"<login/>", "application/xml"), 415,
     "UNSUPPORTED_MEDIA_TYPE"),
    ("login as multipart", "POST", LOGIN, _raw(None, b"--x--", "multipart/form-data; boundary=x"),
     415, "UNSUPPORTED_MEDIA_TYPE"),
    ("a number for a start", "POST", "/api/v1/assignments", _json("dispatcher", {
        "worker_id": "w1", "route_id": "r1", "starts_at": "1796198368"}), 400,
     "VALIDATION_FAILED"),
    ("a fraction for at", "GET", "/api/v1/eligibility", _query("dispatcher", {
        "worker_id": "w1", "route_id": "r1", "at": "0.5"}), 400, "VALIDATION_FAILED"),
    ("minus one for at", "GET", "/api/v1/eligibility", _query("dispatcher", {
        "worker_id": "w1", "route_id": "r1", "at": "-1"}), 400, "VALIDATION_FAILED"),
    ("a fraction for to", "GET", "/api/v1/audit/entries", _query("inspector", {"to": "0.5"}),
     400, "VALIDATION_FAILED"),
    ("an exponent for a limit", "GET", "/api/v1/routes", _query("dispatcher", {"limit": "1e3"}),
     400, "VALIDATION_FAILED"),
    ("a replay after a scope change", "POST", WORKERS, _moved_after_registering, 422,
     "OUT_OF_SCOPE"),
]


async def _rows(database: Database) -> dict[str, int]:
    async with database.transaction(read_only=True) as session:
        return {table.name: int(await session.scalar(select(func.count()).select_from(table))
                                or 0)
                for table in Base.metadata.sorted_tables if table.name not in NOT_COUNTED}


@pytest.mark.parametrize(("name", "method", "path", "build", "status", "code"), HOSTILE,
                         ids=[case[0] for case in HOSTILE])
async def test_hostile_input_is_refused_and_writes_nothing(
        client: httpx.AsyncClient, people: People, database: Database, name: str,
        method: str, path: str, build: Build, status: int, code: str) -> None:
    request = await build(Caller(client, people))
    before = await _rows(database)
    response = await client.request(method, path, **request)
    assert response.status_code == status, f"{name}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert "idempotent-replayed" not in response.headers
    assert await _rows(database) == before
