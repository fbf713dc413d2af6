"""The people of one province for the police pages' tests: the data is made through the API
(bearer tokens), the pages are visited as a browser would (cookies, CSRF tokens)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar import Litestar

from tests.conftest import People, Person
from tests.factories import days_ago, worker_body
from tests.pages.visitor import Visitor

DIGEST = "c" * 64
_VERSION = re.compile(r'name="version" value="(\d+)"')


def version_on(html: str) -> str:
    found = _VERSION.search(html)
    assert found, "the page carries no version"
    return found.group(1)


@dataclass
class PoliceDesk:
    """HR, two officers and two leads of one province's units (51 unless told), and the
    same roles of another province (12), a dispatcher and an inspector."""

    app: Litestar
    client: httpx.AsyncClient
    people: People
    province: str = "51"
    other: str = "12"
    p: dict[str, Person] = field(default_factory=dict)
    visitors: list[Visitor] = field(default_factory=list)

    async def setup(self) -> PoliceDesk:
        here, there = self.province, self.other
        make = self.people.make
        self.p = {
            "hr": await make("post_hr", unit=f"POST-{here}"),
            "other_hr": await make("post_hr", unit=f"POST-{there}"),
            "officer": await make("police_officer", unit=f"POLICE-{here}"),
            "officer2": await make("police_officer", unit=f"POLICE-{here}"),
            "lead": await make("police_lead", unit=f"POLICE-{here}"),
            "lead2": await make("police_lead", unit=f"POLICE-{here}"),
            "other_officer": await make("police_officer", unit=f"POLICE-{there}"),
            "other_lead": await make("police_lead", unit=f"POLICE-{there}"),
            "dispatcher": await make("dispatcher", unit=f"POST-{here}"),
            "inspector": await make("inspector", province=here),
        }
        return self

    async def close(self) -> None:
        for visitor in self.visitors:
            await visitor.close()

    async def api(self, who: str, method: str, url: str, body: Any = None) -> httpx.Response:
        return await self.client.request(method, url, json=body, headers=self.p[who].headers)

    async def browser(self, who: str) -> Visitor:
        visitor = Visitor.of(self.app)
        response = await visitor.sign_in(self.p[who])
        assert response.status_code == 303, response.text
        self.visitors.append(visitor)
        return visitor

    async def worker(self, **body: Any) -> str:
        response = await self.api("hr", "POST", "/api/v1/workers",
                                  worker_body(**{"post_unit": f"POST-{self.province}",
                                                 **body}))
        assert response.status_code == 201, response.text
        worker_id = str(response.json()["id"])
        for kind in ("postal_operations", "kt1_security"):
            assert (await self.api("hr", "POST", f"/api/v1/workers/{worker_id}/trainings", {
                "kind": kind, "completed_on": days_ago(30)})).status_code == 201
        assert (await self.api("hr", "POST", f"/api/v1/workers/{worker_id}/commitments", {
            "signed_on": days_ago(29), "document_sha256": DIGEST})).status_code == 201
        return worker_id

    async def request(self, *, until: str = "submitted", outcome: str = "meets_standard",
                      proposer: str = "officer", **body: Any) -> tuple[str, str]:
        """A worker and their request, brought to `until`: submitted, in_review, needs_info,
        awaiting_approval or cleared. Returns (worker id, request id)."""
        worker_id = await self.worker(**body)
        response = await self.api("hr", "POST", "/api/v1/vetting-requests",
                                  {"worker_id": worker_id, "reason": "KT1 tuyến Quảng Ngãi"})
        assert response.status_code == 201, response.text
        rid = str(response.json()["id"])
        base = f"/api/v1/vetting-requests/{rid}"
        steps: list[tuple[str, str, Any]] = []
        if until != "submitted":
            steps.append((proposer, "claim", None))
        if until == "needs_info":
            steps.append((proposer, "return", {"note": "Thiếu địa chỉ hiện tại"}))
        if until in ("awaiting_approval", "cleared"):
            steps.append((proposer, "propose", {"outcome": outcome, "note": "Đã xác minh"}))
        if until == "cleared":
            steps.append(("lead2" if proposer == "lead" else "lead", "approve", None))
        for who, action, data in steps:
            answer = await self.api(who, "POST", f"{base}/{action}", data)
            assert answer.status_code == 200, answer.text
        return worker_id, rid

    async def state_of(self, rid: str) -> dict[str, Any]:
        response = await self.api("hr", "GET", f"/api/v1/vetting-requests/{rid}")
        assert response.status_code == 200, response.text
        return dict(response.json())


@asynccontextmanager
async def desk_in(app: Litestar, client: httpx.AsyncClient, people: People, province: str,
                  other: str) -> AsyncIterator[PoliceDesk]:
    """A desk in provinces no other test uses: a list test then knows every line of its
    unit's list, however many requests the rest of the suite has made."""
    found = await PoliceDesk(app, client, people, province=province, other=other).setup()
    try:
        yield found
    finally:
        await found.close()
