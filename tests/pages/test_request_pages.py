"""The vetting request pages (issue 15, items 8 and 9): the police inbox and HR's outbox, the
request page with the audited dossier, and every transition as a form posting to the API's
own move, with its version so a stale page gets the conflict message. Through the ASGI app
on both backends."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select, update

from policies.calendar import local_date, months_later
from tests.conftest import People
from tests.pages.police_desk import PoliceDesk, desk_in, version_on
from tests.pages.visitor import csrf_of
from vetting.db import Database
from vetting.models import Attestation, AuditEntry, VettingEvent, VettingRequest
from vetting.models.base import utcnow

CONFLICT = "Dữ liệu vừa bị thay đổi"
TWO_PERSON = "Cán bộ đề xuất kết quả không được tự phê duyệt kết quả đó."


@pytest.fixture
async def desk(app: Litestar, client: httpx.AsyncClient,
               people: People) -> AsyncIterator[PoliceDesk]:
    found = await PoliceDesk(app, client, people).setup()
    yield found
    await found.close()


async def audit_count(database: Database, action: str, object_id: str) -> int:
    async with database.transaction(read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.object_id == object_id)) or 0)


def request_ids(html: str) -> list[str]:
    """The requests a list page links to, in its order."""
    return re.findall(r'href="/requests/([0-9a-f]{32})"', html)


# --- the lists -------------------------------------------------------------------------------

async def test_the_inbox_is_the_services_list_overdue_first_with_filters_and_pages(
        app: Litestar, client: httpx.AsyncClient, people: People, database: Database) -> None:
    async with desk_in(app, client, people, "86", "91") as desk:
        _, late = await desk.request()
        _, fresh = await desk.request(until="in_review")
        _, done = await desk.request(until="cleared")
        async with database.transaction() as session:
            await session.execute(update(VettingRequest).where(VettingRequest.id == late)
                                  .values(due_on=local_date(utcnow()) - timedelta(days=3)))
        officer = await desk.browser("officer")
        page = await officer.get("/requests")
        assert page.status_code == 200
        api = await desk.api("officer", "GET", "/api/v1/vetting-requests?limit=50")
        assert request_ids(page.text) == [i["id"] for i in api.json()["items"]]
        assert request_ids(page.text).index(late) < request_ids(page.text).index(fresh)
        row = page.text.split(f'href="/requests/{late}"', 1)[1].split("</tr>", 1)[0]
        assert "Quá hạn" in row  # overdue marked, in Vietnamese by default
        assert "Quá hạn" not in page.text.split(f'href="/requests/{fresh}"', 1)[1].split(
            "</tr>", 1)[0]

        overdue = await officer.get("/requests?overdue=true")
        assert late in request_ids(overdue.text) and fresh not in request_ids(overdue.text)
        in_review = await officer.get("/requests?state=in_review")
        assert request_ids(in_review.text) == [fresh]
        assert '<option value="in_review" selected>' in in_review.text
        everything = await officer.get("/requests?state=&offset=0")  # the form's "all states"
        assert set(request_ids(everything.text)) >= {late, fresh, done}
        assert (await officer.get("/requests?state=flying")).status_code == 400

        first = await officer.get("/requests?limit=2")
        assert len(request_ids(first.text)) == 2
        assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
        following = re.search(r'href="([^"]+)" rel="next"', first.text)
        assert following and "offset=2" in following.group(1) and "limit=2" in following.group(1)
        second = await officer.get(following.group(1).replace("&amp;", "&"))
        assert 'rel="prev"' in second.text
        assert not set(request_ids(first.text)) & set(request_ids(second.text))

        other = await desk.browser("other_officer")
        assert not {late, fresh, done} & set(request_ids((await other.get("/requests")).text))


async def test_hr_sees_its_units_requests_with_states_and_due_dates(
        app: Litestar, client: httpx.AsyncClient, people: People) -> None:
    async with desk_in(app, client, people, "80", "96") as desk:
        _, rid = await desk.request(until="needs_info")
        _, sent = await desk.request()
        hr = await desk.browser("hr")
        page = await hr.get("/requests?state=needs_info")
        assert page.status_code == 200 and request_ids(page.text) == [rid]
        assert "Trả lại để bổ sung thông tin" in page.text and "POLICE-80" in page.text
        everything = await hr.get("/requests")
        assert set(request_ids(everything.text)) == {rid, sent}
        other = await desk.browser("other_hr")
        assert not {rid, sent} & set(request_ids((await other.get("/requests")).text))


async def test_a_lead_s_approval_queue_leaves_out_their_own_proposals(
        app: Litestar, client: httpx.AsyncClient, people: People) -> None:
    async with desk_in(app, client, people, "82", "92") as desk:
        await _approval_queue(desk)


async def _approval_queue(desk: PoliceDesk) -> None:
    _, theirs = await desk.request(until="awaiting_approval", proposer="officer")
    _, own = await desk.request(until="awaiting_approval", proposer="lead")
    lead = await desk.browser("lead")
    queue = await lead.get("/requests?state=awaiting_approval")
    assert queue.status_code == 200 and "Chờ bạn phê duyệt" in queue.text
    assert theirs in request_ids(queue.text) and own not in request_ids(queue.text)
    everything = await lead.get("/requests")
    assert own in request_ids(everything.text)  # still in the unit's inbox
    other_lead = await desk.browser("lead2")
    assert own in request_ids((await other_lead.get("/requests?state=awaiting_approval")).text)
    officer = await desk.browser("officer")  # an officer's filter is only a filter
    assert {theirs, own} <= set(request_ids(
        (await officer.get("/requests?state=awaiting_approval")).text))


async def test_the_leads_home_counts_the_approval_queue_it_links_to(desk: PoliceDesk) -> None:
    await desk.request(until="awaiting_approval", proposer="officer")
    await desk.request(until="awaiting_approval", proposer="lead")
    lead = await desk.browser("lead")
    home = await lead.get("/")
    card = re.search(r'href="/requests\?state=awaiting_approval"><span class="card__count">'
                     r'(\d+)</span>', home.text)
    assert card is not None
    queue = await lead.get("/requests?state=awaiting_approval")
    total = re.search(r"trong tổng số (\d+)", queue.text)
    assert total is not None and card.group(1) == total.group(1)


async def test_roles_without_requests_get_the_403_page(desk: PoliceDesk) -> None:
    dispatcher = await desk.browser("dispatcher")
    answer = await dispatcher.get("/requests")
    assert answer.status_code == 403 and "<html" in answer.text


# --- one request -----------------------------------------------------------------------------

async def test_the_officer_sees_the_dossier_and_the_read_is_audited_as_in_the_api(
        desk: PoliceDesk, database: Database) -> None:
    worker_id, rid = await desk.request()
    national_id = (await desk.api("officer", "GET", f"/api/v1/workers/{worker_id}")).json()[
        "national_id"]
    before = await audit_count(database, "worker.dossier_read", worker_id)
    officer = await desk.browser("officer")
    page = await officer.get(f"/requests/{rid}")
    assert page.status_code == 200
    assert national_id in page.text and "12 Lê Lợi, Quảng Ngãi" in page.text
    assert "KT1 tuyến Quảng Ngãi" in page.text and "Bộ phận nhân sự gửi đề nghị" in page.text
    assert await audit_count(database, "worker.dossier_read", worker_id) == before + 1
    async with database.transaction(read_only=True) as session:
        entry = await session.scalar(select(AuditEntry).where(
            AuditEntry.action == "worker.dossier_read", AuditEntry.object_id == worker_id)
            .order_by(AuditEntry.seq.desc()).limit(1))
        assert entry is not None and entry.actor_id == desk.p["officer"].id
        assert '"national_id":"full"' in entry.body

    hr = await desk.browser("hr")
    seen = await hr.get(f"/requests/{rid}")
    assert seen.status_code == 200 and national_id not in seen.text
    assert "Đã xác minh" not in seen.text  # no police note, no dossier for HR
    assert await audit_count(database, "worker.dossier_read", worker_id) == before + 1


async def test_another_units_request_is_the_404_page_and_its_forms_too(
        desk: PoliceDesk, database: Database) -> None:
    worker_id, rid = await desk.request()
    before = await audit_count(database, "worker.dossier_read", worker_id)
    for who in ("other_officer", "other_hr"):
        visitor = await desk.browser(who)
        answer = await visitor.get(f"/requests/{rid}")
        assert answer.status_code == 404 and "<html" in answer.text, who
    other = await desk.browser("other_officer")
    for action in ("return", "transfer", "propose"):
        assert (await other.get(f"/requests/{rid}/{action}")).status_code == 404
    home = await other.get("/")
    claimed = await other.submit(f"/requests/{rid}/claim", {"version": "1"},
                                 token=csrf_of(home.text))
    assert claimed.status_code == 404
    assert (await desk.state_of(rid))["state"] == "submitted"
    assert await audit_count(database, "worker.dossier_read", worker_id) == before


async def test_each_form_refuses_the_wrong_role_with_the_403_page(desk: PoliceDesk) -> None:
    _, rid = await desk.request(until="awaiting_approval")
    hr, officer = await desk.browser("hr"), await desk.browser("officer")
    for visitor, path in ((hr, "propose"), (hr, "transfer"), (hr, "return"),
                          (officer, "approve"), (officer, "resubmit")):
        answer = await visitor.get(f"/requests/{rid}/{path}")
        assert answer.status_code == 403, path
    home = await hr.get("/")
    for action in ("claim", "propose", "approve"):
        answer = await hr.submit(f"/requests/{rid}/{action}", {"version": "1"},
                                 token=csrf_of(home.text))
        assert answer.status_code == 403, action
    home = await officer.get("/")
    for action in ("approve", "withdraw", "resubmit"):
        answer = await officer.submit(f"/requests/{rid}/{action}", {"version": "3"},
                                      token=csrf_of(home.text))
        assert answer.status_code == 403, action
    assert (await desk.state_of(rid))["state"] == "awaiting_approval"


async def test_a_form_posted_without_its_csrf_token_is_refused(desk: PoliceDesk) -> None:
    _, rid = await desk.request()
    officer = await desk.browser("officer")
    answer = await officer.client.post(f"/requests/{rid}/claim", data={"version": "1"})
    assert answer.status_code == 403
    assert (await desk.state_of(rid))["state"] == "submitted"


async def test_claim_from_the_request_page(desk: PoliceDesk) -> None:
    _, rid = await desk.request()
    officer = await desk.browser("officer")
    page = await officer.get(f"/requests/{rid}")
    assert f'action="/requests/{rid}/claim"' in page.text
    assert version_on(page.text) == "1"
    answer = await officer.submit(f"/requests/{rid}/claim", {"version": "1"},
                                  token=csrf_of(page.text))
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/requests/{rid}?notice=request_claim"
    state = await desk.state_of(rid)
    assert state["state"] == "in_review"
    shown = await officer.get(answer.headers["location"])
    assert "Bạn đã nhận đề nghị" in shown.text and "Cán bộ công an nhận xử lý" in shown.text
    assert f'action="/requests/{rid}/claim"' not in shown.text
    assert f'href="/requests/{rid}/propose"' in shown.text


async def test_a_stale_page_gets_the_conflict_message_and_nothing_is_overwritten(
        desk: PoliceDesk) -> None:
    _, rid = await desk.request()
    officer = await desk.browser("officer")
    page = await officer.get(f"/requests/{rid}")
    claimed = await desk.api("officer2", "POST", f"/api/v1/vetting-requests/{rid}/claim")
    assert claimed.status_code == 200
    answer = await officer.submit(f"/requests/{rid}/claim", {"version": version_on(page.text)},
                                  token=csrf_of(page.text))
    assert answer.status_code == 409
    assert CONFLICT in answer.text and 'class="error-summary"' in answer.text
    assert "Đang thẩm tra" in answer.text  # the request as it is now
    assert f'action="/requests/{rid}/claim"' not in answer.text
    state = await desk.state_of(rid)
    assert state["state"] == "in_review" and state["version"] == 2

    form = await officer.get(f"/requests/{rid}/return")
    assert version_on(form.text) == "2"
    await desk.api("officer2", "POST", f"/api/v1/vetting-requests/{rid}/propose",
                   {"outcome": "meets_standard", "note": "xong"})
    stale = await officer.submit(f"/requests/{rid}/return", {"note": "Thiếu giấy tờ",
                                                             "version": "2"},
                                 token=csrf_of(form.text))
    assert stale.status_code == 409 and CONFLICT in stale.text
    assert "Thiếu giấy tờ" in stale.text  # what was typed is kept
    assert (await desk.state_of(rid))["state"] == "awaiting_approval"


async def test_return_needs_a_note_and_hr_reads_it(desk: PoliceDesk,
                                                   database: Database) -> None:
    _, rid = await desk.request(until="in_review")
    officer = await desk.browser("officer")
    form = await officer.get(f"/requests/{rid}/return")
    assert form.status_code == 200
    blank = await officer.submit(f"/requests/{rid}/return", {"note": "  ", "version": "2"},
                                 token=csrf_of(form.text))
    assert blank.status_code == 422
    assert 'href="#note"' in blank.text and 'id="note-error"' in blank.text
    assert (await desk.state_of(rid))["state"] == "in_review"
    done = await officer.submit(f"/requests/{rid}/return",
                                {"note": "Cần bổ sung nơi ở hiện tại", "version": "2"},
                                token=csrf_of(form.text))
    assert done.status_code == 303
    assert (await desk.state_of(rid))["state"] == "needs_info"
    hr = await desk.browser("hr")
    page = await hr.get(f"/requests/{rid}")
    assert "Cần bổ sung nơi ở hiện tại" in page.text
    assert f'href="/requests/{rid}/resubmit"' in page.text


async def test_transfer_names_a_police_unit_from_the_list_and_keeps_the_reason(
        desk: PoliceDesk, database: Database) -> None:
    _, rid = await desk.request()
    officer = await desk.browser("officer")
    form = await officer.get(f"/requests/{rid}/transfer")
    assert '<option value="POLICE-12">' in form.text
    assert '<option value="POLICE-51">' not in form.text  # not to where it is already
    assert '<option value="POST-12">' not in form.text
    token = csrf_of(form.text)
    missing = await officer.submit(f"/requests/{rid}/transfer",
                                   {"police_unit": "", "reason": "", "version": "1"},
                                   token=token)
    assert missing.status_code == 422
    assert 'href="#police_unit"' in missing.text or 'href="#reason"' in missing.text
    same = await officer.submit(f"/requests/{rid}/transfer",
                                {"police_unit": "POLICE-51", "reason": "x", "version": "1"},
                                token=token)
    assert same.status_code == 422 and 'href="#police_unit"' in same.text
    no_reason = await officer.submit(f"/requests/{rid}/transfer",
                                     {"police_unit": "POLICE-12", "reason": "",
                                      "version": "1"}, token=token)
    assert no_reason.status_code == 422 and 'href="#reason"' in no_reason.text
    assert '<option value="POLICE-12" selected>' in no_reason.text  # the choice is kept
    assert (await desk.state_of(rid))["police_unit"] == "POLICE-51"

    done = await officer.submit(f"/requests/{rid}/transfer",
                                {"police_unit": "POLICE-12",
                                 "reason": "Người lao động thường trú tại Lai Châu",
                                 "version": "1"}, token=token)
    assert done.status_code == 303
    assert (await officer.get(f"/requests/{rid}")).status_code == 404  # no longer theirs
    other = await desk.browser("other_officer")
    page = await other.get(f"/requests/{rid}")
    assert page.status_code == 200 and "Người lao động thường trú tại Lai Châu" in page.text
    async with database.transaction(read_only=True) as session:
        event = await session.scalar(select(VettingEvent).where(
            VettingEvent.request_id == rid, VettingEvent.action == "transfer"))
        assert event is not None and event.reason == "Người lao động thường trú tại Lai Châu"


async def test_propose_needs_an_outcome_and_a_note(desk: PoliceDesk) -> None:
    _, rid = await desk.request(until="in_review")
    officer = await desk.browser("officer")
    form = await officer.get(f"/requests/{rid}/propose")
    token = csrf_of(form.text)
    none = await officer.submit(f"/requests/{rid}/propose", {"note": "ok", "version": "2"},
                                token=token)
    assert none.status_code == 422 and 'href="#outcome"' in none.text
    # only the refused field is marked: the others carry no error (not even "None")
    assert 'id="outcome-error"' in none.text and 'id="note-error"' not in none.text
    wrong = await officer.submit(f"/requests/{rid}/propose",
                                 {"outcome": "perhaps", "note": "ok", "version": "2"},
                                 token=token)
    assert wrong.status_code == 422 and 'href="#outcome"' in wrong.text
    assert (await desk.state_of(rid))["state"] == "in_review"
    done = await officer.submit(f"/requests/{rid}/propose",
                                {"outcome": "does_not_meet", "note": "Có tiền án",
                                 "version": "2"}, token=token)
    assert done.status_code == 303
    state = await desk.state_of(rid)
    assert state["state"] == "awaiting_approval"
    page = await officer.get(f"/requests/{rid}")
    assert "Không đạt tiêu chuẩn chính trị" in page.text and "Có tiền án" in page.text


async def test_approval_checks_what_will_be_signed_then_signs_it(
        desk: PoliceDesk, database: Database) -> None:
    _, rid = await desk.request(until="awaiting_approval", full_name="Trần Thị Bình")
    lead = await desk.browser("lead")
    check = await lead.get(f"/requests/{rid}/approve")
    assert check.status_code == 200
    today = local_date(utcnow())
    until = local_date(months_later(utcnow(), 24))
    number = re.search(r"E\d{9}", check.text)
    assert number is not None
    for text in ("Trần Thị Bình", "Nhận gửi", "Vận chuyển", "Đạt tiêu chuẩn chính trị",
                 today.strftime("%d/%m/%Y"), "Công an tỉnh Quảng Ngãi"):
        assert text in check.text, text
    assert until.strftime("%Y") in check.text
    answer = await lead.submit(f"/requests/{rid}/approve", {"version": version_on(check.text)},
                               token=csrf_of(check.text))
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/requests/{rid}?notice=request_approve"
    state = await desk.state_of(rid)
    assert state["state"] == "cleared" and state["approved_by"] == desk.p["lead"].id
    async with database.transaction(read_only=True) as session:
        attestation = await session.scalar(select(Attestation).where(
            Attestation.request_id == rid))
        assert attestation is not None
    page = await lead.get(answer.headers["location"])
    assert f'href="/attestations/{attestation.id}/print"' in page.text


async def test_a_lead_cannot_approve_their_own_proposal(desk: PoliceDesk,
                                                        database: Database) -> None:
    _, rid = await desk.request(until="awaiting_approval", proposer="lead")
    lead = await desk.browser("lead")
    check = await lead.get(f"/requests/{rid}/approve")
    assert check.status_code == 200
    assert TWO_PERSON in check.text and "Bạn không thể phê duyệt đề xuất này" in check.text
    assert f'action="/requests/{rid}/approve"' not in check.text
    answer = await lead.submit(f"/requests/{rid}/approve", {"version": "3"},
                               token=csrf_of(check.text))
    assert answer.status_code == 403 and 'class="error-summary"' in answer.text
    assert TWO_PERSON in answer.text
    assert (await desk.state_of(rid))["state"] == "awaiting_approval"
    async with database.transaction(read_only=True) as session:
        assert await session.scalar(select(Attestation.id).where(
            Attestation.request_id == rid)) is None


async def test_hr_resubmits_after_a_return_and_can_withdraw(desk: PoliceDesk) -> None:
    _, rid = await desk.request(until="needs_info")
    hr = await desk.browser("hr")
    form = await hr.get(f"/requests/{rid}/resubmit")
    assert form.status_code == 200 and "Thiếu địa chỉ hiện tại" in form.text
    token = csrf_of(form.text)
    wrong = await hr.submit(f"/requests/{rid}/resubmit", {"stages": "flying", "version": "3"},
                            token=token)
    assert wrong.status_code == 422 and 'href="#stages"' in wrong.text
    assert (await desk.state_of(rid))["state"] == "needs_info"
    done = await hr.submit(f"/requests/{rid}/resubmit",
                           {"current_address": "45 Hùng Vương, Quảng Ngãi",
                            "stages": ["acceptance", "delivery"], "version": "3"},
                           token=token)
    assert done.status_code == 303
    state = await desk.state_of(rid)
    assert state["state"] == "submitted" and state["stages"] == ["acceptance", "delivery"]

    page = await hr.get(f"/requests/{rid}")
    assert f'action="/requests/{rid}/withdraw"' in page.text
    withdrawn = await hr.submit(f"/requests/{rid}/withdraw", {"version": "4"},
                                token=csrf_of(page.text))
    assert withdrawn.status_code == 303
    assert (await desk.state_of(rid))["state"] == "withdrawn"
    again = await hr.submit(f"/requests/{rid}/withdraw", {"version": "5"},
                            token=csrf_of(page.text))
    assert again.status_code == 409 and 'class="error-summary"' in again.text


async def test_the_pages_speak_english_when_asked(desk: PoliceDesk) -> None:
    _, rid = await desk.request()
    officer = await desk.browser("officer")
    home = await officer.get("/")
    await officer.submit("/language", {"language": "en", "next": "/"}, token=csrf_of(home.text))
    page = await officer.get(f"/requests/{rid}")
    assert "Claim this request" in page.text and "Submitted by HR" in page.text
