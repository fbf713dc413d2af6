"""The OpenAPI document is a true contract (api/contract.py), checked two ways: by reading it,
and by schemathesis driving every operation of a running app as five roles, with valid and
invalid data, against an empty id and against seeded records, on SQLite and PostgreSQL.

Budget: a fixed seed and EXAMPLES cases per operation, mode and role; each backend's run
takes well under a minute on an idle two-core machine.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi import checks

from api.app import create_app
from tests.api.test_eligibility import Desk
from tests.conftest import People, new_database_url, served, settings_for
from tests.factories import days_ago
from vetting.bootstrap import prepare
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.settings import Settings

EXAMPLES = 3
ROLES = ("admin", "post_hr", "police_lead", "dispatcher", "inspector")
CHECKS = [not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance,
          checks.negative_data_rejection]
#: Checks left out, each with the reason it would only report false positives.
EXCLUDED_CHECKS = {
    "positive_data_acceptance": "schema-valid data still meets business rules no schema can "
                                "state (a wrong current password, a worker of another unit): "
                                "the 4xx answers there are right",
}
#: Known false positives, by operation: each is left out with the reason.
EXCLUDED: dict[str, str] = {}
#: Run last: it ends the session every other case runs under.
LAST = "POST /api/v1/auth/logout"


@dataclass
class Target:
    """A running app of its own (schemathesis serves it on its own event loop), the tokens of
    the five roles and the ids of records seeded for the path parameters."""

    app: Any
    headers: dict[str, dict[str, str]]
    ids: dict[str, str]
    statuses: Counter[int] = field(default_factory=Counter)


async def _seed(settings: Settings) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    database = Database(settings.database_url)
    people = People(database, RegistryKeys.open(settings.keys_dir))
    try:
        async with served(create_app(settings, database)) as client:
            desk = Desk(client, {
                "hr": await people.make("post_hr", unit="POST-51"),
                "officer": await people.make("police_officer", unit="POLICE-51"),
                "lead": await people.make("police_lead", unit="POLICE-51"),
                "dispatcher": await people.make("dispatcher", unit="POST-51")})
            cast = {"admin": await people.make("admin"), "post_hr": desk.p["hr"],
                    "police_lead": desk.p["lead"], "dispatcher": desk.p["dispatcher"],
                    "inspector": await people.make("inspector")}
            ids = await _records(desk, client)
            ids["user_id"] = (await people.make("dispatcher", unit="POST-12")).id
    finally:
        await database.dispose()
    return {role: person.headers for role, person in cast.items()}, ids


async def _records(desk: Desk, client: httpx.AsyncClient) -> dict[str, str]:
    worker_id = await desk.worker()
    await desk.request(worker_id)
    clearance = (await client.get(f"/api/v1/workers/{worker_id}/clearance",
                                  headers=desk.p["hr"].headers)).json()
    pending = await desk.request(await desk.worker(), until="submitted")
    route = (await desk.post("dispatcher", "/api/v1/routes", {
        "code": "KT1-CONTRACT", "name": "Tuyến kiểm thử", "province": "51",
        "stage": "transport", "service_classes": ["standard"], "max_secrecy": "A"})).json()
    assignment = (await desk.post("dispatcher", "/api/v1/assignments", {
        "worker_id": worker_id, "route_id": route["id"],
        "starts_at": f"{days_ago(-1)}T08:00:00Z"})).json()
    incident = (await desk.post("hr", "/api/v1/incidents", {
        "kind": "delay", "occurred_at": f"{days_ago(1)}T08:00:00Z",
        "description": "chậm chuyến", "worker_ids": [worker_id]})).json()
    notices = (await client.get("/api/v1/notifications",
                                headers=desk.p["hr"].headers)).json()["items"]
    ids = {"worker_id": worker_id, "request_id": pending, "route_id": route["id"],
           "assignment_id": assignment["id"], "incident_id": incident["id"],
           "attestation_id": clearance["attestation_id"], "purpose": "revocation"}
    if notices:
        ids["notification_id"] = notices[0]["id"]
    return ids


@pytest.fixture(scope="module")
def target(backend: str, keys_dir: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Target]:
    url = asyncio.run(new_database_url(backend, tmp_path_factory.mktemp("contract")))
    own = settings_for(url, keys_dir)
    asyncio.run(prepare(own, create_admin=False))
    headers, ids = asyncio.run(_seed(own))
    yield Target(app=create_app(own), headers=headers, ids=ids)


def _cases(operation: Any, ids: dict[str, str]) -> Iterator[tuple[str, Any]]:
    """The strategies one operation is driven with: valid and invalid data with generated ids,
    and valid data against the seeded records."""
    yield "positive", operation.as_strategy(GenerationMode.POSITIVE)
    yield "negative", operation.as_strategy(GenerationMode.NEGATIVE)
    names = [p.name for p in operation.path_parameters]
    if names and all(n in ids for n in names):
        yield "seeded", operation.as_strategy(
            GenerationMode.POSITIVE, path_parameters={n: ids[n] for n in names})


def _runner(target: Target, client: Any, failures: list[str], operation: Any, mode: str,
            strategy: Any) -> Any:
    """One Hypothesis run: each generated case is sent as every role the operation serves."""
    public = operation.definition.raw.get("security") == []
    roles = ("anonymous",) if public else ROLES

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(case=strategy)
    def run(case: Any) -> None:
        for role in roles:
            response = case.call(headers=target.headers.get(role, {}), session=client)
            target.statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except (Failure, FailureGroup) as broken:  # one line per broken promise
                for failure in getattr(broken, "exceptions", [broken]):
                    failures.append(f"{operation.label} as {role} ({mode}): {failure.title}"
                                    f" [{response.status_code}] query={case.query} "
                                    f"body={str(case.body)[:200]}")

    return run


def _drive(target: Target, schema: Any, client: Any) -> list[str]:
    failures: list[str] = []
    operations = sorted((r.ok() for r in schema.get_all_operations()),
                        key=lambda o: o.label == LAST)
    for operation in operations:
        if operation.label in EXCLUDED:
            continue
        for mode, strategy in _cases(operation, target.ids):
            try:
                _runner(target, client, failures, operation, mode, strategy)()
            except Unsatisfiable:  # nothing invalid to make (an operation without input)
                continue
    return failures


@pytest.mark.slow
def test_every_operation_keeps_the_contract_for_every_role(target: Target) -> None:
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", target.app)
    with asgi.get_client(target.app) as client:
        failures = _drive(target, schema, client)
    assert not failures, "\n".join(dict.fromkeys(failures))
    assert target.statuses[500] == 0
    # The run reached the records, not only the refusals.
    assert sum(n for status, n in target.statuses.items() if status < 300) > 100, \
        target.statuses


def _document(app: Any) -> dict[str, Any]:
    return app.openapi_schema.to_schema()  # type: ignore[no-any-return]


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, operation


@pytest.fixture(scope="module")
def document(app: Any) -> dict[str, Any]:
    return _document(app)


def test_public_operations_need_no_token(app: Any, document: dict[str, Any]) -> None:
    public = {(p, m) for p, m, op in _operations(document) if op.get("security") == []}
    assert {("/health", "get"), ("/ready", "get"), ("/.well-known/jwks.json", "get"),
            ("/api/v1/status-lists/{purpose}", "get"), ("/api/v1/auth/login", "post"),
            ("/api/v1/auth/refresh", "post"), ("/api/v1/attestations/verify", "post")} == public
    assert document["security"] == [{"BearerToken": []}]


def test_every_error_is_documented_as_the_problem_actually_sent(document: dict[str, Any]
                                                                ) -> None:
    for path, method, operation in _operations(document):
        errors = {s: r for s, r in operation["responses"].items() if s >= "400"}
        assert "400" in errors, (path, method)
        for status, response in errors.items():
            if status == "503" and path == "/ready":
                continue
            assert list(response["content"]) == ["application/problem+json"], (path, status)
            assert response["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/ProblemBody"}
        if "requestBody" in operation:
            assert {"413", "415"} <= set(errors), (path, method)
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in errors, (path, method)


def test_request_bodies_are_closed_and_exact(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    bodies = set()
    for path, method, operation in _operations(document):
        if path.startswith("/api/v1/imports/"):
            continue  # file uploads (multipart, CSV, xlsx): documented by the import route
        for kind, content in operation.get("requestBody", {}).get("content", {}).items():
            assert kind in ("application/json", "application/merge-patch+json")
            assert kind == "application/json" or method == "patch"
            schema = content["schema"]
            refs = [schema, *schema.get("anyOf", [])]
            bodies |= {r["$ref"].rsplit("/", 1)[1] for r in refs if "$ref" in r}
    assert len(bodies) > 20
    for name in bodies:
        assert schemas[name]["additionalProperties"] is False, name
    batch = schemas["BatchIn"]["properties"]["worker_ids"]["items"]
    assert (batch["minLength"], batch["maxLength"]) == (1, 64)
    incident = schemas["IncidentIn"]["properties"]["occurred_at"]
    assert incident == {"type": "string", "format": "date-time"}


def test_no_one_of_anywhere(document: dict[str, Any]) -> None:
    text = str(document)
    assert "'oneOf'" not in text
    read = document["paths"]["/api/v1/workers/{worker_id}"]["get"]["responses"]["200"]
    assert len(read["content"]["application/json"]["schema"]["anyOf"]) == 3


def test_authenticated_posts_take_an_idempotency_key(document: dict[str, Any]) -> None:
    posts = [(p, op) for p, m, op in _operations(document)
             if m == "post" and op.get("security") != []]
    keyed = [p for p, op in posts if any(x["name"] == "Idempotency-Key"
                                         for x in op.get("parameters", []))]
    assert set(keyed) == {p for p, _ in posts} - {"/api/v1/eligibility/batch",
                                                  "/api/v1/attestations/verify"}
    assert all({"404", "409", "422"} <= set(op["responses"]) for p, op in posts if p in keyed)


def test_the_csv_report_is_documented(document: dict[str, Any]) -> None:
    ok = document["paths"]["/api/v1/reports/summary"]["get"]["responses"]["200"]
    assert set(ok["content"]) == {"application/json", "text/csv"}



@pytest.mark.parametrize("kind", ["workers", "trainings", "commitments"])
def test_an_import_documents_both_its_answers(document: dict[str, Any], kind: str) -> None:
    """A dry run answers 200 with its report, an import 201 (the fuzzer found a dry run's 200
    missing from the document only when it drew a valid file)."""
    answers = document["paths"][f"/api/v1/imports/{kind}"]["post"]["responses"]
    for status in ("200", "201"):
        schema = answers[status]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/ImportReport"), (status, schema)
