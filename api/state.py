"""What one running app holds: settings, the database and the registry's keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.principal import SYSTEM, Actor, Context
from vetting.settings import Settings


@dataclass(slots=True)
class Registry:
    settings: Settings
    db: Database
    keys: RegistryKeys


def registry_of(state: State) -> Registry:
    registry: Registry = state.registry
    return registry


def request_id_of(request: Request[Any, Any, Any]) -> str | None:
    return request.scope.get("state", {}).get("request_id")


async def provide_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed after the handler returns (a failed commit is 500).

    Handlers marked `read_only` get a reader transaction that never takes the write lock.
    """
    read_only = bool(request.route_handler.opt.get("read_only", False))
    async with registry_of(request.app.state).db.transaction(read_only=read_only) as session:
        yield session


def provide_registry(request: Request[Any, Any, Any]) -> Registry:
    return registry_of(request.app.state)


def provide_context(request: Request[Any, Any, Any]) -> Context:
    user = request.scope.get("user")
    actor = user if isinstance(user, Actor) else SYSTEM
    return Context(actor=actor, request_id=request_id_of(request))


#: Handler parameter types: resolved by name from the plugin's dependencies.
Db = NamedDependency[AsyncSession]
Ctx = NamedDependency[Context]
Reg = NamedDependency[Registry]
