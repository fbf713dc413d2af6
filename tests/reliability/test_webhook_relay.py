"""The relay as its own process (`kt1vet relay`): killed mid-delivery it loses nothing, and
several at once make each attempt once.

Events are written to the outbox as producers write them (`publish` in a transaction); a
real HTTP server on 127.0.0.1 receives, and every signature is checked with the
`standardwebhooks` package.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.webhook_receiver import Receiver, Reply, verify
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import WebhookAttempt, WebhookDelivery
from vetting.models.base import new_id
from vetting.notifications.outbox import publish
from vetting.principal import SYSTEM, Actor, Context
from vetting.settings import Settings
from vetting.webhooks import subscriptions

KT1VET = str(Path(sys.executable).with_name("kt1vet"))
#: Short, so a killed relay's messages are taken over quickly.
SHORT_LEASE_S = 3
#: Long enough that no claim runs out while three relays queue for SQLite's writer lock.
LONG_LEASE_S = 60


def _env(settings: Settings, lease_s: int) -> dict[str, str]:
    env = {**os.environ, "KT1_DATABASE_URL": settings.database_url,
           "KT1_KEYS_DIR": str(settings.keys_dir), "KT1_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
           "KT1_WEBHOOK_TIMEOUT_S": "2", "KT1_WEBHOOK_LEASE_S": str(lease_s),
           "KT1_WEBHOOK_POLL_S": "0.1", "KT1_WEBHOOK_RETRY_BASE_S": "0.2"}
    env.pop("KT1_POLICY_FILE", None)
    return env


@asynccontextmanager
async def relay_process(settings: Settings, lease_s: int = SHORT_LEASE_S
                        ) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        KT1VET, "relay", env=_env(settings, lease_s), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stderr is not None
        started = await asyncio.wait_for(process.stderr.readline(), timeout=60)
        assert b"webhook relay running" in started, started + await process.stderr.read()
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def _subscribe(settings: Settings, url: str) -> str:
    """A national subscription to every `request.routed`; returns its secret."""
    database = Database(settings.database_url)
    try:
        async with database.transaction() as session:
            view = await subscriptions.create(
                session, Context(actor=Actor(id=None, role="admin")),
                RegistryKeys.open(settings.keys_dir).data, settings.webhooks, url=url,
                event_types=["request.routed"], province=None, unit=None, description=None)
        assert view.new_secret is not None
        return view.new_secret
    finally:
        await database.dispose()


async def _events(settings: Settings, count: int) -> list[str]:
    """`count` events, each written in its own transaction as a producer would."""
    database = Database(settings.database_url)
    made = []
    try:
        for _ in range(count):
            async with database.transaction() as session:
                event = await publish(session, Context(actor=SYSTEM), kind="request.routed",
                                      object_type="vetting_request", object_id=new_id(),
                                      audiences=[], units=("POST-51", "POLICE-51"),
                                      payload={"state": "submitted"})
                assert event is not None
                made.append(event.id)
        return made
    finally:
        await database.dispose()


async def _deliveries(settings: Settings) -> tuple[list[WebhookDelivery], list[WebhookAttempt]]:
    database = Database(settings.database_url)
    try:
        async with database.transaction(read_only=True) as session:
            deliveries = list((await session.scalars(select(WebhookDelivery))).all())
            attempts = list((await session.scalars(select(WebhookAttempt))).all())
        return deliveries, attempts
    finally:
        await database.dispose()


@pytest.mark.slow
async def test_a_relay_killed_mid_delivery_loses_nothing(fresh_settings: Settings) -> None:
    events = 5
    held = threading.Event()
    with Receiver() as receiver:
        secret = await _subscribe(fresh_settings, receiver.url())
        await _events(fresh_settings, events)
        receiver.default = Reply(200, hold=held)  # take each message, never answer
        async with relay_process(fresh_settings) as first:
            before = await asyncio.to_thread(receiver.wait_for, events, 60)
            first.send_signal(signal.SIGKILL)  # every message is mid-delivery now
            await first.wait()
            assert first.returncode == -signal.SIGKILL
        receiver.default = Reply(200)
        held.set()
        deliveries, attempts = await _deliveries(fresh_settings)
        assert {d.state for d in deliveries} == {"pending"}
        assert {a.finished_at for a in attempts} == {None}  # the dead relay recorded nothing
        async with relay_process(fresh_settings) as second:
            after = await asyncio.to_thread(receiver.wait_for, 2 * events, 60)
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 30) == 0
    ids = {d.id for d in deliveries}
    assert {r.webhook_id for r in before} == ids  # each message once before the kill,
    assert Counter(r.webhook_id for r in after) == dict.fromkeys(ids, 2)  # once after it
    first_bodies = {r.webhook_id: r.body for r in before}
    for request in after:
        verify(secret, request)
        assert request.body == first_bodies[request.webhook_id]
    deliveries, attempts = await _deliveries(fresh_settings)
    assert {d.state for d in deliveries} == {"delivered"}
    assert all(d.total_attempts == 2 for d in deliveries)
    by_number = {(a.delivery_id, a.number): a for a in attempts}
    for delivery_id in ids:  # the killed attempt is on record as abandoned
        assert by_number[delivery_id, 1].error_class == "Abandoned"
        assert by_number[delivery_id, 2].status_code == 200


@pytest.mark.slow
async def test_several_relays_make_each_attempt_once(fresh_settings: Settings) -> None:
    events = 60
    with Receiver() as receiver:
        secret = await _subscribe(fresh_settings, receiver.url())
        async with relay_process(fresh_settings, LONG_LEASE_S) as a, \
                relay_process(fresh_settings, LONG_LEASE_S) as b, \
                relay_process(fresh_settings, LONG_LEASE_S) as c:
            await _events(fresh_settings, events)  # while all three are polling
            got = await asyncio.to_thread(receiver.wait_for, events, 60)
            await asyncio.sleep(1.0)  # time for any duplicate to arrive
            for process in (a, b, c):
                process.send_signal(signal.SIGTERM)
            for process in (a, b, c):
                assert await asyncio.wait_for(process.wait(), 30) == 0
        got = list(receiver.received)
    deliveries, attempts = await _deliveries(fresh_settings)
    counts = Counter(r.webhook_id for r in got)
    assert len(counts) == events and set(counts.values()) == {1}, (
        counts.most_common(3), Counter((a.status_code, a.error_class) for a in attempts))
    for request in got:
        verify(secret, request)
    assert len(deliveries) == events and {d.state for d in deliveries} == {"delivered"}
    assert len(attempts) == events, Counter((a.status_code, a.error_class) for a in attempts)
    assert {a.status_code for a in attempts} == {200}
