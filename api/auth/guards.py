"""The access guard: every route names an action; the policy table decides (deny by default)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.state import registry_of, request_id_of
from policies.access import RESTRICTED_ACTIONS, scope_for
from vetting.audit.entries import append
from vetting.errors import Forbidden
from vetting.principal import SYSTEM, Actor, Context

ACTION_OPT = "action"


def route_rule(handler: BaseRouteHandler) -> str | None:
    """The access rule a route declares: an action name, 'public', or None (a bug)."""
    if handler.opt.get("public"):
        return "public"
    action = handler.opt.get(ACTION_OPT)
    return action if isinstance(action, str) else None


async def authorize(connection: ASGIConnection[Any, Any, Any, Any],
                    handler: BaseRouteHandler) -> None:
    rule = route_rule(handler)
    if rule == "public" or connection.scope["path"].startswith("/schema") or \
            connection.scope.get("method") == "OPTIONS":
        return  # CORS preflight and the OpenAPI document carry no data
    user = connection.scope.get("user")
    actor = user if isinstance(user, Actor) else SYSTEM
    allowed = rule is not None and scope_for(actor.role, rule) is not None
    if allowed and (not actor.restricted or rule in RESTRICTED_ACTIONS):
        return
    code = "ACCOUNT_SETUP_REQUIRED" if allowed else "FORBIDDEN"
    registry = registry_of(connection.app.state)
    ctx = Context(actor=actor, request_id=request_id_of(connection))  # type: ignore[arg-type]
    async with registry.db.transaction() as session:
        await append(session, ctx, action="access.denied", outcome="denied",
                     body={"rule": rule, "method": connection.scope.get("method"),
                           "route": connection.scope.get("path_template"), "code": code})
    if code == "ACCOUNT_SETUP_REQUIRED":
        raise Forbidden("change the one-time password and enrol a second factor first",
                        code=code)
    raise Forbidden("this role may not do that", code=code)
