"""Property: random sequences of vetting actions, by random users of two provinces, keep the
workflow's invariants.

A hypothesis `RuleBasedStateMachine` drives the HTTP API (register a worker, submit, claim,
return, resubmit, transfer, propose, approve, withdraw, reads and lists) and keeps a model of
every request. After every step it checks, against the database:

- each request's state, police unit, proposer and approver equal the model's; the model moves
  only along `policies.vetting_states` (`next_state`), and a refused move answers 403, 404,
  409 or 422 as the rules say and changes nothing;
- the two-person rule: the approver is a police lead and never the proposer;
- one `request.<action>` audit entry (and one vetting event) per successful transition, by
  its actor, in order; none for refused moves;
- scope: a request is readable only by the post_hr of its post unit and the police of the
  unit it is routed to (others: 404; roles without the right: 403), and lists never show an
  out-of-scope request;
- at most one open request per worker.

pytest-asyncio owns the suite's event loop, and a hypothesis state machine is synchronous:
the machine runs every coroutine on a private event loop in one dedicated thread, with its own
engine, app and HTTP client per example.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from hypothesis import HealthCheck, event
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from api.app import create_app
from policies.access import POLICE, POLICE_LEAD, POST_HR, scope_for
from policies.vetting_states import DECIDED, OPEN, next_state
from tests.conftest import People, Person, served
from tests.factories import worker_body
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import AuditEntry, VettingEvent, VettingRequest
from vetting.settings import Settings

T = TypeVar("T")

BASE = "/api/v1/vetting-requests"
PROVINCES = ("51", "12")
ALL_STATES = ("submitted", "in_review", "needs_info", "awaiting_approval", "cleared",
              "not_cleared", "withdrawn")
#: The access-table action each transition is scoped by (see `service._transition`).
SCOPE_ACTION = {"claim": "requests.review", "return": "requests.review",
                "transfer": "requests.review", "propose": "requests.review",
                "resubmit": "requests.submit", "withdraw": "requests.submit",
                "approve": "requests.approve"}
STEP_TIMEOUT_S = 120
#: True three times in four; shrinks towards True (the simpler, progressing choice).
LIKELY = st.sampled_from([True, True, True, False])
OUTCOMES = st.sampled_from(["meets_standard", "does_not_meet"])
RESUBMIT_BODIES = st.sampled_from([{}, {"reason": "Bổ sung"}, {"current_address": "5 Hùng Vương"}])
#: What `advance` may do: every forward move (withdrawing ends a request, so it is left to
#: the `withdraw` rule).
ADVANCING = ("claim", "propose", "approve", "resubmit", "return", "transfer")


class LoopThread:
    """A private event loop, driven from one dedicated thread."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kt1-state-machine")
        self._loop = asyncio.new_event_loop()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._pool.submit(self._loop.run_until_complete, coro).result(STEP_TIMEOUT_S)

    def close(self) -> None:
        try:
            self.run(self._loop.shutdown_asyncgens())
            self._pool.submit(self._loop.close).result(STEP_TIMEOUT_S)
        finally:
            self._pool.shutdown(wait=True)


async def _make_cast(database: Database, keys: RegistryKeys) -> dict[str, Person]:
    people = People(database=database, keys=keys)
    cast: dict[str, Person] = {}
    for province in PROVINCES:
        post, police = f"POST-{province}", f"POLICE-{province}"
        cast[f"hr{province}"] = await people.make(POST_HR, unit=post)
        for n in ("a", "b"):
            cast[f"officer{province}{n}"] = await people.make("police_officer", unit=police)
            cast[f"lead{province}{n}"] = await people.make(POLICE_LEAD, unit=police)
    cast["admin"] = await people.make("admin")
    cast["dispatcher"] = await people.make("dispatcher", unit="POST-51")
    return cast


@dataclass
class WorkerModel:
    id: str
    post_unit: str
    request_ids: list[str] = field(default_factory=list)


@dataclass
class RequestModel:
    id: str
    worker_id: str
    post_unit: str
    police_unit: str
    state: str = "submitted"
    proposer: str | None = None
    proposed_outcome: str | None = None
    approver: str | None = None
    #: (action, actor id) of every successful transition, submit first
    log: list[tuple[str, str]] = field(default_factory=list)


def may_read(person: Person, req: RequestModel) -> bool:
    if person.role == POST_HR:
        return person.unit == req.post_unit
    if person.role in POLICE:
        return person.unit == req.police_unit
    return False


def expected(action: str, req: RequestModel, person: Person, *, outcome: str | None = None,
             to_unit: str | None = None) -> tuple[set[tuple[int, str]], str | None]:
    """The acceptable refusals (status, code), or (empty, the next state) for a success."""
    if scope_for(person.role, SCOPE_ACTION[action]) is None:
        return {(403, "FORBIDDEN")}, None
    if not may_read(person, req):
        return {(404, "NOT_FOUND")}, None
    if action == "approve":
        outcome = req.proposed_outcome
        if req.proposer == person.id and req.state == "awaiting_approval":
            return {(403, "TWO_PERSON_RULE")}, None
    target = next_state(action, req.state, outcome=outcome)
    if target is None:
        refusals = {(409, "INVALID_TRANSITION")}
        if action == "approve" and req.proposer in (None, person.id):
            # Nothing (or one's own proposal) to approve: the two-person rule may answer first.
            refusals.add((403, "TWO_PERSON_RULE"))
        return refusals, None
    if action == "transfer" and to_unit == req.police_unit:
        return {(422, "SAME_UNIT")}, None
    return set(), target


class VettingMachine(RuleBasedStateMachine):
    def __init__(self, loop: LoopThread, settings: Settings, keys: RegistryKeys,
                 cast: dict[str, Person]) -> None:
        super().__init__()
        self.loop, self.cast = loop, cast
        self.by_id = {p.id: p for p in cast.values()}
        self.workers: dict[str, WorkerModel] = {}
        self.requests: dict[str, RequestModel] = {}
        self.serving = AsyncExitStack()
        self.db = Database(settings.database_url)
        self.client = loop.run(self.serving.enter_async_context(
            served(create_app(settings, self.db))))

    async def _close(self) -> None:
        try:
            await self.serving.aclose()
        finally:
            await self.db.dispose()

    def teardown(self) -> None:
        self.loop.run(self._close())

    # -- helpers ----------------------------------------------------------------------------

    def post(self, path: str, person: Person, body: dict[str, Any] | None = None
             ) -> httpx.Response:
        return self.loop.run(self.client.post(path, json=body, headers=person.headers))

    def get(self, path: str, person: Person, params: dict[str, Any] | None = None
            ) -> httpx.Response:
        return self.loop.run(self.client.get(path, params=params, headers=person.headers))

    def pick_person(self, data: st.DataObject, fitting: list[str]) -> Person:
        """Mostly someone who may act (so the workflow progresses), else anyone."""
        pool = fitting if fitting and data.draw(LIKELY, label="fitting actor") \
            else sorted(self.cast)
        return self.cast[data.draw(st.sampled_from(sorted(pool)), label="actor")]

    def pick_request(self, data: st.DataObject, action: str) -> RequestModel:
        # Creation order, not id order: ids are random, and the draws must replay exactly.
        movable = [r for r in self.requests
                   if next_state(action, self.requests[r].state, outcome="meets_standard")]
        pool = movable if movable and data.draw(LIKELY, label="movable request") \
            else list(self.requests)
        return self.requests[data.draw(st.sampled_from(pool), label="request")]

    def fitting(self, action: str, req: RequestModel) -> list[str]:
        return [name for name, p in self.cast.items()
                if scope_for(p.role, SCOPE_ACTION[action]) is not None and may_read(p, req)
                and not (action == "approve" and p.id == req.proposer)]

    def attempt(self, action: str, req: RequestModel, person: Person,
                body: dict[str, Any] | None = None, *, outcome: str | None = None,
                to_unit: str | None = None) -> None:
        refusals, target = expected(action, req, person, outcome=outcome, to_unit=to_unit)
        response = self.post(f"{BASE}/{req.id}/{action}", person, body)
        where = f"{person.role} {person.unit} {action} {req}: {response.text}"
        event(f"{action}: {response.status_code}")
        if refusals:
            answer = (response.status_code, response.json().get("code"))
            assert answer in refusals, f"expected one of {refusals}; {where}"
            if answer == (409, "INVALID_TRANSITION"):
                assert response.json()["current_state"] == req.state, where
            return
        assert response.status_code == 200, where
        assert target is not None
        req.state = target
        if action == "transfer":
            assert to_unit is not None
            req.police_unit = to_unit
        elif action == "propose":
            req.proposer, req.proposed_outcome = person.id, outcome
        elif action == "approve":
            req.approver = person.id
        req.log.append((action, person.id))
        out = response.json()
        assert (out["state"], out["police_unit"]) == (req.state, req.police_unit), where
        if action == "approve":
            assert out["outcome"] == req.proposed_outcome and out["approved_by"] == person.id

    # -- rules ------------------------------------------------------------------------------

    @precondition(lambda self: len(self.workers) < 4)
    @rule(province=st.sampled_from(PROVINCES))
    def register_worker(self, province: str) -> None:
        hr = self.cast[f"hr{province}"]
        response = self.post("/api/v1/workers", hr, worker_body(f"POST-{province}"))
        assert response.status_code == 201, response.text
        worker_id = response.json()["id"]
        self.workers[worker_id] = WorkerModel(id=worker_id, post_unit=f"POST-{province}")

    @precondition(lambda self: self.workers)
    @rule(data=st.data())
    def submit(self, data: st.DataObject) -> None:
        worker = self.workers[data.draw(st.sampled_from(list(self.workers)), label="worker")]
        hr = "hr" + worker.post_unit.split("-", 1)[1]
        person = self.pick_person(data, [hr])
        states = [self.requests[r].state for r in worker.request_ids]
        if person.role != POST_HR:
            refusal: tuple[int, str] | None = (403, "FORBIDDEN")
        elif person.unit != worker.post_unit:
            refusal = (404, "NOT_FOUND")
        elif any(s in OPEN for s in states):
            refusal = (409, "OPEN_REQUEST_EXISTS")
        elif "cleared" in states:
            refusal = (409, "REVERIFICATION_TOO_EARLY")
        else:
            refusal = None
        response = self.post(BASE, person, {"worker_id": worker.id, "reason": "KT1 giao nhận"})
        where = f"{person.role} {person.unit} submit {worker}: {response.text}"
        event(f"submit: {response.status_code}")
        if refusal is not None:
            assert (response.status_code, response.json().get("code")) == refusal, where
            return
        assert response.status_code == 201, where
        out = response.json()
        assert out["state"] == "submitted", where
        province = worker.post_unit.split("-", 1)[1]
        assert out["police_unit"] == f"POLICE-{province}", where  # workplace routing
        req = RequestModel(id=out["id"], worker_id=worker.id, post_unit=worker.post_unit,
                           police_unit=out["police_unit"], log=[("submit", person.id)])
        self.requests[req.id] = req
        worker.request_ids.append(req.id)

    def act(self, data: st.DataObject, action: str, req: RequestModel,
            person: Person | None = None) -> None:
        """Attempt `action` on `req` with a drawn body, by `person` or a drawn actor."""
        person = person or self.pick_person(data, self.fitting(action, req))
        if action == "return":
            self.attempt(action, req, person, {"note": "Bổ sung nơi ở hiện tại"})
        elif action == "resubmit":
            self.attempt(action, req, person, data.draw(RESUBMIT_BODIES, label="changes"))
        elif action == "transfer":
            other = next(f"POLICE-{p}" for p in PROVINCES if f"POLICE-{p}" != req.police_unit)
            to_unit = other if data.draw(LIKELY, label="other unit") else req.police_unit
            self.attempt(action, req, person, {"police_unit": to_unit,
                                               "reason": "cư trú tỉnh khác"}, to_unit=to_unit)
        elif action == "propose":
            outcome = data.draw(OUTCOMES, label="outcome")
            self.attempt(action, req, person, {"outcome": outcome, "note": "Không vi phạm"},
                         outcome=outcome)
        else:
            self.attempt(action, req, person)

    @precondition(lambda self: self.requests)
    @rule(data=st.data())
    def claim(self, data: st.DataObject) -> None:
        self.act(data, "claim", self.pick_request(data, "claim"))

    @precondition(lambda self: self.requests)
    @rule(data=st.data())
    def return_for_info(self, data: st.DataObject) -> None:
        self.act(data, "return", self.pick_request(data, "return"))

    @precondition(lambda self: self.requests)
    @rule(data=st.data())
    def resubmit(self, data: st.DataObject) -> None:
        self.act(data, "resubmit", self.pick_request(data, "resubmit"))

    @precondition(lambda self: self.requests)
    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        self.act(data, "transfer", self.pick_request(data, "transfer"))

    @precondition(lambda self: self.requests)
    @rule(data=st.data())
    def propose(self, data: st.DataObject) -> None:
        self.act(data, "propose", self.pick_request(data, "propose"))

    @precondition(lambda self: self.requests)
    @rule(data=st.data())
    def approve(self, data: st.DataObject) -> None:
        self.act(data, "approve", self.pick_request(data, "approve"))

    @precondition(lambda self: self.requests)
    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        self.act(data, "withdraw", self.pick_request(data, "withdraw"))

    @precondition(lambda self: any(r.state in OPEN for r in self.requests.values()))
    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        """A move the table allows, by someone who may take it: carries requests to decisions
        (random rule choice alone rarely gets a request through claim, propose and approve)."""
        req = data.draw(st.sampled_from([r for r in self.requests.values() if r.state in OPEN]),
                        label="open request")
        moves = {action: fitting for action in ADVANCING
                 if next_state(action, req.state, outcome="meets_standard")
                 and (fitting := self.fitting(action, req))}
        assert moves, f"an open request with no move: {req}"
        forward = next(iter(moves))  # ADVANCING lists the way towards a decision first
        action = forward if data.draw(LIKELY, label="forward") \
            else data.draw(st.sampled_from(list(moves)), label="move")
        person = self.cast[data.draw(st.sampled_from(sorted(moves[action])), label="actor")]
        self.act(data, action, req, person)

    @precondition(lambda self: self.requests)
    @rule(data=st.data())
    def read_one(self, data: st.DataObject) -> None:
        req = self.requests[data.draw(st.sampled_from(list(self.requests)), label="request")]
        person = self.cast[data.draw(st.sampled_from(sorted(self.cast)), label="reader")]
        response = self.get(f"{BASE}/{req.id}", person)
        where = f"{person.role} {person.unit} reads {req}: {response.text}"
        if scope_for(person.role, "requests.read") is None:
            assert response.status_code == 403, where
            return
        if not may_read(person, req):
            assert response.status_code == 404, where
            return
        assert response.status_code == 200, where
        out = response.json()
        assert (out["state"], out["police_unit"], out["post_unit"]) == (
            req.state, req.police_unit, req.post_unit), where
        assert [(e["action"], e["actor_id"]) for e in out["history"]] == req.log, where
        if person.role in POLICE:
            assert out["proposed_by"] == req.proposer, where
        else:
            assert out["proposed_by"] is None and out["police_note"] is None, where

    @precondition(lambda self: self.requests)
    @rule(reader=st.sampled_from(["hr51", "hr12", "officer51a", "officer12b", "lead51b",
                                  "lead12a", "admin", "dispatcher"]),
          state=st.none() | st.sampled_from(ALL_STATES))
    def list_requests(self, reader: str, state: str | None) -> None:
        person = self.cast[reader]
        params: dict[str, Any] = {"limit": 200} | ({"state": state} if state else {})
        seen: set[str] = set()
        offset, total = 0, 1
        while offset < total:
            response = self.get(BASE, person, {**params, "offset": offset})
            if scope_for(person.role, "requests.read") is None:
                assert response.status_code == 403, response.text
                return
            assert response.status_code == 200, response.text
            page = response.json()
            total = page["total"]
            for item in page["items"]:
                own = item["post_unit"] if person.role == POST_HR else item["police_unit"]
                assert own == person.unit, f"{reader} lists out-of-scope {item}"
                assert state is None or item["state"] == state, item
                seen.add(item["id"])
            if not page["items"]:
                break
            offset += len(page["items"])
        for req in self.requests.values():
            wanted = may_read(person, req) and state in (None, req.state)
            assert (req.id in seen) == wanted, f"{reader} list (state={state}) vs {req}"

    # -- invariants against the database ----------------------------------------------------

    async def _snapshot(self) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
        ids = list(self.requests)
        async with self.db.transaction(read_only=True) as session:
            rows = (await session.execute(select(
                VettingRequest.id, VettingRequest.state, VettingRequest.police_unit_code,
                VettingRequest.proposed_by, VettingRequest.approved_by
            ).where(VettingRequest.id.in_(ids)))).all()
            audit = (await session.execute(select(
                AuditEntry.object_id, AuditEntry.action, AuditEntry.actor_id,
                AuditEntry.outcome, AuditEntry.object_type
            ).where(AuditEntry.object_id.in_(ids), AuditEntry.action.like("request.%")
                    ).order_by(AuditEntry.seq))).all()
            events = (await session.execute(select(
                VettingEvent.request_id, VettingEvent.action, VettingEvent.actor_id
            ).where(VettingEvent.request_id.in_(ids)).order_by(
                VettingEvent.at, VettingEvent.id))).all()
            open_counts = (await session.execute(select(
                VettingRequest.worker_id, func.count()
            ).where(VettingRequest.worker_id.in_(list(self.workers)),
                    VettingRequest.state.in_(OPEN)).group_by(VettingRequest.worker_id))).all()
        return list(rows), list(audit), list(events), list(open_counts)

    @invariant()
    def database_agrees_with_the_model(self) -> None:
        if not self.requests:
            return
        rows, audit, events, open_counts = self.loop.run(self._snapshot())
        assert {row.id for row in rows} == set(self.requests)
        for row in rows:
            req = self.requests[row.id]
            assert (row.state, row.police_unit_code, row.proposed_by, row.approved_by) == (
                req.state, req.police_unit, req.proposer, req.approver), f"{row} vs {req}"
            if row.approved_by is not None:
                assert row.state in DECIDED
                assert row.approved_by != row.proposed_by, f"one person decided {req}"
                assert self.by_id[row.approved_by].role == POLICE_LEAD, f"non-lead decided {req}"
        for req in self.requests.values():
            assert [(a.action, a.actor_id, a.outcome, a.object_type) for a in audit
                    if a.object_id == req.id] == [
                (f"request.{action}", actor, "success", "vetting_request")
                for action, actor in req.log], f"audit trail of {req}"
            assert [(e.action, e.actor_id) for e in events if e.request_id == req.id] \
                == req.log, f"events of {req}"
        assert all(count <= 1 for _worker, count in open_counts), open_counts


def test_vetting_workflow_state_machine(settings: Settings, backend: str) -> None:
    """Random action sequences keep the transition table, two-person rule, audit and scope."""
    loop = LoopThread()
    try:
        keys = RegistryKeys.open(settings.keys_dir)

        async def cast_of() -> dict[str, Person]:
            database = Database(settings.database_url)
            try:
                return await _make_cast(database, keys)
            finally:
                await database.dispose()

        cast = loop.run(cast_of())
        run_state_machine_as_test(
            lambda: VettingMachine(loop, settings, keys, cast),
            settings=hypothesis_settings(max_examples=15, stateful_step_count=25,
                                         deadline=None, suppress_health_check=list(HealthCheck)))
    finally:
        loop.close()
