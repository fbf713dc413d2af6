"""Drives `authz_matrix.MATRIX`: every role × every endpoint × own/other, and no token.

Each case gets a fresh caller and a fresh target, so rows may change state. A 403 must
be problem+json and leave an `access.denied` audit entry naming the caller; an allowed
call must leave none. Targets are built through the API by `Builder` (see `BUILDERS`,
keyed by the target kinds of `authz_matrix.TARGETS` and `BODY_TARGETS`).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select

from api.auth.access import PAGE_OPT
from tests.conftest import People, Person, unique
from tests.factories import days_ago, worker_body
from tests.security.authz_matrix import (
    BODIES,
    BODY_TARGETS,
    CALLER_TARGETS,
    CALLERS,
    HOME_PROVINCE,
    MATRIX,
    OTHER_PROVINCE,
    PENDING_PREFIXES,
    RELATED_TARGETS,
    ROLES,
    SCOPES,
    SHARED_KINDS,
    TARGETS,
    Call,
    Rule,
    Upload,
)
from vetting.db import Database
from vetting.models import Attestation, AuditEntry, Notification, OutboxEvent, WebhookDelivery
from vetting.models.base import new_id

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


class Builder:
    """Builds fresh targets through the API, acting as helper staff of the target's province
    (created once per backend, never the caller): HR and a dispatcher of POST-<p>, an officer
    and a lead of POLICE-<p>. Each builder asserts every step, so a broken set-up fails
    loudly. `related` keeps, per built id, the related ids of `RELATED_TARGETS`."""

    def __init__(self, client: httpx.AsyncClient, people: People) -> None:
        self.client, self.people = client, people
        self._staff: dict[tuple[str, str], Person] = {}
        self._shared: dict[tuple[str, str], str] = {}
        self.related: dict[str, dict[str, str]] = {}

    async def staff(self, role: str, province: str) -> Person:
        if (role, province) not in self._staff:
            kind = "POLICE" if role.startswith("police") else "POST"
            self._staff[role, province] = await self.people.make(role,
                                                                 unit=f"{kind}-{province}")
        return self._staff[role, province]

    async def call(self, role: str, province: str, method: str, path: str, expect: int,
                   json_body: dict[str, Any] | None = None) -> dict[str, Any]:
        actor = await self.staff(role, province)
        response = await self.client.request(method, path, json=json_body,
                                             headers=actor.headers)
        assert response.status_code == expect, f"target set-up {method} {path}: {response.text}"
        result: dict[str, Any] = response.json()
        return result

    # workers and requests, one step further each
    async def worker(self, p: str) -> str:
        worker = await self.call("post_hr", p, "POST", "/api/v1/workers", 201,
                                 worker_body(f"POST-{p}"))
        return str(worker["id"])

    async def worker_employee_no(self, p: str) -> str:
        worker = await self.call("post_hr", p, "POST", "/api/v1/workers", 201,
                                 worker_body(f"POST-{p}"))
        return str(worker["employee_no"])

    async def submitted(self, p: str) -> dict[str, Any]:
        """A `submitted` request of a fresh worker, routed to POLICE-<p> (workplace rule)."""
        request = await self.call("post_hr", p, "POST", "/api/v1/vetting-requests", 201,
                                  {"worker_id": await self.worker(p), "reason": "KT1 giao nhận"})
        assert request["police_unit"] == f"POLICE-{p}", request
        return request

    async def in_review(self, p: str) -> dict[str, Any]:
        request = await self.submitted(p)
        return await self.call("police_officer", p, "POST",
                               f"/api/v1/vetting-requests/{request['id']}/claim", 200)

    async def needs_info(self, p: str) -> dict[str, Any]:
        request = await self.in_review(p)
        return await self.call("police_officer", p, "POST",
                               f"/api/v1/vetting-requests/{request['id']}/return", 200,
                               {"note": "Bổ sung nơi ở hiện tại"})

    async def awaiting_approval(self, p: str) -> dict[str, Any]:
        request = await self.in_review(p)
        return await self.call("police_officer", p, "POST",
                               f"/api/v1/vetting-requests/{request['id']}/propose", 200,
                               {"outcome": "meets_standard", "note": "Đạt"})

    async def cleared(self, p: str) -> dict[str, Any]:
        """The request approved by the helper lead: its worker holds an active clearance."""
        request = await self.awaiting_approval(p)
        decided = await self.call("police_lead", p, "POST",
                                  f"/api/v1/vetting-requests/{request['id']}/approve", 200)
        assert decided["state"] == "cleared", decided
        return decided

    async def suspended(self, p: str) -> str:
        worker_id = (await self.cleared(p))["worker_id"]
        await self.call("police_lead", p, "POST",
                        f"/api/v1/workers/{worker_id}/clearance/suspend", 200,
                        {"reason": "sự cố"})
        return str(worker_id)

    async def attestation(self, p: str) -> dict[str, Any]:
        """The attestation of a fresh approval (`id`, `jws`), read from the database to save
        the calls that would find it."""
        request_id = (await self.cleared(p))["id"]
        async with self.people.database.transaction(read_only=True) as session:
            found = (await session.execute(select(Attestation.id, Attestation.jws).where(
                Attestation.request_id == request_id))).one()
        return {"id": found.id, "jws": found.jws}

    async def user_account(self, p: str) -> str:
        return (await self.people.make("post_hr", unit=f"POST-{p}")).id

    # routes, eligibility, assignments
    async def route(self, p: str) -> str:
        route = await self.call("dispatcher", p, "POST", "/api/v1/routes", 201, {
            "code": unique("MR-"), "name": "Tuyến KT1 nội tỉnh", "province": p,
            "stage": "transport", "service_classes": ["standard"], "max_secrecy": "A"})
        return str(route["id"])

    async def eligible_worker(self, p: str) -> str:
        """Cleared by POLICE-<p>, trained and committed: eligible for any route of <p>."""
        worker_id = str((await self.cleared(p))["worker_id"])
        for kind in ("postal_operations", "kt1_security"):
            await self.call("post_hr", p, "POST", f"/api/v1/workers/{worker_id}/trainings", 201,
                            {"kind": kind, "completed_on": days_ago(30)})
        await self.call("post_hr", p, "POST", f"/api/v1/workers/{worker_id}/commitments", 201,
                        {"signed_on": days_ago(29), "document_sha256": "c" * 64})
        return worker_id

    async def assignment(self, p: str) -> str:
        """A current assignment (by the helper dispatcher) on a fresh route of <p>."""
        starts = datetime.now(UTC)  # after the clearance: running by the time it is judged
        assignment = await self.call("dispatcher", p, "POST", "/api/v1/assignments", 201, {
            "worker_id": await self.build("eligible_worker", p),
            "route_id": await self.route(p), "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(days=7)).isoformat()})
        return str(assignment["id"])

    # incidents and notifications
    async def _incident(self, p: str, kind: str, worker_id: str) -> dict[str, Any]:
        return await self.call("post_hr", p, "POST", "/api/v1/incidents", 201, {
            "kind": kind, "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "description": "Sự cố trên tuyến KT1", "worker_ids": [worker_id]})

    async def incident(self, p: str) -> str:
        return str((await self._incident(p, "delay", await self.worker(p)))["id"])

    async def suspending_incident(self, p: str) -> str:
        worker_id = str((await self.cleared(p))["worker_id"])
        incident = await self._incident(p, "loss", worker_id)
        assert incident["workers"] == [{"worker_id": worker_id, "suspended": True,
                                        "resolution": None}], incident
        self.related[str(incident["id"])] = {"worker_id": worker_id}
        return str(incident["id"])

    async def notification(self, p: str) -> str:
        """The notice a fresh submission gave the helper officer of POLICE-<p>."""
        request = await self.submitted(p)
        inbox = await self.call("police_officer", p, "GET", "/api/v1/notifications?limit=1",
                                200)
        [latest] = inbox["items"]
        assert latest["object_id"] == request["id"], latest
        return str(latest["id"])

    async def caller_notification(self, owner: Person) -> str:
        """A notification delivered to `owner`, written straight to the outbox tables: no
        event reaches every role (admins are never notified), so this is the one way to
        give each caller one."""
        async with self.people.database.transaction() as session:
            event = OutboxEvent(kind="incident.reported", object_type="incident",
                                object_id=new_id(), payload="{}")
            session.add(event)
            await session.flush()
            notification = Notification(user_id=owner.id, event_id=event.id)
            session.add(notification)
            await session.flush()
            return notification.id

    async def province(self, p: str) -> str:
        return p

    # webhooks (national objects: `p` only scopes what a subscription receives)
    async def _admin(self) -> Person:
        if ("admin", "") not in self._staff:
            self._staff["admin", ""] = await self.people.make("admin")
        return self._staff["admin", ""]

    async def webhook_subscription(self, p: str) -> str:
        admin = await self._admin()
        response = await self.client.post("/api/v1/webhooks/subscriptions", headers=admin.headers,
                                          json={"url": f"http://127.0.0.1:9/{unique('h')}",
                                                "event_types": ["request.routed"],
                                                "province": p})
        assert response.status_code == 201, f"target set-up: {response.text}"
        return str(response.json()["id"])

    async def disabled_webhook_subscription(self, p: str) -> str:
        subscription_id = await self.webhook_subscription(p)
        admin = await self._admin()
        response = await self.client.post(
            f"/api/v1/webhooks/subscriptions/{subscription_id}/disable", headers=admin.headers)
        assert response.status_code == 200, f"target set-up: {response.text}"
        return subscription_id

    async def _webhook_delivery(self, p: str, state: str) -> str:
        """A delivery of a fresh event to a fresh subscription, written to the tables."""
        subscription_id = await self.webhook_subscription(p)
        async with self.people.database.transaction() as session:
            event = OutboxEvent(kind="request.routed", object_type="vetting_request",
                                object_id=new_id(), payload="{}", relayed_at=datetime.now(UTC))
            session.add(event)
            await session.flush()
            delivery = WebhookDelivery(id=new_id(), subscription_id=subscription_id,
                                       event_id=event.id, state=state, attempts=1,
                                       total_attempts=1)
            session.add(delivery)
            await session.flush()
            return delivery.id

    async def webhook_delivery(self, p: str) -> str:
        return await self._webhook_delivery(p, "delivered")

    async def parked_webhook_delivery(self, p: str) -> str:
        return await self._webhook_delivery(p, "parked")

    async def build(self, kind: str, p: str, caller: Person | None = None) -> str:
        """A target of `kind` (a `TARGETS` or `BODY_TARGETS` kind) in province `p`: fresh,
        or the one built before for a `SHARED_KINDS` kind; a `CALLER_TARGETS` kind belongs
        to the caller (without one, to helper HR of `p`)."""
        if kind in CALLER_TARGETS:
            return await self.caller_notification(caller or await self.staff("post_hr", p))
        assert kind in BUILDERS, f"no builder for target kind {kind!r}: add one to BUILDERS"
        if kind in SHARED_KINDS:
            if (kind, p) not in self._shared:
                self._shared[kind, p] = str(await BUILDERS[kind](self, p))
            return self._shared[kind, p]
        built = str(await BUILDERS[kind](self, p))
        for name in RELATED_TARGETS.get(kind, ()):
            assert name in self.related.get(built, {}), f"{kind} did not record {name}"
        return built


async def _pick(made: Awaitable[dict[str, Any]], name: str) -> str:
    return str((await made)[name])


#: Target kind -> its builder: (builder, province) -> the id to put in the path or body.
BUILDERS: dict[str, Callable[[Builder, str], Awaitable[str]]] = {
    "user_account": Builder.user_account,
    "worker": Builder.worker,
    "worker_employee_no": Builder.worker_employee_no,
    "nominated_worker": lambda b, p: _pick(b.submitted(p), "worker_id"),
    "cleared_worker": lambda b, p: _pick(b.cleared(p), "worker_id"),
    "suspended_worker": Builder.suspended,
    "submitted_request": lambda b, p: _pick(b.submitted(p), "id"),
    "in_review_request": lambda b, p: _pick(b.in_review(p), "id"),
    "needs_info_request": lambda b, p: _pick(b.needs_info(p), "id"),
    "awaiting_approval_request": lambda b, p: _pick(b.awaiting_approval(p), "id"),
    "attestation": lambda b, p: _pick(b.attestation(p), "id"),
    "attestation_jws": lambda b, p: _pick(b.attestation(p), "jws"),
    "route": Builder.route,
    "eligible_worker": Builder.eligible_worker,
    "assignment": Builder.assignment,
    "incident": Builder.incident,
    "suspending_incident": Builder.suspending_incident,
    "notification": Builder.notification,
    "province": Builder.province,
    "webhook_subscription": Builder.webhook_subscription,
    "disabled_webhook_subscription": Builder.disabled_webhook_subscription,
    "webhook_delivery": Builder.webhook_delivery,
    "parked_webhook_delivery": Builder.parked_webhook_delivery,
}


@pytest.fixture(scope="module")
def builder(client: httpx.AsyncClient, people: People) -> Builder:
    return Builder(client, people)


async def _request(client: httpx.AsyncClient, builder: Builder, rule: Rule,
                   caller: Person | None, province: str) -> httpx.Response:
    path = rule.path
    related: dict[str, str] = {}
    for name in _PLACEHOLDER.findall(rule.path):
        assert name in TARGETS, f"{rule.id}: placeholder {name} has no target kind"
        target = await builder.build(TARGETS[name], province, caller)
        related.update(builder.related.get(target, {}))
        path = path.replace(f"{{{name}}}", target)
    kwargs: dict[str, Any] = {}
    if rule.body is not None:
        targets = {**related, **{key: await builder.build(kind, province, caller)
                                 for key, kind in BODY_TARGETS.get(rule.body, {}).items()}}
        call = Call(caller_username=caller.username if caller else "nobody",
                    caller_password=caller.password if caller else "nothing",
                    province=province, unique=unique("m").lower(), targets=targets)
        body = BODIES[rule.body](call)
        if isinstance(body, Upload):
            kwargs["files"] = {"file": (body.filename, body.content, body.media_type)}
        else:
            kwargs["json"] = body
    kwargs["headers"] = {**(rule.headers or {}), **(caller.headers if caller else {})}
    return await client.request(rule.method, path, **kwargs)


async def _denials(database: Database, actor_id: str) -> list[AuditEntry]:
    async with database.transaction(read_only=True) as session:
        rows = await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "access.denied", AuditEntry.actor_id == actor_id))
        return list(rows.all())


@pytest.fixture(autouse=True, scope="module")
async def _audit_log_not_empty(client: httpx.AsyncClient) -> None:
    """Inclusion proofs need one leaf: a failed login is always audited."""
    failed = await client.post("/api/v1/auth/login",
                               json={"username": "matrix-nobody", "password": "not a password"})
    assert failed.status_code == 401


def test_matrix_is_complete() -> None:
    for rule in MATRIX:
        assert set(rule.expect) == set(ROLES), rule.id
        for role, answers in rule.expect.items():
            assert set(answers) == set(SCOPES), (rule.id, role)
        assert rule.body is None or rule.body in BODIES, rule.id
        for name in _PLACEHOLDER.findall(rule.path):
            assert name in TARGETS, (rule.id, name)
    assert len({rule.id for rule in MATRIX}) == len(MATRIX), "duplicate rows"
    assert set(BODY_TARGETS) <= set(BODIES)
    kinds = {*TARGETS.values(), *(k for f in BODY_TARGETS.values() for k in f.values())}
    buildable = set(BUILDERS) | CALLER_TARGETS
    assert kinds <= buildable, f"target kinds without a builder: {kinds - buildable}"
    assert set(RELATED_TARGETS) <= set(TARGETS.values())


def test_matrix_covers_every_route(app: Litestar) -> None:
    """Every protected route has at least one row, and every row names a real route (public
    routes may have rows; they are not required to). Pages take no bearer token: their
    matrix is drawn from the same access table in tests/pages/test_page_rules.py."""
    routes: set[tuple[str, str]] = set()
    public: set[tuple[str, str]] = set()
    for route in app.routes:
        if route.path.startswith("/schema"):
            continue
        for handler in route.route_handlers:
            if handler.opt.get(PAGE_OPT):
                continue
            for method in getattr(handler, "http_methods", ()):
                if method != "OPTIONS":
                    (public if handler.opt.get("public") is True else routes).add(
                        (method, _template(route.path)))
    rows = {(rule.method, _template(rule.path)) for rule in MATRIX}
    covered = {route for route in routes | public if any(_serves(route, row) for row in rows)}
    pending = {r for r in routes - covered if r[1].startswith(PENDING_PREFIXES)}
    if pending:
        warnings.warn(f"{len(pending)} routes under PENDING_PREFIXES have no authz matrix "
                      f"rows yet: {sorted(pending)}", stacklevel=1)
    assert routes - covered - pending == set(), \
        "protected routes missing from authz_matrix.MATRIX"
    orphans = {row for row in rows if not any(_serves(r, row) for r in routes | public)}
    assert orphans == set(), "matrix rows for routes that do not exist"


def _serves(route: tuple[str, str], row: tuple[str, str]) -> bool:
    """Whether the route (method, template) answers the row's request: a parameter of the
    route matches a parameter or a fixed value (`/status-lists/{}` ~ `/status-lists/revocation`)."""
    pattern = "[^/]+".join(re.escape(part) for part in route[1].split("{}"))
    return route[0] == row[0] and re.fullmatch(pattern, row[1]) is not None


@pytest.mark.parametrize(("rule", "role", "scope"), CASES)
async def test_role_gets_the_expected_status(client: httpx.AsyncClient, people: People,
                                             builder: Builder, database: Database, rule: Rule,
                                             role: str, scope: str) -> None:
    caller = await people.make(role, **CALLERS[role])
    province = HOME_PROVINCE if scope == "own" else OTHER_PROVINCE
    response = await _request(client, builder, rule, caller, province)
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


async def test_denied_access_audit_names_the_full_route(client: httpx.AsyncClient,
                                                        people: People,
                                                        database: Database) -> None:
    caller = await people.make("post_hr", unit=f"POST-{HOME_PROVINCE}")
    response = await client.get(f"/api/v1/users/{caller.id}", headers=caller.headers)
    assert response.status_code == 403
    [entry] = await _denials(database, caller.id)
    assert _template(json.loads(entry.body)["route"]) == "/api/v1/users/{}"


@pytest.mark.parametrize("rule", [pytest.param(rule, id=rule.id) for rule in MATRIX])
async def test_no_token(client: httpx.AsyncClient, builder: Builder, rule: Rule) -> None:
    response = await _request(client, builder, rule, None, HOME_PROVINCE)
    assert response.status_code == rule.no_token, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    if rule.no_token == 401:
        assert response.headers["www-authenticate"].lower().startswith("bearer")
