"""Drives `authz_matrix.MATRIX`: every role × every endpoint × own/other, and no token.

Each case gets a fresh caller and a fresh target, so rows may change state. A 403 must
be problem+json and leave an `access.denied` audit entry naming the caller; an allowed
call must leave none.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select

from tests.conftest import People, Person, unique
from tests.security.authz_matrix import (
    BODIES,
    CALLERS,
    HOME_PROVINCE,
    MATRIX,
    OTHER_PROVINCE,
    PENDING_PREFIXES,
    ROLES,
    SCOPES,
    TARGETS,
    Call,
    Rule,
)
from vetting.db import Database
from vetting.models import AuditEntry

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_ANY_PARAM = re.compile(r"\{[^}]*\}")


def _scopes(rule: Rule) -> tuple[str, ...]:
    """Without a target or a body, "own" and "other" are the same request: run it once."""
    return SCOPES if _PLACEHOLDER.search(rule.path) or rule.body else SCOPES[:1]


CASES = [pytest.param(rule, role, scope, id=f"{rule.id}|{role}|{scope}")
         for rule in MATRIX for role in ROLES for scope in _scopes(rule)]


def _template(path: str) -> str:
    """A route path without its query, parameters as `{}`: `/users/{user_id:str}` ~ `{user_id}`."""
    return _ANY_PARAM.sub("{}", path.split("?")[0])


async def _target(kind: str, province: str, people: People) -> str:
    """A fresh object of `kind` in `province`; returns its id."""
    if kind == "user_account":
        return (await people.make("post_hr", unit=f"POST-{province}")).id
    raise AssertionError(f"no factory for target kind {kind!r}: add one here")


async def _request(client: httpx.AsyncClient, people: People, rule: Rule, caller: Person | None,
                   province: str) -> httpx.Response:
    path = rule.path
    for name in _PLACEHOLDER.findall(rule.path):
        assert name in TARGETS, f"{rule.id}: placeholder {name} has no target kind"
        path = path.replace(f"{{{name}}}", await _target(TARGETS[name], province, people))
    kwargs: dict[str, Any] = {}
    if rule.body is not None:
        call = Call(caller_username=caller.username if caller else "nobody",
                    caller_password=caller.password if caller else "nothing",
                    province=province, unique=unique("m").lower())
        kwargs["json"] = BODIES[rule.body](call)
    if caller is not None:
        kwargs["headers"] = caller.headers
    return await client.request(rule.method, path, **kwargs)


async def _denials(database: Database, actor_id: str) -> list[AuditEntry]:
    async with database.transaction(read_only=True) as session:
        rows = await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "access.denied", AuditEntry.actor_id == actor_id))
        return list(rows.all())


@pytest.fixture(autouse=True, scope="module")
async def _audit_log_not_empty(client: httpx.AsyncClient) -> None:
    """Inclusion proofs need one leaf: a failed login is always audited."""
    await client.post("/api/v1/auth/login",
                      json={"username": "matrix-nobody", "password": "not a password"})


def test_matrix_is_complete() -> None:
    for rule in MATRIX:
        assert set(rule.expect) == set(ROLES), rule.id
        for role, answers in rule.expect.items():
            assert set(answers) == set(SCOPES), (rule.id, role)
        assert rule.body is None or rule.body in BODIES, rule.id
    assert len({rule.id for rule in MATRIX}) == len(MATRIX), "duplicate rows"


def test_matrix_covers_every_route(app: Litestar) -> None:
    """Every protected route has at least one row, and every row names a real route."""
    routes: set[tuple[str, str]] = set()
    for route in app.routes:
        if route.path.startswith("/schema"):
            continue
        for handler in route.route_handlers:
            if handler.opt.get("public") is True:
                continue
            for method in getattr(handler, "http_methods", ()):
                if method != "OPTIONS":
                    routes.add((method, _template(route.path)))
    rows = {(rule.method, _template(rule.path)) for rule in MATRIX}
    pending = {r for r in routes - rows if r[1].startswith(PENDING_PREFIXES)}
    if pending:
        warnings.warn(f"{len(pending)} routes under PENDING_PREFIXES have no authz matrix "
                      f"rows yet: {sorted(pending)}", stacklevel=1)
    assert routes - rows - pending == set(), "protected routes missing from authz_matrix.MATRIX"
    assert rows - routes == set(), "matrix rows for routes that do not exist"


@pytest.mark.parametrize(("rule", "role", "scope"), CASES)
async def test_role_gets_the_expected_status(client: httpx.AsyncClient, people: People,
                                             database: Database, rule: Rule, role: str,
                                             scope: str) -> None:
    caller = await people.make(role, **CALLERS[role])
    province = HOME_PROVINCE if scope == "own" else OTHER_PROVINCE
    response = await _request(client, people, rule, caller, province)
    expected = rule.expect[role][scope]
    assert response.status_code == expected, f"{rule.id} as {role} ({scope}): {response.text}"
    denials = await _denials(database, caller.id)
    if expected == 403:
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["status"] == 403 and body["code"] == "FORBIDDEN"
        assert len(denials) == 1, "a denied access must be audited once"
        entry = denials[0]
        assert entry.outcome == "denied" and entry.actor_role == role
        detail = json.loads(entry.body)
        assert detail["method"] == rule.method and detail["code"] == "FORBIDDEN"
    else:
        assert denials == [], "an allowed call must not be audited as denied"
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.xfail(strict=True, reason=(
    "product bug: api/auth/guards.py authorize() records the handler's own path "
    "(sorted(handler.paths)[0], e.g. '/{user_id:str}' or '/') as the access.denied "
    "'route' instead of the full route; use connection.scope['path_template']"))
async def test_denied_access_audit_names_the_full_route(client: httpx.AsyncClient,
                                                        people: People,
                                                        database: Database) -> None:
    caller = await people.make("post_hr", unit=f"POST-{HOME_PROVINCE}")
    response = await client.get(f"/api/v1/users/{caller.id}", headers=caller.headers)
    assert response.status_code == 403
    [entry] = await _denials(database, caller.id)
    assert _template(json.loads(entry.body)["route"]) == "/api/v1/users/{}"


@pytest.mark.parametrize("rule", [pytest.param(rule, id=rule.id) for rule in MATRIX])
async def test_no_token(client: httpx.AsyncClient, people: People, rule: Rule) -> None:
    response = await _request(client, people, rule, None, HOME_PROVINCE)
    assert response.status_code == rule.no_token, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].lower().startswith("bearer")
