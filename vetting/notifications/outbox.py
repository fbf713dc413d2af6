"""The transactional outbox: producers call `publish` inside their own transaction.

In-app notifications are delivered at once to the users in scope at that moment; the
webhook relay (`vetting.webhooks.relay`) reads `outbox_event` rows with `relayed_at IS NULL`
later. Each row records whom it concerns (units and provinces: the audiences' and any
`units` the producer names), which is what unit- and province-scoped subscriptions are
matched against. Payloads hold identifiers, codes and states only, never personal data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vetting.errors import NotFound
from vetting.models import Notification, OutboxEvent, UserAccount
from vetting.principal import Context
from vetting.reference_data import units as reference_units

#: The kinds of event users are told about (their words live in the message catalogue).
KINDS = frozenset({
    "request.routed", "request.returned", "request.decided", "clearance.suspended",
    "clearance.revoked", "clearance.expiring", "assignment.blocked", "incident.reported",
})


@dataclass(frozen=True, slots=True)
class Audience:
    """Users of these roles in this unit (or province)."""

    roles: tuple[str, ...]
    unit: str | None = None
    province: str | None = None


async def publish(session: AsyncSession, ctx: Context, *, kind: str, object_type: str,
                  object_id: str, audiences: Sequence[Audience],
                  payload: dict[str, Any] | None = None,
                  dedupe_key: str | None = None,
                  units: Sequence[str] = ()) -> OutboxEvent | None:
    """Record the event and deliver it in-app; a repeated `dedupe_key` is a no-op. `units`
    are units the event concerns besides its audiences' (the other side of a request)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if dedupe_key and await session.scalar(select(OutboxEvent.id).where(
            OutboxEvent.dedupe_key == dedupe_key)):
        return None
    event = OutboxEvent(kind=kind, object_type=object_type, object_id=object_id,
                        payload=json.dumps(payload or {}, sort_keys=True),
                        dedupe_key=dedupe_key, created_at=ctx.now,
                        scope=_scope(audiences, units))
    session.add(event)
    try:
        await session.flush()
    except IntegrityError:  # pragma: no cover - a concurrent producer deduplicated first
        return None
    conditions = [and_(UserAccount.role.in_(a.roles),
                       UserAccount.unit_code == a.unit if a.unit else
                       UserAccount.province_code == a.province)
                  for a in audiences if a.unit or a.province]
    if conditions:
        recipients = (await session.scalars(select(UserAccount.id).where(
            UserAccount.state == "active", or_(*conditions)))).all()
        for user_id in recipients:
            if user_id != ctx.actor.id:
                session.add(Notification(user_id=user_id, event_id=event.id, created_at=ctx.now))
    return event


def _scope(audiences: Sequence[Audience], units: Sequence[str]) -> str:
    """The units the event concerns and their provinces, with the audiences' provinces."""
    concerned = sorted({a.unit for a in audiences if a.unit} | {u for u in units if u})
    provinces = {a.province for a in audiences if a.province}
    known = reference_units()
    provinces |= {known[u].province_code for u in concerned if u in known}
    return json.dumps({"units": concerned, "provinces": sorted(provinces)})


def event_scope(event: OutboxEvent) -> tuple[frozenset[str], frozenset[str]]:
    """(units, provinces) an event concerns; none for rows older than the scope column."""
    found = json.loads(event.scope) if event.scope else {}
    return frozenset(found.get("units", ())), frozenset(found.get("provinces", ()))


@dataclass(frozen=True, slots=True)
class Delivered:
    notification: Notification
    event: OutboxEvent


async def inbox(session: AsyncSession, ctx: Context, *, unread: bool | None, limit: int,
                offset: int) -> tuple[list[Delivered], int]:
    query = select(Notification, OutboxEvent).join(
        OutboxEvent, OutboxEvent.id == Notification.event_id).where(
        Notification.user_id == ctx.actor.id)
    if unread is True:
        query = query.where(Notification.read_at.is_(None))
    elif unread is False:
        query = query.where(Notification.read_at.is_not(None))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.execute(query.order_by(Notification.created_at.desc(),
                                                Notification.id).limit(limit).offset(offset))
    return [Delivered(n, e) for n, e in rows.all()], int(total)


async def mark_read(session: AsyncSession, ctx: Context, notification_id: str) -> Notification:
    found = await session.scalar(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == ctx.actor.id))
    if found is None:
        raise NotFound("no such notification")
    if found.read_at is None:
        found.read_at = ctx.now
    return found


async def unread_count(session: AsyncSession, ctx: Context) -> int:
    """How many of the caller's notifications are unread (the badge on every page)."""
    if ctx.actor.id is None:
        return 0
    return int(await session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == ctx.actor.id, Notification.read_at.is_(None))) or 0)
