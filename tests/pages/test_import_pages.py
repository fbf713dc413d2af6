"""Importing HR's spreadsheet on pages: the template downloads, the check lists every problem
by row and column and writes nothing, a clean file is imported all at once after its check
(audited as one import), a file that became wrong meanwhile imports nothing, and the pages
are scoped as the API's imports."""

from __future__ import annotations

import hashlib
import re

import httpx
from sqlalchemy import func, select

from tests.api.test_imports import HEADERS_VI, csv_bytes, sheet_row
from tests.conftest import People, unique
from tests.factories import worker_body
from tests.pages.conftest import Visit
from tests.pages.visitor import Visitor, csrf_of
from vetting.db import Database
from vetting.models import AuditEntry, Worker


async def check(hr: Visitor, content: bytes, name: str = "nhan-su.csv") -> httpx.Response:
    token = csrf_of((await hr.get("/imports/workers")).text)
    return await hr.client.post("/imports/workers", data={"_csrf_token": token},
                                files={"file": (name, content, "text/csv")})


async def commit_from(hr: Visitor, report: httpx.Response) -> httpx.Response:
    """Press the report's import button: post its form's hidden fields as a browser does."""
    hidden = dict(re.findall(r'<input type="hidden" name="(content|filename)" value="([^"]*)"',
                             report.text))
    return await hr.client.post("/imports/workers/commit", files={
        "_csrf_token": (None, csrf_of(report.text)), "content": (None, hidden["content"]),
        "filename": (None, hidden["filename"])})


async def workers_named(database: Database, word: str) -> int:
    async with database.transaction(read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(Worker).where(
            Worker.full_name.like(f"%{word}%"))) or 0)


async def test_a_clean_file_is_checked_then_imported_at_once(
        visitors: Visit, people: People, database: Database) -> None:
    hr = await visitors(await people.make("post_hr", unit="POST-51"))
    template = await hr.get("/imports/workers/template", params={"output": "csv"})
    assert template.status_code == 200
    assert template.content.decode("utf-8-sig").splitlines()[0].split(";")[:2] == \
        HEADERS_VI[:2]
    assert (await hr.get("/imports/workers/template")).content[:2] == b"PK"  # a workbook
    word = unique("Nhập ")
    content = csv_bytes([sheet_row(worker_body(full_name=f"{word} Người {n}"))
                         for n in range(3)], delimiter=";", bom=True)
    report = await check(hr, content)
    assert report.status_code == 200
    assert hashlib.sha256(content).hexdigest() in report.text
    assert "Nhập 3 dòng" in report.text and "nhan-su.csv" in report.text
    assert await workers_named(database, word) == 0  # the check writes nothing
    done = await commit_from(hr, report)
    assert done.status_code == 303
    assert done.headers["location"] == "/workers?notice=workers_imported"
    assert await workers_named(database, word) == 3
    async with database.transaction(read_only=True) as session:
        imports = (await session.scalars(select(AuditEntry.body).where(
            AuditEntry.action == "import.workers"))).all()
    assert any(hashlib.sha256(content).hexdigest() in body for body in imports)
    again = await commit_from(hr, report)  # the same file again: every row a duplicate now
    assert again.status_code == 422 and "error-summary" in again.text
    assert await workers_named(database, word) == 3


async def test_every_problem_is_listed_by_row_and_column_and_nothing_is_written(
        visitors: Visit, people: People, database: Database) -> None:
    hr = await visitors(await people.make("post_hr", unit="POST-51"))
    word = unique("Lỗi ")
    good = sheet_row(worker_body(full_name=f"{word} Đúng"))
    bad = sheet_row(worker_body(full_name=f"{word} Sai"))
    bad[4] = "12345"  # the CCCD column (E)
    report = await check(hr, csv_bytes([good, bad]))
    assert report.status_code == 422
    rows = re.findall(r"<tr><td[^>]*>(\d+)</td><td[^>]*>([A-Z]+)</td>", report.text)
    assert ("3", "E") in rows  # the header is row 1
    assert 'action="/imports/workers/commit"' not in report.text  # nothing to import
    assert await workers_named(database, word) == 0
    empty = await hr.submit("/imports/workers", {})
    assert empty.status_code == 422 and 'href="#file"' in empty.text
    forged = await hr.submit("/imports/workers/commit", {"content": "not base64!"},
                             form_page="/imports/workers")
    assert forged.status_code == 422 and await workers_named(database, word) == 0


async def test_imports_are_for_hr_and_write_into_their_own_unit(
        visitors: Visit, people: People, database: Database) -> None:
    dispatcher = await visitors(await people.make("dispatcher", province="51"))
    assert (await dispatcher.get("/imports/workers")).status_code == 403
    assert (await dispatcher.get("/imports")).status_code == 403
    hr = await visitors(await people.make("post_hr", unit="POST-51"))
    word = unique("Khác ")
    elsewhere = sheet_row(worker_body("POST-79", full_name=f"{word} Tỉnh Khác"))
    report = await check(hr, csv_bytes([elsewhere]))
    assert report.status_code == 422  # another unit's worker: refused, as in the API
    assert await workers_named(database, word) == 0
    page = await hr.get("/imports")
    for kind in ("workers", "trainings", "commitments"):
        assert f'href="/imports/{kind}"' in page.text
