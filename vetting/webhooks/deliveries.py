"""What admin sees of deliveries, and the replay of a parked one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vetting.audit.entries import append
from vetting.errors import Conflict, NotFound
from vetting.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription
from vetting.principal import Context


@dataclass(frozen=True, slots=True)
class DeliveryView:
    delivery: WebhookDelivery
    event_type: str
    attempts: list[WebhookAttempt] | None = None  # in order, on a single delivery's view


async def list_deliveries(session: AsyncSession, *, subscription_id: str | None,
                          event_id: str | None, state: str | None, limit: int,
                          offset: int) -> tuple[list[DeliveryView], int]:
    query = select(WebhookDelivery, OutboxEvent.kind).join(
        OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
    if subscription_id is not None:
        query = query.where(WebhookDelivery.subscription_id == subscription_id)
    if event_id is not None:
        query = query.where(WebhookDelivery.event_id == event_id)
    if state is not None:
        query = query.where(WebhookDelivery.state == state)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.execute(query.order_by(WebhookDelivery.created_at.desc(),
                                                WebhookDelivery.id).limit(limit).offset(offset))
    return [DeliveryView(d, kind) for d, kind in rows.all()], int(total)


async def get_delivery(session: AsyncSession, delivery_id: str) -> DeliveryView:
    row = (await session.execute(select(WebhookDelivery, OutboxEvent.kind).join(
        OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id).where(
        WebhookDelivery.id == delivery_id))).one_or_none()
    if row is None:
        raise NotFound("no such webhook delivery")
    attempts = (await session.scalars(select(WebhookAttempt).where(
        WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.number))).all()
    return DeliveryView(row[0], row[1], list(attempts))


async def replay(session: AsyncSession, ctx: Context, delivery_id: str) -> DeliveryView:
    """A parked delivery starts a new round at once: same `webhook-id`, same body, a fresh
    24 h of retries. Only parked ones: a pending one is still being tried."""
    delivery = await session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
        .with_for_update().execution_options(populate_existing=True))
    if delivery is None:
        raise NotFound("no such webhook delivery")
    if delivery.state != "parked":
        raise Conflict(f"the delivery is {delivery.state}", code="INVALID_TRANSITION",
                       current_state=delivery.state)
    subscription = await session.get(WebhookSubscription, delivery.subscription_id)
    assert subscription is not None
    if subscription.state != "active":
        raise Conflict("the subscription is disabled", code="SUBSCRIPTION_DISABLED")
    delivery.state, delivery.parked_at, delivery.attempts = "pending", None, 0
    delivery.round_started_at = delivery.next_attempt_at = ctx.now
    delivery.lease_until = delivery.claim_token = None
    await append(session, ctx, action="webhooks.delivery.replay",
                 object_type="webhook_delivery", object_id=delivery.id,
                 body={"subscription": delivery.subscription_id, "event": delivery.event_id})
    await session.flush()
    return await get_delivery(session, delivery.id)
