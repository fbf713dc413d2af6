"""Clearances entering the re-verification window: run daily (`kt1vet notifications
expiring`, e.g. from cron). Each clearance is announced once (deduplicated), so running it
twice, or late, is harmless; eligibility itself never waits for this job."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import DISPATCHER, POST_HR
from policies.policy import Policy
from vetting.models import Clearance, Worker
from vetting.notifications.outbox import Audience, publish
from vetting.principal import Context


async def announce_expiring(session: AsyncSession, ctx: Context, policy: Policy) -> int:
    horizon = ctx.now + timedelta(days=policy.reverification_window_days)
    rows = (await session.execute(select(Clearance, Worker.post_unit_code).join(
        Worker, Worker.id == Clearance.worker_id).where(
        Clearance.state == "active", Clearance.valid_until > ctx.now,
        Clearance.valid_until <= horizon, Worker.left_on.is_(None)))).all()
    sent = 0
    for clearance, post_unit in rows:
        event = await publish(
            session, ctx, kind="clearance.expiring", object_type="worker",
            object_id=clearance.worker_id, dedupe_key=f"expiring:{clearance.id}",
            payload={"clearance": clearance.id,
                     "valid_until": clearance.valid_until.isoformat()},
            audiences=[Audience((POST_HR, DISPATCHER), unit=post_unit)],
            units=(clearance.police_unit_code,))
        sent += event is not None
    return sent
