"""Spreadsheet imports: workers, trainings and commitments from HR's files, each with a blank
template to fill in.

`POST /api/v1/imports/{workers|trainings|commitments}?dry_run=true|false` takes the file as
`multipart/form-data` (a part named `file`: what a browser form or `curl -F file=@staff.xlsx`
sends) or as the raw body with its own type, `text/csv` or the .xlsx media type. Any other
type is refused with 415. A dry run reads and checks every row, answers the report and writes
nothing; an import writes every row in one transaction, or none (422 with the same report).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.controllers.workers import worker_input
from api.i18n import language_of
from api.i18n.validation import Broken
from api.imports.columns import COMMITMENTS, TRAININGS, WORKERS, Layout, Parsed, parse
from api.imports.report import ImportProblem, listed
from api.imports.templates import XLSX_MEDIA_TYPE, csv_template, xlsx_template
from api.problems import documented, problem, validation_problem
from api.state import ActingContext, AppServices, Services
from vetting.imports import records, workers
from vetting.imports.rows import Outcome
from vetting.imports.sheets import Format, sniff
from vetting.principal import Context

MULTIPART = "multipart/form-data"
CSV_MEDIA_TYPE = "text/csv"
#: The request bodies an import takes, and nothing else (declared on the route as
#: `opt["body_media_types"]` and in the OpenAPI document).
BODY_MEDIA_TYPES = (MULTIPART, CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE)
#: 10,000 rows of CSV are about 3 MB; a workbook is smaller.
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
FILE_PART = "file"


class ImportedOut(msgspec.Struct, kw_only=True):
    row: int
    id: str
    worker_id: str


class ImportReport(msgspec.Struct, kw_only=True):
    kind: str
    dry_run: bool
    rows: int
    valid: bool
    problems_total: int
    problems: list[ImportProblem]
    created: int
    import_id: str | None
    items: list[ImportedOut]


class UnsupportedUpload(Exception):
    """The body is not one of `BODY_MEDIA_TYPES`."""


async def read_upload(request: Request[Any, Any, Any]) -> tuple[bytes, Format] | None:
    """The uploaded file and what it holds; None when a multipart body has no `file` part."""
    media_type = request.content_type[0].lower()
    if media_type == MULTIPART:
        part = (await request.form()).get(FILE_PART)
        if not isinstance(part, UploadFile):
            return None
        content = await part.read()
        return content, sniff(content)  # a part's declared type is often octet-stream
    if media_type == CSV_MEDIA_TYPE:
        return await request.body(), "csv"
    if media_type == XLSX_MEDIA_TYPE:
        return await request.body(), "xlsx"
    raise UnsupportedUpload(media_type)


@dataclass(frozen=True, slots=True)
class Import:
    """One kind of import: its columns, the access action of its one-at-a-time endpoint and
    the service that checks (and writes) its rows."""

    layout: Layout
    action: str
    run: Callable[[AsyncSession, Context, AppServices, Parsed, str, bool], Awaitable[Outcome[Any]]]
    defaults: Callable[[Context], dict[str, Any]] = lambda ctx: {}


def _run_workers(db: AsyncSession, ctx: Context, services: AppServices, parsed: Parsed,
                 digest: str, dry_run: bool) -> Awaitable[Outcome[Any]]:
    return workers.import_workers(
        db, ctx, services.keys.data, [(row, worker_input(data)) for row, data in parsed.rows],
        problems=parsed.problems, total=parsed.total, sha256=digest, dry_run=dry_run)


def _run_trainings(db: AsyncSession, ctx: Context, services: AppServices, parsed: Parsed,
                   digest: str, dry_run: bool) -> Awaitable[Outcome[Any]]:
    return records.import_trainings(
        db, ctx, services.settings.policy, [(row, records.TrainingRow(
            employee_no=d.employee_no, kind=d.kind, completed_on=d.completed_on,
            valid_until=d.valid_until)) for row, d in parsed.rows],
        problems=parsed.problems, total=parsed.total, sha256=digest, dry_run=dry_run)


def _run_commitments(db: AsyncSession, ctx: Context, services: AppServices, parsed: Parsed,
                     digest: str, dry_run: bool) -> Awaitable[Outcome[Any]]:
    return records.import_commitments(
        db, ctx, [(row, records.CommitmentRow(
            employee_no=d.employee_no, signed_on=d.signed_on,
            document_sha256=d.document_sha256)) for row, d in parsed.rows],
        problems=parsed.problems, total=parsed.total, sha256=digest, dry_run=dry_run)


IMPORTS: dict[str, Import] = {
    "workers": Import(WORKERS, "workers.create", _run_workers,
                      lambda ctx: {"post_unit": ctx.actor.unit}),
    "trainings": Import(TRAININGS, "workers.record", _run_trainings),
    "commitments": Import(COMMITMENTS, "workers.record", _run_commitments),
}


@dataclass
class UploadOperation(Operation):
    """The OpenAPI operation of an import: the three bodies it takes (Litestar documents a
    request body only for a `data` parameter, and an import reads the request itself)."""

    def __post_init__(self) -> None:
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        self.request_body = RequestBody(required=True, description=(
            "The spreadsheet: a multipart form with the file in the part `file`, or the file "
            "itself as the body (text/csv, UTF-8, `,` or `;`; or an .xlsx workbook)."),
            content={MULTIPART: OpenAPIMediaType(schema=Schema(
                type=OpenAPIType.OBJECT, properties={FILE_PART: binary}, required=[FILE_PART])),
                CSV_MEDIA_TYPE: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
                XLSX_MEDIA_TYPE: OpenAPIMediaType(schema=binary)})


def _outcome_items(outcome: Outcome[Any]) -> list[ImportedOut]:
    return [ImportedOut(row=row, id=record.id, worker_id=getattr(record, "worker_id", record.id))
            for row, record in outcome.written]


@dataclass(frozen=True, slots=True)
class Checked:
    """A file read, checked (and unless a dry run, written), with its problems in words."""

    outcome: Outcome[Any]
    problems: list[ImportProblem]
    sha256: str


async def run_import(ctx: Context, services: AppServices, spec: Import, content: bytes,
                     file_format: Format, *, dry_run: bool, language: str) -> Checked:
    """Parse the file off the event loop, then check every row (and write them all, in one
    transaction, unless a dry run or a row has a problem): the API's import and the import
    page run this one function."""
    parsed = await anyio.to_thread.run_sync(parse, spec.layout, content, file_format,
                                            spec.defaults(ctx))
    digest = hashlib.sha256(content).hexdigest()
    async with services.db.transaction(read_only=dry_run) as session:
        outcome = await spec.run(session, ctx, services, parsed, digest, dry_run)
    return Checked(outcome, listed(language, parsed, outcome.problems), digest)


def import_route(kind: str, spec: Import) -> HTTPRouteHandler:
    """`POST /{kind}?dry_run=`: the file checked as one record at a time would be, then all of
    it written in one transaction (unless a dry run), or nothing and every problem."""

    async def handler(self: Controller, request: Request[Any, Any, Any], ctx: Context,
                      services: AppServices, dry_run: bool = False) -> Response[Any]:
        language = language_of(request.scope)
        try:
            upload = await read_upload(request)
        except UnsupportedUpload:
            return problem(415, "IMPORT_MEDIA_TYPE", language=language,
                           accepted=list(BODY_MEDIA_TYPES))
        if upload is None:
            return validation_problem(language, [Broken(FILE_PART, "required")])
        content, file_format = upload
        checked = await run_import(ctx, services, spec, content, file_format,
                                   dry_run=dry_run, language=language)
        outcome, problems = checked.outcome, checked.problems
        if problems and not dry_run:
            return problem(422, "IMPORT_REFUSED", language=language,
                           params={"count": len(outcome.problems)}, kind=kind,
                           rows=outcome.rows, problems_total=len(outcome.problems),
                           problems=problems)
        report = ImportReport(kind=kind, dry_run=dry_run, rows=outcome.rows,
                              valid=not outcome.problems,
                              problems_total=len(outcome.problems), problems=problems,
                              created=len(outcome.written), import_id=outcome.import_id,
                              items=_outcome_items(outcome))
        return Response(report, status_code=200 if dry_run else 201)

    handler.__annotations__ = {
        "request": Request[Any, Any, Any], "ctx": ActingContext, "services": Services,
        "dry_run": Annotated[bool, QueryParameter(description=(
            "true: check every row and write nothing; false: import all rows or none"))],
        "return": Response[ImportReport]}
    handler.__name__ = handler.__qualname__ = f"import_{kind}"
    return post(f"/{kind}", opt={"action": spec.action, "body_media_types": BODY_MEDIA_TYPES},
                request_max_body_size=MAX_UPLOAD_BYTES, operation_class=UploadOperation,
                responses={200: ResponseSpec(data_container=ImportReport,
                                             description="The dry run's report: nothing written"),
                           **documented(400, 401, 403, 413, 415, 422)})(handler)


def template_file(language: str, kind: str, spec: Import, output: str) -> Response[bytes]:
    """The blank file of `kind` to download, headers in `language` (the API's and the page's)."""
    if output == "csv":
        body, media_type = csv_template(language, spec.layout), CSV_MEDIA_TYPE
    else:
        body, media_type = xlsx_template(language, spec.layout), XLSX_MEDIA_TYPE
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="kt1-{kind}-template.{output}"'})


def template_route(kind: str, spec: Import) -> HTTPRouteHandler:
    """`GET /{kind}/template?format=xlsx|csv`: the blank file, headers in the caller's
    language (Vietnamese by default)."""

    async def handler(self: Controller, request: Request[Any, Any, Any],
                      output: str = "xlsx") -> Response[bytes]:
        return template_file(language_of(request.scope), kind, spec, output)

    handler.__annotations__ = {
        "request": Request[Any, Any, Any],
        "output": Annotated[Literal["xlsx", "csv"], QueryParameter(name="format")],
        "return": Response[bytes]}
    handler.__name__ = handler.__qualname__ = f"{kind}_template"
    return get(f"/{kind}/template", opt={"action": spec.action},
               responses=documented(400, 401, 403))(handler)


class ImportController(Controller):
    path = "/api/v1/imports"
    tags = ["imports"]  # noqa: RUF012


for _kind, _spec in IMPORTS.items():
    setattr(ImportController, f"import_{_kind}", import_route(_kind, _spec))
    setattr(ImportController, f"template_{_kind}", template_route(_kind, _spec))
