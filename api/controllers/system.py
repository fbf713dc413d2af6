"""Liveness, readiness and the published public keys."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from api.controllers.attestations import published_keys
from api.i18n import language_of
from api.problems import documented, problem
from api.state import Services, Transaction
from vetting.migrate import current_revision, head_revision


class SystemController(Controller):
    tags = ["system"]  # noqa: RUF012

    @get("/health", opt={"public": True}, summary="Liveness")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", opt={"public": True}, summary="Readiness: database reachable, schema at head",
         responses=documented(503))
    async def ready(self, request: Request[Any, Any, Any], services: Services) -> Response[Any]:
        try:  # reading the schema's revision reaches the database, or fails
            revision = await current_revision(services.db.engine)
        except Exception:  # the database is down or unreachable: say so, nothing more
            return problem(503, "DATABASE_UNAVAILABLE", "the database is not reachable",
                           language=language_of(request.scope))
        head = head_revision()
        if revision != head:
            return problem(503, "MIGRATIONS_PENDING", "the schema is not at the latest migration",
                           language=language_of(request.scope), current=revision, head=head)
        return Response({"status": "ready", "revision": revision})

    @get("/.well-known/jwks.json", opt={"public": True, "read_only": True},
         summary="Published verification keys: attestation (per police unit, active and "
                 "retired), status list and audit log")
    async def jwks(self, db: Transaction, services: Services) -> Response[dict[str, Any]]:
        keys = await published_keys(db, services)
        return Response({"keys": keys}, headers={"Cache-Control": "public, max-age=300"})
