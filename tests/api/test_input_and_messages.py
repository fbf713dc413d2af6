"""What a person reads when input is refused, and what the registry keeps of what was typed:
names NFC and trimmed, blank refused, control characters refused on both engines, messages in
Vietnamese by default and English on request, naming the field and the rule in words."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import People
from tests.factories import vn_today, worker_body
from vetting.db import Database
from vetting.models import Worker

EN = {"Accept-Language": "en"}


async def _workers(database: Database) -> int:
    async with database.transaction(read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(Worker)) or 0)


async def test_names_are_nfc_and_trimmed_so_nfd_and_nfc_are_one_name(
        client: httpx.AsyncClient, people: People) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    nfd = unicodedata.normalize("NFD", "  Nguyễn Thị Ánh  ")
    assert nfd != unicodedata.normalize("NFC", nfd)
    created = await client.post("/api/v1/workers", headers=hr.headers,
                                json=worker_body(full_name=nfd, hometown=" Tư Nghĩa "))
    assert created.status_code == 201, created.text
    assert created.json()["full_name"] == unicodedata.normalize("NFC", "Nguyễn Thị Ánh")
    assert created.json()["hometown"] == "Tư Nghĩa"


@pytest.mark.parametrize(("field", "value", "rule"), [
    ("full_name", "   ", "blank"),
    ("full_name", "\u3000\t ", "control_character"),
    ("full_name", "An\x00", "control_character"),
    ("hometown", "Quảng\nNgãi", "control_character"),
    ("current_address", "", "blank"),
])
async def test_blank_and_control_characters_are_refused_and_nothing_is_written(
        client: httpx.AsyncClient, people: People, database: Database, field: str, value: str,
        rule: str) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    before = await _workers(database)
    response = await client.post("/api/v1/workers", headers=hr.headers,
                                 json=worker_body(**{field: value}))
    assert response.status_code == 400, response.text
    [problem] = response.json()["invalid_params"]
    assert (problem["name"], problem["in"], problem["rule"]) == (field, "body", rule)
    assert await _workers(database) == before


async def test_free_text_keeps_its_line_breaks(client: httpx.AsyncClient,
                                               people: People) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    worker = (await client.post("/api/v1/workers", headers=hr.headers,
                                json=worker_body())).json()
    leave = await client.post(f"/api/v1/workers/{worker['id']}/leave", headers=hr.headers,
                              json={"left_on": vn_today().isoformat(),
                                    "reason": "Nghỉ hưu\ntheo chế độ"})
    assert leave.status_code == 200, leave.text
    nul = await client.post(f"/api/v1/workers/{worker['id']}/leave", headers=hr.headers,
                            json={"left_on": vn_today().isoformat(), "reason": "a\x00b"})
    assert nul.status_code == 400 and nul.json()["invalid_params"][0]["rule"] == \
        "control_character"


async def test_a_nul_in_the_login_username_is_a_400_not_a_500(
        client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/login",
                                 json={"username": "admin\x00", "password": "x" * 16})
    assert response.status_code == 400
    assert response.json()["invalid_params"][0]["name"] == "username"


async def test_parser_text_becomes_words_in_both_languages(client: httpx.AsyncClient,
                                                           people: People) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    body = worker_body(national_id="12345", date_of_birth="1990-02-30")
    vi = await client.post("/api/v1/workers", headers=hr.headers, json=body)
    en = await client.post("/api/v1/workers", headers={**hr.headers, **EN}, json=body)
    assert vi.status_code == en.status_code == 400
    for answer in (vi, en):
        assert "regex" not in answer.text and "RFC3339" not in answer.text
    reasons_vi = {p["name"]: p["reason"] for p in vi.json()["invalid_params"]}
    reasons_en = {p["name"]: p["reason"] for p in en.json()["invalid_params"]}
    first = next(iter(reasons_en))
    assert first in ("national_id", "date_of_birth")
    assert reasons_en.get("national_id", reasons_en.get("date_of_birth")) in (
        "CCCD number: must be exactly 12 digits.",
        "Date of birth: write the date as YYYY-MM-DD.")
    assert reasons_vi.get("national_id", reasons_vi.get("date_of_birth")) in (
        "Số CCCD: phải gồm đúng 12 chữ số.", "Ngày sinh: ghi ngày theo dạng YYYY-MM-DD.")
    assert vi.json()["detail"].startswith("Một số thông tin không hợp lệ")
    assert en.json()["detail"].startswith("Some of the information is not valid")


async def test_domain_refusals_speak_both_languages(client: httpx.AsyncClient,
                                                    people: People) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    young = vn_today() - timedelta(days=365 * 16)
    body = worker_body(born=young)
    vi = await client.post("/api/v1/workers", headers=hr.headers, json=body)
    en = await client.post("/api/v1/workers", headers={**hr.headers, **EN}, json=body)
    assert vi.status_code == en.status_code == 422
    assert vi.json()["code"] == en.json()["code"] == "AGE_OUT_OF_RANGE"
    assert vi.json()["detail"] == "Người lao động phải từ 18 đến 75 tuổi."
    assert en.json()["detail"] == "A worker must be 18 to 75 years old."
    assert vi.json()["invalid_params"][0] == {
        "name": "date_of_birth", "in": "body", "rule": "AGE_OUT_OF_RANGE",
        "reason": "Người lao động phải từ 18 đến 75 tuổi."}
    cccd = await client.post("/api/v1/workers", headers={**hr.headers, **EN},
                             json=worker_body(national_id="999190123456"))
    assert cccd.status_code == 422 and cccd.json()["code"] == "CCCD_PROVINCE"
    assert cccd.json()["detail"] == (
        "The first three digits of the CCCD number are not a province code.")


async def test_unknown_fields_and_missing_ones_are_named(client: httpx.AsyncClient,
                                                         people: People) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    body = worker_body(nickname="An")
    del body["hometown"]
    unknown = await client.post("/api/v1/workers", headers={**hr.headers, **EN}, json=body)
    assert unknown.status_code == 400
    [problem] = unknown.json()["invalid_params"]
    assert problem["rule"] in ("unknown_field", "required")
    assert problem["name"] in ("nickname", "hometown")


@pytest.mark.parametrize(("path", "name", "where"), [
    ("/api/v1/workers/abc%00def", "worker_id", "path"),
    ("/api/v1/workers/abc%C2%85", "worker_id", "path"),
    ("/api/v1/routes?active=true%00", "active", "query"),
    ("/api/v1/workers/x/clearance?a=%1b", "a", "query"),
])
async def test_control_characters_in_paths_and_queries_are_a_400(
        client: httpx.AsyncClient, people: People, path: str, name: str, where: str) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    response = await client.get(path, headers={**hr.headers, "X-Request-ID": "ctl-1"})
    assert response.status_code == 400, response.text
    [problem] = response.json()["invalid_params"]
    assert (problem["name"], problem["in"], problem["rule"]) == (name, where,
                                                                 "control_character")
    assert response.headers["x-request-id"] == "ctl-1"
