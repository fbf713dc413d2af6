"""`GET /api/v1/assignments`: a dispatcher's assignments, scoped, filtered and paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.test_eligibility import Desk


async def assignments(desk: Desk, who: str = "dispatcher", **params: Any) -> dict[str, Any]:
    response = await desk.client.get("/api/v1/assignments", params=params,
                                     headers=desk.p[who].headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_filters_scope_and_paging(desk: Desk) -> None:
    worker_id, route_a, route_b = (await desk.cleared_worker(), await desk.route(),
                                   await desk.route())
    now = datetime.now(UTC)
    first = await desk.assign(worker_id, route_a, now + timedelta(hours=1),
                              now + timedelta(days=2))
    second = await desk.assign(worker_id, route_b, now + timedelta(days=3),
                               now + timedelta(days=4))
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    a, b = first.json()["id"], second.json()["id"]
    ended = await desk.post("dispatcher", f"/api/v1/assignments/{a}/end")
    assert ended.status_code == 200

    mine = await assignments(desk, worker_id=worker_id)
    assert mine["total"] == 2 and [x["id"] for x in mine["items"]] == [b, a]  # newest first
    assert [x["id"] for x in (await assignments(desk, route_id=route_a))["items"]] == [a]
    assert [x["id"] for x in (await assignments(desk, worker_id=worker_id, active="true"))
            ["items"]] == [b]
    assert [x["id"] for x in (await assignments(desk, worker_id=worker_id, active="false"))
            ["items"]] == [a]
    page = await assignments(desk, worker_id=worker_id, limit=1, offset=1)
    assert page["total"] == 2 and [x["id"] for x in page["items"]] == [a]
    # another province's dispatcher sees none of them, even when naming them
    assert (await assignments(desk, "other_dispatcher", worker_id=worker_id))["total"] == 0
    assert (await assignments(desk, "other_dispatcher", route_id=route_a))["total"] == 0


async def test_only_dispatchers_list_assignments(desk: Desk) -> None:
    for who in ("hr", "officer"):
        response = await desk.client.get("/api/v1/assignments", headers=desk.p[who].headers)
        assert response.status_code == 403, who
    bad = await desk.client.get("/api/v1/assignments", headers=desk.p["dispatcher"].headers,
                                params={"active": "maybe"})
    assert bad.status_code == 400
