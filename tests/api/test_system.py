"""Health, readiness, the OpenAPI document and problem+json errors."""

from __future__ import annotations

import httpx

from tests.conftest import People
from vetting.models.base import new_id


async def test_health_is_public(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


async def test_refusals_from_the_bearer_middleware_carry_the_request_id(
        client: httpx.AsyncClient, people: People) -> None:
    """401 and 403 are decided before the handler; their answers still name the request."""
    inspector = await people.make("inspector", province="51")
    for headers, status in (({}, 401), ({"Authorization": "Bearer not-a-token"}, 401),
                            (inspector.headers, 403)):
        offered = new_id()
        response = await client.get("/api/v1/users", headers={**headers, "X-Request-ID": offered})
        assert response.status_code == status
        assert response.headers["x-request-id"] == offered
        anonymous = await client.get("/api/v1/users", headers=headers)
        assert len(anonymous.headers["x-request-id"]) == 32


async def test_ready_reports_the_head_revision(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json()["revision"].startswith("0")


async def test_openapi_document_is_3_1_and_declares_bearer(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    schemes = doc["components"]["securitySchemes"]
    assert schemes["BearerToken"]["scheme"] == "bearer"
    login = doc["paths"]["/api/v1/auth/login"]["post"]
    assert "401" in login["responses"]


async def test_unknown_route_is_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code in (401, 404)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "code" in response.json()


async def test_validation_names_the_field_and_rule(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/login",
                                 json={"username": "x", "password": "y", "otp": "12"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert body["invalid_params"][0]["name"] == "otp"
    assert body["invalid_params"][0]["rule"] == "format"
    assert body["invalid_params"][0]["reason"] == (
        "Mã xác thực một lần: giá trị không đúng định dạng.")
    assert "regex" not in response.text  # parser text never reaches a person


async def test_unknown_field_is_refused_by_name(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/login",
                                 json={"username": "x", "password": "y", "role": "admin"})
    assert response.status_code == 400
    assert response.json()["invalid_params"][0]["name"] == "role"


async def test_oversized_body_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/login", content=b"{" + b" " * 2_000_000 + b"}",
                                 headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


async def test_landing_page_in_both_languages(client: httpx.AsyncClient) -> None:
    vi = await client.get("/")
    assert vi.status_code == 200 and vi.headers["content-type"].startswith("text/html")
    assert "Sổ đăng ký thẩm tra KT1" in vi.text and 'href="/schema"' in vi.text
    en = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "KT1 vetting registry" in en.text
