"""The authorisation matrix: role × endpoint × {own, other, no token} → expected status.

This module is data (security.md #12); `test_authz_matrix.py` drives it. Each `Rule`
row says, for one endpoint, what every role gets:

* ``method`` and ``path`` — the request; ``{placeholders}`` in the path name a target
  object the driver creates first (see `TARGETS`); a query string may follow ``?``.
* ``body`` — the name of a body factory in `BODIES`, or None for no body.
* ``expect`` — ``{role: {"own": status, "other": status}}`` for every role in `ROLES`.
  "own" means the target object (and any unit or province named in the body) lies in
  the caller's province (`HOME_PROVINCE`), "other" that it lies in `OTHER_PROVINCE`.
  Out-of-scope objects answer 404, never 403 (contract: existence must not leak).
  For global objects (accounts, the audit log, the caller's own session) own == other.
* ``no_token`` — the status without an Authorization header (401 for every
  non-public route).

Callers are fresh accounts placed by `CALLERS` (admin and police_lead with a confirmed
TOTP second factor, so no one is held back by account set-up). Every call gets a fresh
caller and target, so a row may change state (log out, disable an account). A row with
neither a target nor a body is one request whatever the scope: it runs once, as "own".

To extend the matrix for a new endpoint, add a `Rule` (built with `everyone`, `only`,
`scoped` or `in_scope`), and where needed a body factory in `BODIES` and a target kind in
`TARGETS` (whose builder lives in the driver). A body that must name a target object (a
worker to nominate, an attestation to verify) lists it in `BODY_TARGETS`; the driver builds
it in the row's scope and hands its id to the body factory as `Call.targets[field]`.
A path target may bring related ids the body needs (the worker whose clearance a
suspending incident holds): `RELATED_TARGETS` names them, and the driver adds them to
`Call.targets` too. A few targets belong to the caller rather than to a province (the
caller's own notification): `CALLER_TARGETS` lists those kinds. Kinds in `SHARED_KINDS`
are built once per province and reused, because no row changes them (a cleared, trained
worker who only ever gets new assignments on fresh routes).
`test_matrix_covers_every_route` fails until every protected route outside
`PENDING_PREFIXES` has a row. Public routes may have rows too (`no_token` = their status).

Workflow targets are built through the API by helper staff of the target's province
(post_hr, police officer and lead of that province's units), never by the caller: a
request `awaiting_approval` was proposed by the helper officer, so a police_lead caller is
a valid second person. Routing follows the default `workplace` rule, so a worker of
POST-<p> is vetted by POLICE-<p>.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from tests.factories import days_ago, worker_body

ADMIN, POST_HR, POLICE_OFFICER, POLICE_LEAD, DISPATCHER, INSPECTOR = (
    "admin", "post_hr", "police_officer", "police_lead", "dispatcher", "inspector")
ROLES = (ADMIN, POST_HR, POLICE_OFFICER, POLICE_LEAD, DISPATCHER, INSPECTOR)
SCOPES = ("own", "other")

HOME_PROVINCE = "51"
OTHER_PROVINCE = "12"
THIRD_PROVINCE = "01"  # a transfer destination outside both


#: Where each role's caller sits (keyword arguments for `people.make`): in HOME_PROVINCE.
CALLERS: Mapping[str, Mapping[str, str]] = {
    ADMIN: {},
    POST_HR: {"unit": f"POST-{HOME_PROVINCE}"},
    DISPATCHER: {"unit": f"POST-{HOME_PROVINCE}"},
    POLICE_OFFICER: {"unit": f"POLICE-{HOME_PROVINCE}"},
    POLICE_LEAD: {"unit": f"POLICE-{HOME_PROVINCE}"},
    INSPECTOR: {"province": HOME_PROVINCE},
}

#: Path placeholder -> the kind of target object the driver creates in the row's scope.
TARGETS: Mapping[str, str] = {
    "user_id": "user_account",  # a post_hr account in the scope's province
    # workers of POST-<p>
    "worker": "worker",                        # registered, no vetting request
    "nominated_worker": "nominated_worker",    # with a `submitted` request to POLICE-<p>
    "cleared_worker": "cleared_worker",        # active clearance issued by POLICE-<p>
    "suspended_worker": "suspended_worker",    # that clearance suspended by POLICE-<p>
    # vetting requests from POST-<p>, routed to POLICE-<p>, by state
    "submitted_request": "submitted_request",
    "in_review_request": "in_review_request",  # claimed by the helper officer
    "needs_info_request": "needs_info_request",
    "awaiting_approval_request": "awaiting_approval_request",  # proposed by the helper officer
    # the attestation POLICE-<p> issued for a cleared worker of POST-<p>
    "attestation": "attestation",
    # a KT1 route of province <p>, made by a dispatcher of POST-<p>
    "route": "route",
    # an assignment of an eligible worker of POST-<p> on a fresh route of <p>
    "assignment": "assignment",
    # incidents reported by HR of POST-<p>: a delay (nothing suspended), and a loss that
    # suspended a cleared worker's clearance (issued by POLICE-<p>), still under review
    "incident": "incident",
    "suspending_incident": "suspending_incident",
    # a notification delivered to a police officer of POLICE-<p> (someone else's)
    "notification": "notification",
    # a notification delivered to the caller (see CALLER_TARGETS)
    "own_notification": "caller_notification",
    # the province code itself, for query parameters (`?province=`)
    "province": "province",
}

#: Target kinds that belong to the caller, not to a province: built for the caller (or,
#: without a token, for helper staff of HOME_PROVINCE).
CALLER_TARGETS = frozenset({"caller_notification"})

#: Target kinds no row changes: built once per (kind, province), then reused.
SHARED_KINDS = frozenset({"eligible_worker"})

#: Path target kind -> the related ids its builder records for the body (`Call.targets`).
RELATED_TARGETS: Mapping[str, tuple[str, ...]] = {
    "suspending_incident": ("worker_id",),  # the worker whose review is pending
}

#: Body factory name -> {key in `Call.targets`: target kind} the driver builds first.
BODY_TARGETS: Mapping[str, Mapping[str, str]] = {
    "new_request": {"worker_id": "worker"},
    "verify_attestation": {"jws": "attestation_jws"},
    "eligibility_batch": {"route_id": "route", "worker_id": "worker"},
    # cleared, trained and committed, so an allowed, in-scope call succeeds (201)
    "assignment": {"route_id": "route", "worker_id": "eligible_worker"},
    "incident": {"worker_id": "worker"},
}

#: Route prefixes of the contract's endpoints that are being built by other issues and
#: have no rows yet (a to-do list for this matrix). Their routes are still held to deny by
#: default by test_route_rules.py. Remove a prefix when its rows are added; from then on
#: test_matrix_covers_every_route holds the matrix to every route under it.
PENDING_PREFIXES: tuple[str, ...] = ()

Expect = Mapping[str, Mapping[str, int]]


class Rule(NamedTuple):
    """One row: (method, path_template, body_factory_name, expect, no_token_status)."""

    method: str
    path: str
    body: str | None
    expect: Expect
    no_token: int = 401

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def everyone(status: int, **exceptions: int) -> Expect:
    """Every role gets `status` in and out of its province, except the roles named."""
    unknown = set(exceptions) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {role: {"own": exceptions.get(role, status), "other": exceptions.get(role, status)}
            for role in ROLES}


def only(allowed: Mapping[str, int], denied: int = 403) -> Expect:
    """The roles named get their status everywhere; the others are refused."""
    return {role: {"own": allowed.get(role, denied), "other": allowed.get(role, denied)}
            for role in ROLES}


def scoped(own: Mapping[str, int], other: Mapping[str, int], denied: int = 403) -> Expect:
    """Province-scoped objects: separate answers in and out of the caller's province."""
    return {role: {"own": own.get(role, denied), "other": other.get(role, denied)}
            for role in ROLES}


def in_scope(status: int, *roles: str) -> Expect:
    """The roles named get `status` on their own province's objects and 404 on the other
    province's (existence must not leak); every other role is refused (403)."""
    return scoped({role: status for role in roles}, {role: 404 for role in roles})


# --------------------------------------------------------------------------- bodies


@dataclass(frozen=True)
class Call:
    """What a body factory may draw on for one request."""

    caller_username: str
    caller_password: str
    province: str  # HOME_PROVINCE for "own", OTHER_PROVINCE for "other"
    unique: str    # lowercase letters and digits, fresh for every call
    targets: Mapping[str, str] = field(default_factory=dict)  # see BODY_TARGETS


def _hours_from_now(hours: float) -> str:
    """An RFC 3339 instant with its UTC offset (negative: in the past)."""
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


#: A passphrase every password rule accepts (long, not common, no context words).
GOOD_PASSWORD = "amber quartz lantern meadow"

BODIES: Mapping[str, Callable[[Call], dict[str, Any]]] = {
    "new_user": lambda c: {"username": f"mx-{c.unique}", "role": POST_HR,
                           "unit": f"POST-{c.province}", "password": GOOD_PASSWORD},
    "disable_user": lambda c: {"state": "disabled"},
    "password_change": lambda c: {"current_password": c.caller_password,
                                  "new_password": f"{GOOD_PASSWORD} {c.unique}"},
    "wrong_otp": lambda c: {"otp": "000000"},
    # workers: the new worker belongs to the scope's post unit
    "new_worker": lambda c: worker_body(f"POST-{c.province}"),
    "training": lambda c: {"kind": "kt1_security", "completed_on": days_ago(30)},
    "commitment": lambda c: {"signed_on": days_ago(7),
                             "document_sha256": hashlib.sha256(c.unique.encode()).hexdigest()},
    "leave": lambda c: {"left_on": days_ago(1), "reason": f"nghỉ việc {c.unique}"},
    # vetting requests
    "new_request": lambda c: {"worker_id": c.targets["worker_id"], "reason": "KT1 giao nhận"},
    "return_note": lambda c: {"note": f"Bổ sung nơi ở hiện tại {c.unique}"},
    "resubmission": lambda c: {"reason": f"KT1 giao nhận, bổ sung {c.unique}"},
    # a real police unit outside both provinces of the matrix
    "transfer": lambda c: {"police_unit": f"POLICE-{THIRD_PROVINCE}",
                          "reason": "nơi cư trú thuộc tỉnh khác"},
    "proposal": lambda c: {"outcome": "meets_standard", "note": f"Đạt {c.unique}"},
    # clearances and attestations
    "clearance_reason": lambda c: {"reason": f"xác minh sự cố {c.unique}"},
    "verify_attestation": lambda c: {"jws": c.targets["jws"]},
    # routes: a new route of the scope's province
    "new_route": lambda c: {"code": f"R-{c.unique}", "name": "Tuyến KT1 liên huyện",
                            "province": c.province, "stage": "transport",
                            "service_classes": ["standard", "express"], "max_secrecy": "B"},
    "route_change": lambda c: {"name": f"Tuyến KT1 {c.unique}"},
    "eligibility_batch": lambda c: {"route_id": c.targets["route_id"],
                                    "worker_ids": [c.targets["worker_id"]]},
    "assignment": lambda c: {"worker_id": c.targets["worker_id"],
                             "route_id": c.targets["route_id"],
                             "starts_at": _hours_from_now(1),
                             "ends_at": _hours_from_now(24 * 7)},
    # incidents: a loss naming a worker of the scope's post unit
    "incident": lambda c: {"kind": "loss", "occurred_at": _hours_from_now(-2),
                           "description": f"Thất lạc túi KT1 {c.unique}",
                           "worker_ids": [c.targets["worker_id"]]},
    "conclusion": lambda c: {"worker_id": c.targets["worker_id"], "decision": "reinstate",
                             "reason": f"Kết luận xác minh {c.unique}"},
}


# --------------------------------------------------------------------------- the matrix

AUDIT_READERS = {ADMIN: 200, INSPECTOR: 200}
POLICE = (POLICE_OFFICER, POLICE_LEAD)
#: Who may read a worker and its clearance (`workers.read`, `clearance.read`).
WORKER_READERS = (POST_HR, DISPATCHER, POLICE_OFFICER, POLICE_LEAD, INSPECTOR)
#: Who may read vetting requests (`requests.read`): not dispatchers, not admins.
REQUEST_READERS = (POST_HR, POLICE_OFFICER, POLICE_LEAD, INSPECTOR)
#: Who reads routes and rosters (`routes.read`); who manages routes (`routes.manage`).
ROUTE_READERS = (ADMIN, DISPATCHER, INSPECTOR)
ROUTE_MANAGERS = (ADMIN, DISPATCHER)
#: Who reads incidents (`incidents.read`): not dispatchers.
INCIDENT_READERS = (ADMIN, POST_HR, POLICE_OFFICER, POLICE_LEAD, INSPECTOR)
REPORT_READERS = {ADMIN: 200, INSPECTOR: 200}


def admin_everywhere(status: int, *roles: str) -> Expect:
    """Like `in_scope`, with admins (Scope.ALL) answered `status` in every province."""
    return scoped({ADMIN: status, **dict.fromkeys(roles, status)},
                  {ADMIN: status, **dict.fromkeys(roles, 404)})

MATRIX: list[Rule] = [
    # the caller's own session and account
    Rule("GET", "/api/v1/auth/me", None, everyone(200)),
    Rule("POST", "/api/v1/auth/logout", None, everyone(204)),
    Rule("POST", "/api/v1/auth/password", "password_change", everyone(200)),
    # callers of MFA roles are enrolled already (409); the others may enrol
    Rule("POST", "/api/v1/auth/mfa/enrol", None, everyone(200, admin=409, police_lead=409)),
    # nothing is waiting for confirmation for anyone
    Rule("POST", "/api/v1/auth/mfa/confirm", "wrong_otp", everyone(409)),
    # account administration: admins only, accounts are global
    Rule("GET", "/api/v1/users", None, only({ADMIN: 200})),
    Rule("GET", "/api/v1/users?role=post_hr&limit=5", None, only({ADMIN: 200})),
    Rule("POST", "/api/v1/users", "new_user", only({ADMIN: 201})),
    Rule("GET", "/api/v1/users/{user_id}", None, only({ADMIN: 200})),
    Rule("PATCH", "/api/v1/users/{user_id}", "disable_user", only({ADMIN: 200})),
    # the audit log: admins and inspectors, global
    Rule("GET", "/api/v1/audit/checkpoint", None, only(AUDIT_READERS)),
    Rule("GET", "/api/v1/audit/proofs/inclusion?index=0", None, only(AUDIT_READERS)),
    Rule("GET", "/api/v1/audit/proofs/consistency?first=0", None, only(AUDIT_READERS)),
    Rule("GET", "/api/v1/audit/entries", None, only(AUDIT_READERS)),
    Rule("GET", "/api/v1/audit/entries?action=access.denied&limit=1", None,
         only(AUDIT_READERS)),
    # workers. Registering: post_hr of the worker's post unit. A body naming another
    # province's unit is refused as invalid input (422 OUT_OF_SCOPE on `post_unit`): there
    # is no object whose existence could leak, and the unit codes are public reference data.
    Rule("POST", "/api/v1/workers", "new_worker",
         scoped({POST_HR: 201}, {POST_HR: 422})),
    # reading (shaped per role): HR and dispatchers of the post unit, the police the
    # worker's request is routed to, the province's inspector; admins have no rule
    Rule("GET", "/api/v1/workers/{nominated_worker}", None, in_scope(200, *WORKER_READERS)),
    # listing: the same readers, each in its own scope; a national ID lookup is for HR and
    # the police only (a dispatcher's or inspector's is refused, and audited)
    Rule("GET", "/api/v1/workers", None, only(dict.fromkeys(WORKER_READERS, 200))),
    Rule("GET", "/api/v1/workers?q=nguyen&employed=true&sort=-name&limit=5", None,
         only(dict.fromkeys(WORKER_READERS, 200))),
    Rule("GET", "/api/v1/workers?national_id=051090000001", None,
         only(dict.fromkeys((POST_HR, *POLICE), 200))),
    # training, commitments, leave: HR of the post unit (201 created; leave answers 200)
    Rule("POST", "/api/v1/workers/{worker}/trainings", "training", in_scope(201, POST_HR)),
    Rule("POST", "/api/v1/workers/{worker}/commitments", "commitment", in_scope(201, POST_HR)),
    Rule("POST", "/api/v1/workers/{worker}/leave", "leave", in_scope(200, POST_HR)),
    # deleting: admins (global) and HR of the post unit may ask, and the answer is always
    # the documented refusal (409 RETENTION_PERIOD: nothing is hard-deleted)
    Rule("DELETE", "/api/v1/workers/{worker}", None, admin_everywhere(409, POST_HR)),
    # vetting requests. Nominating: HR of the worker's post unit; another unit's worker is
    # not found (404), whatever the body says.
    Rule("POST", "/api/v1/vetting-requests", "new_request", in_scope(201, POST_HR)),
    # the outbox (HR), the inbox (police), the province's requests (inspector); a list has
    # no target, so it is one request for every role
    Rule("GET", "/api/v1/vetting-requests", None, only(dict.fromkeys(REQUEST_READERS, 200))),
    Rule("GET", "/api/v1/vetting-requests?state=submitted&overdue=false&limit=5", None,
         only(dict.fromkeys(REQUEST_READERS, 200))),
    Rule("GET", "/api/v1/vetting-requests/{submitted_request}", None,
         in_scope(200, *REQUEST_READERS)),
    # every transition starts from a state it is valid in, so an allowed, in-scope call
    # succeeds (200); the police act on requests routed to their unit only
    Rule("POST", "/api/v1/vetting-requests/{submitted_request}/claim", None,
         in_scope(200, *POLICE)),
    Rule("POST", "/api/v1/vetting-requests/{in_review_request}/return", "return_note",
         in_scope(200, *POLICE)),
    Rule("POST", "/api/v1/vetting-requests/{needs_info_request}/resubmit", "resubmission",
         in_scope(200, POST_HR)),
    Rule("POST", "/api/v1/vetting-requests/{submitted_request}/transfer", "transfer",
         in_scope(200, *POLICE)),
    Rule("POST", "/api/v1/vetting-requests/{in_review_request}/propose", "proposal",
         in_scope(200, *POLICE)),
    # the second person: a police lead of the unit who did not propose (the helper officer
    # did); a police officer has no rule for approving at all (403)
    Rule("POST", "/api/v1/vetting-requests/{awaiting_approval_request}/approve", None,
         in_scope(200, POLICE_LEAD)),
    Rule("POST", "/api/v1/vetting-requests/{submitted_request}/withdraw", None,
         in_scope(200, POST_HR)),
    # clearances: read by whoever may read the worker (a pending one here); changed only by
    # a police lead of the issuing police unit (POLICE-<p> for a worker of POST-<p>)
    Rule("GET", "/api/v1/workers/{nominated_worker}/clearance", None,
         in_scope(200, *WORKER_READERS)),
    Rule("POST", "/api/v1/workers/{cleared_worker}/clearance/suspend", "clearance_reason",
         in_scope(200, POLICE_LEAD)),
    Rule("POST", "/api/v1/workers/{suspended_worker}/clearance/reinstate", None,
         in_scope(200, POLICE_LEAD)),
    Rule("POST", "/api/v1/workers/{cleared_worker}/clearance/revoke", "clearance_reason",
         in_scope(200, POLICE_LEAD)),
    # attestations: read within the worker's clearance scope; verifying is public (anyone
    # holding a printed or saved attestation), whichever province issued it
    Rule("GET", "/api/v1/attestations/{attestation}", None, in_scope(200, *WORKER_READERS)),
    Rule("POST", "/api/v1/attestations/verify", "verify_attestation", everyone(200),
         no_token=200),
    # the status lists are public: everyone, with or without a token; an unknown purpose
    # is not found
    Rule("GET", "/api/v1/status-lists/revocation", None, everyone(200), no_token=200),
    Rule("GET", "/api/v1/status-lists/suspension", None, everyone(200), no_token=200),
    Rule("GET", "/api/v1/status-lists/expiry", None, everyone(404), no_token=404),
    # KT1 routes belong to a province: its dispatchers manage them and its inspector reads
    # them; admins do both everywhere. A new route of another province is invalid input
    # for a dispatcher (422 OUT_OF_SCOPE on `province`, as for workers).
    Rule("POST", "/api/v1/routes", "new_route",
         scoped(dict.fromkeys(ROUTE_MANAGERS, 201), {ADMIN: 201, DISPATCHER: 422})),
    Rule("GET", "/api/v1/routes", None, only(dict.fromkeys(ROUTE_READERS, 200))),
    Rule("GET", "/api/v1/routes?active=true&limit=5", None,
         only(dict.fromkeys(ROUTE_READERS, 200))),
    Rule("GET", "/api/v1/routes/{route}", None, admin_everywhere(200, DISPATCHER, INSPECTOR)),
    Rule("PATCH", "/api/v1/routes/{route}", "route_change", admin_everywhere(200, DISPATCHER)),
    Rule("GET", "/api/v1/routes/{route}/roster", None,
         admin_everywhere(200, DISPATCHER, INSPECTOR)),
    # eligibility and assignments: dispatchers only, on their province's routes (another
    # province's route is not found, whatever the worker)
    Rule("GET", "/api/v1/eligibility?worker_id={worker}&route_id={route}", None,
         in_scope(200, DISPATCHER)),
    Rule("POST", "/api/v1/eligibility/batch", "eligibility_batch", in_scope(200, DISPATCHER)),
    Rule("POST", "/api/v1/assignments", "assignment", in_scope(201, DISPATCHER)),
    Rule("POST", "/api/v1/assignments/{assignment}/end", None, in_scope(200, DISPATCHER)),
    Rule("GET", "/api/v1/assignments", None, only({DISPATCHER: 200})),
    Rule("GET", "/api/v1/assignments?route_id={route}&active=true&limit=5", None,
         only({DISPATCHER: 200})),
    # incidents. Reporting: HR of the workers' post unit; naming another unit's worker is
    # invalid input (422 naming `worker_ids`, the same answer as for an unknown id).
    Rule("POST", "/api/v1/incidents", "incident", scoped({POST_HR: 201}, {POST_HR: 422})),
    # reading: HR of the unit, the province's police and inspector, admins everywhere
    Rule("GET", "/api/v1/incidents", None, only(dict.fromkeys(INCIDENT_READERS, 200))),
    Rule("GET", "/api/v1/incidents?state=open&limit=5", None,
         only(dict.fromkeys(INCIDENT_READERS, 200))),
    Rule("GET", "/api/v1/incidents/{incident}", None,
         admin_everywhere(200, POST_HR, POLICE_OFFICER, POLICE_LEAD, INSPECTOR)),
    # concluding a review: a police lead of the issuing unit (of the province)
    Rule("POST", "/api/v1/incidents/{suspending_incident}/conclude", "conclusion",
         in_scope(200, POLICE_LEAD)),
    # notifications are their owner's alone: everyone reads their own inbox and marks their
    # own notifications read; anyone else's is not found (own == other: no province)
    Rule("GET", "/api/v1/notifications", None, everyone(200)),
    Rule("GET", "/api/v1/notifications?unread=true&limit=5", None, everyone(200)),
    Rule("POST", "/api/v1/notifications/{own_notification}/read", None, everyone(200)),
    Rule("POST", "/api/v1/notifications/{notification}/read", None, everyone(404)),
    # the period report: admins for any province, an inspector for their own only (another
    # province is refused as invalid input, 422 on `province`)
    Rule("GET", "/api/v1/reports/summary?period=Y-2026&province={province}", None,
         scoped(REPORT_READERS, {ADMIN: 200, INSPECTOR: 422})),
    Rule("GET", "/api/v1/reports/summary?period=H2-2026&format=csv", None,
         only(REPORT_READERS)),
]
