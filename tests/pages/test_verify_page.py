"""The public `/verify` page: anyone, without an account, checks an attestation by pasting
it, uploading the saved file, or opening the link a printed copy's QR code carries; the
answer is the API's (same reasons), shown in words."""

from __future__ import annotations

import httpx
import pytest

from api.i18n import message
from tests.api.test_attestations import Cast, Issued, change, issue, make_cast
from tests.conftest import People
from tests.pages.conftest import Visit
from tests.pages.visitor import Visitor


@pytest.fixture
async def stranger(visitors: Visit) -> Visitor:
    return await visitors()


@pytest.fixture
async def issued(client: httpx.AsyncClient, people: People) -> tuple[Cast, Issued]:
    cast = await make_cast(people)
    return cast, await issue(client, cast)


async def test_a_valid_attestation_from_the_qr_link(stranger: Visitor,
                                                    issued: tuple[Cast, Issued]) -> None:
    _, done = issued
    shown = await stranger.get("/verify", params={"jws": done.attestation["jws"]})
    assert shown.status_code == 200
    assert "Hợp lệ" in shown.text and "Không hợp lệ" not in shown.text
    assert done.worker["employee_no"] in shown.text
    assert "Đạt tiêu chuẩn chính trị" in shown.text
    assert done.body["full_name"] not in shown.text  # the attestation carries no name


async def test_pasted_uploaded_and_api_answers_agree(
        stranger: Visitor, client: httpx.AsyncClient,
        issued: tuple[Cast, Issued]) -> None:
    cast, done = issued
    jws = done.attestation["jws"]
    assert (await change(client, cast.lead, done.worker["id"], "suspend")).status_code == 200
    api = (await client.post("/api/v1/attestations/verify", json={"jws": jws})).json()
    assert api["valid"] is False and api["reasons"] == ["suspended"]
    pasted = await stranger.submit("/verify", {"jws": jws})
    form = await stranger.get("/verify")
    token = form.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
    uploaded = await stranger.client.post("/verify", data={"_csrf_token": token},
                                          files={"file": ("att.jws", jws.encode(),
                                                          "text/plain")})
    for answer in (pasted, uploaded):
        assert answer.status_code == 200
        assert "Không hợp lệ" in answer.text
        assert message("vi", "VERIFY_SUSPENDED") in answer.text


async def test_a_tampered_token_is_not_valid_and_names_why(
        stranger: Visitor, issued: tuple[Cast, Issued]) -> None:
    _, done = issued
    header, payload, signature = done.attestation["jws"].split(".")
    forged = ".".join([header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA"
                                                          else "BBBB")])
    shown = await stranger.submit("/verify", {"jws": forged})
    assert "Không hợp lệ" in shown.text
    assert message("vi", "VERIFY_BAD_SIGNATURE") in shown.text
    garbage = await stranger.submit("/verify", {"jws": "không phải mã"})
    assert message("vi", "VERIFY_MALFORMED") in garbage.text


async def test_an_empty_check_names_the_field(stranger: Visitor) -> None:
    shown = await stranger.submit("/verify", {"jws": "   "})
    assert shown.status_code == 422 and 'href="#jws"' in shown.text


async def test_english_on_request(stranger: Visitor, issued: tuple[Cast, Issued]) -> None:
    _, done = issued
    shown = await stranger.get("/verify", params={"jws": done.attestation["jws"]},
                               headers={"Accept-Language": "en"})
    assert "Valid" in shown.text and "Meets the political standard" in shown.text
