"""Nominating several workers from the worker list: the ticked rows are shown on a check page
(nothing written by choosing), the reason is asked once, and the batch is all or none,
each request routed by policy and each police unit notified once; a refused batch names
each worker that cannot be nominated, in the API's words, and sends nothing."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from tests.api.test_eligibility import Desk
from tests.conftest import People, unique
from tests.factories import worker_body
from tests.pages.conftest import Visit
from tests.pages.test_worker_pages import count
from vetting.db import Database
from vetting.models import AuditEntry, Notification, VettingRequest


async def test_ticked_workers_are_checked_then_nominated_as_one_batch(
        visitors: Visit, people: People, database: Database, client: httpx.AsyncClient
        ) -> None:
    desk = await Desk.of_province_51(client, people)
    word = unique("Lô ")
    ids = [await desk.worker(full_name=f"{word} Người {n}") for n in ("Một", "Hai", "Ba")]
    hr = await visitors(desk.p["hr"])
    listed = await hr.get("/workers", params={"q": word})
    for wid in ids:
        assert f'name="worker_ids" value="{wid}"' in listed.text
    assert 'form="nominate-selected"' in listed.text

    chosen = await hr.get("/workers/nominate", params={"worker_ids": ids[:2]})
    assert chosen.status_code == 200
    assert f"{word} Người Một" in chosen.text and f"{word} Người Ba" not in chosen.text
    assert "Gửi 2 đề nghị" in chosen.text
    assert await count(database, VettingRequest, VettingRequest.worker_id.in_(ids)) == 0

    no_reason = await hr.submit("/workers/nominate", {"worker_ids": ids[:2], "reason": ""})
    assert no_reason.status_code == 422 and 'href="#reason"' in no_reason.text
    assert f"{word} Người Hai" in no_reason.text  # the selection is kept
    sent = await hr.submit("/workers/nominate", {"worker_ids": ids[:2],
                                                 "reason": "Tuyến KT1 Quảng Ngãi"})
    assert sent.status_code == 303
    assert sent.headers["location"] == "/requests?notice=batch_submitted"
    async with database.transaction(read_only=True) as session:
        routed = (await session.scalars(select(VettingRequest.police_unit_code).where(
            VettingRequest.worker_id.in_(ids)))).all()
        batches = (await session.scalars(select(AuditEntry.object_id).where(
            AuditEntry.action == "request.batch_submit",
            AuditEntry.actor_id == desk.p["hr"].id))).all()
    assert sorted(routed) == ["POLICE-51", "POLICE-51"] and len(batches) == 1
    # the officer (new to this test) hears of the batch once, not once per worker
    assert await count(database, Notification,
                       Notification.user_id == desk.p["officer"].id) == 1
    shown = await hr.get(sent.headers["location"])
    assert "Đã gửi các đề nghị" in shown.text


async def test_a_batch_with_one_refused_worker_names_it_and_sends_nothing(
        visitors: Visit, people: People, database: Database, client: httpx.AsyncClient
        ) -> None:
    desk = await Desk.of_province_51(client, people)
    word = unique("Lô ")
    ready = await desk.worker(full_name=f"{word} Sẵn Sàng")
    waiting = await desk.worker(full_name=f"{word} Đang Chờ")
    await desk.request(waiting, until="submitted")  # already has an open request
    hr = await visitors(desk.p["hr"])
    refused = await hr.submit("/workers/nominate", {"worker_ids": [ready, waiting],
                                                    "reason": "Tuyến KT1"})
    assert refused.status_code == 409
    summary = refused.text[refused.text.index("error-summary"):]
    assert f"{word} Sẵn Sàng (" not in summary
    assert f"{word} Đang Chờ (" in summary
    assert "đã có đề nghị thẩm tra đang xử lý" in summary  # the API's words for its reason
    assert await count(database, VettingRequest, VettingRequest.worker_id == ready) == 0


async def test_the_selection_is_scoped_and_cannot_be_empty(
        visitors: Visit, people: People, client: httpx.AsyncClient) -> None:
    desk = await Desk.of_province_51(client, people)
    mine = await desk.worker(full_name=unique("Của Tôi "))
    hr_79 = await people.make("post_hr", unit="POST-79")
    made = await client.post("/api/v1/workers", json=worker_body("POST-79"),
                             headers=hr_79.headers)
    hr = await visitors(desk.p["hr"])
    empty = await hr.get("/workers/nominate")
    assert empty.status_code == 200 and "Hãy chọn ít nhất một người" in empty.text
    assert 'action="/workers/nominate"' not in empty.text  # nothing to send
    too_many = await hr.get("/workers/nominate", params={"worker_ids": [mine] * 501})
    assert too_many.status_code == 422 and "error-summary" in too_many.text
    foreign = await hr.get("/workers/nominate",
                           params={"worker_ids": [mine, made.json()["id"]]})
    assert foreign.status_code == 404
    dispatcher = await visitors(desk.p["dispatcher"])
    assert (await dispatcher.get("/workers/nominate",
                                 params={"worker_ids": [mine]})).status_code == 403
    listed = await dispatcher.get("/workers")
    assert 'name="worker_ids"' not in listed.text
