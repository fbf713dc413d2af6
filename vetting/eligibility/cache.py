"""Eligibility's read cache: the records and routes as a caller's scope last read them,
dropped the moment anyone commits a change to them (`vetting.read_cache`), so an answer made
from them is the one the database would give."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vetting.changes import ROUTE_CHANGE, WORKER_CHANGE
from vetting.eligibility.records import Records, RouteBrief, load_records
from vetting.eligibility.signatures import AttestationChecker
from vetting.errors import NotFound
from vetting.principal import Actor, Context
from vetting.read_cache import MISSING, ReadCache
from vetting.repositories import ROUTES

ROUTE_ACTION = "routes.read"


#: Who may see what is decided by these, so cached rows are kept per scope.
ScopeKey = tuple[str, str | None, str | None, str]


def scope_key(actor: Actor, action: str) -> ScopeKey:
    return (actor.role, actor.unit, actor.province, action)


#: Records and routes as a caller's scope last read them (None: not visible to that scope).
EligibilityCache = ReadCache[tuple[ScopeKey, str], Records | RouteBrief | None]


def route_key(ctx: Context, route_id: str, action: str) -> tuple[ScopeKey, str]:
    return (scope_key(ctx.actor, action), "route:" + route_id)


async def route_brief(session: AsyncSession, ctx: Context, route_id: str,
                      cache: EligibilityCache | None = None,
                      action: str = ROUTE_ACTION) -> RouteBrief:
    """The route for eligibility checks, answered from `cache` while the database is
    unchanged."""
    if cache is None:
        route = await ROUTES.get(session, ctx.actor, action, route_id)
        return RouteBrief(route.id, route.active, route.stage)
    key = route_key(ctx, route_id, action)
    stamp = await cache.snapshot()
    found = cache.get(key)
    if found is MISSING:
        try:
            route = await ROUTES.get(session, ctx.actor, action, route_id)
            found = RouteBrief(route.id, route.active, route.stage)
        except NotFound:
            found = None
        cache.put(stamp, key, found, depends_on=(ROUTE_CHANGE + route_id,))
    if not isinstance(found, RouteBrief):
        raise NotFound("no such route")
    return found


def cached_records(cache: EligibilityCache, scope: ScopeKey, ids: list[str]
                    ) -> tuple[dict[str, Records], list[str]]:
    """The records `cache` holds for `ids` (the workers it knows are invisible are left out),
    and the ids it knows nothing about."""
    found: dict[str, Records] = {}
    missing: list[str] = []
    for worker_id in ids:
        entry = cache.get((scope, worker_id))
        if entry is MISSING:
            missing.append(worker_id)
        elif isinstance(entry, Records):
            found[worker_id] = entry
    return found, missing


async def records_of(session: AsyncSession, ctx: Context, ids: list[str], action: str,
                   cache: EligibilityCache | None, signatures: AttestationChecker
                   ) -> dict[str, Records]:
    if cache is None:
        return await load_records(session, ctx.actor, ids, action, signatures)
    scope = scope_key(ctx.actor, action)
    stamp = await cache.snapshot()
    found, missing = cached_records(cache, scope, ids)
    if missing:
        loaded = await load_records(session, ctx.actor, missing, action, signatures)
        for worker_id in missing:
            cache.put(stamp, (scope, worker_id), loaded.get(worker_id),
                      depends_on=(WORKER_CHANGE + worker_id,))
        found.update(loaded)
    return found


