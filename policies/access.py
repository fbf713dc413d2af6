"""Who may do what: one declarative table of role × action → scope rule.

The access check consults `scope_for`; services apply the returned scope inside their
queries, so an object outside it is simply not found. An action missing from
the table is denied to everyone (deny by default).
"""

from __future__ import annotations

from enum import StrEnum

from policies.vocabulary import ROLES


class Scope(StrEnum):
    ALL = "all"            # every province (admin, and read-only global views)
    PROVINCE = "province"  # the caller's province
    UNIT = "unit"          # the caller's own unit (post_hr, dispatcher, police)
    SELF = "self"          # the caller's own account


# Names for the roles of the one vocabulary, in its order.
ADMIN, POST_HR, POLICE_OFFICER, POLICE_LEAD, DISPATCHER, INSPECTOR = ROLES
POLICE = (POLICE_OFFICER, POLICE_LEAD)

_EVERY_ROLE_SELF = {role: Scope.SELF for role in ROLES}

ACCESS: dict[str, dict[str, Scope]] = {
    # own session and account
    "auth.session": _EVERY_ROLE_SELF,
    "auth.password": _EVERY_ROLE_SELF,
    "auth.mfa": _EVERY_ROLE_SELF,
    # account administration
    "users.read": {ADMIN: Scope.ALL},
    "users.manage": {ADMIN: Scope.ALL},
    # the audit log
    # checkpoints and proofs are hashes only: national; the entries say who did what to
    # whom, so an inspector reads their own province's
    "audit.read": {ADMIN: Scope.ALL, INSPECTOR: Scope.ALL},
    "audit.entries": {ADMIN: Scope.ALL, INSPECTOR: Scope.PROVINCE},
    # workers and their dossiers
    "workers.create": {POST_HR: Scope.UNIT},
    "workers.read": {POST_HR: Scope.UNIT, DISPATCHER: Scope.UNIT, POLICE_OFFICER: Scope.UNIT,
                     POLICE_LEAD: Scope.UNIT, INSPECTOR: Scope.PROVINCE},
    "workers.record": {POST_HR: Scope.UNIT},  # training, commitment, leave
    # looking a worker up by national ID (blind index; each lookup audited)
    "workers.search_national_id": {POST_HR: Scope.UNIT, POLICE_OFFICER: Scope.UNIT,
                                   POLICE_LEAD: Scope.UNIT},
    # vetting requests
    "requests.read": {POST_HR: Scope.UNIT, POLICE_OFFICER: Scope.UNIT, POLICE_LEAD: Scope.UNIT,
                      INSPECTOR: Scope.PROVINCE},
    "requests.submit": {POST_HR: Scope.UNIT},   # submit, resubmit, withdraw
    "requests.review": {POLICE_OFFICER: Scope.UNIT, POLICE_LEAD: Scope.UNIT},
    "requests.approve": {POLICE_LEAD: Scope.UNIT},
    # clearances and attestations
    "clearance.read": {POST_HR: Scope.UNIT, DISPATCHER: Scope.UNIT, POLICE_OFFICER: Scope.UNIT,
                       POLICE_LEAD: Scope.UNIT, INSPECTOR: Scope.PROVINCE},
    "clearance.manage": {POLICE_LEAD: Scope.UNIT},  # suspend, reinstate, revoke
    # KT1 routes, eligibility and assignments
    "routes.read": {ADMIN: Scope.ALL, DISPATCHER: Scope.PROVINCE, INSPECTOR: Scope.PROVINCE},
    "routes.manage": {ADMIN: Scope.ALL, DISPATCHER: Scope.PROVINCE},
    "eligibility.read": {DISPATCHER: Scope.UNIT},
    "assignments.manage": {DISPATCHER: Scope.UNIT},
    # incidents, notifications, reports, retention
    "incidents.report": {POST_HR: Scope.UNIT},
    "incidents.read": {POST_HR: Scope.UNIT, POLICE_OFFICER: Scope.PROVINCE,
                       POLICE_LEAD: Scope.PROVINCE, INSPECTOR: Scope.PROVINCE, ADMIN: Scope.ALL},
    "incidents.conclude": {POLICE_LEAD: Scope.PROVINCE},
    "notifications.read": _EVERY_ROLE_SELF,
    "reports.read": {ADMIN: Scope.ALL, INSPECTOR: Scope.PROVINCE},
    # HR is who would ask to delete its unit's records: it gets the same audited refusal
    "records.delete": {ADMIN: Scope.ALL, POST_HR: Scope.UNIT},
}

#: What a user may still do while the password must change or MFA is not yet enrolled.
RESTRICTED_ACTIONS = frozenset({"auth.session", "auth.password", "auth.mfa"})

#: Which roles must hold a unit, and of which kind; an inspector holds a province.
UNIT_KIND_BY_ROLE: dict[str, str] = {
    POST_HR: "post",
    DISPATCHER: "post",
    POLICE_OFFICER: "police",
    POLICE_LEAD: "police",
}
PROVINCE_ROLES = frozenset({INSPECTOR})


def scope_for(role: str, action: str) -> Scope | None:
    """The scope `role` has for `action`, or None when it is not allowed at all."""
    return ACCESS.get(action, {}).get(role)
