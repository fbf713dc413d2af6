"""Input bounded before it reaches the domain (issue: what an outside fuzzer found): years,
number-shaped times, If-Match forms and a training's validity; 4xx, never 5xx, nothing written."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from tests.api.test_eligibility import Desk
from tests.conftest import People
from tests.factories import vn_today, worker_body
from vetting.db import Database
from vetting.models import Training


async def _trainings(database: Database) -> int:
    async with database.transaction(read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(Training)) or 0)


async def test_a_training_cannot_outlive_policy(desk: Desk, database: Database) -> None:
    worker_id = (await desk.post("hr", "/api/v1/workers", worker_body())).json()["id"]
    done = vn_today() - timedelta(days=10)
    before = await _trainings(database)
    for until in ("9999-12-31", (done + timedelta(days=800)).isoformat()):
        response = await desk.post("hr", f"/api/v1/workers/{worker_id}/trainings", {
            "kind": "kt1_security", "completed_on": done.isoformat(), "valid_until": until})
        assert response.status_code in (400, 422), response.text
        assert response.json()["invalid_params"][0]["name"] == "valid_until"
    assert await _trainings(database) == before
    shorter = await desk.post("hr", f"/api/v1/workers/{worker_id}/trainings", {
        "kind": "kt1_security", "completed_on": done.isoformat(),
        "valid_until": (done + timedelta(days=300)).isoformat()})
    assert shorter.status_code == 201 and shorter.json()["valid_until"] == (
        done + timedelta(days=300)).isoformat()


@pytest.mark.parametrize("params", [
    {"period": "H1-0000"}, {"period": "H2-9999"}, {"from": "0001-01-01", "to": "9999-12-31"},
])
async def test_out_of_range_periods_are_refused_naming_the_parameter(
        client: httpx.AsyncClient, people: People, params: dict[str, str]) -> None:
    admin = await people.make("admin")
    response = await client.get("/api/v1/reports/summary", params=params, headers=admin.headers)
    assert response.status_code == 422, response.text
    problem = response.json()["invalid_params"][0]
    assert (problem["name"], problem["in"], problem["rule"]) == (
        next(iter(params)), "query", "YEAR_OUT_OF_RANGE")


@pytest.mark.parametrize("at", ["0.5", "-1", "1796198368", "0001-01-01T00:00:00Z"])
async def test_numbers_and_year_one_are_not_times(desk: Desk, at: str) -> None:
    response = await desk.client.get("/api/v1/eligibility", headers=desk.p["dispatcher"].headers,
                                     params={"worker_id": "w", "route_id": "r", "at": at})
    assert response.status_code == 400, response.text
    [problem] = response.json()["invalid_params"]
    assert (problem["name"], problem["in"]) == ("at", "query")


@pytest.mark.parametrize("value", ['W/"1"', "2", '"3', '"01"', '"x"'])
async def test_if_match_must_be_strong_and_quoted(desk: Desk, value: str) -> None:
    worker_id = await desk.cleared_worker()
    response = await desk.client.post(
        f"/api/v1/workers/{worker_id}/clearance/suspend", json={"reason": "kiểm tra"},
        headers={**desk.p["lead"].headers, "If-Match": value})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "INVALID_IF_MATCH"
