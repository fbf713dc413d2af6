"""Correcting a registration on its page, as HR does: the form comes filled from the dossier
(the read audited), only the fields that differ change (one audit entry naming them, never
their values), a form filled from an older version is refused without overwriting, and
every wrong field is shown at once with nothing written. Scoped as the API's PATCH."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select

from tests.conftest import People, unique
from tests.factories import worker_body
from tests.pages.conftest import Visit
from tests.pages.test_worker_pages import count, form_of
from tests.pages.visitor import csrf_of
from vetting.db import Database
from vetting.models import AuditEntry, Worker


async def registered(client: httpx.AsyncClient, person: Any, **overrides: Any
                     ) -> dict[str, Any]:
    """A worker registered through the API, with the body it was registered from."""
    body = worker_body(person.unit, full_name=unique("Phan Văn Bình "), **overrides)
    made = await client.post("/api/v1/workers", json=body, headers=person.headers)
    assert made.status_code == 201, made.text
    return {**body, "id": made.json()["id"]}


def correction_form(body: dict[str, Any], version: int, **changes: Any) -> dict[str, Any]:
    """The correction form as its page fills it from `body`, with `changes` typed over."""
    fields = {k: v for k, v in form_of(body).items() if k not in ("id", "national_id")}
    return {**fields, "version": str(version), **changes}


async def stored(database: Database, worker_id: str) -> Worker:
    async with database.transaction(read_only=True) as session:
        worker = await session.get(Worker, worker_id)
        assert worker is not None
        return worker


async def updates(database: Database, worker_id: str) -> list[dict[str, Any]]:
    async with database.transaction(read_only=True) as session:
        return [json.loads(e.body) for e in (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "worker.update", AuditEntry.object_id == worker_id))).all()]


async def test_the_form_comes_filled_and_saves_only_what_changed(
        visitors: Visit, people: People, database: Database, client: httpx.AsyncClient
        ) -> None:
    person = await people.make("post_hr", unit="POST-51")
    body = await registered(client, person)
    hr = await visitors(person)
    reads = await count(database, AuditEntry, AuditEntry.action == "worker.dossier_read",
                        AuditEntry.object_id == body["id"])
    shown = await hr.get(f"/workers/{body['id']}/edit")
    assert shown.status_code == 200
    assert f'value="{body["full_name"]}"' in shown.text
    assert f'value="{body["hometown"]}"' in shown.text
    assert 'name="version" value="1"' in shown.text
    assert body["national_id"] not in shown.text  # the number on file stays masked
    assert await count(database, AuditEntry, AuditEntry.action == "worker.dossier_read",
                       AuditEntry.object_id == body["id"]) == reads + 1

    renamed = unique("Phan Thị Bình ")
    saved = await hr.submit(f"/workers/{body['id']}/edit", correction_form(
        body, 1, full_name=renamed, current_address="5 Trần Hưng Đạo, Quảng Ngãi",
        national_id="001090000001"))  # not a field of the form: ignored, never applied
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/workers/{body['id']}?notice=worker_corrected"
    worker = await stored(database, body["id"])
    assert (worker.full_name, worker.version) == (renamed, 2)
    assert await updates(database, body["id"]) == [{"fields": ["current_address",
                                                               "full_name"]}]
    page = await hr.get(saved.headers["location"])
    assert renamed in page.text and "Đã lưu thông tin sửa." in page.text
    assert "5 Trần Hưng Đạo, Quảng Ngãi" in page.text

    again = await hr.submit(f"/workers/{body['id']}/edit", correction_form(
        {**body, "full_name": renamed, "current_address": "5 Trần Hưng Đạo, Quảng Ngãi"}, 2))
    assert again.headers["location"] == f"/workers/{body['id']}?notice=nothing_changed"
    assert (await stored(database, body["id"])).version == 2
    assert len(await updates(database, body["id"])) == 1


async def test_a_form_filled_from_an_older_version_overwrites_nothing(
        visitors: Visit, people: People, database: Database, client: httpx.AsyncClient
        ) -> None:
    person = await people.make("post_hr", unit="POST-51")
    body = await registered(client, person)
    hr = await visitors(person)
    token = csrf_of((await hr.get(f"/workers/{body['id']}/edit")).text)
    meanwhile = await client.patch(
        f"/api/v1/workers/{body['id']}", json={"hometown": "Mộ Đức, Quảng Ngãi"},
        headers={**person.headers, "If-Match": '"1"',
                 "Content-Type": "application/merge-patch+json"})
    assert meanwhile.status_code == 200, meanwhile.text
    late = await hr.client.post(f"/workers/{body['id']}/edit", data={
        "_csrf_token": token, **correction_form(body, 1, full_name=unique("Muộn "))})
    assert late.status_code == 422
    assert "Dữ liệu vừa bị thay đổi (nay là phiên bản 2)" in late.text
    assert f'href="/workers/{body["id"]}/edit"' in late.text  # start again from version 2
    worker = await stored(database, body["id"])
    assert (worker.full_name, worker.version) == (body["full_name"], 2)
    forged = await hr.submit(f"/workers/{body['id']}/edit", correction_form(
        body, 2, full_name=unique("Giả ")) | {"version": "2abc"})
    assert forged.status_code == 422
    assert (await stored(database, body["id"])).full_name == body["full_name"]


async def test_every_wrong_field_is_shown_and_nothing_is_written(
        visitors: Visit, people: People, database: Database, client: httpx.AsyncClient
        ) -> None:
    person = await people.make("post_hr", unit="POST-51")
    body = await registered(client, person)
    hr = await visitors(person)
    wrong = await hr.submit(f"/workers/{body['id']}/edit", correction_form(
        body, 1, full_name="   ", permanent_province="5X", stages=[]))
    assert wrong.status_code == 422
    for name in ("full_name", "permanent_province", "stages"):
        assert f'href="#{name}' in wrong.text, name
    assert 'value="5X"' in wrong.text  # what was typed is kept
    # a birth date the CCCD number on file disagrees with is refused beside the date
    other_year = await hr.submit(f"/workers/{body['id']}/edit", correction_form(
        body, 1, **{"date_of_birth-year": "1985"}))
    assert other_year.status_code == 422 and 'href="#date_of_birth' in other_year.text
    assert (await stored(database, body["id"])).version == 1
    assert await updates(database, body["id"]) == []


async def test_corrections_are_scoped_as_the_api(
        visitors: Visit, people: People, database: Database, client: httpx.AsyncClient
        ) -> None:
    elsewhere = await registered(client, await people.make("post_hr", unit="POST-79"))
    hr = await visitors(await people.make("post_hr", unit="POST-51"))
    assert (await hr.get(f"/workers/{elsewhere['id']}/edit")).status_code == 404
    token = csrf_of((await hr.get("/workers/new")).text)
    refused = await hr.client.post(f"/workers/{elsewhere['id']}/edit", data={
        "_csrf_token": token, **correction_form(elsewhere, 1, full_name=unique("Lạ "))})
    assert refused.status_code == 404
    assert (await stored(database, elsewhere["id"])).version == 1
    dispatcher = await visitors(await people.make("dispatcher", province="79"))
    assert (await dispatcher.get(f"/workers/{elsewhere['id']}/edit")).status_code == 403
