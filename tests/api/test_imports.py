"""Spreadsheet imports: templates, CSV (BOM, `;`) and .xlsx, every problem by row, column and
rule, dry runs that write nothing, and all-or-nothing imports audited row by row."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
from typing import Any

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests.conftest import People, Person
from tests.factories import days_ago, vn_today, worker_body
from vetting.db import Database
from vetting.models import AuditEntry, Commitment, Training, Worker

URL = "/api/v1/imports/workers"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS_VI = ["Mã nhân viên", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Quê quán",
              "Nơi thường trú", "Tỉnh thường trú", "Nơi ở hiện tại", "Đơn vị bưu điện",
              "Công đoạn"]
FIELDS = ["employee_no", "full_name", "date_of_birth", "sex", "national_id", "hometown",
          "permanent_address", "permanent_province", "current_address", "post_unit", "stages"]
SEX_VI = {"male": "Nam", "female": "Nữ"}
STAGE_VI = {"acceptance": "Nhận gửi", "processing": "Khai thác", "transport": "Vận chuyển",
            "delivery": "Phát"}


def sheet_row(body: dict[str, Any]) -> list[str]:
    """A registration body as HR types it: Vietnamese words, DD/MM/YYYY dates."""
    born = date.fromisoformat(body["date_of_birth"])
    cells = {**body, "date_of_birth": born.strftime("%d/%m/%Y"), "sex": SEX_VI[body["sex"]],
             "stages": ", ".join(STAGE_VI[s] for s in body["stages"])}
    return [cells[f] for f in FIELDS]


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", bom: bool = False,
              headers: list[str] = HEADERS_VI) -> bytes:
    def line(cells: list[str]) -> str:
        return delimiter.join(f'"{c}"' if delimiter in c else c for c in cells)
    text = "\r\n".join([line(headers), *(line(r) for r in rows)]) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


async def count(database: Database, model: Any) -> int:
    async with database.transaction(read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def upload(client: httpx.AsyncClient, who: Person, content: bytes, *, dry_run: bool,
                 filename: str = "staff.csv", url: str = URL,
                 language: str | None = None) -> httpx.Response:
    headers = dict(who.headers)
    if language:
        headers["Accept-Language"] = language
    return await client.post(f"{url}?dry_run={str(dry_run).lower()}", headers=headers,
                             files={"file": (filename, content, "application/octet-stream")})


@pytest.fixture
async def hr(people: People) -> Person:
    return await people.make("post_hr", unit="POST-51")


def problems_of(answer: httpx.Response) -> list[tuple[int, str | None, str, str]]:
    return [(p["row"], p["column"], p["field"], p["rule"]) for p in answer.json()["problems"]]


async def test_the_templates_have_vietnamese_headers(client: httpx.AsyncClient,
                                                     hr: Person) -> None:
    xlsx = await client.get(f"{URL}/template?format=xlsx", headers=hr.headers)
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith(XLSX)
    assert "attachment" in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS_VI
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["E"].number_format == "@"  # the CCCD keeps its 0
    assert book.worksheets[1].title == "Hướng dẫn"
    csv = await client.get(f"{URL}/template?format=csv", headers=hr.headers)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith("\ufeff".encode())
    assert csv.content.decode("utf-8-sig").strip() == ";".join(HEADERS_VI)
    english = await client.get(f"{URL}/template?format=csv",
                               headers={**hr.headers, "Accept-Language": "en"})
    assert english.content.decode("utf-8-sig").startswith("Employee number;Full name;")
    for kind in ("trainings", "commitments"):
        other = await client.get(f"/api/v1/imports/{kind}/template", headers=hr.headers)
        assert other.status_code == 200, other.text


async def test_xlsx_round_trip_imports_every_row_audited_one_by_one(
        client: httpx.AsyncClient, hr: Person, database: Database) -> None:
    template = await client.get(f"{URL}/template", headers=hr.headers)
    book = load_workbook(io.BytesIO(template.content))
    sheet = book.worksheets[0]
    bodies = [worker_body(), worker_body(sex="female", born=date(2001, 3, 9)), worker_body()]
    for body in bodies:
        row = sheet_row(body)
        row[2] = date.fromisoformat(body["date_of_birth"])  # an Excel date cell
        sheet.append(row)
    sheet.cell(row=4, column=5).value = int(bodies[2]["national_id"])  # Excel ate the 0
    out = io.BytesIO()
    book.save(out)
    before = await count(database, Worker)
    answer = await upload(client, hr, out.getvalue(), dry_run=False, filename="staff.xlsx")
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert report["valid"] is True and report["created"] == 3 and report["rows"] == 3
    assert [i["row"] for i in report["items"]] == [2, 3, 4]
    assert await count(database, Worker) == before + 3
    third = (await client.get(f"/api/v1/workers/{report['items'][2]['id']}",
                              headers=hr.headers)).json()
    assert third["employee_no"] == bodies[2]["employee_no"]
    assert third["national_id"].endswith(bodies[2]["national_id"][-3:])
    assert third["stages"] == ["acceptance", "transport"]
    async with database.transaction(read_only=True) as session:
        entries = (await session.scalars(select(AuditEntry).where(
            AuditEntry.object_id.in_([report["import_id"], *(i["id"] for i in report[
                "items"])]), AuditEntry.action != "worker.dossier_read")
            .order_by(AuditEntry.seq))).all()
    assert [e.action for e in entries] == ["import.workers"] + ["worker.create"] * 3
    assert json.loads(entries[0].body)["sha256"] == hashlib.sha256(out.getvalue()).hexdigest()
    assert all(json.loads(e.body)["import"] == report["import_id"] for e in entries[1:])


@pytest.mark.parametrize(("delimiter", "bom"), [(";", True), (",", False), (";", False),
                                                (",", True)])
async def test_csv_with_or_without_bom_comma_or_semicolon(client: httpx.AsyncClient, hr: Person,
                                                          delimiter: str, bom: bool) -> None:
    content = csv_bytes([sheet_row(worker_body()), sheet_row(worker_body())],
                        delimiter=delimiter, bom=bom)
    raw = await client.post(f"{URL}?dry_run=true", content=content,
                            headers={**hr.headers, "Content-Type": "text/csv; charset=utf-8"})
    assert raw.status_code == 200, raw.text
    assert raw.json()["valid"] is True and raw.json()["rows"] == 2
    imported = await upload(client, hr, content, dry_run=False)
    assert imported.status_code == 201, imported.text
    assert imported.json()["created"] == 2


async def test_a_dry_run_reports_and_writes_nothing(client: httpx.AsyncClient, hr: Person,
                                                    database: Database) -> None:
    good = csv_bytes([sheet_row(worker_body()) for _ in range(3)])
    counts = [await count(database, m) for m in (Worker, AuditEntry)]
    answer = await upload(client, hr, good, dry_run=True)
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"problems": None} == {
        "kind": "workers", "dry_run": True, "rows": 3, "valid": True, "problems_total": 0,
        "problems": None, "created": 0, "import_id": None, "items": []}
    assert [await count(database, m) for m in (Worker, AuditEntry)] == counts


async def test_every_problem_by_row_column_and_rule_in_both_languages(
        client: httpx.AsyncClient, hr: Person, database: Database) -> None:
    bad_cccd = worker_body()
    bad_cccd["national_id"] = "999" + bad_cccd["national_id"][3:]  # no such province code
    broken = sheet_row(worker_body())
    broken[1] = ""                 # full name missing
    broken[2] = "31/02/1990"       # no such day
    broken[3] = "không rõ"         # no such sex
    foreign = sheet_row(worker_body("POST-12"))  # another province's unit
    content = csv_bytes([sheet_row(worker_body()), sheet_row(bad_cccd), broken, foreign])
    before = await count(database, Worker)
    answer = await upload(client, hr, content, dry_run=True)
    assert answer.status_code == 200
    assert answer.json()["valid"] is False
    assert problems_of(answer) == [
        (3, "E", "national_id", "CCCD_PROVINCE"),
        (4, "B", "full_name", "required"),
        (4, "C", "date_of_birth", "sheet_date"),
        (4, "D", "sex", "not_allowed"),
        (5, "J", "post_unit", "OUT_OF_SCOPE")]
    vi = {p["rule"]: p for p in answer.json()["problems"]}
    assert vi["CCCD_PROVINCE"]["header"] == "Số CCCD"
    assert vi["CCCD_PROVINCE"]["reason"].startswith("Ba chữ số đầu")
    assert vi["sheet_date"]["reason"] == "Ngày sinh: ghi ngày theo dạng DD/MM/YYYY hoặc YYYY-MM-DD."
    en = await upload(client, hr, content, dry_run=True, language="en")
    reasons = {p["rule"]: p["reason"] for p in en.json()["problems"]}
    assert reasons["OUT_OF_SCOPE"] == "Post unit: this is outside your unit or province."
    assert reasons["required"] == "Full name: this is required."
    assert await count(database, Worker) == before


async def test_one_bad_row_and_nothing_is_imported(client: httpx.AsyncClient, hr: Person,
                                                   database: Database) -> None:
    young = worker_body(born=vn_today().replace(year=vn_today().year - 10))
    content = csv_bytes([sheet_row(worker_body()), sheet_row(young), sheet_row(worker_body())])
    counts = [await count(database, m) for m in (Worker, AuditEntry)]
    answer = await upload(client, hr, content, dry_run=False)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == "IMPORT_REFUSED" and body["problems_total"] >= 1
    assert body["detail"].startswith("Tệp có")
    assert (3, "date_of_birth", "AGE_OUT_OF_RANGE") in [
        (p["row"], p["field"], p["rule"]) for p in body["problems"]]
    assert [await count(database, m) for m in (Worker, AuditEntry)] == counts


async def test_duplicates_in_the_file_and_against_the_registry(
        client: httpx.AsyncClient, hr: Person) -> None:
    registered = worker_body()
    created = await client.post("/api/v1/workers", json=registered, headers=hr.headers)
    assert created.status_code == 201
    twin = worker_body()
    same_number = worker_body(employee_no=twin["employee_no"])
    again = worker_body(national_id=registered["national_id"])
    content = csv_bytes([sheet_row(twin), sheet_row(twin | {"employee_no": "X-1"}),
                         sheet_row(same_number), sheet_row(again)])
    answer = await upload(client, hr, content, dry_run=True)
    found = [(p["row"], p["field"], p["rule"]) for p in answer.json()["problems"]]
    assert found == [(3, "national_id", "DUPLICATE_IN_FILE"),
                     (4, "employee_no", "DUPLICATE_IN_FILE"),
                     (5, "national_id", "DUPLICATE_NATIONAL_ID")]
    first = answer.json()["problems"][0]
    assert first["reason"] == "Số CCCD: giá trị này đã có ở dòng 2."
    used = csv_bytes([sheet_row(worker_body(employee_no=registered["employee_no"]))])
    answer = await upload(client, hr, used, dry_run=True)
    assert problems_of(answer) == [(2, "A", "employee_no", "DUPLICATE_EMPLOYEE_NO")]


async def test_columns_are_checked_before_any_row(client: httpx.AsyncClient,
                                                  hr: Person) -> None:
    headers = [*HEADERS_VI[:4], "Ghi chú", *HEADERS_VI[5:]]  # the CCCD column renamed
    content = csv_bytes([sheet_row(worker_body())], headers=headers)
    answer = await upload(client, hr, content, dry_run=True)
    assert problems_of(answer) == [(1, "E", "Ghi chú", "UNKNOWN_COLUMN"),
                                   (1, None, "national_id", "MISSING_COLUMN")]
    # the row number, English headers and no unit column (the importer's unit) are fine
    english = ["STT", "Employee number", "full name", "Date of birth", "Sex", "CCCD number",
               "Hometown", "Permanent address", "Province of permanent residence",
               "Current address", "Stages"]
    body = worker_body()
    row = ["1", *(c for f, c in zip(FIELDS, sheet_row(body), strict=True) if f != "post_unit")]
    answer = await upload(client, hr, csv_bytes([row], headers=english), dry_run=True)
    assert answer.json()["valid"] is True, answer.text


async def test_who_may_import_and_which_bodies(client: httpx.AsyncClient, hr: Person,
                                               people: People) -> None:
    content = csv_bytes([sheet_row(worker_body())])
    for role, unit in (("dispatcher", "POST-51"), ("police_officer", "POLICE-51")):
        other = await people.make(role, unit=unit)
        refused = await upload(client, other, content, dry_run=True)
        assert refused.status_code == 403, refused.text
    for media_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
        wrong = await client.post(f"{URL}?dry_run=true", content=content,
                                  headers={**hr.headers, "Content-Type": media_type})
        assert wrong.status_code == 415, (media_type, wrong.text)
        assert wrong.json()["code"] == "IMPORT_MEDIA_TYPE"
        assert wrong.json()["accepted"] == ["multipart/form-data", "text/csv", XLSX]
    no_file = await client.post(f"{URL}?dry_run=true", headers=hr.headers,
                                files={"other": ("a.csv", content, "text/csv")})
    assert no_file.status_code == 400
    assert no_file.json()["invalid_params"][0]["name"] == "file"


@pytest.mark.parametrize(("content", "code"), [
    ("Mã nhân viên\r\n".encode("utf-16"), "IMPORT_NOT_UTF8"),
    (b"PK\x03\x04 not really a zip", "IMPORT_UNREADABLE"),
    (";".join(HEADERS_VI).encode() + b"\r\n\r\n;;\r\n", "IMPORT_EMPTY"),
])
async def test_unreadable_files_name_the_file(client: httpx.AsyncClient, hr: Person,
                                              content: bytes, code: str) -> None:
    answer = await upload(client, hr, content, dry_run=True)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == code
    assert answer.json()["invalid_params"][0]["name"] == "file"


async def test_raw_xlsx_body_and_too_many_rows(client: httpx.AsyncClient, hr: Person) -> None:
    book = Workbook()
    book.active.append(HEADERS_VI)
    book.active.append(sheet_row(worker_body()))
    out = io.BytesIO()
    book.save(out)
    raw = await client.post(f"{URL}?dry_run=true", content=out.getvalue(),
                            headers={**hr.headers, "Content-Type": XLSX})
    assert raw.status_code == 200 and raw.json()["valid"] is True, raw.text
    rows = "\r\n".join(["x"] * 10_001)
    big = await upload(client, hr, f"{';'.join(HEADERS_VI)}\r\n{rows}\r\n".encode(),
                       dry_run=True)
    assert big.status_code == 422 and big.json()["code"] == "IMPORT_TOO_MANY_ROWS"


async def test_trainings_and_commitments_by_employee_number(
        client: httpx.AsyncClient, hr: Person, database: Database, people: People) -> None:
    workers = [worker_body(), worker_body()]
    for body in workers:
        assert (await client.post("/api/v1/workers", json=body, headers=hr.headers)
                ).status_code == 201
    a, b = (w["employee_no"] for w in workers)
    done = date.fromisoformat(days_ago(30)).strftime("%d/%m/%Y")
    trainings = "\r\n".join([
        "Mã nhân viên;Loại;Ngày hoàn thành;Hiệu lực đến",
        f"{a};Nghiệp vụ bưu chính;{done};", f"{a};An toàn an ninh KT1;{done};",
        f"{b};kt1_security;{days_ago(30)};{days_ago(1)}"]).encode()
    before = await count(database, Training)
    answer = await upload(client, hr, trainings, dry_run=False,
                          url="/api/v1/imports/trainings")
    assert answer.status_code == 201, answer.text
    assert answer.json()["created"] == 3 and await count(database, Training) == before + 3
    bad = "\r\n".join(["Mã nhân viên;Loại;Ngày hoàn thành", f"NO-SUCH;kt1_security;{done}",
                       f"{a};kt1_security;{days_ago(-5)}", f"{a};nấu ăn;{done}"]).encode()
    answer = await upload(client, hr, bad, dry_run=False, url="/api/v1/imports/trainings")
    assert answer.status_code == 422
    assert [(p["row"], p["field"], p["rule"]) for p in answer.json()["problems"]] == [
        (2, "employee_no", "UNKNOWN_EMPLOYEE_NO"), (3, "completed_on", "DATE_IN_FUTURE"),
        (4, "kind", "not_allowed")]
    assert await count(database, Training) == before + 3
    digest = hashlib.sha256(b"signed").hexdigest()
    commitments = "\r\n".join(["Mã nhân viên,Ngày ký,Mã băm văn bản (SHA-256)",
                               f"{a},{done},{digest.upper()}", f"{b},{done},{digest}"]).encode()
    before = await count(database, Commitment)
    answer = await upload(client, hr, commitments, dry_run=False,
                          url="/api/v1/imports/commitments")
    assert answer.status_code == 201, answer.text
    assert await count(database, Commitment) == before + 2
    # another unit's HR does not find these employee numbers
    other = await people.make("post_hr", unit="POST-12")
    foreign = await upload(client, other, commitments, dry_run=True,
                           url="/api/v1/imports/commitments")
    assert {p["rule"] for p in foreign.json()["problems"]} == {"UNKNOWN_EMPLOYEE_NO"}


async def test_large_files_pass_the_idempotency_check_and_replay(client: httpx.AsyncClient,
                                                                 hr: Person) -> None:
    """A file above the JSON body limit (1 MB) is read whole by the idempotency check too,
    up to the import's own limit (16 MB); beyond it, 413."""
    content = csv_bytes([sheet_row(worker_body()) for _ in range(6_000)])
    assert len(content) > 1_048_576
    headers = {**hr.headers, "Idempotency-Key": f"import-{len(content)}-{id(content)}",
               "Content-Type": "text/csv"}
    first = await client.post(f"{URL}?dry_run=true", content=content, headers=headers)
    assert first.status_code == 200, first.text
    again = await client.post(f"{URL}?dry_run=true", content=content, headers=headers)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    huge = await client.post(f"{URL}?dry_run=true", content=b"x" * (16 * 1024 * 1024 + 1),
                             headers={**hr.headers, "Content-Type": "text/csv"})
    assert huge.status_code == 413
