"""Webhook subscriptions and deliveries, for admin (Standard Webhooks v1, see README)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.controllers.users import ProvinceCode, UnitCode
from api.controllers.vetting_requests import VersionIn, expected_version
from api.problems import documented
from api.schemas import Limit, Offset, Page, Strict
from api.state import ActingContext, Services, Transaction
from vetting.webhooks import deliveries, subscriptions
from vetting.webhooks.deliveries import DeliveryView
from vetting.webhooks.subscriptions import SubscriptionView

#: The outbox's kinds (`vetting.notifications.outbox.KINDS`; a test keeps them equal).
EventType = Literal["request.routed", "request.returned", "request.decided",
                    "clearance.suspended", "clearance.revoked", "clearance.expiring",
                    "assignment.blocked", "incident.reported"]
SubscriptionState = Literal["active", "disabled"]
DeliveryState = Literal["pending", "delivered", "parked"]
ERRORS = documented(400, 401, 403, 404, 409, 422)


class SubscriptionIn(Strict):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    event_types: Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=8)]
    province: ProvinceCode | None = None
    unit: UnitCode | None = None
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None


class SecretOut(msgspec.Struct, kw_only=True):
    """A secret that signs now; its material is never shown again after it was made."""

    id: str
    created_at: datetime
    expires_at: datetime | None


class SubscriptionOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    url: str
    event_types: list[str]
    province: str | None
    unit: str | None
    description: str | None
    state: str
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    version: int
    secrets: list[SecretOut]
    #: only in the answer to creation and rotation: store it, it is not shown again
    secret: str | None = None


class AttemptOut(msgspec.Struct, kw_only=True):
    number: int
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    status_code: int | None
    error_class: str | None


class DeliveryOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str  # the `webhook-id` header of every attempt
    subscription_id: str
    event_id: str
    event_type: str
    state: str
    attempts: int  # in the current round (replay starts a new one)
    total_attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    parked_at: datetime | None
    attempt_log: list[AttemptOut] | None = None


def _subscription(view: SubscriptionView) -> SubscriptionOut:
    s = view.subscription
    return SubscriptionOut(
        id=s.id, url=s.url, event_types=view.event_types, province=s.province_code,
        unit=s.unit_code, description=s.description, state=s.state, created_at=s.created_at,
        disabled_at=s.disabled_at, disabled_reason=s.disabled_reason, version=s.version,
        secrets=[SecretOut(id=x.id, created_at=x.created_at, expires_at=x.expires_at)
                 for x in view.secrets],
        secret=view.new_secret)


def _delivery(view: DeliveryView) -> DeliveryOut:
    d = view.delivery
    return DeliveryOut(
        id=d.id, subscription_id=d.subscription_id, event_id=d.event_id,
        event_type=view.event_type, state=d.state, attempts=d.attempts,
        total_attempts=d.total_attempts,
        next_attempt_at=d.next_attempt_at if d.state == "pending" else None,
        last_status=d.last_status, last_error=d.last_error, created_at=d.created_at,
        delivered_at=d.delivered_at, parked_at=d.parked_at,
        attempt_log=None if view.attempts is None else [
            AttemptOut(number=a.number, started_at=a.started_at, finished_at=a.finished_at,
                       duration_ms=a.duration_ms, status_code=a.status_code,
                       error_class=a.error_class) for a in view.attempts])


class WebhookController(Controller):
    path = "/api/v1/webhooks"
    tags = ["webhooks"]  # noqa: RUF012

    @post("/subscriptions", opt={"action": "webhooks.manage"}, responses=ERRORS)
    async def create(self, data: JSONBody[SubscriptionIn], db: Transaction, ctx: ActingContext,
                     services: Services) -> SubscriptionOut:
        view = await subscriptions.create(
            db, ctx, services.keys.data, services.settings.webhooks, url=data.url,
            event_types=data.event_types, province=data.province, unit=data.unit,
            description=data.description)
        return _subscription(view)

    @get("/subscriptions", opt={"action": "webhooks.read", "read_only": True},
         responses=documented(400, 401, 403))
    async def list(self, db: Transaction, ctx: ActingContext,
                   state_filter: Annotated[SubscriptionState | None,
                                           QueryParameter(name="state")] = None,
                   limit: Limit = 50, offset: Offset = 0) -> Page[SubscriptionOut]:
        rows, total = await subscriptions.list_subscriptions(db, ctx, state=state_filter,
                                                             limit=limit, offset=offset)
        return Page(items=[_subscription(v) for v in rows], total=total)

    @get("/subscriptions/{subscription_id:str}",
         opt={"action": "webhooks.read", "read_only": True},
         responses=documented(401, 403, 404))
    async def read(self, subscription_id: FromPath[str], db: Transaction,
                   ctx: ActingContext) -> SubscriptionOut:
        return _subscription(await subscriptions.get(db, ctx, subscription_id))

    @post("/subscriptions/{subscription_id:str}/rotate-secret",
          opt={"action": "webhooks.manage"}, status_code=200, responses=ERRORS)
    async def rotate_secret(self, subscription_id: FromPath[str], db: Transaction,
                            ctx: ActingContext,
                            services: Services) -> SubscriptionOut:
        return _subscription(await subscriptions.rotate_secret(db, ctx, services.keys.data,
                                                               subscription_id))

    @post("/subscriptions/{subscription_id:str}/disable", opt={"action": "webhooks.manage"},
          status_code=200, responses=ERRORS)
    async def disable(self, request: Request[object, object, object],
                      subscription_id: FromPath[str], db: Transaction, ctx: ActingContext,
                      services: Services,
                      data: JSONBody[VersionIn | None] = None) -> SubscriptionOut:
        return _subscription(await subscriptions.set_state(
            db, ctx, services.settings.webhooks, subscription_id, "disabled",
            expected_version=expected_version(request, data and data.version)))

    @post("/subscriptions/{subscription_id:str}/enable", opt={"action": "webhooks.manage"},
          status_code=200, responses=ERRORS)
    async def enable(self, request: Request[object, object, object],
                     subscription_id: FromPath[str], db: Transaction, ctx: ActingContext,
                     services: Services,
                     data: JSONBody[VersionIn | None] = None) -> SubscriptionOut:
        return _subscription(await subscriptions.set_state(
            db, ctx, services.settings.webhooks, subscription_id, "active",
            expected_version=expected_version(request, data and data.version)))

    @get("/deliveries", opt={"action": "webhooks.read", "read_only": True},
         responses=documented(400, 401, 403))
    async def deliveries(self, db: Transaction,
                         subscription_id: FromQuery[str | None] = None,
                         event_id: FromQuery[str | None] = None,
                         state_filter: Annotated[DeliveryState | None,
                                                 QueryParameter(name="state")] = None,
                         limit: Limit = 50, offset: Offset = 0) -> Page[DeliveryOut]:
        rows, total = await deliveries.list_deliveries(
            db, subscription_id=subscription_id, event_id=event_id, state=state_filter,
            limit=limit, offset=offset)
        return Page(items=[_delivery(v) for v in rows], total=total)

    @get("/deliveries/{delivery_id:str}", opt={"action": "webhooks.read", "read_only": True},
         responses=documented(401, 403, 404))
    async def delivery(self, delivery_id: FromPath[str], db: Transaction) -> DeliveryOut:
        return _delivery(await deliveries.get_delivery(db, delivery_id))

    @post("/deliveries/{delivery_id:str}/replay", opt={"action": "webhooks.manage"},
          status_code=200, responses=ERRORS)
    async def replay(self, delivery_id: FromPath[str], db: Transaction,
                     ctx: ActingContext) -> DeliveryOut:
        return _delivery(await deliveries.replay(db, ctx, delivery_id))
