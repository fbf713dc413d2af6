"""The vetting request workflow. Every transition is checked against the state machine in
`policies.vetting_states`, version-checked, recorded as an event and audited in the same
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import POLICE, POST_HR
from policies.policy import Policy
from policies.routing import police_province, police_unit_for
from policies.vetting_states import TRANSITIONS, may_approve, may_take, next_state
from policies.vocabulary import OPEN_STATES
from vetting.attestations.credentials import issue_for_decision, validity_window
from vetting.attestations.lifecycle import clearance_until
from vetting.audit.entries import append
from vetting.errors import (
    BatchFailure,
    BatchRefused,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    require_version,
)
from vetting.keys import RegistryKeys
from vetting.models import Attestation, Clearance, VettingEvent, VettingRequest, Worker
from vetting.models.base import new_id
from vetting.notifications.outbox import Audience, publish
from vetting.personal_data import DataProtection
from vetting.principal import Context
from vetting.reference_data import units
from vetting.repositories import REQUESTS
from vetting.workers.service import canonical_stages, get_worker, seal_fields

OUTCOMES = ("meets_standard", "does_not_meet")


@dataclass(frozen=True, slots=True)
class Resubmission:
    reason: str | None = None
    stages: tuple[str, ...] | None = None
    current_address: str | None = None
    permanent_address: str | None = None


def _event(request: VettingRequest, ctx: Context, action: str, from_state: str | None,
           reason: str | None = None) -> VettingEvent:
    return VettingEvent(request_id=request.id, at=ctx.now, actor_id=ctx.actor.id, action=action,
                        from_state=from_state, to_state=request.state,
                        police_unit_code=request.police_unit_code, reason=reason)


async def _adds_stages(session: AsyncSession, worker: Worker) -> bool:
    """Whether the worker now works a stage the latest decision was not asked for (so its
    attestation does not sign it): that needs a new decision, however long the clearance holds."""
    asked = await session.scalar(
        select(VettingRequest.stages).join(Attestation, Attestation.request_id == VettingRequest.id)
        .join(Clearance, Clearance.attestation_id == Attestation.id)
        .where(Clearance.worker_id == worker.id).order_by(Clearance.valid_from.desc()).limit(1))
    return asked is None or not set(worker.stages.split(",")) <= set(asked.split(","))


async def nominate(session: AsyncSession, ctx: Context, policy: Policy, *, worker_id: str,
                   reason: str) -> VettingRequest:
    """A checked nomination, routed to a police unit by policy, with a due date fixed now;
    added, not yet flushed (`submit` writes one, `submit_batch` many in one flush)."""
    worker = await get_worker(session, ctx, worker_id, action="requests.submit", for_update=True)
    if worker.left_on is not None:
        raise Conflict("the worker has left the post", code="EMPLOYMENT_ENDED")
    if await session.scalar(select(VettingRequest.id).where(
            VettingRequest.worker_id == worker.id, VettingRequest.state.in_(OPEN_STATES))):
        raise Conflict("the worker already has an open vetting request",
                       code="OPEN_REQUEST_EXISTS")
    until = await clearance_until(session, worker.id, ctx.now)
    if until is not None and ctx.today < until - timedelta(
            days=policy.reverification_window_days) and not await _adds_stages(session, worker):
        raise Conflict(f"the current clearance holds until {until.isoformat()}; re-nomination "
                       f"opens {policy.reverification_window_days} days before",
                       code="REVERIFICATION_TOO_EARLY")
    police_unit = police_unit_for(police_province(
        policy.routing_rule, workplace_province=units()[worker.post_unit_code].province_code,
        residence_province=worker.permanent_province))
    if police_unit not in units():
        raise Conflict(f"no police unit {police_unit} to route to", code="NO_POLICE_UNIT")
    request = VettingRequest(
        id=new_id(), worker_id=worker.id, post_unit_code=worker.post_unit_code,
        police_unit_code=police_unit, state="submitted", reason=reason, stages=worker.stages,
        due_on=ctx.today + timedelta(days=policy.police_response_days),
        submitted_at=ctx.now, submitted_by=ctx.actor.id, policy_version=policy.version,
        created_at=ctx.now)
    session.add(request)
    return request


async def record_submission(session: AsyncSession, ctx: Context, request: VettingRequest, *,
                            batch: str | None = None) -> None:
    """The history event and audit entry of a written nomination (after its flush: no
    relationship orders an event after its request within one flush)."""
    session.add(_event(request, ctx, "submit", None))
    await append(session, ctx, action="request.submit", object_type="vetting_request",
                 object_id=request.id, body={"worker": request.worker_id,
                                             "police_unit": request.police_unit_code,
                                             "due_on": request.due_on.isoformat(),
                                             "policy_version": request.policy_version,
                                             **({"batch": batch} if batch else {})})


async def submit(session: AsyncSession, ctx: Context, policy: Policy, *, worker_id: str,
                 reason: str) -> VettingRequest:
    """Nominate a worker; the police unit it is routed to is notified."""
    request = await nominate(session, ctx, policy, worker_id=worker_id, reason=reason)
    await session.flush()
    await record_submission(session, ctx, request)
    await _notify(session, ctx, request, "request.routed")
    return request


async def _nominate_each(session: AsyncSession, ctx: Context, policy: Policy,
                         worker_ids: Sequence[str], reason: str,
                         requests: list[VettingRequest], failures: list[BatchFailure]) -> None:
    first: dict[str, int] = {}
    for index, worker_id in enumerate(worker_ids):
        if worker_id in first:
            failures.append(BatchFailure(index, worker_id, InvalidInput(
                "listed twice", field="worker_ids", code="DUPLICATE_IN_BATCH",
                first_index=first[worker_id])))
            continue
        first[worker_id] = index
        try:
            requests.append(await nominate(session, ctx, policy, worker_id=worker_id,
                                           reason=reason))
        except NotFound:  # unknown, or another unit's: the same words, as for incidents
            failures.append(BatchFailure(index, worker_id, InvalidInput(
                "no such worker in your unit", field="worker_ids", code="UNKNOWN_WORKER")))
        except DomainError as refused:
            failures.append(BatchFailure(index, worker_id, refused))


async def submit_batch(session: AsyncSession, ctx: Context, policy: Policy, *,
                       worker_ids: Sequence[str], reason: str) -> tuple[str, list[VettingRequest]]:
    """Nominate many workers at once, all or none: each is checked and routed exactly as one
    nomination is; any refusal (or a worker listed twice) refuses the whole batch, naming
    each failing position. Each police unit is notified once for all its requests."""
    batch = new_id()
    requests: list[VettingRequest] = []
    failures: list[BatchFailure] = []
    with session.no_autoflush:  # the checks never read what the batch adds: flush once
        await _nominate_each(session, ctx, policy, worker_ids, reason, requests, failures)
    if failures:
        raise BatchRefused(failures)
    await session.flush()
    for request in requests:
        await record_submission(session, ctx, request, batch=batch)
    by_unit: dict[str, list[str]] = {}
    for request in requests:
        by_unit.setdefault(request.police_unit_code, []).append(request.id)
    await append(session, ctx, action="request.batch_submit", object_type="vetting_batch",
                 object_id=batch, body={"requests": len(requests),
                                        "police_units": {u: len(ids) for u, ids in
                                                         sorted(by_unit.items())}})
    for unit, ids in sorted(by_unit.items()):
        await publish(session, ctx, kind="request.routed", object_type="vetting_batch",
                      object_id=batch, audiences=[Audience(roles=POLICE, unit=unit)],
                      payload={"state": "submitted", "requests": ids})
    return batch, requests


async def _notify(session: AsyncSession, ctx: Context, request: VettingRequest,
                  kind: str) -> None:
    """Routed: the police unit hears of it; returned or decided: the post unit's HR."""
    audience = (Audience(roles=POLICE, unit=request.police_unit_code) if kind == "request.routed"
                else Audience(roles=(POST_HR,), unit=request.post_unit_code))
    await publish(session, ctx, kind=kind, object_type="vetting_request", object_id=request.id,
                  audiences=[audience], payload={"state": request.state},
                  units=(request.post_unit_code, request.police_unit_code))


async def get_request(session: AsyncSession, ctx: Context, request_id: str, *,
                      action: str = "requests.read", for_update: bool = False) -> VettingRequest:
    return await REQUESTS.get(session, ctx.actor, action, request_id, lock=for_update)


@dataclass(frozen=True, slots=True)
class Listed:
    request: VettingRequest
    worker_full_name: str
    worker_employee_no: str


def _with_worker(action: str, ctx: Context) -> Select[tuple[VettingRequest, str, str]]:
    return select(VettingRequest, Worker.full_name, Worker.employee_no).join(
        Worker, Worker.id == VettingRequest.worker_id).where(REQUESTS.condition(ctx.actor, action))


async def get_listed(session: AsyncSession, ctx: Context, request_id: str, *,
                     action: str = "requests.read") -> Listed:
    """One request as a list line names it (its worker's name and employee number), in the
    scope of `action`: what a page about the request heads with, dossier or not."""
    row = (await session.execute(_with_worker(action, ctx).where(
        VettingRequest.id == request_id))).first()
    if row is None:
        raise NotFound("no such vetting request")
    return Listed(*row)


async def list_requests(session: AsyncSession, ctx: Context, *, state: str | None,
                        overdue: bool | None, worker_id: str | None, limit: int,
                        offset: int, approvable: bool = False) -> tuple[list[Listed], int]:
    """The caller's inbox or outbox: overdue first, then by due date; each line names the
    worker (name and employee number, no dossier data). `approvable`: only the proposals
    the caller may approve (awaiting approval, proposed by someone else: the two-person
    rule), a lead's approval queue."""
    query = _with_worker("requests.read", ctx)
    if state is not None:
        query = query.where(VettingRequest.state == state)
    if approvable:
        query = query.where(VettingRequest.state == "awaiting_approval",
                            VettingRequest.proposed_by.is_not(None),
                            VettingRequest.proposed_by != (ctx.actor.id or ""))
    if worker_id is not None:
        query = query.where(VettingRequest.worker_id == worker_id)
    is_overdue = VettingRequest.state.in_(OPEN_STATES) & (VettingRequest.due_on < ctx.today)
    if overdue is True:
        query = query.where(is_overdue)
    elif overdue is False:
        query = query.where(~is_overdue)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(case((is_overdue, 0), else_=1), VettingRequest.due_on,
                             VettingRequest.id)
    rows = (await session.execute(ordered.limit(limit).offset(offset))).all()
    return [Listed(r, name, number) for r, name, number in rows], int(total)


async def _transition(session: AsyncSession, ctx: Context, request_id: str, action: str, *,
                      expected_version: int | None) -> tuple[VettingRequest, str]:
    request = await get_request(session, ctx, request_id, action=TRANSITIONS[action].access,
                                for_update=True)
    if not may_take(action, ctx.actor.role):
        raise Forbidden(f"a {ctx.actor.role} cannot {action} a request", code="FORBIDDEN")
    require_version(request.version, expected_version, what="request")
    target = next_state(action, request.state, outcome=request.proposed_outcome)
    if target is None:
        raise Conflict(f"cannot {action} a request in state {request.state}",
                       code="INVALID_TRANSITION", current_state=request.state)
    previous = request.state
    request.state = target
    return request, previous


async def _finish(session: AsyncSession, ctx: Context, request: VettingRequest, action: str,
                  previous: str, body: dict[str, object] | None = None, *,
                  reason: str | None = None) -> VettingRequest:
    """`reason` is kept in the request's history (the event row), never in the audit log."""
    session.add(_event(request, ctx, action, previous, reason))
    await session.flush()
    await append(session, ctx, action=f"request.{action}", object_type="vetting_request",
                 object_id=request.id,
                 body={"from": previous, "to": request.state, **(body or {})})
    return request


async def claim(session: AsyncSession, ctx: Context, request_id: str, *,
                expected_version: int | None) -> VettingRequest:
    request, previous = await _transition(session, ctx, request_id, "claim",
                                          expected_version=expected_version)
    request.claimed_by = ctx.actor.id
    return await _finish(session, ctx, request, "claim", previous)


async def return_for_info(session: AsyncSession, ctx: Context, protection: DataProtection,
                          request_id: str, *, note: str,
                          expected_version: int | None) -> VettingRequest:
    request, previous = await _transition(session, ctx, request_id, "return",
                                          expected_version=expected_version)
    request.info_request_enc = protection.seal(note, table="vetting_request",
                                               column="info_request", row_id=request.id)
    await _notify(session, ctx, request, "request.returned")
    return await _finish(session, ctx, request, "return", previous)


async def resubmit(session: AsyncSession, ctx: Context, protection: DataProtection,
                   request_id: str, changes: Resubmission, *,
                   expected_version: int | None) -> VettingRequest:
    request, previous = await _transition(session, ctx, request_id, "resubmit",
                                          expected_version=expected_version)
    changed: list[str] = []
    if changes.reason is not None:
        request.reason = changes.reason
        changed.append("reason")
    if changes.stages is not None:
        request.stages = canonical_stages(changes.stages)
        changed.append("stages")
    addresses = {k: v for k, v in (("current_address", changes.current_address),
                                   ("permanent_address", changes.permanent_address)) if v}
    if addresses:
        worker = await session.get(Worker, request.worker_id,
                                   with_for_update={"key_share": True})
        assert worker is not None
        seal_fields(worker, protection, addresses)
        changed.extend(addresses)
    return await _finish(session, ctx, request, "resubmit", previous, {"changed": changed})


async def transfer(session: AsyncSession, ctx: Context, request_id: str, *, police_unit: str,
                   reason: str, expected_version: int | None) -> VettingRequest:
    """Hand the request to another province's police; the history keeps both units and why
    (the audit entry records only that a reason was given: it may name people)."""
    target = units().get(police_unit)
    if target is None or target.kind != "police":
        raise InvalidInput(f"{police_unit} is not a police unit", field="police_unit",
                           code="UNKNOWN_UNIT")
    request, previous = await _transition(session, ctx, request_id, "transfer",
                                          expected_version=expected_version)
    if police_unit == request.police_unit_code:
        raise InvalidInput("the request is already with that unit", field="police_unit",
                           code="SAME_UNIT")
    source = request.police_unit_code
    request.police_unit_code, request.claimed_by = police_unit, None
    await _notify(session, ctx, request, "request.routed")
    return await _finish(session, ctx, request, "transfer", previous,
                         {"from_unit": source, "to_unit": police_unit, "reason_given": True},
                         reason=reason)


async def propose(session: AsyncSession, ctx: Context, protection: DataProtection,
                  request_id: str, *, outcome: str, note: str,
                  expected_version: int | None) -> VettingRequest:
    if outcome not in OUTCOMES:
        raise InvalidInput(f"must be one of {', '.join(OUTCOMES)}", field="outcome",
                           code="INVALID_OUTCOME")
    request, previous = await _transition(session, ctx, request_id, "propose",
                                          expected_version=expected_version)
    request.proposed_outcome, request.proposed_by = outcome, ctx.actor.id
    request.police_note_enc = protection.seal(note, table="vetting_request",
                                              column="police_note", row_id=request.id)
    return await _finish(session, ctx, request, "propose", previous)


async def approve(session: AsyncSession, ctx: Context, policy: Policy, keys: RegistryKeys,
                  public_url: str, request_id: str, *,
                  expected_version: int | None) -> VettingRequest:
    """The second person decides: a police lead who did not propose. The signed attestation
    (and, for `meets_standard`, the clearance) is issued in this same transaction."""
    request, previous = await _transition(session, ctx, request_id, "approve",
                                          expected_version=expected_version)
    if not may_approve(approver_id=ctx.actor.id or "", proposer_id=request.proposed_by,
                       approver_role=ctx.actor.role):
        raise Forbidden("the officer who proposed an outcome cannot approve it",
                        code="TWO_PERSON_RULE")
    request.outcome, request.approved_by = request.proposed_outcome, ctx.actor.id
    request.decided_at, request.decision_policy_version = ctx.now, policy.version
    await _finish(session, ctx, request, "approve", previous,
                  {"outcome": request.outcome, "proposed_by": request.proposed_by,
                   "policy_version": policy.version})
    await issue_for_decision(session, ctx, keys, policy, public_url, request)
    await _notify(session, ctx, request, "request.decided")
    return request


@dataclass(frozen=True, slots=True)
class ApprovalPreview:
    """What approving would sign now, for the lead to check before confirming: the worker,
    the stages and outcome, the validity, the issuing unit; `refusal` is the code approving
    would be refused with as things stand (None: it would be signed)."""

    line: Listed
    police_unit_name: str
    valid_from: datetime
    valid_until: datetime
    refusal: str | None


async def approval_preview(session: AsyncSession, ctx: Context, policy: Policy,
                           request_id: str) -> ApprovalPreview:
    line = await get_listed(session, ctx, request_id, action=TRANSITIONS["approve"].access)
    request = line.request
    refusal = None
    if next_state("approve", request.state, outcome=request.proposed_outcome) is None:
        refusal = "INVALID_TRANSITION"
    elif not may_approve(approver_id=ctx.actor.id or "", proposer_id=request.proposed_by,
                         approver_role=ctx.actor.role):
        refusal = "TWO_PERSON_RULE"
    valid_from, valid_until = validity_window(ctx.now, policy)
    return ApprovalPreview(line, units()[request.police_unit_code].name, valid_from,
                           valid_until, refusal)


async def withdraw(session: AsyncSession, ctx: Context, request_id: str, *,
                   expected_version: int | None) -> VettingRequest:
    request, previous = await _transition(session, ctx, request_id, "withdraw",
                                          expected_version=expected_version)
    return await _finish(session, ctx, request, "withdraw", previous)


async def events(session: AsyncSession, request_id: str) -> list[VettingEvent]:
    return list((await session.scalars(select(VettingEvent).where(
        VettingEvent.request_id == request_id).order_by(VettingEvent.at, VettingEvent.id))).all())
