"""Admin's webhook subscriptions: where events go, which kinds, for which province or unit.

A secret is shown once, when it is made (at creation and at each rotation), and stored
only sealed under the data keys. Rotating keeps the previous secret signing for 24 hours,
so a receiver can switch over without losing a message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.webhook_signatures import new_secret
from vetting.audit.entries import append
from vetting.errors import Conflict, InvalidInput, NotFound, require_version
from vetting.models import Province, Unit, WebhookSecret, WebhookSubscription
from vetting.models.base import new_id
from vetting.notifications.outbox import KINDS
from vetting.personal_data import DataProtection
from vetting.principal import Context
from vetting.settings import WebhookSettings
from vetting.webhooks import targets

#: How long a rotated-out secret keeps signing beside the new one.
SECRET_OVERLAP = timedelta(hours=24)
SECRET_TABLE, SECRET_COLUMN = "webhook_secret", "secret"


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    subscription: WebhookSubscription
    secrets: list[WebhookSecret]  # still signing, newest first
    new_secret: str | None = None  # only in the answer that made it

    @property
    def event_types(self) -> list[str]:
        return event_types_of(self.subscription)


def event_types_of(subscription: WebhookSubscription) -> list[str]:
    types: list[str] = json.loads(subscription.event_types)
    return types


def signing(secrets: Sequence[WebhookSecret], now: datetime) -> list[WebhookSecret]:
    """The secrets that sign now: the current one and those rotated out less than 24 h ago."""
    return sorted((s for s in secrets if s.expires_at is None or s.expires_at > now),
                  key=lambda s: (s.expires_at is not None, -s.created_at.timestamp()))


def seal_secret(protection: DataProtection, secret: WebhookSecret, value: str) -> None:
    secret.secret_enc = protection.seal(value, table=SECRET_TABLE, column=SECRET_COLUMN,
                                        row_id=secret.id)


def unseal_secret(protection: DataProtection, secret: WebhookSecret) -> str:
    return protection.unseal(secret.secret_enc, table=SECRET_TABLE, column=SECRET_COLUMN,
                             row_id=secret.id)


def _new_secret_row(protection: DataProtection, subscription_id: str,
                    now: datetime) -> tuple[WebhookSecret, str]:
    value = new_secret()
    row = WebhookSecret(id=new_id(), subscription_id=subscription_id, created_at=now)
    seal_secret(protection, row, value)
    return row, value


async def _check_scope(session: AsyncSession, province: str | None, unit: str | None) -> None:
    if province and unit:
        raise InvalidInput("a province or a unit, not both", field="unit",
                           code="WEBHOOK_ONE_SCOPE")
    if province and await session.get(Province, province) is None:
        raise InvalidInput("no such province", field="province", code="UNKNOWN_PROVINCE")
    if unit and await session.get(Unit, unit) is None:
        raise InvalidInput("no such unit", field="unit", code="UNKNOWN_UNIT")


def _audit_body(subscription: WebhookSubscription) -> dict[str, object]:
    """Who gets what, without the URL's path or query (which may hold a receiver's token)."""
    host = urlsplit(subscription.url).hostname
    return {"host": host, "event_types": event_types_of(subscription),
            "province": subscription.province_code, "unit": subscription.unit_code}


async def create(session: AsyncSession, ctx: Context, protection: DataProtection,
                 settings: WebhookSettings, *, url: str, event_types: Sequence[str],
                 province: str | None, unit: str | None, description: str | None,
                 resolver: targets.Resolver = targets.system_resolver) -> SubscriptionView:
    unknown = sorted(set(event_types) - KINDS)
    if unknown or not event_types:
        raise InvalidInput(f"unknown event types {unknown}", field="event_types",
                           code="UNKNOWN_EVENT_TYPE")
    await _check_scope(session, province, unit)
    await targets.check(url, settings, resolver)
    subscription = WebhookSubscription(
        id=new_id(), url=url, event_types=json.dumps(sorted(set(event_types))),
        province_code=province, unit_code=unit, description=description, state="active",
        created_at=ctx.now, created_by=ctx.actor.id)
    session.add(subscription)
    await session.flush()
    secret, value = _new_secret_row(protection, subscription.id, ctx.now)
    session.add(secret)
    await append(session, ctx, action="webhooks.subscription.create",
                 object_type="webhook_subscription", object_id=subscription.id,
                 body=_audit_body(subscription))
    await session.flush()
    return SubscriptionView(subscription, [secret], value)


async def _secrets(session: AsyncSession, subscription_id: str,
                   now: datetime) -> list[WebhookSecret]:
    rows = await session.scalars(select(WebhookSecret).where(
        WebhookSecret.subscription_id == subscription_id))
    return signing(rows.all(), now)


async def _find(session: AsyncSession, subscription_id: str, *,
                for_update: bool = False) -> WebhookSubscription:
    query = select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = await session.scalar(query)
    if found is None:
        raise NotFound("no such webhook subscription")
    return found


async def get(session: AsyncSession, ctx: Context, subscription_id: str) -> SubscriptionView:
    subscription = await _find(session, subscription_id)
    return SubscriptionView(subscription, await _secrets(session, subscription.id, ctx.now))


async def list_subscriptions(session: AsyncSession, ctx: Context, *, state: str | None,
                             limit: int, offset: int) -> tuple[list[SubscriptionView], int]:
    query = select(WebhookSubscription)
    if state is not None:
        query = query.where(WebhookSubscription.state == state)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (await session.scalars(query.order_by(WebhookSubscription.created_at.desc(),
                                                 WebhookSubscription.id)
                                  .limit(limit).offset(offset))).all()
    secrets: dict[str, list[WebhookSecret]] = {s.id: [] for s in rows}
    if rows:
        for secret in (await session.scalars(select(WebhookSecret).where(
                WebhookSecret.subscription_id.in_(secrets)))).all():
            secrets[secret.subscription_id].append(secret)
    return [SubscriptionView(s, signing(secrets[s.id], ctx.now)) for s in rows], int(total)


async def rotate_secret(session: AsyncSession, ctx: Context, protection: DataProtection,
                        subscription_id: str) -> SubscriptionView:
    """A new current secret; the one it replaces signs beside it for 24 h; secrets whose
    overlap has ended are deleted. Rotations are serialised by the subscription's row lock."""
    subscription = await _find(session, subscription_id, for_update=True)
    rows = (await session.scalars(select(WebhookSecret).where(
        WebhookSecret.subscription_id == subscription.id))).all()
    for row in rows:
        if row.expires_at is None:
            row.expires_at = ctx.now + SECRET_OVERLAP
        elif row.expires_at <= ctx.now:
            await session.delete(row)
    secret, value = _new_secret_row(protection, subscription.id, ctx.now)
    session.add(secret)
    await append(session, ctx, action="webhooks.subscription.rotate_secret",
                 object_type="webhook_subscription", object_id=subscription.id,
                 body={"secret": secret.id})
    await session.flush()
    return SubscriptionView(subscription, await _secrets(session, subscription.id, ctx.now),
                            value)


async def set_state(session: AsyncSession, ctx: Context, settings: WebhookSettings,
                    subscription_id: str, state: str, *, expected_version: int | None,
                    reason: str = "admin",
                    resolver: targets.Resolver = targets.system_resolver) -> SubscriptionView:
    """Disable (nothing more is fanned out or sent; pending deliveries wait) or enable
    again (the URL is checked anew, as at creation)."""
    subscription = await _find(session, subscription_id, for_update=True)
    require_version(subscription.version, expected_version, what="webhook subscription")
    if subscription.state == state:
        raise Conflict(f"already {state}", code="INVALID_TRANSITION",
                       current_state=subscription.state)
    if state == "active":
        await targets.check(subscription.url, settings, resolver)
        subscription.disabled_at = subscription.disabled_reason = None
    else:
        subscription.disabled_at, subscription.disabled_reason = ctx.now, reason
    subscription.state = state
    verb = "enable" if state == "active" else "disable"
    await append(session, ctx, action=f"webhooks.subscription.{verb}",
                 object_type="webhook_subscription", object_id=subscription.id,
                 body={"reason": reason} if state == "disabled" else {})
    await session.flush()
    return SubscriptionView(subscription, await _secrets(session, subscription.id, ctx.now))


def matches(subscription: WebhookSubscription, kind: str, created_at: datetime,
            units: frozenset[str], provinces: frozenset[str]) -> bool:
    """Whether an event goes to this subscription: its kind is listed, it happened after the
    subscription was made, and it concerns the subscription's unit or province (if any)."""
    if kind not in event_types_of(subscription) or created_at < subscription.created_at:
        return False
    if subscription.unit_code is not None:
        return subscription.unit_code in units
    if subscription.province_code is not None:
        return subscription.province_code in provinces
    return True
