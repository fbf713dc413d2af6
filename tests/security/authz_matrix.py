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

To extend the matrix for a new endpoint, add a `Rule` (built with `everyone`, `only` or
`scoped`), and where needed a body factory in `BODIES` and a target kind in `TARGETS`
(whose factory lives in the driver). `test_matrix_covers_every_route` fails until every
protected route outside `PENDING_PREFIXES` has a row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

ADMIN, POST_HR, POLICE_OFFICER, POLICE_LEAD, DISPATCHER, INSPECTOR = (
    "admin", "post_hr", "police_officer", "police_lead", "dispatcher", "inspector")
ROLES = (ADMIN, POST_HR, POLICE_OFFICER, POLICE_LEAD, DISPATCHER, INSPECTOR)
SCOPES = ("own", "other")

HOME_PROVINCE = "51"
OTHER_PROVINCE = "12"


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
}

#: Route prefixes of the contract's endpoints that are being built by other issues and
#: have no rows yet (a to-do list for this matrix). Their routes are still held to deny by
#: default by test_route_rules.py. Remove a prefix when its rows are added; from then on
#: test_matrix_covers_every_route holds the matrix to every route under it.
PENDING_PREFIXES: tuple[str, ...] = (
    "/api/v1/workers",
    "/api/v1/vetting-requests",
    "/api/v1/attestations",
    "/api/v1/routes",
    "/api/v1/assignments",
    "/api/v1/eligibility",
    "/api/v1/incidents",
    "/api/v1/reports",
)

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


# --------------------------------------------------------------------------- bodies


@dataclass(frozen=True)
class Call:
    """What a body factory may draw on for one request."""

    caller_username: str
    caller_password: str
    province: str  # HOME_PROVINCE for "own", OTHER_PROVINCE for "other"
    unique: str    # lowercase letters and digits, fresh for every call


#: A passphrase every password rule accepts (long, not common, no context words).
GOOD_PASSWORD = "amber quartz lantern meadow"

BODIES: Mapping[str, Callable[[Call], dict[str, Any]]] = {
    "new_user": lambda c: {"username": f"mx-{c.unique}", "role": POST_HR,
                           "unit": f"POST-{c.province}", "password": GOOD_PASSWORD},
    "disable_user": lambda c: {"state": "disabled"},
    "password_change": lambda c: {"current_password": c.caller_password,
                                  "new_password": f"{GOOD_PASSWORD} {c.unique}"},
    "wrong_otp": lambda c: {"otp": "000000"},
}


# --------------------------------------------------------------------------- the matrix

AUDIT_READERS = {ADMIN: 200, INSPECTOR: 200}

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
]
