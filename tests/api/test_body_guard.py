"""The gate before every JSON body (api/body_guard.py): nesting bounded on the raw bytes,
before authentication, with one log line and no traceback; nothing written."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import func, select

from api.body_guard import MAX_DEPTH, nesting_depth
from tests.conftest import People
from tests.factories import worker_body
from vetting.db import Database
from vetting.models import AuditEntry, Worker


async def written(database: Database) -> tuple[int, int]:
    """How many audit entries and workers there are: a refused request adds neither."""
    async with database.transaction(read_only=True) as session:
        entries = await session.scalar(select(func.count()).select_from(AuditEntry))
        workers = await session.scalar(select(func.count()).select_from(Worker))
    return int(entries or 0), int(workers or 0)


@pytest.mark.parametrize(("body", "depth"), [
    (b"1", 0), (b"[]", 1), (b'{"a": [1, {"b": []}]}', 4),
    (b'{"a": "[[[[{{{{"}', 1), (b'["\\"[[[", "]"]', 1), (b'"\\\\" [[', 2),
])
def test_nesting_is_counted_outside_strings(body: bytes, depth: int) -> None:
    assert nesting_depth(body) == depth


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/refresh",
                                  "/api/v1/workers", "/api/v1/attestations/verify"])
async def test_deep_nesting_is_refused_before_decoding_and_before_login(
        client: httpx.AsyncClient, database: Database, path: str,
        caplog: pytest.LogCaptureFixture) -> None:
    before = await written(database)
    with caplog.at_level(logging.INFO):
        response = await client.post(path, content=b"[" * 955 + b"]" * 955,
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "JSON_TOO_DEEP"
    assert response.headers["x-request-id"]
    records = [r for r in caplog.records if r.name.startswith("kt1")]
    assert len(records) == 1 and "nested deeper" in records[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records)
    assert await written(database) == before


async def test_nesting_at_the_limit_reaches_validation(client: httpx.AsyncClient,
                                                      people: People) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    nested: object = "x"
    for _ in range(MAX_DEPTH - 1):
        nested = {"a": nested}
    at_limit = await client.post("/api/v1/workers", json=worker_body(hometown=nested),
                                 headers=hr.headers)
    assert at_limit.status_code == 400 and at_limit.json()["code"] == "VALIDATION_FAILED"
    beyond = await client.post("/api/v1/workers", json=worker_body(hometown=[nested]),
                               headers=hr.headers)
    assert beyond.status_code == 400 and beyond.json()["code"] == "JSON_TOO_DEEP"


async def test_brackets_inside_strings_are_text(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/login", json={
        "username": "[" * 60, "password": "{" * 500})
    assert response.status_code == 401, response.text
