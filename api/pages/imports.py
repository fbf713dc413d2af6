"""Importing from HR's spreadsheets on pages: pick the kind (workers, trainings, signed
commitments), download its template, upload the filled file and read the dry run's report,
every problem by row and column in the API's words; only a file without problems can be
imported, all of it in one transaction, after that check.

Both steps run `api.controllers.imports.run_import`, the function behind
`POST /api/v1/imports/{kind}`. A browser cannot send a chosen file twice, so the checked
file travels in the confirmation form itself (base64, with its SHA-256 shown on the report),
and the import checks it again from the start: nothing is kept on the server between the
two steps, and a registration made meanwhile is caught as a duplicate."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from api.controllers.imports import (
    IMPORTS,
    MAX_UPLOAD_BYTES,
    Checked,
    Import,
    run_import,
    template_file,
)
from api.i18n import language_of, rule
from api.pages.forms import Form, field_errors
from api.pages.rendering import page, see_other
from api.state import ActingContext, Services
from vetting.imports.sheets import sniff

#: Problems shown on the report page; every one is counted, and the API lists them all.
SHOWN_PROBLEMS = 200
#: The confirmation form carries the file in base64: a third larger, plus the form itself.
MAX_FORM_BYTES = MAX_UPLOAD_BYTES * 4 // 3 + 64 * 1024
DONE = {"workers": "/workers?notice=workers_imported",
        "trainings": "/imports?notice=records_imported",
        "commitments": "/imports?notice=records_imported"}


def _report(kind: str, checked: Checked, content: bytes, filename: str, *, status: int
            ) -> Template:
    return page("imports/report.html", status=status, kind=kind, checked=checked,
                shown=checked.problems[:SHOWN_PROBLEMS], filename=filename,
                content=base64.b64encode(content).decode())


def _upload_route(kind: str, spec: Import) -> HTTPRouteHandler:
    async def handler(self: Controller) -> Template:
        return page("imports/upload.html", kind=kind, layout=spec.layout)

    handler.__name__ = handler.__qualname__ = f"{kind}_upload_form"
    return get(f"/imports/{kind}", opt={"action": spec.action, "read_only": True})(handler)


def _template_route(kind: str, spec: Import) -> HTTPRouteHandler:
    async def handler(self: Controller, request: Request[Any, Any, Any],
                      output: Literal["xlsx", "csv"] = "xlsx") -> Response[bytes]:
        return template_file(language_of(request.scope), kind, spec, output)

    handler.__annotations__ = {"request": Request[Any, Any, Any],
                               "output": FromQuery[Literal["xlsx", "csv"]],
                               "return": Response[bytes]}
    handler.__name__ = handler.__qualname__ = f"{kind}_page_template"
    return get(f"/imports/{kind}/template", opt={"action": spec.action, "read_only": True}
               )(handler)


async def _run(kind: str, spec: Import, ctx: ActingContext, services: Services,
               request: Request[Any, Any, Any], content: bytes, filename: str, *,
               dry_run: bool) -> Template | None:
    """The file checked (and written, unless a dry run): the page to show, or None when an
    import went through. No file, or one too large, is refused on the upload form."""
    language = language_of(request.scope)
    if not content or len(content) > MAX_UPLOAD_BYTES:
        return page("imports/upload.html", status=422, kind=kind, layout=spec.layout,
                    errors=field_errors(("file", rule(language, "required", "file"))))
    checked = await run_import(ctx, services, spec, content, sniff(content), dry_run=dry_run,
                               language=language)
    if checked.problems or dry_run:
        return _report(kind, checked, content, filename,
                       status=422 if checked.problems else 200)
    return None


_ARGS = {"request": Request[Any, Any, Any], "ctx": ActingContext, "services": Services}


def _check_route(kind: str, spec: Import) -> HTTPRouteHandler:
    """The dry run: every row checked, nothing written."""

    async def handler(self: Controller, request: Request[Any, Any, Any], ctx: Any,
                      services: Any) -> Template | None:
        form = await Form.read(request)
        upload = form.files.get("file")
        content = await upload.read(MAX_UPLOAD_BYTES + 1) if upload is not None else b""
        return await _run(kind, spec, ctx, services, request, content,
                          (upload.filename if upload is not None else "") or "", dry_run=True)

    handler.__annotations__ = {**_ARGS, "return": Template}
    handler.__name__ = handler.__qualname__ = f"{kind}_check"
    return post(f"/imports/{kind}", opt={"action": spec.action},
                request_max_body_size=MAX_UPLOAD_BYTES + 64 * 1024)(handler)


def _commit_route(kind: str, spec: Import) -> HTTPRouteHandler:
    """The import itself, of the file the report showed, checked again from the start."""

    async def handler(self: Controller, request: Request[Any, Any, Any], ctx: Any,
                      services: Any) -> Template | Redirect:
        form = await Form.read(request)
        try:
            content = base64.b64decode(form.value("content"), validate=True)
        except (binascii.Error, ValueError):
            content = b""
        shown = await _run(kind, spec, ctx, services, request, content,
                           form.value("filename"), dry_run=False)
        return shown if shown is not None else see_other(DONE[kind])

    handler.__annotations__ = {**_ARGS, "return": Template | Redirect}
    handler.__name__ = handler.__qualname__ = f"{kind}_commit"
    return post(f"/imports/{kind}/commit", opt={"action": spec.action},
                request_max_body_size=MAX_FORM_BYTES)(handler)


class ImportPages(Controller):
    include_in_schema = False

    @get("/imports", opt={"action": "workers.record", "read_only": True})
    async def imports(self) -> Template:
        return page("imports/index.html", kinds=list(IMPORTS))


for _kind, _spec in IMPORTS.items():
    for _make in (_upload_route, _template_route, _check_route, _commit_route):
        setattr(ImportPages, f"{_make.__name__.strip('_')}_{_kind}", _make(_kind, _spec))


