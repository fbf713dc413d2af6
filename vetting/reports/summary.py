"""The half-yearly and yearly KT1 report (Circular 16/2017, predecessor rules): per province
and post unit, how many workers take part directly in KT1 and what the vetting work did in
the period. Each report names the audit checkpoint it was computed at."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import INSPECTOR
from policies.calendar import RECORD_YEARS, day_start
from policies.policy import Policy
from policies.vocabulary import INCIDENT_KINDS
from vetting.audit import proofs
from vetting.eligibility.records import RouteBrief
from vetting.eligibility.service import answer
from vetting.errors import InvalidInput
from vetting.keys import RegistryKeys
from vetting.models import (
    AuditCheckpoint,
    Clearance,
    ClearanceEvent,
    Incident,
    Province,
    Unit,
    VettingEvent,
    VettingRequest,
    Worker,
)
from vetting.principal import Context

_PERIOD = re.compile(r"^(H1|H2|Y)-(\d{4})$")
COUNTERS = ("workers_direct", "nominated", "submitted", "cleared", "not_cleared", "withdrawn",
            "open", "overdue", "suspensions", "revocations")


@dataclass(slots=True)
class UnitRow:
    province: str
    post_unit: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    response_days: list[int] = field(default_factory=list)
    incidents: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INCIDENT_KINDS, 0))

    @property
    def median_response_days(self) -> float | None:
        return statistics.median(self.response_days) if self.response_days else None


@dataclass(slots=True)
class Report:
    province: str | None
    start: date
    end: date
    rows: list[UnitRow]
    checkpoint: AuditCheckpoint
    policy_version: str


def current_period(today: date) -> str:
    """The half-year `today` (a Vietnam calendar day) falls in, as `period_bounds` reads it."""
    return f"H{1 if today.month <= 6 else 2}-{today.year}"


def period_bounds(period: str | None, start: date | None, end: date | None) -> tuple[date, date]:
    """`H1-2026`, `H2-2026`, `Y-2026`, or explicit from/to (inclusive dates)."""
    if period is not None:
        match = _PERIOD.match(period)
        if match is None:
            raise InvalidInput("must look like H1-2026, H2-2026 or Y-2026", field="period",
                               code="INVALID_PERIOD")
        half, year = match.group(1), int(match.group(2))
        _require_year(year, "period")
        return {"H1": (date(year, 1, 1), date(year, 6, 30)),
                "H2": (date(year, 7, 1), date(year, 12, 31)),
                "Y": (date(year, 1, 1), date(year, 12, 31))}[half]
    if start is None or end is None:
        raise InvalidInput("give a period, or both from and to", field="from",
                           code="PERIOD_REQUIRED")
    _require_year(start.year, "from")
    _require_year(end.year, "to")
    if end < start:
        raise InvalidInput("must not be before from", field="to", code="DATE_ORDER")
    return start, end


def _require_year(year: int, field: str) -> None:
    if year not in RECORD_YEARS:
        raise InvalidInput(f"the year must be between {RECORD_YEARS.start} and "
                           f"{RECORD_YEARS.stop - 1}", field=field, code="YEAR_OUT_OF_RANGE",
                           low=RECORD_YEARS.start, high=RECORD_YEARS.stop - 1)


def _instant(day: date) -> datetime:
    """Periods are Vietnam days: H1 runs from 1 January 00:00 to 30 June 24:00 there."""
    return day_start(day)


async def build(session: AsyncSession, ctx: Context, keys: RegistryKeys, policy: Policy, *,
                province: str | None, start: date, end: date) -> Report:
    if ctx.actor.role == INSPECTOR:
        if province not in (None, ctx.actor.province):
            raise InvalidInput("inspectors report on their own province", field="province",
                               code="OUT_OF_SCOPE")
        province = ctx.actor.province
    if province is not None and await session.get(Province, province) is None:
        raise InvalidInput(f"province {province} does not exist", field="province",
                           code="UNKNOWN_PROVINCE")
    lo, hi = _instant(start), _instant(end + timedelta(days=1))
    at_end = min(hi, ctx.now)
    unit_query = select(Unit).where(Unit.kind == "post")
    if province is not None:
        unit_query = unit_query.where(Unit.province_code == province)
    units = (await session.scalars(unit_query.order_by(Unit.province_code, Unit.code))).all()
    rows = {u.code: UnitRow(u.province_code, u.code) for u in units}
    codes = list(rows)

    workers = (await session.execute(select(Worker.id, Worker.post_unit_code).where(
        Worker.post_unit_code.in_(codes)))).all()
    unit_of = dict(workers)
    probe = RouteBrief("report", active=True, stage=None)  # cleared for any stage counts
    ids = list(unit_of)
    for chunk in range(0, len(ids), 1000):
        for result in await answer(session, ctx, probe, ids[chunk:chunk + 1000], at=at_end,
                                   policy_version=policy.version, action="reports.read",
                                   signatures=keys.attestations):
            if result.decision.eligible:
                rows[unit_of[result.worker_id]].counts["workers_direct"] += 1

    requests = (await session.scalars(select(VettingRequest).where(
        VettingRequest.post_unit_code.in_(codes), VettingRequest.submitted_at < hi))).all()
    withdrawn_at = dict((await session.execute(select(VettingEvent.request_id, VettingEvent.at)
                                               .where(VettingEvent.action == "withdraw",
                                                      VettingEvent.request_id.in_(
                                                          [r.id for r in requests])))).all()
                        ) if requests else {}
    nominated: dict[str, set[str]] = defaultdict(set)
    for r in requests:
        row = rows[r.post_unit_code]
        if r.submitted_at >= lo:
            row.counts["submitted"] += 1
            nominated[r.post_unit_code].add(r.worker_id)
        if r.decided_at is not None and lo <= r.decided_at < hi:
            row.counts["cleared" if r.outcome == "meets_standard" else "not_cleared"] += 1
            row.response_days.append((r.decided_at - r.submitted_at).days)
        gone = withdrawn_at.get(r.id)
        if gone is not None and lo <= gone < hi:
            row.counts["withdrawn"] += 1
        still_open = (r.decided_at is None or r.decided_at >= hi) and (gone is None or gone >= hi)
        if still_open:
            row.counts["open"] += 1
            if r.due_on < min(end + timedelta(days=1), ctx.today):
                row.counts["overdue"] += 1
    for unit_code, people in nominated.items():
        rows[unit_code].counts["nominated"] = len(people)

    changes = (await session.execute(
        select(ClearanceEvent.action, Worker.post_unit_code)
        .join(Clearance, Clearance.id == ClearanceEvent.clearance_id)
        .join(Worker, Worker.id == Clearance.worker_id)
        .where(Worker.post_unit_code.in_(codes), ClearanceEvent.at >= lo, ClearanceEvent.at < hi,
               ClearanceEvent.action.in_(("suspend", "revoke"))))).all()
    for action, unit_code in changes:
        rows[unit_code].counts["suspensions" if action == "suspend" else "revocations"] += 1
    kinds = Counter((await session.execute(select(Incident.post_unit_code, Incident.kind).where(
        Incident.post_unit_code.in_(codes), Incident.occurred_at >= lo,
        Incident.occurred_at < hi))).all())
    for (unit_code, kind), count in kinds.items():
        rows[unit_code].incidents[kind] = count

    checkpoint = await proofs.checkpoint(session, ctx, keys)
    return Report(province=province, start=start, end=end, rows=list(rows.values()),
                  checkpoint=checkpoint, policy_version=policy.version)
