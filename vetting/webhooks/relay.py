"""The webhook relay: outbox rows become signed deliveries, sent at least once.

One pass (`Relay.run_once`):

1. **Fan out.** Outbox rows not yet relayed are read (`FOR UPDATE SKIP LOCKED` on
   PostgreSQL; SQLite's writer lock makes the transaction exclusive), one delivery is made
   per matching active subscription, and the rows are marked relayed, all in one
   transaction: an event is fanned out exactly once, whatever number of relays run.
2. **Claim.** Due deliveries are claimed by one atomic `UPDATE … RETURNING` that sets a lease
   (`lease_until`, `claim_token`); on PostgreSQL its subquery skips rows another relay has
   locked. A claimed delivery is no one else's until the lease runs out, so each attempt is
   made by one relay only. The attempt is recorded (started) in the same transaction.
3. **Send**, outside any transaction: the target is checked again on the DNS answer of this
   moment, the connection goes to the checked address, the whole attempt is bounded by
   `timeout_s`, and the response body is never read.
4. **Record**: status, duration and error class; delivered, retried later (back-off with
   jitter, `Retry-After` honoured when throttled), or parked after the round's last attempt.
   `410 Gone` disables the subscription, as the specification asks.

A relay killed between 2 and 4 leaves its attempt unfinished and the lease running; when the
lease ends, the next claim marks that attempt abandoned and sends the message again with the
same `webhook-id`. Receivers de-duplicate on that id.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Self

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crypto.webhook_signatures import signature_header
from vetting.audit.entries import append, canonical_json, format_time
from vetting.db import Database
from vetting.models import (
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSecret,
    WebhookSubscription,
)
from vetting.models.base import new_id, utcnow
from vetting.notifications.outbox import event_scope
from vetting.personal_data import DataProtection
from vetting.principal import SYSTEM, Context
from vetting.settings import WebhookSettings
from vetting.webhooks import targets
from vetting.webhooks.schedule import THROTTLING, next_attempt, retry_after_seconds
from vetting.webhooks.subscriptions import matches, signing, unseal_secret

log = logging.getLogger("kt1.webhooks")

FAN_OUT_BATCH = 500
CLAIM_BATCH = 20
USER_AGENT = "kt1-registry-webhooks/1"
#: a refused target, by the code the check raised, as the attempt's error class
_REFUSALS = {"WEBHOOK_ADDRESS_REFUSED": "AddressRefused",
             "WEBHOOK_HOST_UNRESOLVED": "HostUnresolved"}


def message_body(event: OutboxEvent) -> bytes:
    """The Standard Webhooks payload: `type`, `timestamp`, `data`. Ids, codes and states only,
    as the outbox holds them; the same bytes on every attempt."""
    units, provinces = event_scope(event)
    return canonical_json({
        "type": event.kind,
        "timestamp": format_time(event.created_at),
        "data": {"event_id": event.id, "object_type": event.object_type,
                 "object_id": event.object_id, "details": json.loads(event.payload or "{}"),
                 "units": sorted(units), "provinces": sorted(provinces)},
    }).encode()


@dataclass(frozen=True, slots=True)
class Claim:
    """One delivery this relay holds the lease on, with what it needs to send it."""

    delivery_id: str
    token: str
    attempt_id: str
    url: str
    secrets: tuple[str, ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int | None
    error: str | None
    duration_ms: int
    retry_after_s: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class Pass:
    fanned_out: int
    attempted: int
    delivered: int

    @property
    def busy(self) -> bool:
        """More may be waiting: go again at once rather than after the poll interval."""
        return self.fanned_out > 0 or self.attempted >= CLAIM_BATCH


class Relay:
    """Runs passes against one database; use as `async with Relay(...) as relay`."""

    def __init__(self, database: Database, protection: DataProtection,
                 settings: WebhookSettings, *,
                 resolver: targets.Resolver = targets.system_resolver,
                 rng: random.Random | None = None) -> None:
        self.database, self.protection, self.settings = database, protection, settings
        self.resolver = resolver
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Self:
        timeout = self.settings.timeout_s
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False, trust_env=False,  # never through a proxy from the env
            limits=httpx.Limits(max_connections=CLAIM_BATCH, max_keepalive_connections=5))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ------------------------------------------------------------------ the loop

    async def run(self, stop: asyncio.Event) -> None:
        """Pass after pass until `stop` is set; a failed pass (database away) is logged and
        the next one tried after the poll interval."""
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:
                log.exception("webhook relay pass failed")
                done = Pass(0, 0, 0)
            if not done.busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.poll_s)

    async def run_once(self) -> Pass:
        fanned = 0
        while (batch := await self.fan_out()) > 0:
            fanned += batch
            if batch < FAN_OUT_BATCH:
                break
        claims = await self.claim()
        outcomes = await asyncio.gather(*(self._deliver(c) for c in claims))
        return Pass(fanned, len(claims), sum(o.delivered for o in outcomes))

    async def _deliver(self, claim: Claim) -> Outcome:
        outcome = await self.attempt(claim)
        await self.record(claim, outcome)
        log.info("webhook %s: status %s, error %s, %d ms", claim.delivery_id, outcome.status,
                 outcome.error, outcome.duration_ms)
        return outcome

    # ------------------------------------------------------------------ 1. fan out

    async def fan_out(self) -> int:
        async with self.database.transaction() as session:
            now = utcnow()
            events = (await session.scalars(
                select(OutboxEvent).where(OutboxEvent.relayed_at.is_(None))
                .order_by(OutboxEvent.created_at, OutboxEvent.id).limit(FAN_OUT_BATCH)
                .with_for_update(skip_locked=True))).all()
            if not events:
                return 0
            subscriptions = (await session.scalars(select(WebhookSubscription).where(
                WebhookSubscription.state == "active"))).all()
            for event in events:
                units, provinces = event_scope(event)
                for subscription in subscriptions:
                    if matches(subscription, event.kind, event.created_at, units, provinces):
                        session.add(WebhookDelivery(
                            id=new_id(), subscription_id=subscription.id, event_id=event.id,
                            state="pending", created_at=now, round_started_at=now,
                            next_attempt_at=now))
                event.relayed_at = now
            return len(events)

    # ------------------------------------------------------------------ 2. claim

    async def claim(self) -> list[Claim]:
        async with self.database.transaction() as session:
            now = utcnow()
            token = new_id()
            due = aliased(WebhookDelivery)
            free = or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now)
            candidates = (
                select(due.id).join(WebhookSubscription,
                                    WebhookSubscription.id == due.subscription_id)
                .where(due.state == "pending", due.next_attempt_at <= now,
                       or_(due.lease_until.is_(None), due.lease_until < now),
                       WebhookSubscription.state == "active")
                .order_by(due.next_attempt_at).limit(CLAIM_BATCH)
                .with_for_update(skip_locked=True, of=due))
            claimed = (await session.scalars(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(candidates), WebhookDelivery.state == "pending",
                       free)
                .values(lease_until=now + timedelta(seconds=self.settings.lease_s),
                        claim_token=token, attempts=WebhookDelivery.attempts + 1,
                        total_attempts=WebhookDelivery.total_attempts + 1)
                .returning(WebhookDelivery.id)
                .execution_options(synchronize_session=False))).all()
            if not claimed:
                return []
            # a relay that held one of these before died, or its lease ran out: say so
            await session.execute(
                update(WebhookAttempt)
                .where(WebhookAttempt.delivery_id.in_(claimed),
                       WebhookAttempt.finished_at.is_(None))
                .values(finished_at=now, error_class="Abandoned")
                .execution_options(synchronize_session=False))
            rows = (await session.execute(
                select(WebhookDelivery, WebhookSubscription.url, OutboxEvent)
                .join(WebhookSubscription,
                      WebhookSubscription.id == WebhookDelivery.subscription_id)
                .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
                .where(WebhookDelivery.id.in_(claimed))
                .execution_options(populate_existing=True))).all()
            secrets = await self._signing_secrets(
                session, {d.subscription_id for d, _, _ in rows}, now)
            claims = []
            for delivery, url, event in rows:
                attempt = WebhookAttempt(id=new_id(), delivery_id=delivery.id,
                                         number=delivery.total_attempts, started_at=now)
                session.add(attempt)
                claims.append(Claim(delivery_id=delivery.id, token=token,
                                    attempt_id=attempt.id, url=url,
                                    secrets=secrets.get(delivery.subscription_id, ()),
                                    body=message_body(event)))
            return claims

    async def _signing_secrets(self, session: AsyncSession, subscription_ids: set[str],
                               now: datetime) -> dict[str, tuple[str, ...]]:
        rows = (await session.scalars(select(WebhookSecret).where(
            WebhookSecret.subscription_id.in_(subscription_ids)))).all()
        by_subscription: dict[str, list[WebhookSecret]] = {}
        for row in rows:
            by_subscription.setdefault(row.subscription_id, []).append(row)
        return {sid: tuple(unseal_secret(self.protection, s) for s in signing(found, now))
                for sid, found in by_subscription.items()}

    # ------------------------------------------------------------------ 3. send

    async def attempt(self, claim: Claim) -> Outcome:
        assert self._client is not None, "use the relay as an async context manager"
        started = time.monotonic()

        def took() -> int:
            return round((time.monotonic() - started) * 1000)

        try:
            async with asyncio.timeout(self.settings.timeout_s):
                target = targets.parse(claim.url)
                addresses = await targets.resolve(target, self.settings, self.resolver)
                response = await self._client.send(
                    self._request(claim, target, addresses), stream=True)
                await response.aclose()  # the body is never read, let alone kept
        except targets.TargetRefused as exc:
            return Outcome(None, _REFUSALS.get(exc.code, "UrlRefused"), took())
        except TimeoutError:
            return Outcome(None, "Timeout", took())
        except httpx.HTTPError as exc:
            return Outcome(None, type(exc).__name__[:40], took())
        except OSError as exc:
            return Outcome(None, type(exc).__name__[:40], took())
        retry_after = retry_after_seconds(response.headers.get("retry-after"), utcnow()) \
            if response.status_code in THROTTLING else None
        return Outcome(response.status_code, None, took(), retry_after)

    def _request(self, claim: Claim, target: targets.Target,
                 addresses: Sequence[str]) -> httpx.Request:
        assert self._client is not None
        timestamp = int(time.time())
        headers = {
            "host": target.host_header,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": claim.delivery_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(claim.secrets, message_id=claim.delivery_id,
                                                  timestamp=timestamp, body=claim.body),
        }
        extensions = {}
        if target.scheme == "https" and not _is_address(target.host):
            extensions["sni_hostname"] = target.host  # and the certificate's name
        return self._client.build_request("POST", target.url_for(addresses[0]),
                                          content=claim.body, headers=headers,
                                          extensions=extensions)

    # ------------------------------------------------------------------ 4. record

    async def record(self, claim: Claim, outcome: Outcome) -> None:
        async with self.database.transaction() as session:
            now = utcnow()
            await session.execute(
                update(WebhookAttempt)
                .where(WebhookAttempt.id == claim.attempt_id,
                       WebhookAttempt.finished_at.is_(None))
                .values(finished_at=now, duration_ms=outcome.duration_ms,
                        status_code=outcome.status, error_class=outcome.error)
                .execution_options(synchronize_session=False))
            delivery = await session.scalar(
                select(WebhookDelivery).where(WebhookDelivery.id == claim.delivery_id)
                .with_for_update().execution_options(populate_existing=True))
            assert delivery is not None
            ours = delivery.claim_token == claim.token
            if outcome.delivered:
                if delivery.state != "delivered":  # a fact, whoever holds the lease now
                    delivery.state, delivery.delivered_at = "delivered", now
                    delivery.last_status, delivery.last_error = outcome.status, None
                if ours:
                    delivery.lease_until = delivery.claim_token = None
                return
            if not ours or delivery.state != "pending":
                return  # another relay holds it now: its attempt decides
            delivery.last_status, delivery.last_error = outcome.status, outcome.error
            delivery.lease_until = delivery.claim_token = None
            if outcome.status == 410:
                await self._gone(session, delivery, now)
                return
            when = next_attempt(attempts=delivery.attempts,
                                round_started_at=delivery.round_started_at, now=now,
                                settings=self.settings, retry_after_s=outcome.retry_after_s,
                                rng=self.rng)
            if when is None:
                delivery.state, delivery.parked_at = "parked", now
            else:
                delivery.next_attempt_at = when

    async def _gone(self, session: AsyncSession, delivery: WebhookDelivery,
                    now: datetime) -> None:
        """The receiver said 410 Gone: park the message and disable the subscription."""
        delivery.state, delivery.parked_at = "parked", now
        subscription = await session.scalar(
            select(WebhookSubscription).where(
                WebhookSubscription.id == delivery.subscription_id).with_for_update())
        if subscription is not None and subscription.state == "active":
            subscription.state = "disabled"
            subscription.disabled_at, subscription.disabled_reason = now, "gone"
            await append(session, Context(actor=SYSTEM, now=now),
                         action="webhooks.subscription.disable",
                         object_type="webhook_subscription", object_id=subscription.id,
                         body={"reason": "gone", "delivery": delivery.id})


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
