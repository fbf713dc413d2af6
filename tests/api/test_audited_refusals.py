"""Audited refusals: the refusal's audit entry commits with the request, the answer comes from
`api/problems.py` alone, and any other error still rolls the whole request back."""

from __future__ import annotations

import ast
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from litestar import Litestar, post
from litestar.params import FromPath, FromQuery
from sqlalchemy import select

from api.i18n import message
from api.plugin import CorePlugin
from api.state import ActingContext, Transaction
from crypto import totp
from tests.api.test_eligibility import Desk
from tests.conftest import People, served, unique
from tests.security.test_login import secret_of, wrong_code
from vetting.audit.entries import append
from vetting.db import Database
from vetting.errors import Conflict, DomainError
from vetting.models import AuditEntry
from vetting.principal import SYSTEM, Context
from vetting.settings import Settings

PROBLEM_KEYS = {"type", "title", "status", "code", "detail"}


async def entries_of(database: Database, response: httpx.Response) -> list[AuditEntry]:
    async with database.transaction(read_only=True) as session:
        return list((await session.scalars(select(AuditEntry).where(
            AuditEntry.request_id == response.headers["x-request-id"]).order_by(
            AuditEntry.seq))).all())


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["status"] == status and body["code"] == code
    return body


async def test_a_refused_assignment_answers_409_and_its_audit_entry_stays(
        desk: Desk, database: Database) -> None:
    route_id, bare = await desk.route(), await desk.worker(trained=False)
    start = datetime.now(UTC) + timedelta(hours=1)
    refused = await desk.assign(bare, route_id, start, start + timedelta(days=7))
    body = assert_problem(refused, 409, "NOT_ELIGIBLE")
    assert set(body) == PROBLEM_KEYS | {"eligible", "reasons"}
    assert body["eligible"] is False
    assert body["detail"] == message("vi", "NOT_ELIGIBLE")
    assert body["reasons"] == [{"code": code, "message": message("vi", code)} for code in (
        "NO_CLEARANCE", "TRAINING_MISSING")]
    english = await desk.client.post("/api/v1/assignments", json={
        "worker_id": bare, "route_id": route_id, "starts_at": start.isoformat()},
        headers={**desk.p["dispatcher"].headers, "Accept-Language": "en"})
    assert english.json()["reasons"][0] == {"code": "NO_CLEARANCE",
                                           "message": message("en", "NO_CLEARANCE")}
    [entry] = await entries_of(database, refused)
    assert (entry.action, entry.outcome, entry.object_id) == ("assignment.refuse", "denied", bare)
    assert entry.actor_id == desk.p["dispatcher"].id
    assert json.loads(entry.body) == {"route": route_id,
                                      "reasons": ["NO_CLEARANCE", "TRAINING_MISSING"]}


async def test_a_refused_deletion_answers_409_and_its_audit_entry_stays(
        desk: Desk, database: Database) -> None:
    worker_id = await desk.worker()
    refused = await desk.client.delete(f"/api/v1/workers/{worker_id}",
                                       headers={**desk.p["hr"].headers, "Accept-Language": "en"})
    body = assert_problem(refused, 409, "RETENTION_PERIOD")
    assert set(body) == PROBLEM_KEYS | {"keep_until"}
    assert body["detail"] == message("en", "RETENTION_PERIOD", {"keep_until": body["keep_until"]})
    [entry] = await entries_of(database, refused)
    assert (entry.action, entry.outcome, entry.object_id) == (
        "worker.delete_refused", "denied", worker_id)
    assert json.loads(entry.body) == {"keep_until": body["keep_until"]}


async def test_refused_sign_ins_answer_alike_and_their_audit_entries_stay(
        client: httpx.AsyncClient, people: People, database: Database) -> None:
    person = await people.make("post_hr", unit="POST-51")
    failed = await client.post("/api/v1/auth/login", json={"username": person.username,
                                                           "password": "not the password"})
    body = assert_problem(failed, 401, "INVALID_CREDENTIALS")
    assert set(body) == PROBLEM_KEYS and failed.headers["www-authenticate"].startswith("Bearer")
    [entry] = await entries_of(database, failed)
    assert (entry.action, entry.outcome, entry.object_id) == ("auth.login", "failure", person.id)

    stale = await client.post("/api/v1/auth/refresh", json={"refresh_token": unique("nope-")})
    assert set(assert_problem(stale, 401, "INVALID_REFRESH_TOKEN")) == PROBLEM_KEYS
    [entry] = await entries_of(database, stale)
    assert (entry.action, entry.outcome) == ("auth.refresh", "failure")

    enrol = await client.post("/api/v1/auth/mfa/enrol", headers=person.headers)
    secret = secret_of(enrol.json()["otpauth_uri"])
    wrong = await client.post("/api/v1/auth/mfa/confirm", headers=person.headers,
                              json={"otp": wrong_code(secret)})
    body = assert_problem(wrong, 422, "INVALID_OTP")
    assert body["invalid_params"] == [{"name": "otp", "in": "body", "rule": "INVALID_OTP",
                                       "reason": message("vi", "INVALID_OTP")}]
    [entry] = await entries_of(database, wrong)
    assert (entry.action, entry.outcome, entry.object_id) == (
        "auth.mfa_confirm", "failure", person.id)
    right = await client.post("/api/v1/auth/mfa/confirm", headers=person.headers,
                              json={"otp": totp.code_at(secret, time.time())})
    assert right.status_code == 200 and right.json() == {"mfa": "enrolled"}


async def _count(database: Database, action: str) -> int:
    async with database.transaction(read_only=True) as session:
        return len((await session.scalars(select(AuditEntry.seq).where(
            AuditEntry.action == action))).all())


@pytest.mark.parametrize(("error", "kept"), [
    (Conflict("refused and recorded", code="RETENTION_PERIOD", audited=True), 1),
    (Conflict("refused, recorded nowhere"), 0),
    (RuntimeError("a bug"), 0),
], ids=["audited", "domain-error", "other-error"])
async def test_only_an_audited_refusal_commits_what_its_transaction_holds(
        database: Database, error: Exception, kept: int) -> None:
    action = unique("test.refusal-")
    with pytest.raises(type(error)) as raised:
        async with database.transaction() as session:
            await append(session, Context(actor=SYSTEM), action=action, outcome="denied")
            raise error
    assert raised.value is error  # the same error travels on, to be answered by api/problems
    assert await _count(database, action) == kept


@post("/test/refusal/{action:str}", opt={"public": True}, status_code=200)
async def _refusing(action: FromPath[str], audited: FromQuery[bool], db: Transaction,
                    ctx: ActingContext) -> None:
    """Records an entry as a refusal would, then refuses (audited or not)."""
    await append(db, ctx, action=action, outcome="denied")
    raise Conflict("refused", code="RETENTION_PERIOD", audited=audited, keep_until="2030-01-01")


@pytest.mark.parametrize("audited", [True, False], ids=["audited", "not-audited"])
async def test_the_request_commits_an_audited_refusal_and_rolls_back_any_other(
        settings: Settings, database: Database, audited: bool) -> None:
    application = Litestar(route_handlers=[_refusing],
                           plugins=[CorePlugin(settings, database)])
    action = unique("test.refusal-")
    async with served(application) as client:
        response = await client.post(f"/test/refusal/{action}",
                                     params={"audited": str(audited).lower()})
    body = assert_problem(response, 409, "RETENTION_PERIOD")
    assert body == {"type": "about:blank", "title": "Conflict", "status": 409,
                    "code": "RETENTION_PERIOD", "keep_until": "2030-01-01",
                    "detail": message("vi", "RETENTION_PERIOD", {"keep_until": "2030-01-01"})}
    assert await _count(database, action) == (1 if audited else 0)


def _domain_error_names() -> set[str]:
    import vetting.errors
    import vetting.routes.assignments

    return {name for module in (vetting.errors, vetting.routes.assignments)
            for name, value in vars(module).items()
            if isinstance(value, type) and issubclass(value, DomainError)}


def test_no_handler_turns_a_domain_error_into_an_answer_itself() -> None:
    """`api/problems.py` is the one place a domain error becomes HTTP (the CLI prints them;
    a page shows a refusal beside its form, in the same words, through `api.pages.forms`)."""
    names = _domain_error_names()
    root = Path(__file__).resolve().parents[2] / "api"
    offenders = []
    for path in root.rglob("*.py"):
        if path.name in ("problems.py", "cli.py") or "pages" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = {n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "")
                          for n in ast.walk(node.type)}
                if caught & names:
                    offenders.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert offenders == []
