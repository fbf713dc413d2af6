"""Post HR's worker pages as a clerk uses them (forms posted through the app, cookies kept):
register (a wrong CCCD is shown beside its field and nothing is written), the list and its
search, the worker page, trainings, a signed commitment's uploaded scan (its SHA-256 kept,
never the file), and a nomination routed to the police. Scoped as the API: another
province's worker is the 404 page, a dispatcher may not register."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select

from tests.conftest import People, unique
from tests.factories import days_ago, worker_body
from tests.pages.conftest import Visit
from tests.pages.visitor import csrf_of
from vetting.db import Database
from vetting.models import AuditEntry, Commitment, Training, VettingRequest, Worker


def form_of(body: dict[str, Any]) -> dict[str, Any]:
    """An API registration body as the register form posts it (a date in three parts)."""
    born = date.fromisoformat(body["date_of_birth"])
    fields = {k: v for k, v in body.items() if k not in ("date_of_birth", "post_unit")}
    return {**fields, "date_of_birth-day": str(born.day), "date_of_birth-month": str(born.month),
            "date_of_birth-year": str(born.year)}


def date_fields(name: str, value: str) -> dict[str, str]:
    day = date.fromisoformat(value)
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month),
            f"{name}-year": str(day.year)}


async def count(database: Database, model: Any, *where: Any) -> int:
    async with database.transaction(read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where))
                   or 0)


def worker_id_of(response: httpx.Response) -> str:
    found = re.fullmatch(r"/workers/([0-9a-f]{32})\?notice=worker_registered",
                         response.headers["location"])
    assert found, response.headers.get("location")
    return found.group(1)


async def test_hr_registers_a_worker_and_finds_it_listed_and_searchable(
        visitors: Visit, people: People, database: Database) -> None:
    hr = await visitors(await people.make("post_hr", unit="POST-51"))
    name = unique("Trần Thị Hoa ")
    body = worker_body(full_name=name)
    answer = await hr.submit("/workers/new", form_of(body))
    assert answer.status_code == 303
    wid = worker_id_of(answer)
    shown = await hr.get(f"/workers/{wid}?notice=worker_registered")
    assert shown.status_code == 200
    assert name in shown.text and "Đã đăng ký nhân viên." in shown.text
    assert body["national_id"] not in shown.text  # masked, as the API masks it
    listed = await hr.get("/workers", params={"q": name})
    assert f'href="/workers/{wid}"' in listed.text and "Chưa thẩm tra" in listed.text
    other = await hr.get("/workers", params={"q": unique("Không Ai ")})
    assert f'href="/workers/{wid}"' not in other.text
    by_id = await hr.get("/workers", params={"national_id": body["national_id"]})
    assert f'href="/workers/{wid}"' in by_id.text
    assert await count(database, AuditEntry, AuditEntry.action == "worker.search_national_id") >= 1


async def test_a_wrong_cccd_is_shown_beside_its_field_and_nothing_is_written(
        visitors: Visit, people: People, database: Database) -> None:
    hr = await visitors(await people.make("post_hr", unit="POST-51"))
    before = await count(database, Worker)
    body = worker_body(full_name=unique("Sai Số "))
    wrong = await hr.submit("/workers/new", {**form_of(body), "national_id": "12345"})
    assert wrong.status_code == 422
    assert 'href="#national_id"' in wrong.text
    assert 'id="national_id-error"' in wrong.text
    assert body["full_name"] in wrong.text  # what was typed is kept
    mismatched = worker_body(full_name=unique("Lệch Năm "))
    mismatched["national_id"] = worker_body(born=date(1985, 1, 1))["national_id"]
    refused = await hr.submit("/workers/new", form_of(mismatched))
    assert refused.status_code == 422 and "error-summary" in refused.text
    assert await count(database, Worker) == before


async def test_another_provinces_worker_is_the_404_page_and_a_dispatcher_may_not_register(
        visitors: Visit, people: People, client: httpx.AsyncClient) -> None:
    hr_79 = await people.make("post_hr", unit="POST-79")
    made = await client.post("/api/v1/workers", json=worker_body("POST-79"),
                             headers=hr_79.headers)
    assert made.status_code == 201
    hr_51 = await visitors(await people.make("post_hr", unit="POST-51"))
    assert (await hr_51.get(f"/workers/{made.json()['id']}")).status_code == 404
    assert (await hr_51.get(f"/workers/{made.json()['id']}/trainings/new")).status_code == 404
    dispatcher = await visitors(await people.make("dispatcher", province="51"))
    assert (await dispatcher.get("/workers/new")).status_code == 403


async def test_a_form_posted_without_its_csrf_token_is_refused(
        visitors: Visit, people: People, database: Database) -> None:
    hr = await visitors(await people.make("post_hr", unit="POST-51"))
    before = await count(database, Worker)
    answer = await hr.client.post("/workers/new", data=form_of(worker_body()))
    assert answer.status_code == 403
    assert await count(database, Worker) == before


async def test_hr_records_trainings_and_an_uploaded_commitment_and_nominates(
        visitors: Visit, people: People, database: Database, client: httpx.AsyncClient
        ) -> None:
    person = await people.make("post_hr", unit="POST-51")
    made = await client.post("/api/v1/workers", json=worker_body(), headers=person.headers)
    wid = made.json()["id"]
    hr = await visitors(person)
    page = f"/workers/{wid}/trainings/new"
    for kind in ("postal_operations", "kt1_security"):
        answer = await hr.submit(page, {"kind": kind, **date_fields("completed_on",
                                                                    days_ago(10))})
        assert answer.headers["location"] == f"/workers/{wid}?notice=training_recorded"
    assert await count(database, Training, Training.worker_id == wid) == 2
    refused = await hr.submit(page, {"kind": "kt1_security"})
    assert refused.status_code == 422 and 'href="#completed_on"' in refused.text

    scan = b"%PDF-1.4 cam ket bao ve bi mat nha nuoc"
    path = f"/workers/{wid}/commitments/new"
    token = csrf_of((await hr.get(path)).text)
    missing = await hr.client.post(path, data={"_csrf_token": token,
                                               **date_fields("signed_on", days_ago(9))})
    assert missing.status_code == 422 and 'href="#document"' in missing.text
    assert await count(database, Commitment, Commitment.worker_id == wid) == 0
    stored = await hr.client.post(path, data={"_csrf_token": token,
                                              **date_fields("signed_on", days_ago(9))},
                                  files={"document": ("cam-ket.pdf", scan, "application/pdf")})
    assert stored.status_code == 303, stored.text
    async with database.transaction(read_only=True) as session:
        digest = await session.scalar(select(Commitment.document_sha256).where(
            Commitment.worker_id == wid))
    assert digest == hashlib.sha256(scan).hexdigest()
    assert digest in (await hr.get(f"/workers/{wid}")).text

    empty_reason = await hr.submit(f"/workers/{wid}/nominate", {"reason": ""})
    assert empty_reason.status_code == 422 and 'href="#reason"' in empty_reason.text
    assert await count(database, VettingRequest, VettingRequest.worker_id == wid) == 0
    sent = await hr.submit(f"/workers/{wid}/nominate", {"reason": "Tuyến KT1 Quảng Ngãi"})
    assert sent.status_code == 303
    assert re.fullmatch(r"/requests/[0-9a-f]{32}\?notice=request_submitted",
                        sent.headers["location"])
    async with database.transaction(read_only=True) as session:
        police = await session.scalar(select(VettingRequest.police_unit_code).where(
            VettingRequest.worker_id == wid))
    assert police == "POLICE-51"
    again = await hr.submit(f"/workers/{wid}/nominate", {"reason": "Lần hai"})
    assert again.status_code == 422 and "error-summary" in again.text


async def test_an_empty_registration_lists_every_missing_field_in_the_summary(
        visitors: Visit, people: People, database: Database) -> None:
    hr = await visitors(await people.make("post_hr", unit="POST-51"))
    before = await count(database, Worker)
    answer = await hr.submit("/workers/new", {"national_id": "12ab", "full_name": "Lê Văn Tám"})
    assert answer.status_code == 422
    for name in ("employee_no", "national_id", "date_of_birth", "sex", "hometown",
                 "permanent_address", "permanent_province", "current_address", "stages"):
        assert f'href="#{name}"' in answer.text, name
    assert 'href="#full_name"' not in answer.text  # what is right is not flagged
    assert "Số CCCD: phải gồm đúng 12 chữ số." in answer.text
    assert await count(database, Worker) == before


async def test_leaving_is_checked_before_it_is_recorded(
        visitors: Visit, people: People, database: Database, client: httpx.AsyncClient
        ) -> None:
    person = await people.make("post_hr", unit="POST-51")
    wid = (await client.post("/api/v1/workers", json=worker_body(),
                             headers=person.headers)).json()["id"]
    hr = await visitors(person)
    answers = {**date_fields("left_on", days_ago(1)), "reason": "Nghỉ hưu"}
    blank = await hr.submit(f"/workers/{wid}/leave/check", {"reason": "Nghỉ hưu"},
                            form_page=f"/workers/{wid}/leave")
    assert blank.status_code == 422 and 'href="#left_on"' in blank.text
    check = await hr.submit(f"/workers/{wid}/leave/check", answers,
                            form_page=f"/workers/{wid}/leave")
    assert check.status_code == 200 and "thu hồi" in check.text
    assert 'name="left_on-day"' in check.text  # the answers travel to the confirm form
    assert await count(database, Worker, Worker.id == wid, Worker.left_on.is_not(None)) == 0
    done = await hr.submit(f"/workers/{wid}/leave", answers, form_page=f"/workers/{wid}/leave")
    assert done.headers["location"] == f"/workers/{wid}?notice=worker_left"
    assert await count(database, Worker, Worker.id == wid, Worker.left_on.is_not(None)) == 1
    dispatcher = await visitors(await people.make("dispatcher", province="51"))
    assert (await dispatcher.get(f"/workers/{wid}/leave")).status_code == 403


async def test_a_loss_is_checked_then_reported_and_suspends(
        visitors: Visit, people: People, database: Database, client: httpx.AsyncClient
        ) -> None:
    from vetting.models import Incident

    person = await people.make("post_hr", unit="POST-51")
    wid = (await client.post("/api/v1/workers", json=worker_body(),
                             headers=person.headers)).json()["id"]
    hr = await visitors(person)
    form = f"/workers/{wid}/incident"
    before = await count(database, Incident)
    wrong = await hr.submit(f"{form}/check", {"kind": "loss", "occurred_at": "hôm qua",
                                              "description": ""}, form_page=form)
    assert wrong.status_code == 422
    assert 'href="#occurred_at"' in wrong.text and 'href="#description"' in wrong.text
    answers = {"kind": "loss", "occurred_at": "2026-01-05T09:30",
               "description": "Thất lạc túi thư KT1 tại bưu cục"}
    check = await hr.submit(f"{form}/check", answers, form_page=form)
    assert check.status_code == 200 and "tạm đình chỉ" in check.text
    assert "05/01/2026 09:30" in check.text  # as typed, Vietnam time
    assert await count(database, Incident) == before
    done = await hr.submit(form, answers)
    found = re.fullmatch(r"/incidents/([0-9a-f]{32})\?notice=incident_reported",
                         done.headers["location"])
    assert found, done.headers.get("location")
    async with database.transaction(read_only=True) as session:
        occurred = await session.scalar(select(Incident.occurred_at).where(
            Incident.id == found.group(1)))
    assert occurred is not None and occurred.isoformat().startswith("2026-01-05T02:30")
    assert await count(database, Incident) == before + 1
