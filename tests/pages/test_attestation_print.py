"""The printable attestation (A4, Vietnamese): the worker, the stages, the validity and the
issuing police unit, and a QR code holding `<public_url>/verify?jws=<jws>`; scoped as the
API's attestation read. Through the ASGI app on both backends."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest
import segno
from litestar import Litestar
from sqlalchemy import select

from api.pages.qr import qr_svg
from policies.calendar import local_date
from tests.conftest import People
from tests.pages.police_desk import PoliceDesk
from vetting.db import Database
from vetting.models import Attestation
from vetting.settings import Settings

QR_LABEL_VI = "Mã QR chứa đường dẫn kiểm tra văn bản xác nhận này"


@pytest.fixture
async def desk(app: Litestar, client: httpx.AsyncClient,
               people: People) -> AsyncIterator[PoliceDesk]:
    found = await PoliceDesk(app, client, people).setup()
    yield found
    await found.close()


async def attestation_of(database: Database, rid: str) -> Attestation:
    async with database.transaction(read_only=True) as session:
        found = await session.scalar(select(Attestation).where(Attestation.request_id == rid))
        assert found is not None
        return found


async def test_the_printed_attestation_names_everything_it_signs_and_its_qr_checks_it(
        desk: PoliceDesk, database: Database, settings: Settings) -> None:
    _, rid = await desk.request(until="cleared", full_name="Hoàng Văn Em",
                                stages=["processing", "delivery"])
    attestation = await attestation_of(database, rid)
    hr = await desk.browser("hr")
    page = await hr.get(f"/attestations/{attestation.id}/print")
    assert page.status_code == 200
    employee_no = (await desk.api("hr", "GET", f"/api/v1/workers/{attestation.worker_id}")
                   ).json()["employee_no"]
    for text in ("Hoàng Văn Em", employee_no, "Bưu điện tỉnh Quảng Ngãi (POST-51)",
                 "Khai thác, Phát", "Đạt tiêu chuẩn chính trị", "Công an tỉnh Quảng Ngãi",
                 local_date(attestation.valid_from).strftime("%d/%m/%Y"),
                 local_date(attestation.valid_until).strftime("%d/%m/%Y"),
                 "Giấy xác nhận tiêu chuẩn chính trị", f"{settings.public_url}/verify"):
        assert text in page.text, text
    link = f"{settings.public_url}/verify?jws={quote(attestation.jws, safe='.-_')}"
    assert str(qr_svg(link, QR_LABEL_VI, scale=2, error="l")) in page.text  # holds the link
    assert segno.make(link, error="l").version <= 36  # room left for longer names and URLs
    assert 'lang="vi"' in page.text and "<script" not in page.text

    officer = await desk.browser("officer")
    assert (await officer.get(f"/attestations/{attestation.id}/print")).status_code == 200


async def test_another_units_attestation_is_the_404_page(desk: PoliceDesk,
                                                         database: Database) -> None:
    _, rid = await desk.request(until="cleared")
    attestation = await attestation_of(database, rid)
    for who in ("other_hr", "other_officer", "other_lead"):
        visitor = await desk.browser(who)
        answer = await visitor.get(f"/attestations/{attestation.id}/print")
        assert answer.status_code == 404 and "<html" in answer.text, who
    hr = await desk.browser("hr")
    assert (await hr.get("/attestations/" + "0" * 32 + "/print")).status_code == 404


async def test_signed_out_the_print_page_asks_to_sign_in(desk: PoliceDesk,
                                                         database: Database) -> None:
    _, rid = await desk.request(until="cleared")
    attestation = await attestation_of(database, rid)
    answer = await desk.client.get(f"/attestations/{attestation.id}/print")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


async def test_a_not_cleared_decision_prints_as_such(desk: PoliceDesk,
                                                     database: Database) -> None:
    _, rid = await desk.request(until="cleared", outcome="does_not_meet")
    attestation = await attestation_of(database, rid)
    hr = await desk.browser("hr")
    page = await hr.get(f"/attestations/{attestation.id}/print")
    assert page.status_code == 200 and "Không đạt tiêu chuẩn chính trị" in page.text
    assert re.search(r'<svg[^>]+class="qr"', page.text)
