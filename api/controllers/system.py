"""Liveness, readiness and the published public keys."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Request, Response, get
from sqlalchemy import text

from api.controllers.attestations import published_keys
from api.i18n import language_of
from api.problems import documented, problem
from api.state import Db, Reg
from vetting.migrate import current_revision, head_revision

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;
line-height:1.5;color:#1b1b1b}}h1{{font-size:1.6rem}}code{{background:#f2f2f2;padding:0 .25rem}}
a{{color:#0b5394}}</style></head><body>
<h1>{title}</h1><p>{intro}</p><ul>
<li><a href="/schema">{api}</a> (OpenAPI: <a href="/schema/openapi.json">openapi.json</a>)</li>
<li><a href="/.well-known/jwks.json">{keys}</a></li>
<li><a href="/api/v1/status-lists/revocation">{revocation}</a> ·
<a href="/api/v1/status-lists/suspension">{suspension}</a></li>
<li><a href="/health">/health</a> · <a href="/ready">/ready</a></li></ul>
<p>{verify}</p></body></html>"""
HOME_VI = _PAGE.format(
    lang="vi", title="Sổ đăng ký thẩm tra KT1",
    intro="Hệ thống quản lý kết quả thẩm tra tiêu chuẩn chính trị của người lao động tham gia "
          "trực tiếp cung cấp dịch vụ bưu chính KT1.",
    api="Tài liệu API tương tác", keys="Khóa công khai để kiểm tra văn bản xác nhận",
    revocation="Danh sách thu hồi", suspension="Danh sách tạm đình chỉ",
    verify="Kiểm tra ngoại tuyến: <code>kt1vet attestation verify FILE --jwks URL</code>")
HOME_EN = _PAGE.format(
    lang="en", title="KT1 vetting registry",
    intro="The system of record of the political-standard vetting of Post workers who take "
          "part directly in the KT1 (state-secret) mail service.",
    api="Interactive API documentation", keys="Public keys to verify attestations",
    revocation="Revocation list", suspension="Suspension list",
    verify="Offline check: <code>kt1vet attestation verify FILE --jwks URL</code>")


class SystemController(Controller):
    tags = ["system"]  # noqa: RUF012

    @get("/", opt={"public": True}, media_type=MediaType.HTML, include_in_schema=False)
    async def home(self, request: Request[Any, Any, Any]) -> str:
        """A landing page for people: what this is and where to go (no data)."""
        return HOME_EN if language_of(request.scope) == "en" else HOME_VI

    @get("/health", opt={"public": True}, summary="Liveness")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", opt={"public": True}, summary="Readiness: database reachable, schema at head",
         responses=documented(503))
    async def ready(self, request: Request[Any, Any, Any], registry: Reg) -> Response[Any]:
        try:
            async with registry.db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            revision = await current_revision(registry.db.engine)
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
    async def jwks(self, db: Db, registry: Reg) -> Response[dict[str, Any]]:
        keys = await published_keys(db, registry)
        return Response({"keys": keys}, headers={"Cache-Control": "public, max-age=300"})
