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


CONTENT_TYPES = ["text/plain", "application/xml", "application/x-www-form-urlencoded",
                 "multipart/form-data; boundary=x", None, "application/json; charset=latin-1",
                 "application/merge-patch+json", "application/jsonx"]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
async def test_a_body_that_is_not_json_is_415_and_writes_nothing(
        client: httpx.AsyncClient, people: People, database: Database,
        content_type: str | None) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    before = await written(database)
    headers = dict(hr.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = await client.post("/api/v1/workers", content=httpx.Request(
        "POST", "/", json=worker_body()).content, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert response.headers["accept-post"] == "application/json"
    assert await written(database) == before


@pytest.mark.parametrize("content_type", ["text/plain", None])
async def test_login_takes_json_only(client: httpx.AsyncClient, content_type: str | None
                                     ) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post("/api/v1/auth/login", headers=headers,
                                 content=b'{"username": "nobody", "password": "x"}')
    assert response.status_code == 415 and response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON; charset=UTF-8",
                                          "application/merge-patch+json"])
async def test_a_patch_may_be_a_json_merge_patch(client: httpx.AsyncClient, people: People,
                                                 content_type: str) -> None:
    admin = await people.make("admin")
    target = await people.make("dispatcher", unit="POST-51")
    response = await client.patch(f"/api/v1/users/{target.id}", content=b'{"state": "disabled"}',
                                  headers={**admin.headers, "Content-Type": content_type})
    assert response.status_code == 200, response.text
    refused = await client.patch(f"/api/v1/users/{target.id}", content=b'{"state": "active"}',
                                 headers={**admin.headers, "Content-Type": "text/plain"})
    assert refused.status_code == 415
    assert refused.headers["accept-patch"] == "application/json, application/merge-patch+json"


async def test_a_post_without_a_body_needs_no_content_type(client: httpx.AsyncClient,
                                                           people: People) -> None:
    dispatcher = await people.make("dispatcher", unit="POST-51")
    response = await client.post("/api/v1/auth/logout", headers=dispatcher.headers)
    assert response.status_code == 204, response.text
