"""The access check: every route names an action; the policy table decides (deny by default).

It runs in the bearer middleware as soon as the principal is known, not as a Litestar guard:
the guard API copies the route handler object on every call, a tenth of a cached eligibility
check, for a decision that needs only the handler's `opt` and the actor.
"""

from __future__ import annotations

from litestar.handlers.base import BaseRouteHandler
from litestar.types import Scope

from api.state import request_id_of, services_of
from policies.access import RESTRICTED_ACTIONS, scope_for
from vetting.audit.entries import append
from vetting.errors import Forbidden
from vetting.principal import Actor, Context

ACTION_OPT = "action"
#: Set on the pages' router: their routes have page sessions, never bearer tokens.
PAGE_OPT = "page"


def route_rule(handler: BaseRouteHandler) -> str | None:
    """The access rule a route declares: an action name, 'public', or None (a bug)."""
    if handler.opt.get("public"):
        return "public"
    action = handler.opt.get(ACTION_OPT)
    return action if isinstance(action, str) else None


async def authorize(scope: Scope, actor: Actor) -> None:
    """Let `actor` through to the route of `scope`, or audit the refusal and raise 403."""
    handler: BaseRouteHandler = scope["route_handler"]
    rule = route_rule(handler)
    if rule == "public":
        return
    allowed = rule is not None and scope_for(actor.role, rule) is not None
    if allowed and (not actor.restricted or rule in RESTRICTED_ACTIONS):
        return
    await deny(scope, actor, rule,
               "ACCOUNT_SETUP_REQUIRED" if allowed else "FORBIDDEN")


async def deny(scope: Scope, actor: Actor, rule: str | None, code: str = "FORBIDDEN") -> None:
    """Audit a refusal in its own transaction (the request's rolls back) and raise 403."""
    services = services_of(scope["app"].state)
    ctx = Context(actor=actor, request_id=request_id_of(scope))
    async with services.db.transaction() as session:
        await append(session, ctx, action="access.denied", outcome="denied",
                     body={"rule": rule, "method": scope.get("method"),
                           "route": scope.get("path_template"), "code": code})
    if code == "ACCOUNT_SETUP_REQUIRED":
        raise Forbidden("change the one-time password and enrol a second factor first",
                        code=code)
    raise Forbidden("this role may not do that", code=code)
