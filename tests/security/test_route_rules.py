"""Deny by default: every route names an access rule (security.md #10; API5:2023).

The test walks the application's own route table, so a route added later without
`opt={"action": ...}` (an action the policy table knows) or `opt={"public": True}`
fails here. The public routes are listed below; adding one is a reviewed change to
this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
from litestar import Litestar, get
from litestar.handlers.http_handlers import HTTPRouteHandler
from sqlalchemy import func, select

from api.app import create_app
from api.auth.access import PAGE_OPT
from policies.access import ACCESS
from tests.conftest import People, served
from vetting.db import Database
from vetting.models import AuditEntry
from vetting.settings import Settings

#: Every route that may be served without a token: (method, path with `{}` for parameters).
PUBLIC_ROUTES = frozenset({
    ("GET", "/"),
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/.well-known/jwks.json"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    # the pages' own: signing in, the language switch, the style sheet and images
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/language"),
    ("GET", "/static/{}"),
    ("HEAD", "/static/{}"),
    ("POST", "/api/v1/attestations/verify"),  # the contract: public, rate-limited
})
#: Public by the contract, but not built yet: allowed public, required public once they exist.
PLANNED_PUBLIC_ROUTES = frozenset({
    ("GET", "/api/v1/status-lists/{}"),
    ("GET", "/api/v1/status-lists/revocation"),
    ("GET", "/api/v1/status-lists/suspension"),
})
#: The OpenAPI document and its viewers are served by Litestar outside the access rules.
IGNORED_PREFIX = "/schema"
_PARAM = re.compile(r"\{[^}]*\}")


def _normalise(path: str) -> str:
    return _PARAM.sub("{}", path)


def _handlers(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    """(method, normalised path, handler) for every served method, OpenAPI routes aside.

    Litestar adds an `OPTIONS` handler to every path by itself; it is checked by its
    own test below, not here.
    """
    for route in app.routes:
        if route.path.startswith(IGNORED_PREFIX):
            continue
        for handler in route.route_handlers:
            assert isinstance(handler, HTTPRouteHandler), f"non-HTTP route {route.path}"
            for method in sorted(handler.http_methods):
                if method == "OPTIONS" and handler.handler_name == "options_handler":
                    continue
                yield method, _normalise(route.path), handler


def _example_path(path: str) -> str:
    return path.replace("{}", "x0")


def test_every_route_names_a_known_access_rule(app: Litestar) -> None:
    missing: list[str] = []
    for method, path, handler in _handlers(app):
        if handler.opt.get("public") is True:
            if "action" in handler.opt:
                missing.append(f"{method} {path}: both public and action")
            continue
        action = handler.opt.get("action")
        if not isinstance(action, str) or action not in ACCESS:
            missing.append(f"{method} {path}: action {action!r} is not in policies.access")
        elif not ACCESS[action]:
            missing.append(f"{method} {path}: action {action!r} is granted to no role")
    assert not missing, "routes without an explicit access rule:\n" + "\n".join(missing)


def test_public_routes_are_exactly_the_listed_ones(app: Litestar) -> None:
    public = {(method, path) for method, path, handler in _handlers(app)
              if handler.opt.get("public") is True}
    every = {(method, path) for method, path, _ in _handlers(app)}
    assert public - PUBLIC_ROUTES - PLANNED_PUBLIC_ROUTES == set(), "unexpected public routes"
    assert PUBLIC_ROUTES - public == set(), "routes that must be public are not"
    planned_present = PLANNED_PUBLIC_ROUTES & every
    assert planned_present <= public, "the contract makes the status lists public"


async def test_a_route_without_a_rule_is_refused_even_to_an_admin(
        settings: Settings, database: Database, people: People) -> None:
    """Deny by default is enforced where every request passes (the bearer middleware), not by
    each route remembering to: a route added without a rule answers 403 and is audited."""
    @get("/api/v1/unruled", sync_to_thread=False)
    def unruled() -> dict[str, str]:
        return {"leak": "yes"}

    application = create_app(settings, database)
    application.register(unruled)
    admin = await people.make("admin")
    before = await _audit_size(database)
    async with served(application) as client:
        response = await client.get("/api/v1/unruled", headers=admin.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    assert "leak" not in response.text
    assert await _audit_size(database) == before + 1


async def test_every_protected_route_needs_a_token(app: Litestar,
                                                   client: httpx.AsyncClient) -> None:
    """Without a token, each protected route answers 401 before it looks at its input (pages
    answer with the way to the login page instead: tests/pages/test_page_rules.py)."""
    wrong: list[str] = []
    for method, path, handler in _handlers(app):
        if handler.opt.get("public") is True or handler.opt.get(PAGE_OPT):
            continue
        response = await client.request(method, _example_path(path), json={})
        if response.status_code != 401 or response.json().get("code") != "TOKEN_REQUIRED":
            wrong.append(f"{method} {path}: {response.status_code} {response.text[:80]}")
    assert not wrong, "\n".join(wrong)


async def test_public_routes_answer_without_a_token(app: Litestar,
                                                    client: httpx.AsyncClient) -> None:
    for method, path, handler in _handlers(app):
        if handler.opt.get("public") is not True:
            continue
        response = await client.request(method, _example_path(path),
                                        **({"json": {}} if method != "GET" else {}))
        json_body = "json" in response.headers.get("content-type", "") and method != "HEAD"
        body: Any = response.json() if json_body else {}
        assert response.status_code != 401 or body.get("code") != "TOKEN_REQUIRED", path
        assert response.status_code < 500, f"{method} {path}: {response.text}"


async def _audit_size(database: Database) -> int:
    async with database.transaction(read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def test_options_requests_open_nothing(app: Litestar,
                                                            client: httpx.AsyncClient) -> None:
    """Litestar's automatic OPTIONS handlers carry no rule; they must not open anything."""
    for route in app.routes:
        if route.path.startswith(IGNORED_PREFIX):
            continue
        response = await client.options(_example_path(_normalise(route.path)))
        assert response.status_code in (204, 401, 403, 405), (route.path, response.text)
        assert "items" not in response.text


async def test_unauthenticated_options_does_not_write_the_audit_log(
        client: httpx.AsyncClient, database: Database) -> None:
    before = await _audit_size(database)
    for _ in range(3):
        await client.options("/api/v1/users")
    assert await _audit_size(database) == before
