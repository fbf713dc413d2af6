"""Signed webhooks: admin's subscriptions and deliveries, sent by the relay to a real receiver.

The module owns its database (`hub`), so every event and delivery in it is one of its own.
The relay runs in the test's process (`Relay.run_once`, or the server's lifespan); a real
HTTP server on 127.0.0.1 receives, and the `standardwebhooks` package, not the registry's
code, checks every signature. The tests' settings list loopback as an allowed target.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import shutil
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from standardwebhooks import WebhookVerificationError

from api.app import create_app
from api.controllers.webhooks import EventType
from tests.api.test_attestations import isolated_registry
from tests.api.test_eligibility import Desk
from tests.checks import succeeded
from tests.conftest import People, Person, new_database_url, settings_for
from tests.factories import worker_body
from tests.webhook_receiver import Receiver, Reply, verify
from vetting.bootstrap import prepare
from vetting.db import Database
from vetting.errors import InvalidInput
from vetting.keys import RegistryKeys
from vetting.models import AuditEntry, WebhookDelivery, WebhookSecret, WebhookSubscription
from vetting.notifications.outbox import KINDS
from vetting.principal import Actor, Context
from vetting.settings import Settings, read_settings
from vetting.webhooks import subscriptions
from vetting.webhooks.relay import Relay

SUBSCRIPTIONS = "/api/v1/webhooks/subscriptions"
DELIVERIES = "/api/v1/webhooks/deliveries"
ALL_KINDS = sorted(KINDS)
KT1VET = str(Path(sys.executable).with_name("kt1vet"))


@dataclass
class Hub:
    client: httpx.AsyncClient
    database: Database
    settings: Settings
    keys: RegistryKeys
    people: People
    desk: Desk
    admin: Person

    async def subscribe(self, url: str, event_types: Sequence[str] = ALL_KINDS,
                        **scope: str) -> dict[str, Any]:
        response = await self.client.post(SUBSCRIPTIONS, headers=self.admin.headers, json={
            "url": url, "event_types": list(event_types), **scope})
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def relay(self, **overrides: Any) -> Relay:
        """A relay over the hub's database that retries fast (50 ms back-off)."""
        settings = dataclasses.replace(self.settings.webhooks, **{
            "retry_base_s": 0.05, "timeout_s": 1.0, **overrides})
        return Relay(self.database, self.keys.data, settings)

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = await self.client.get(path, headers=self.admin.headers, params=params)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def deliveries(self, subscription_id: str) -> list[dict[str, Any]]:
        page = await self.get(DELIVERIES, subscription_id=subscription_id)
        return list(page["items"])

    async def routed_request(self) -> str:
        """A fresh worker of POST-51 nominated: one `request.routed` event (POLICE-51)."""
        return await self.desk.request(await self.desk.worker(), until="submitted")


@pytest.fixture(scope="module")
async def hub(backend: str, keys_dir: Path,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    url = await new_database_url(backend, tmp_path_factory.mktemp("webhooks"))
    settings = settings_for(url, keys_dir)
    await prepare(settings, create_admin=False)
    async with isolated_registry(settings) as registry:
        people = registry.people
        desk = Desk(registry.client, {
            "hr": await people.make("post_hr", unit="POST-51"),
            "officer": await people.make("police_officer", unit="POLICE-51"),
            "lead": await people.make("police_lead", unit="POLICE-51"),
            "dispatcher": await people.make("dispatcher", unit="POST-51"),
        })
        yield Hub(client=registry.client, database=registry.database, settings=settings,
                  keys=RegistryKeys.open(keys_dir), people=people, desk=desk,
                  admin=await people.make("admin"))


@pytest.fixture(autouse=True)
async def _one_test_one_receiver(hub: Hub) -> AsyncIterator[None]:
    """Each test's subscriptions go quiet after it, so no later event is sent to its
    (closed) receiver."""
    yield
    async with hub.database.transaction() as session:
        await session.execute(update(WebhookSubscription).values(state="disabled"))


@pytest.fixture
def receiver() -> Any:
    with Receiver() as running:
        yield running


async def deliver(relay: Relay, receiver: Receiver, count: int) -> list[Any]:
    """Run passes until `count` requests reached the receiver (15 s at most)."""
    async with asyncio.timeout(15):
        while len(receiver.received) < count:
            await relay.run_once()
            await asyncio.sleep(0.03)
    return list(receiver.received)


async def drain(relay: Relay) -> None:
    """Run passes until one finds nothing to fan out and nothing due."""
    async with asyncio.timeout(15):
        while True:
            done = await relay.run_once()
            if not (done.fanned_out or done.attempted):
                return
            await asyncio.sleep(0.03)


# --------------------------------------------------------------------------- subscriptions


async def test_the_secret_is_shown_once_and_stored_only_sealed(hub: Hub, receiver: Receiver
                                                               ) -> None:
    created = await hub.subscribe(receiver.url(), ["request.routed"], province="51")
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert created["state"] == "active" and created["province"] == "51"
    assert created["event_types"] == ["request.routed"] and len(created["secrets"]) == 1
    read = await hub.get(f"{SUBSCRIPTIONS}/{created['id']}")
    listed = await hub.get(SUBSCRIPTIONS, state="active")
    assert "secret" not in read and read["secrets"] == created["secrets"]
    assert created["id"] in [s["id"] for s in listed["items"]]
    assert all("secret" not in s for s in listed["items"])
    async with hub.database.transaction(read_only=True) as session:
        row = await session.scalar(select(WebhookSecret).where(
            WebhookSecret.subscription_id == created["id"]))
        entries = (await session.scalars(select(AuditEntry).where(
            AuditEntry.object_id == created["id"]))).all()
    assert row is not None
    assert secret.encode() not in row.secret_enc and secret[6:].encode() not in row.secret_enc
    assert subscriptions.unseal_secret(hub.keys.data, row) == secret
    assert [e.action for e in entries] == ["webhooks.subscription.create"]
    assert secret[6:] not in entries[0].body and json.loads(entries[0].body)["host"] == \
        "127.0.0.1"


async def test_a_delivery_is_signed_as_standard_webhooks_says(hub: Hub,
                                                              receiver: Receiver) -> None:
    created = await hub.subscribe(receiver.url("/kt1?source=registry"), ["request.routed"])
    request_id = await hub.routed_request()
    async with hub.relay() as relay:
        [got] = await deliver(relay, receiver, 1)
    assert got.path == "/kt1?source=registry"
    payload = verify(created["secret"], got)  # raises unless the signature holds
    assert got.headers["content-type"] == "application/json"
    assert got.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert abs(int(got.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 60
    assert payload["type"] == "request.routed"
    assert payload["timestamp"].endswith("Z")
    data = payload["data"]
    assert data["object_type"] == "vetting_request" and data["object_id"] == request_id
    assert data["details"] == {"state": "submitted"}
    assert data["units"] == ["POLICE-51", "POST-51"] and data["provinces"] == ["51"]
    [delivery] = await hub.deliveries(created["id"])
    assert delivery["id"] == got.webhook_id and delivery["event_id"] == data["event_id"]
    assert delivery["state"] == "delivered" and delivery["last_status"] == 200
    detail = await hub.get(f"{DELIVERIES}/{delivery['id']}")
    [attempt] = detail["attempt_log"]
    assert attempt["number"] == 1 and attempt["status_code"] == 200
    assert attempt["error_class"] is None and attempt["duration_ms"] >= 0
    with pytest.raises(WebhookVerificationError):  # another secret does not verify it
        verify("whsec_" + base64.b64encode(b"x" * 32).decode(), got)


async def test_the_payload_carries_no_personal_data(hub: Hub, receiver: Receiver) -> None:
    body = worker_body("POST-51", full_name="Trần Thị Bích Ngọc",
                       hometown="Sơn Tịnh, Quảng Ngãi",
                       permanent_address="45 Phan Đình Phùng, Quảng Ngãi",
                       current_address="7 Hùng Vương, Quảng Ngãi")
    created = await hub.subscribe(receiver.url(), ALL_KINDS)
    desk = hub.desk
    worker_id = await desk.worker(**{k: body[k] for k in (
        "full_name", "national_id", "date_of_birth", "hometown", "permanent_address",
        "current_address", "employee_no")})
    rid = await desk.request(worker_id, until="submitted")
    base = f"/api/v1/vetting-requests/{rid}"
    assert (await desk.post("officer", f"{base}/claim")).status_code == 200
    assert (await desk.post("officer", f"{base}/return",
                            {"note": "Bổ sung nơi ở của ông Trần Văn Hải"})).status_code == 200
    assert (await desk.post("hr", f"{base}/resubmit", {"reason": "đã bổ sung"})).status_code \
        == 200
    succeeded(await desk.post("officer", f"{base}/claim"))
    succeeded(await desk.post("officer", f"{base}/propose", {"outcome": "meets_standard",
                                                             "note": "Gia đình ông Trần Văn Hải"}))
    assert (await desk.post("lead", f"{base}/approve")).status_code == 200
    incident = await desk.post("hr", "/api/v1/incidents", {
        "kind": "loss", "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "description": "Thất lạc túi KT1 do Trần Thị Bích Ngọc giữ", "worker_ids": [worker_id]})
    assert incident.status_code == 201, incident.text
    async with hub.relay() as relay:
        await drain(relay)
    got = receiver.received
    kinds = {verify(created["secret"], r)["type"] for r in got}
    assert {"request.routed", "request.returned", "request.decided", "clearance.suspended",
            "incident.reported"} <= kinds
    dob = body["date_of_birth"]
    personal = [body["full_name"], body["national_id"], body["national_id"][-6:], dob,
                dob.replace("-", ""), body["hometown"], body["permanent_address"],
                body["current_address"], body["employee_no"], "Trần", "Hải"]
    for request in got:
        text = request.body.decode()
        assert not [p for p in personal if p in text], text
        data = json.loads(text)["data"]
        assert set(data) == {"event_id", "object_type", "object_id", "details", "units",
                             "provinces"}
        # every one concerns the worker's post unit and the police unit that vetted them
        assert {"POST-51", "POLICE-51"} <= set(data["units"]) and data["provinces"] == ["51"]


# --------------------------------------------------------------------------- retries


async def test_a_500_is_retried_with_the_same_webhook_id(hub: Hub, receiver: Receiver) -> None:
    created = await hub.subscribe(receiver.url(), ["request.routed"])
    receiver.plan.extend([Reply(500), Reply(503, headers={"retry-after": "0"})])
    await hub.routed_request()
    async with hub.relay() as relay:
        got = await deliver(relay, receiver, 3)
    assert len({r.webhook_id for r in got}) == 1
    assert len({r.body for r in got}) == 1  # the same message each time
    for request in got:
        verify(created["secret"], request)
    [delivery] = await hub.deliveries(created["id"])
    assert delivery["state"] == "delivered" and delivery["total_attempts"] == 3
    detail = await hub.get(f"{DELIVERIES}/{delivery['id']}")
    assert [(a["number"], a["status_code"]) for a in detail["attempt_log"]] == [
        (1, 500), (2, 503), (3, 200)]


async def test_a_timeout_is_retried(hub: Hub, receiver: Receiver) -> None:
    created = await hub.subscribe(receiver.url(), ["request.routed"])
    receiver.plan.append(Reply(200, delay_s=2.0))  # later than the relay waits
    await hub.routed_request()
    async with hub.relay(timeout_s=0.3) as relay:
        first = await relay.run_once()
        assert (first.attempted, first.delivered) == (1, 0)
        [delivery] = await hub.deliveries(created["id"])
        assert delivery["state"] == "pending" and delivery["last_status"] is None
        assert delivery["last_error"] in ("Timeout", "ReadTimeout")
        got = await deliver(relay, receiver, 2)
    assert got[0].webhook_id == got[1].webhook_id
    [delivery] = await hub.deliveries(created["id"])
    assert delivery["state"] == "delivered"
    detail = await hub.get(f"{DELIVERIES}/{delivery['id']}")
    log = detail["attempt_log"]
    assert [a["error_class"] for a in log][1:] == [None] and log[0]["status_code"] is None
    assert 250 <= log[0]["duration_ms"] < 2000


async def test_back_off_grows_and_retry_after_is_honoured(hub: Hub, receiver: Receiver
                                                          ) -> None:
    created = await hub.subscribe(receiver.url(), ["request.routed"])
    receiver.default = Reply(429, headers={"retry-after": "600"})
    await hub.routed_request()
    async with hub.relay(retry_base_s=5.0) as relay:
        await deliver(relay, receiver, 1)
    [delivery] = await hub.deliveries(created["id"])
    due = datetime.fromisoformat(delivery["next_attempt_at"])
    assert timedelta(seconds=590) < due - datetime.now(UTC) < timedelta(seconds=610)
    assert delivery["state"] == "pending" and delivery["last_status"] == 429


async def test_parked_after_the_last_attempt_and_replayed(hub: Hub,
                                                          receiver: Receiver) -> None:
    created = await hub.subscribe(receiver.url(), ["request.routed"])
    receiver.default = Reply(500)
    await hub.routed_request()
    async with hub.relay(max_attempts=2) as relay:
        await deliver(relay, receiver, 2)
        await relay.run_once()
        assert len(receiver.received) == 2  # parked: not tried again
        [delivery] = await hub.deliveries(created["id"])
        assert delivery["state"] == "parked" and delivery["parked_at"] is not None
        parked = await hub.get(DELIVERIES, state="parked", subscription_id=created["id"])
        assert [d["id"] for d in parked["items"]] == [delivery["id"]]
        receiver.default = Reply(204)
        replayed = await hub.client.post(f"{DELIVERIES}/{delivery['id']}/replay",
                                         headers=hub.admin.headers)
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["state"] == "pending" and replayed.json()["attempts"] == 0
        again = await hub.client.post(f"{DELIVERIES}/{delivery['id']}/replay",
                                      headers=hub.admin.headers)
        assert again.status_code == 409 and again.json()["code"] == "INVALID_TRANSITION"
        got = await deliver(relay, receiver, 3)
    assert {r.webhook_id for r in got} == {delivery["id"]}
    verify(created["secret"], got[-1])
    detail = await hub.get(f"{DELIVERIES}/{delivery['id']}")
    assert detail["state"] == "delivered" and detail["total_attempts"] == 3
    assert [a["status_code"] for a in detail["attempt_log"]] == [500, 500, 204]
    async with hub.database.transaction(read_only=True) as session:
        actions = (await session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_id == delivery["id"]))).all()
    assert actions == ["webhooks.delivery.replay"]


async def test_410_gone_disables_the_subscription(hub: Hub, receiver: Receiver) -> None:
    created = await hub.subscribe(receiver.url(), ["request.routed"])
    receiver.default = Reply(410)
    await hub.routed_request()
    async with hub.relay() as relay:
        await deliver(relay, receiver, 1)
        await hub.routed_request()
        await relay.run_once()
    assert len(receiver.received) == 1  # nothing more is sent
    read = await hub.get(f"{SUBSCRIPTIONS}/{created['id']}")
    assert read["state"] == "disabled" and read["disabled_reason"] == "gone"
    [delivery] = await hub.deliveries(created["id"])
    assert delivery["state"] == "parked" and delivery["last_status"] == 410
    replay = await hub.client.post(f"{DELIVERIES}/{delivery['id']}/replay",
                                   headers=hub.admin.headers)
    assert replay.status_code == 409 and replay.json()["code"] == "SUBSCRIPTION_DISABLED"
    enabled = await hub.client.post(f"{SUBSCRIPTIONS}/{created['id']}/enable",
                                    headers=hub.admin.headers)
    assert enabled.status_code == 200 and enabled.json()["state"] == "active"


# --------------------------------------------------------------------------- secrets


async def test_rotation_signs_with_both_secrets_for_24_hours(hub: Hub,
                                                             receiver: Receiver) -> None:
    created = await hub.subscribe(receiver.url(), ["request.routed"])
    old = created["secret"]
    rotated = await hub.client.post(f"{SUBSCRIPTIONS}/{created['id']}/rotate-secret",
                                    headers=hub.admin.headers)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old and new.startswith("whsec_")
    current, previous = rotated.json()["secrets"]
    assert current["expires_at"] is None
    expires = datetime.fromisoformat(previous["expires_at"])
    assert timedelta(hours=23, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=24)
    await hub.routed_request()
    async with hub.relay() as relay:
        [both] = await deliver(relay, receiver, 1)
        signatures = both.headers["webhook-signature"].split(" ")
        assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
        verify(old, both)  # a receiver that has not switched yet
        verify(new, both)  # and one that has
        async with hub.database.transaction() as session:  # 24 hours later
            await session.execute(update(WebhookSecret).where(
                WebhookSecret.id == previous["id"]).values(
                expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        await hub.routed_request()
        [_, after] = await deliver(relay, receiver, 2)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    verify(new, after)
    with pytest.raises(WebhookVerificationError):
        verify(old, after)
    read = await hub.get(f"{SUBSCRIPTIONS}/{created['id']}")
    assert [s["id"] for s in read["secrets"]] == [current["id"]]


# --------------------------------------------------------------------------- targets


@pytest.mark.parametrize(("url", "code"), [
    ("http://10.0.0.1/hook", "WEBHOOK_ADDRESS_REFUSED"),
    ("https://10.0.0.1/hook", "WEBHOOK_ADDRESS_REFUSED"),
    ("https://192.168.1.5:8443/hook", "WEBHOOK_ADDRESS_REFUSED"),
    ("https://172.16.0.9/", "WEBHOOK_ADDRESS_REFUSED"),
    ("https://169.254.169.254/latest/meta-data", "WEBHOOK_ADDRESS_REFUSED"),
    ("https://100.64.0.1/", "WEBHOOK_ADDRESS_REFUSED"),
    ("https://0.0.0.0/", "WEBHOOK_ADDRESS_REFUSED"),
    ("https://[::1]/hook", "WEBHOOK_ADDRESS_REFUSED"),
    ("https://[fd00::1]/hook", "WEBHOOK_ADDRESS_REFUSED"),
    ("https://[::ffff:10.0.0.1]/hook", "WEBHOOK_ADDRESS_REFUSED"),
    ("https://224.0.0.1/", "WEBHOOK_ADDRESS_REFUSED"),
    ("http://93.184.216.34/hook", "WEBHOOK_HTTPS_REQUIRED"),
    ("ftp://hooks.example.org/", "WEBHOOK_URL_INVALID"),
    ("https://user:pass@hooks.example.org/", "WEBHOOK_URL_INVALID"),
    ("https://hooks.example.org/#part", "WEBHOOK_URL_INVALID"),
    ("hooks.example.org/hook", "WEBHOOK_URL_INVALID"),
    ("https://hooks.example.org:99999/", "WEBHOOK_URL_INVALID"),
])
async def test_private_and_malformed_targets_are_refused(hub: Hub, url: str, code: str
                                                         ) -> None:
    async with hub.database.transaction(read_only=True) as session:
        before = await session.scalar(select(func.count()).select_from(WebhookSubscription))
    response = await hub.client.post(SUBSCRIPTIONS, headers={
        **hub.admin.headers, "accept-language": "en"}, json={
        "url": url, "event_types": ["request.routed"]})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == code
    assert [p["name"] for p in problem["invalid_params"]] == ["url"]
    assert problem["detail"].startswith("Address (URL):")
    async with hub.database.transaction(read_only=True) as session:
        after = await session.scalar(select(func.count()).select_from(WebhookSubscription))
    assert after == before


def _fixed(*addresses: str) -> Any:
    """A resolver that answers these addresses for any name."""
    async def resolver(host: str, port: int) -> list[str]:
        return list(addresses)
    return resolver


@pytest.mark.parametrize(("answer", "allowed"), [
    (["10.1.2.3"], False),
    (["203.0.113.7"], False),  # documentation range: not global
    (["93.184.216.34", "10.0.0.1"], False),  # one private answer is enough to refuse
    (["93.184.216.34"], True),
    (["2606:2800:220:1:248:1893:25c8:1946"], True),
])
async def test_a_host_name_is_judged_by_its_dns_answer(hub: Hub, answer: list[str],
                                                       allowed: bool) -> None:
    ctx = Context(actor=Actor(id=hub.admin.id, role="admin"))
    async with hub.database.transaction() as session:
        attempt = subscriptions.create(
            session, ctx, hub.keys.data, hub.settings.webhooks,
            url="https://hooks.example.test/kt1", event_types=["request.routed"],
            province=None, unit=None, description=None, resolver=_fixed(*answer))
        if allowed:
            assert (await attempt).subscription.url == "https://hooks.example.test/kt1"
        else:
            with pytest.raises(InvalidInput) as refused:
                await attempt
            assert refused.value.code == "WEBHOOK_ADDRESS_REFUSED"
            assert refused.value.field == "url"
        await session.rollback()


async def test_the_relay_checks_the_address_again_and_connects_to_it(hub: Hub,
                                                                   receiver: Receiver) -> None:
    """A name resolved at subscription time may point elsewhere later (DNS rebinding): each
    attempt checks the answer of that moment and connects to the address it checked."""
    settings = dataclasses.replace(
        hub.settings.webhooks, allowed=read_settings({
            "KT1_WEBHOOK_ALLOWED_HOSTS": "receiver.kt1.test"}).webhooks.allowed)
    ctx = Context(actor=Actor(id=hub.admin.id, role="admin"))
    url = f"http://receiver.kt1.test:{receiver.port}/hook"
    async with hub.database.transaction() as session:
        created = await subscriptions.create(
            session, ctx, hub.keys.data, settings, url=url, event_types=["request.routed"],
            province=None, unit=None, description=None,
            resolver=_fixed("127.0.0.1"))
    await hub.routed_request()
    # listed by name no more, and its address not in a listed network: refused
    strict = dataclasses.replace(hub.settings.webhooks, retry_base_s=0.05, allowed=read_settings(
        {"KT1_WEBHOOK_ALLOWED_HOSTS": "10.0.0.0/8"}).webhooks.allowed)
    async with Relay(hub.database, hub.keys.data, strict,
                     resolver=_fixed("127.0.0.1")) as relay:
        assert (await relay.run_once()).attempted == 1
    assert receiver.received == []
    [delivery] = await hub.deliveries(created.subscription.id)
    assert delivery["last_error"] == "AddressRefused" and delivery["last_status"] is None
    # listed by name: the attempt connects to the address it resolved, naming the host
    await asyncio.sleep(0.1)
    async with Relay(hub.database, hub.keys.data, dataclasses.replace(
            settings, retry_base_s=0.05), resolver=_fixed("127.0.0.1")) as relay:
        [got] = await deliver(relay, receiver, 1)
    assert got.headers["host"] == f"receiver.kt1.test:{receiver.port}"
    verify(created.new_secret or "", got)


# --------------------------------------------------------------------------- scope, input


async def test_subscriptions_get_only_their_kinds_and_scope(hub: Hub) -> None:
    with Receiver() as province, Receiver() as police, Receiver() as other, \
            Receiver() as decided:
        await hub.subscribe(province.url(), ["request.routed"], province="51")
        await hub.subscribe(police.url(), ["request.routed"], unit="POLICE-51")
        await hub.subscribe(other.url(), ["request.routed"], unit="POST-12")
        await hub.subscribe(decided.url(), ["request.decided"])
        request_id = await hub.routed_request()
        async with hub.relay() as relay:
            await deliver(relay, province, 1)
            await deliver(relay, police, 1)
            await relay.run_once()
        for got in (province.received, police.received):
            assert [r.json()["data"]["object_id"] for r in got] == [request_id]
        assert other.received == [] and decided.received == []


async def test_events_before_a_subscription_are_not_sent_to_it(hub: Hub,
                                                               receiver: Receiver) -> None:
    await hub.routed_request()
    await hub.subscribe(receiver.url(), ["request.routed"])
    async with hub.relay() as relay:
        await relay.run_once()
        assert receiver.received == []
        request_id = await hub.routed_request()
        [got] = await deliver(relay, receiver, 1)
    assert got.json()["data"]["object_id"] == request_id


async def test_a_disabled_subscription_receives_nothing_until_enabled(
        hub: Hub, receiver: Receiver) -> None:
    created = await hub.subscribe(receiver.url(), ["request.routed"])
    disabled = await hub.client.post(f"{SUBSCRIPTIONS}/{created['id']}/disable",
                                     headers={**hub.admin.headers, "if-match": '"1"'})
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["state"] == "disabled" and disabled.json()["disabled_reason"] == \
        "admin"
    twice = await hub.client.post(f"{SUBSCRIPTIONS}/{created['id']}/disable",
                                  headers=hub.admin.headers)
    assert twice.status_code == 409 and twice.json()["code"] == "INVALID_TRANSITION"
    stale = await hub.client.post(f"{SUBSCRIPTIONS}/{created['id']}/enable",
                                  headers={**hub.admin.headers, "if-match": '"1"'})
    assert stale.status_code == 409 and stale.json()["code"] == "STALE_VERSION"
    await hub.routed_request()
    async with hub.relay() as relay:
        await relay.run_once()
        assert receiver.received == []
        assert (await hub.client.post(f"{SUBSCRIPTIONS}/{created['id']}/enable",
                                      headers=hub.admin.headers)).status_code == 200
        await hub.routed_request()
        await deliver(relay, receiver, 1)
    assert len(await hub.deliveries(created["id"])) == 1


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"event_types": ["request.routed"]}, 400, "VALIDATION_FAILED", "url"),
    ({"url": "https://h.example.org/", "event_types": []}, 400, "VALIDATION_FAILED",
     "event_types"),
    ({"url": "https://h.example.org/", "event_types": ["worker.created"]}, 400,
     "VALIDATION_FAILED", "event_types"),
    ({"url": "https://h.example.org/", "event_types": ["request.routed"], "secret": "x"}, 400,
     "VALIDATION_FAILED", "secret"),
    ({"url": "https://h.example.org/", "event_types": ["request.routed"],
      "province": "51", "unit": "POST-51"}, 422, "WEBHOOK_ONE_SCOPE", "unit"),
    ({"url": "https://h.example.org/", "event_types": ["request.routed"],
      "unit": "POST-99"}, 422, "UNKNOWN_UNIT", "unit"),
    ({"url": "https://h.example.org/", "event_types": ["request.routed"],
      "province": "99"}, 422, "UNKNOWN_PROVINCE", "province"),
    ({"url": "https://h.example.org/\x00", "event_types": ["request.routed"]}, 400,
     "VALIDATION_FAILED", "url"),
])
async def test_bad_subscriptions_name_the_field(hub: Hub, body: dict[str, Any], status: int,
                                                code: str, field: str) -> None:
    response = await hub.client.post(SUBSCRIPTIONS, headers=hub.admin.headers, json=body)
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code
    assert [p for p in problem["invalid_params"] if p["name"].split("[")[0] == field]


def test_the_api_offers_exactly_the_outbox_kinds() -> None:
    from typing import get_args

    assert set(get_args(EventType)) == KINDS


@pytest.mark.parametrize("role", ["post_hr", "police_officer", "police_lead", "dispatcher",
                                  "inspector"])
async def test_only_admin_manages_webhooks(hub: Hub, role: str) -> None:
    where = {"post_hr": {"unit": "POST-51"}, "dispatcher": {"unit": "POST-51"},
             "police_officer": {"unit": "POLICE-51"}, "police_lead": {"unit": "POLICE-51"},
             "inspector": {"province": "51"}}[role]
    caller = await hub.people.make(role, **where)
    for method, path, body in [
            ("POST", SUBSCRIPTIONS, {"url": "http://127.0.0.1:9/x",
                                     "event_types": ["request.routed"]}),
            ("GET", SUBSCRIPTIONS, None), ("GET", DELIVERIES, None),
            ("POST", f"{DELIVERIES}/none/replay", None),
            ("POST", f"{SUBSCRIPTIONS}/none/rotate-secret", None)]:
        response = await hub.client.request(method, path, json=body, headers=caller.headers)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "FORBIDDEN"
    async with hub.database.transaction(read_only=True) as session:
        assert await session.scalar(select(func.count()).select_from(WebhookSubscription)
                                    .where(WebhookSubscription.created_by == caller.id)) == 0


async def test_unknown_ids_are_not_found(hub: Hub) -> None:
    for method, path in [("GET", f"{SUBSCRIPTIONS}/nope"), ("GET", f"{DELIVERIES}/nope"),
                         ("POST", f"{DELIVERIES}/nope/replay"),
                         ("POST", f"{SUBSCRIPTIONS}/nope/disable"),
                         ("POST", f"{SUBSCRIPTIONS}/nope/rotate-secret")]:
        response = await hub.client.request(method, path, headers=hub.admin.headers)
        assert response.status_code == 404, (path, response.text)


# --------------------------------------------------------------------------- where it runs


def _relay_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "kt1-webhook-relay"]


async def test_the_server_runs_the_relay_unless_a_setting_turns_it_off(
        hub: Hub, receiver: Receiver) -> None:
    off = create_app(hub.settings, hub.database)
    async with off.lifespan():
        assert _relay_tasks() == []
    on_settings = settings_for(hub.settings.database_url, hub.settings.keys_dir,
                               KT1_WEBHOOK_RELAY="on", KT1_WEBHOOK_POLL_S="0.05")
    created = await hub.subscribe(receiver.url(), ["request.routed"])
    on = create_app(on_settings, hub.database)
    async with on.lifespan():
        assert len(_relay_tasks()) == 1
        request_id = await hub.routed_request()
        [got] = await asyncio.to_thread(receiver.wait_for, 1, 15)
    assert _relay_tasks() == []  # stopped with the app
    assert verify(created["secret"], got)["data"]["object_id"] == request_id


async def _kt1vet(settings: Settings, *args: str, **env: str) -> tuple[int, str, str]:
    full = {**os.environ, "KT1_DATABASE_URL": settings.database_url,
            "KT1_KEYS_DIR": str(settings.keys_dir), **env}
    full.pop("KT1_POLICY_FILE", None)
    process = await asyncio.create_subprocess_exec(
        KT1VET, *args, env=full, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_kt1vet_relay_once_delivers_and_refuses_unlisted_private_targets(
        hub: Hub, receiver: Receiver) -> None:
    created = await hub.subscribe(receiver.url(), ["request.routed"])
    await hub.routed_request()
    # the operator's configuration lists no loopback: the attempt is refused, nothing sent
    code, out, err = await _kt1vet(hub.settings, "relay", "--once",
                                   KT1_WEBHOOK_ALLOWED_HOSTS="")
    assert code == 0, err
    assert "1 attempts, 0 delivered" in out and receiver.received == []
    [delivery] = await hub.deliveries(created["id"])
    assert delivery["last_error"] == "AddressRefused"
    async with hub.database.transaction() as session:  # due again now
        await session.execute(update(WebhookDelivery).where(
            WebhookDelivery.id == delivery["id"]).values(next_attempt_at=datetime.now(UTC)))
    code, out, err = await _kt1vet(hub.settings, "relay", "--once",
                                   KT1_WEBHOOK_ALLOWED_HOSTS="127.0.0.1")
    assert code == 0, err
    assert "1 attempts, 1 delivered" in out
    [got] = receiver.received
    assert got.webhook_id == delivery["id"]
    verify(created["secret"], got)


async def test_kt1vet_relay_without_a_registry_names_the_variable(tmp_path: Path) -> None:
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path}/none.db", tmp_path / "keys")
    code, _, err = await _kt1vet(settings, "relay", "--once")
    assert code == 2 and "KT1_DATABASE_URL" in err and "Traceback" not in err
    assert not (tmp_path / "none.db").exists()


async def test_rotating_the_data_key_reseals_webhook_secrets(fresh_settings: Settings,
                                                             keys_dir: Path,
                                                             tmp_path: Path) -> None:
    """On a copy of the key store, so the suite's shared keys keep one data key."""
    copied = Path(shutil.copytree(keys_dir, tmp_path / "keys"))
    settings = dataclasses.replace(fresh_settings, keys_dir=copied)
    database = Database(settings.database_url)
    try:
        keys = RegistryKeys.open(copied)
        async with database.transaction() as session:
            view = await subscriptions.create(
                session, Context(actor=Actor(id=None, role="admin")), keys.data,
                settings.webhooks, url="http://127.0.0.1:9/hook",
                event_types=["request.routed"], province=None, unit=None, description=None)
        [before] = view.secrets
        code, _, err = await _kt1vet(settings, "keys", "rotate-data")
        assert code == 0, err
        async with database.transaction(read_only=True) as session:
            after = await session.get(WebhookSecret, before.id)
        assert after is not None and after.secret_enc != before.secret_enc
        fresh = RegistryKeys.open(copied)
        assert fresh.data.cipher.version_of(after.secret_enc) == \
            fresh.data.cipher.current_version > keys.data.cipher.version_of(before.secret_enc)
        assert subscriptions.unseal_secret(fresh.data, after) == view.new_secret
    finally:
        await database.dispose()
