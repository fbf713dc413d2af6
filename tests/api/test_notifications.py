"""Notifications reach exactly the users in scope, and only they can read them.

The module owns its database (`town`), so "exactly" can be checked: every account made
here is recorded in `Town.residents`, and the expected recipients of an event are worked
out from that list (active, of the roles and unit or province in scope, not the actor),
then compared with the notification rows the event produced.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from tests.api.test_attestations import isolated_registry, kt1vet
from tests.api.test_eligibility import Desk
from tests.conftest import People, Person, new_database_url, settings_for
from vetting.bootstrap import prepare
from vetting.db import Database
from vetting.models import Clearance, Notification, OutboxEvent
from vetting.settings import Settings

NOTIFICATIONS = "/api/v1/notifications"
POLICE = ("police_officer", "police_lead")

#: kind -> (Vietnamese, English), as users are meant to read them
TEXTS = {
    "request.routed": ("Có đề nghị thẩm tra mới chuyển đến đơn vị.",
                       "A vetting request was routed to your unit."),
    "request.returned": ("Công an đề nghị bổ sung thông tin.",
                         "The police asked for more information."),
    "request.decided": ("Đã có kết quả thẩm tra", "The vetting request was decided."),
    "clearance.suspended": ("Kết quả thẩm tra bị tạm đình chỉ", "A clearance was suspended."),
    "clearance.revoked": ("Kết quả thẩm tra bị thu hồi", "A clearance was revoked."),
    "clearance.expiring": ("Kết quả thẩm tra sắp hết hiệu lực, cần thẩm tra lại.",
                           "A clearance expires soon: re-verification is due."),
    "assignment.blocked": ("Phân công trên tuyến KT1 bị chặn.",
                           "A KT1 route assignment is blocked."),
    "incident.reported": ("Có sự cố mới được báo cáo", "An incident was reported."),
}


@dataclass
class Town:
    """An app over a database this module owns, and everyone who has an account in it."""

    client: httpx.AsyncClient
    database: Database
    settings: Settings
    people: People
    residents: list[Person] = field(default_factory=list)
    disabled: set[str] = field(default_factory=set)
    cast: dict[str, Person] = field(default_factory=dict)

    async def make(self, role: str, **where: str) -> Person:
        person = await self.people.make(role, **where)
        self.residents.append(person)
        return person

    def expected(self, roles: Iterable[str], *, unit: str | None = None,
                 province: str | None = None, actor: str | None = None) -> set[str]:
        """The active residents of those roles in the unit (or province), but the actor."""
        roles = tuple(roles)
        return {p.id for p in self.residents
                if p.role in roles and p.id not in self.disabled and p.id != actor
                and (p.unit == unit if unit else p.province == province)}

    async def recipients(self, kind: str, object_id: str) -> set[str]:
        async with self.database.transaction(read_only=True) as session:
            rows = await session.scalars(select(Notification.user_id).join(
                OutboxEvent, OutboxEvent.id == Notification.event_id).where(
                OutboxEvent.kind == kind, OutboxEvent.object_id == object_id))
            return set(rows.all())

    async def inbox(self, who: Person, **params: Any) -> dict[str, Any]:
        headers = {**who.headers, **params.pop("headers", {})}
        response = await self.client.get(NOTIFICATIONS, headers=headers, params=params)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def desk(self) -> Desk:
        return Desk(self.client, self.cast)


@pytest.fixture(scope="module")
async def town(backend: str, keys_dir: Path,
               tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Town]:
    url = await new_database_url(backend, tmp_path_factory.mktemp("notifications"))
    settings = settings_for(url, keys_dir)
    await prepare(settings, create_admin=False)
    async with isolated_registry(settings) as registry:
        town = Town(client=registry.client, database=registry.database, settings=settings,
                    people=registry.people)
        cast = town.cast
        cast["admin"] = await town.make("admin")
        cast["hr"] = await town.make("post_hr", unit="POST-51")
        cast["hr_b"] = await town.make("post_hr", unit="POST-51")
        cast["officer"] = await town.make("police_officer", unit="POLICE-51")
        cast["officer_b"] = await town.make("police_officer", unit="POLICE-51")
        cast["lead"] = await town.make("police_lead", unit="POLICE-51")
        cast["dispatcher"] = await town.make("dispatcher", unit="POST-51")
        cast["dispatcher_b"] = await town.make("dispatcher", unit="POST-51")
        cast["inspector"] = await town.make("inspector", province="51")
        cast["hr12"] = await town.make("post_hr", unit="POST-12")
        cast["officer12"] = await town.make("police_officer", unit="POLICE-12")
        cast["lead12"] = await town.make("police_lead", unit="POLICE-12")
        cast["dispatcher12"] = await town.make("dispatcher", unit="POST-12")
        cast["inspector12"] = await town.make("inspector", province="12")
        # an officer of POLICE-51 whose account is disabled hears nothing
        cast["gone"] = await town.make("police_officer", unit="POLICE-51")
        disabled = await town.client.patch(f"/api/v1/users/{cast['gone'].id}",
                                           json={"state": "disabled"},
                                           headers=cast["admin"].headers)
        assert disabled.status_code == 200, disabled.text
        town.disabled.add(cast["gone"].id)
        yield town


def ids_of(page: dict[str, Any], kind: str | None = None) -> list[str]:
    return [item["object_id"] for item in page["items"] if kind in (None, item["kind"])]


# --------------------------------------------------------------------------- who hears


async def test_a_submitted_request_notifies_exactly_the_routed_police_unit(
        town: Town) -> None:
    desk, cast = town.desk(), town.cast
    rid = await desk.request(await desk.worker(), until="submitted")
    expected = town.expected(POLICE, unit="POLICE-51", actor=cast["hr"].id)
    assert {cast[k].id for k in ("officer", "officer_b", "lead")} <= expected
    assert await town.recipients("request.routed", rid) == expected
    assert cast["gone"].id not in expected  # disabled, not merely absent
    for who in ("officer", "officer_b", "lead"):
        page = await town.inbox(cast[who], unread="true", limit=200)
        assert rid in ids_of(page, "request.routed"), who
    for who in ("hr", "hr_b", "officer12", "lead12", "inspector", "dispatcher", "admin"):
        assert rid not in ids_of(await town.inbox(cast[who], limit=200)), who

    # a transfer routes it to POLICE-12: now their police hear of it, and only they
    moved = await desk.post("officer", f"/api/v1/vetting-requests/{rid}/transfer",
                            {"police_unit": "POLICE-12", "reason": "cư trú tại tỉnh 12"})
    assert moved.status_code == 200, moved.text
    police12 = town.expected(POLICE, unit="POLICE-12")
    assert {cast["officer12"].id, cast["lead12"].id} <= police12
    assert await town.recipients("request.routed", rid) == expected | police12


async def test_return_and_decision_notify_the_post_units_hr(town: Town) -> None:
    desk, cast = town.desk(), town.cast
    hr51 = town.expected(("post_hr",), unit="POST-51")
    assert {cast["hr"].id, cast["hr_b"].id} <= hr51

    returned = await desk.request(await desk.worker(), until="submitted")
    base = f"/api/v1/vetting-requests/{returned}"
    assert (await desk.post("officer", f"{base}/claim")).status_code == 200
    answer = await desk.post("officer", f"{base}/return", {"note": "Bổ sung nơi ở"})
    assert answer.status_code == 200, answer.text
    assert await town.recipients("request.returned", returned) == hr51

    decided = await desk.request(await desk.worker())
    assert await town.recipients("request.decided", decided) == hr51
    refused = await desk.request(await desk.worker(), outcome="does_not_meet")
    assert await town.recipients("request.decided", refused) == hr51
    page = await town.inbox(cast["hr_b"], limit=200)
    assert {returned, decided, refused} <= set(ids_of(page))
    assert decided not in ids_of(await town.inbox(cast["dispatcher"], limit=200))


async def test_suspension_and_blocked_assignments(town: Town) -> None:
    desk, cast = town.desk(), town.cast
    worker_id, route_id = await desk.cleared_worker(), await desk.route()
    start = datetime.now(UTC)  # after the clearance: running by the time it is judged
    assigned = await desk.post("dispatcher", "/api/v1/assignments", {
        "worker_id": worker_id, "route_id": route_id, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=7)).isoformat()})
    assert assigned.status_code == 201, assigned.text

    suspended = await desk.post("lead", f"/api/v1/workers/{worker_id}/clearance/suspend",
                                {"reason": "xác minh sự cố"})
    assert suspended.status_code == 200, suspended.text
    unit_staff = town.expected(("post_hr", "dispatcher"), unit="POST-51")
    assert {cast[k].id for k in ("hr", "hr_b", "dispatcher", "dispatcher_b")} <= unit_staff
    assert await town.recipients("clearance.suspended", worker_id) == unit_staff
    # the route's province's dispatchers hear that the assignment is blocked
    province_dispatchers = town.expected(("dispatcher",), province="51")
    assert cast["dispatcher12"].id not in province_dispatchers
    assert await town.recipients("assignment.blocked",
                                 assigned.json()["id"]) == province_dispatchers
    page = await town.inbox(cast["dispatcher_b"], limit=200)
    assert assigned.json()["id"] in ids_of(page, "assignment.blocked")

    revoked = await desk.post("lead", f"/api/v1/workers/{worker_id}/clearance/revoke",
                              {"reason": "kết luận"})
    assert revoked.status_code == 200, revoked.text
    assert await town.recipients("clearance.revoked", worker_id) == unit_staff
    for who in ("officer", "lead", "inspector", "hr12", "dispatcher12"):
        assert worker_id not in ids_of(await town.inbox(cast[who], limit=200)), who


async def test_an_incident_notifies_police_inspector_and_hr_of_the_province(
        town: Town) -> None:
    desk, cast = town.desk(), town.cast
    worker_id = await desk.worker()
    reported = await desk.post("hr", "/api/v1/incidents", {
        "kind": "damage", "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "description": "Bao bì KT1 bị rách", "worker_ids": [worker_id]})
    assert reported.status_code == 201, reported.text
    incident_id = reported.json()["id"]
    expected = (town.expected(POLICE, unit="POLICE-51")
                | town.expected(("inspector",), province="51")
                | town.expected(("post_hr",), unit="POST-51", actor=cast["hr"].id))
    assert {cast[k].id for k in ("officer", "officer_b", "lead", "inspector",
                                 "hr_b")} <= expected
    assert await town.recipients("incident.reported", incident_id) == expected
    assert cast["hr"].id not in expected  # the reporter is the actor
    page = await town.inbox(cast["inspector"], limit=200)
    assert incident_id in ids_of(page, "incident.reported")
    for who in ("inspector12", "officer12", "dispatcher", "admin", "hr"):
        assert incident_id not in ids_of(await town.inbox(cast[who], limit=200)), who


# --------------------------------------------------------------------------- reading


async def test_read_unread_paging_and_languages(town: Town) -> None:
    desk, cast = town.desk(), town.cast
    fresh = await town.make("police_officer", unit="POLICE-51")
    rids = [await desk.request(await desk.worker(), until="submitted") for _ in range(3)]
    everything = await town.inbox(fresh)
    assert everything["total"] == 3
    assert ids_of(everything) == rids[::-1]  # newest first
    first = await town.inbox(fresh, limit=2)
    rest = await town.inbox(fresh, limit=2, offset=2)
    assert first["total"] == rest["total"] == 3
    assert ids_of(first) + ids_of(rest) == rids[::-1]
    item = everything["items"][0]
    assert item["kind"] == "request.routed" and item["object_type"] == "vetting_request"
    assert item["message"] == TEXTS["request.routed"][0] and item["read_at"] is None
    english = await town.inbox(fresh, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert {i["message"] for i in english["items"]} == {TEXTS["request.routed"][1]}
    vietnamese = await town.inbox(fresh, headers={"Accept-Language": "vi"})
    assert {i["message"] for i in vietnamese["items"]} == {TEXTS["request.routed"][0]}

    # only its owner can mark a notification read; anyone else is told it does not exist
    target = next(i for i in everything["items"] if i["object_id"] == rids[1])
    for who in ("officer", "lead", "admin", "hr"):
        stranger = await town.client.post(f"{NOTIFICATIONS}/{target['id']}/read",
                                          headers=cast[who].headers)
        assert stranger.status_code == 404, who
    assert (await town.inbox(fresh, unread="true"))["total"] == 3
    read = await town.client.post(f"{NOTIFICATIONS}/{target['id']}/read",
                                  headers=fresh.headers)
    assert read.status_code == 200, read.text
    assert read.json()["id"] == target["id"] and read.json()["read_at"] is not None
    again = await town.client.post(f"{NOTIFICATIONS}/{target['id']}/read",
                                   headers=fresh.headers)
    assert again.status_code == 200 and again.json()["read_at"] == read.json()["read_at"]
    unread = await town.inbox(fresh, unread="true")
    assert unread["total"] == 2 and ids_of(unread) == [rids[2], rids[0]]
    done = await town.inbox(fresh, unread="false")
    assert done["total"] == 1 and ids_of(done) == [rids[1]]
    assert done["items"][0]["read_at"] is not None
    assert (await town.inbox(fresh, unread="true", limit=1, offset=1))["items"][0][
        "object_id"] == rids[0]
    missing = await town.client.post(f"{NOTIFICATIONS}/no-such-notification/read",
                                      headers=fresh.headers)
    assert missing.status_code == 404
    for params in ({"unread": "maybe"}, {"limit": "0"}, {"limit": "201"}, {"offset": "-1"}):
        bad = await town.client.get(NOTIFICATIONS, headers=fresh.headers, params=params)
        assert bad.status_code == 400, params
    nobody = await town.client.get(NOTIFICATIONS)
    assert nobody.status_code == 401


async def test_admins_get_an_empty_inbox(town: Town) -> None:
    page = await town.inbox(town.cast["admin"])
    assert page == {"items": [], "total": 0}


# --------------------------------------------------------------------------- expiring


async def _expire_within(town: Town, worker_id: str, days: int) -> None:
    async with town.database.transaction() as session:
        await session.execute(update(Clearance).where(Clearance.worker_id == worker_id)
                              .values(valid_until=datetime.now(UTC) + timedelta(days=days)))


async def test_expiring_clearances_are_announced_once(town: Town) -> None:
    desk, cast = town.desk(), town.cast
    due, suspended, later = [await desk.cleared_worker() for _ in range(3)]
    await _expire_within(town, due, 30)
    await _expire_within(town, suspended, 20)
    await _expire_within(town, later, 61)  # just outside the 60-day window
    assert (await desk.post("lead", f"/api/v1/workers/{suspended}/clearance/suspend",
                            {"reason": "sự cố"})).status_code == 200

    code, out, err = await kt1vet(town.settings, "notifications", "expiring")
    assert code == 0, err
    assert out.strip() == "1 clearances announced"
    unit_staff = town.expected(("post_hr", "dispatcher"), unit="POST-51")
    assert await town.recipients("clearance.expiring", due) == unit_staff
    assert await town.recipients("clearance.expiring", suspended) == set()
    assert await town.recipients("clearance.expiring", later) == set()
    item = next(i for i in (await town.inbox(cast["hr"], limit=200))["items"]
                if i["kind"] == "clearance.expiring" and i["object_id"] == due)
    assert item["message"] == TEXTS["clearance.expiring"][0]
    assert item["object_type"] == "worker"

    code, out, err = await kt1vet(town.settings, "notifications", "expiring")
    assert code == 0, err
    assert out.strip() == "0 clearances announced"
    async with town.database.transaction(read_only=True) as session:
        delivered = (await session.scalars(select(Notification.id).join(
            OutboxEvent, OutboxEvent.id == Notification.event_id).where(
            OutboxEvent.kind == "clearance.expiring", OutboxEvent.object_id == due))).all()
    assert len(delivered) == len(unit_staff)  # once each, not twice

    # a clearance entering the window later is announced on the next run, alone
    await _expire_within(town, later, 59)
    code, out, err = await kt1vet(town.settings, "notifications", "expiring")
    assert code == 0, err
    assert out.strip() == "1 clearances announced"
    assert await town.recipients("clearance.expiring", later) == unit_staff
