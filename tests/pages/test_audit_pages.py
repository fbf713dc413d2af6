"""The inspector's audit pages: download the signed checkpoint, upload it later and see the
consistency proof checked (and fail for a forged or rewritten one), browse the entries of
the inspector's province only."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select, text, update

from tests.conftest import People, Person, unique
from tests.factories import worker_body
from tests.pages.conftest import Visit
from tests.pages.visitor import Visitor, csrf_of
from vetting.db import Database
from vetting.models import AuditEntry
from vetting.settings import Settings


@pytest.fixture
async def inspector(people: People) -> Person:
    return await people.make("inspector", province="51")


@pytest.fixture
async def inspector_page(visitors: Visit, inspector: Person) -> Visitor:
    return await visitors(inspector)


async def upload(visitor: Visitor, content: bytes) -> httpx.Response:
    token = csrf_of((await visitor.get("/audit")).text)
    return await visitor.client.post("/audit/checkpoint/check", data={"_csrf_token": token},
                                     files={"checkpoint": ("cp.json", content,
                                                           "application/json")})


async def some_writes(client: httpx.AsyncClient, people: People) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    response = await client.post("/api/v1/workers", json=worker_body("POST-51"),
                                 headers=hr.headers)
    assert response.status_code == 201


async def test_a_saved_checkpoint_is_shown_consistent_after_more_writes(
        inspector_page: Visitor, client: httpx.AsyncClient, people: People) -> None:
    download = await inspector_page.get("/audit/checkpoint.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    saved = download.json()
    api = await client.get("/api/v1/audit/checkpoint",
                           headers=(await people.make("inspector", province="51")).headers)
    assert api.json()["size"] >= saved["size"]
    await some_writes(client, people)
    checked = await upload(inspector_page, download.content)
    assert checked.status_code == 200
    assert "Nhất quán" in checked.text and "Không nhất quán" not in checked.text
    assert f"Điểm kiểm tra {saved['size']} bản ghi của bạn" in checked.text


async def test_a_forged_checkpoint_is_not_consistent(inspector_page: Visitor) -> None:
    saved = (await inspector_page.get("/audit/checkpoint.json")).json()
    forged = {**saved, "root": "00" * 32}
    checked = await upload(inspector_page, json.dumps(forged).encode())
    assert "Không nhất quán" in checked.text
    assert "Chữ ký của điểm kiểm tra không khớp" in checked.text
    too_big = {**saved, "size": saved["size"] + 1_000_000}
    checked = await upload(inspector_page, json.dumps(too_big).encode())
    assert "đã có bản ghi bị xóa" in checked.text


async def test_a_rewritten_log_fails_the_saved_checkpoint(fresh_settings: Settings) -> None:
    """On a database of its own: rewrite the stored tree hashes below the saved size."""
    from api.app import create_app
    from tests.conftest import People as Factory
    from tests.conftest import served
    from vetting.keys import RegistryKeys
    from vetting.models import AuditNode

    database = Database(fresh_settings.database_url)
    try:
        keys = RegistryKeys.open(fresh_settings.keys_dir)
        people = Factory(database=database, keys=keys)
        application = create_app(fresh_settings, database)
        async with served(application) as client:
            await some_writes(client, people)
            await some_writes(client, people)
            visitor = Visitor.of(application)
            assert (await visitor.sign_in(await people.make("inspector", province="51"))
                    ).status_code == 303
            saved = (await visitor.get("/audit/checkpoint.json")).content
            await some_writes(client, people)
            async with database.transaction() as session:  # the oldest subtrees rewritten
                if not database.is_sqlite:  # past the append-only triggers, as a superuser
                    await session.execute(text("SET LOCAL session_replication_role = replica"))
                await session.execute(update(AuditNode).where(AuditNode.idx == 0).values(
                    hash=bytes(32)))
            checked = await upload(visitor, saved)
            await visitor.close()
        assert "Không nhất quán" in checked.text
    finally:
        await database.dispose()


async def test_an_unreadable_file_names_the_field(inspector_page: Visitor) -> None:
    checked = await upload(inspector_page, b"not json")
    assert checked.status_code == 422 and 'href="#checkpoint"' in checked.text


async def test_entries_are_those_of_the_inspectors_province(
        inspector_page: Visitor, client: httpx.AsyncClient, people: People,
        database: Database) -> None:
    other_hr = await people.make("post_hr", unit="POST-12")
    foreign = await client.post("/api/v1/workers", json=worker_body("POST-12"),
                                headers=other_hr.headers)
    mine_hr = await people.make("post_hr", unit="POST-51")
    mine = await client.post("/api/v1/workers", json=worker_body("POST-51"),
                             headers=mine_hr.headers)
    shown = await inspector_page.get("/audit/entries", params={"action": "worker.create"})
    assert shown.status_code == 200
    assert mine.json()["id"] in shown.text and foreign.json()["id"] not in shown.text
    none = await inspector_page.get("/audit/entries", params={"object_id": unique("x")})
    assert "Không có bản ghi phù hợp." in none.text


async def test_other_roles_do_not_reach_the_entries(visitors: Visit, people: People) -> None:
    visitor = await visitors(await people.make("post_hr", unit="POST-51"))
    assert (await visitor.get("/audit/entries")).status_code == 403
    assert (await visitor.get("/audit")).status_code == 403


async def test_the_entry_listing_audits_nothing_and_writes_nothing(
        inspector_page: Visitor, database: Database) -> None:
    async with database.transaction(read_only=True) as session:
        before = await session.scalar(select(AuditEntry.seq).order_by(
            AuditEntry.seq.desc()).limit(1))
    assert (await inspector_page.get("/audit/entries")).status_code == 200
    async with database.transaction(read_only=True) as session:
        after = await session.scalar(select(AuditEntry.seq).order_by(
            AuditEntry.seq.desc()).limit(1))
    assert after == before
