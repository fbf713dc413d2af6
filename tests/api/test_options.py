"""`OPTIONS` on every path lists exactly the methods the app answers there (api/allow.py):
Litestar's own answer named only the methods of a path's first registered handler."""

from __future__ import annotations

import re
from typing import Any

import httpx
from litestar.routes import HTTPRoute

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


async def test_options_lists_every_method_each_path_routes(app: Any,
                                                           client: httpx.AsyncClient) -> None:
    paths = sorted({route.path for route in app.routes if isinstance(route, HTTPRoute)})
    assert len(paths) > 40
    wrong = {}
    for path in paths:
        url = _concrete(path)
        # What is really routed: any answer but 405 (unauthenticated: mostly 401).
        routed = {m for m in METHODS if (await client.request(m, url)).status_code != 405}
        answer = await client.options(url)
        assert answer.status_code == 204, (path, answer.text)
        allowed = {m.strip() for m in answer.headers["allow"].split(",")}
        if allowed != routed:
            wrong[path] = (sorted(allowed), sorted(routed))
    assert not wrong, wrong


async def test_the_paths_the_fuzzer_named(client: httpx.AsyncClient) -> None:
    expected = {
        "/api/v1/routes": "GET, OPTIONS, POST", "/api/v1/incidents": "GET, OPTIONS, POST",
        "/api/v1/vetting-requests": "GET, OPTIONS, POST", "/api/v1/users": "GET, OPTIONS, POST",
        "/api/v1/users/u1": "GET, OPTIONS, PATCH", "/api/v1/routes/r1": "GET, OPTIONS, PATCH",
        "/api/v1/workers/w1": "DELETE, GET, OPTIONS, PATCH"}
    for path, allow in expected.items():
        assert (await client.options(path)).headers["allow"] == allow, path
