"""The OpenAPI document as a true contract: what Litestar generates, completed with what the
app really does around its handlers.

- public operations declare `security: []` (the document's default is the bearer token);
- every error answer the middleware and the problem mapper can give is documented as
  `application/problem+json` with the body actually sent (Litestar documents its own 400 shape,
  which the app never sends): 400 everywhere, 401/403 behind the token, 404 with a path id,
  413/415 with a body, and 404/409/422 on authenticated POSTs, which take `Idempotency-Key`;
- request bodies are described by msgspec, the library that decodes them, so the schema says
  `additionalProperties: false`, array items keep their lengths and patterns, and a PATCH
  also takes `application/merge-patch+json`;
- alternative shapes (per-role answers, nullable values) are `anyOf`: a dossier is also a
  valid summary, which `oneOf` would call a violation.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec
import msgspec.inspect as mi
from litestar import Litestar
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    Schema,
)
from litestar.routes import HTTPRoute

from api.body_guard import ACCEPTED, JSON
from api.idempotency import RERUN
from api.problems import PROBLEM_JSON, TITLES
from api.schemas import Strict
from vetting.idempotency import HEADER as IDEMPOTENCY_HEADER

PROBLEM = Reference(ref="#/components/schemas/ProblemBody")
#: Answers whose media type depends on a query parameter: (path, method) -> status -> types.
EXTRA_MEDIA: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("/api/v1/reports/summary", "get"): {"200": ("text/csv",)},
    **{(f"/api/v1/imports/{kind}/template", "get"): {"200": (
        "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
       for kind in ("workers", "trainings", "commitments")},
}
_KEY = Parameter(name=IDEMPOTENCY_HEADER, param_in="header", required=False,
                 description="replays the first answer to the same account, scope and body",
                 schema=Schema(type="string", pattern=r"^[\x21-\x7e]{1,255}$"))  # type: ignore[arg-type]


def _problem(status: int) -> OpenAPIResponse:
    return OpenAPIResponse(description=TITLES.get(status, "Error"),
                           content={PROBLEM_JSON: OpenAPIMediaType(schema=PROBLEM)})


def _statuses(operation: Operation, method: str, public: bool, rerun: bool) -> set[int]:
    statuses = {400}
    if not public:
        statuses |= {401, 403}
    if any(getattr(p, "param_in", None) == "path" for p in operation.parameters or ()):
        statuses.add(404)
    if operation.request_body is not None:
        statuses |= {413, 415}
    if method == "post" and not public and not rerun:
        statuses |= {404, 409, 422}
    return statuses


def _request_structs(app: Litestar) -> dict[str, type[Strict]]:
    """Request structs by name, from the handlers' `data` parameters."""
    found: dict[str, type[Strict]] = {}
    for route in app.routes:
        for handler, _ in getattr(route, "route_handler_map", {}).values():
            parameter = handler.parsed_fn_signature.parameters.get("data")
            if parameter is None:
                continue
            kinds = [t.annotation for t in parameter.inner_types] if parameter.is_optional \
                else [parameter.annotation]
            found.update({k.__name__: k for k in kinds
                          if isinstance(k, type) and issubclass(k, Strict)})
    return found


def _is_instant(kind: Any) -> bool:
    kind = kind.type if isinstance(kind, mi.Metadata) else kind
    if isinstance(kind, mi.UnionType):
        return any(_is_instant(t) for t in kind.types)
    return isinstance(kind, mi.DateTimeType)


def _mark_instants(struct: type[Strict], schema: dict[str, Any]) -> None:
    """msgspec writes an instant as a bare string (it would take one without an offset);
    `Strict` refuses those, so the contract says `date-time`."""
    info = mi.type_info(struct)
    assert isinstance(info, mi.StructType)
    for field in info.fields:
        if not _is_instant(field.type):
            continue
        prop = schema["properties"][field.encode_name]
        for branch in prop.get("anyOf", [prop]):
            if branch.get("type") == "string":
                branch["format"] = "date-time"


def _any_of(node: Any) -> None:
    """Every `oneOf` of the document becomes `anyOf`, depth first."""
    if isinstance(node, Schema):
        if node.one_of is not None:
            node.any_of, node.one_of = [*(node.any_of or []), *node.one_of], None
        for field in dataclasses.fields(node):
            _any_of(getattr(node, field.name))
    elif isinstance(node, dict):
        for value in node.values():
            _any_of(value)
    elif isinstance(node, list | tuple):
        for value in node:
            _any_of(value)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            _any_of(getattr(node, field.name))


def _complete_operation(operation: Operation, path: str, method: str, public: bool) -> None:
    rerun = path in RERUN
    if public:
        operation.security = []
    responses = operation.responses or {}
    for status in sorted(_statuses(operation, method, public, rerun)):
        current = responses.get(str(status))
        content = getattr(current, "content", None) or {}
        if current is None or PROBLEM_JSON not in content or len(content) > 1:
            responses[str(status)] = _problem(status)
    for status, kinds in EXTRA_MEDIA.get((path, method), {}).items():
        response = responses[status]
        assert isinstance(response, OpenAPIResponse) and response.content is not None
        for kind in kinds:
            response.content[kind] = OpenAPIMediaType(schema=Schema(type="string"))  # type: ignore[arg-type]
    operation.responses = responses
    if method == "post" and not public and not rerun:
        operation.parameters = [*(operation.parameters or []), _KEY]
    body = operation.request_body
    if body is not None and not isinstance(body, Reference) and body.content \
            and JSON in body.content:  # a file upload documents its own media types
        schema = body.content[JSON].schema
        body.content = {kind: OpenAPIMediaType(schema=schema)
                        for kind in ACCEPTED.get(method.upper(), (JSON,))}


def complete(app: Litestar) -> OpenAPI:
    """Complete the app's OpenAPI document in place (before it is first served)."""
    document = app.openapi_schema
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in (document.paths or {}):
            continue
        item = document.paths[route.path_format]  # type: ignore[index]
        for method, (handler, _) in route.route_handler_map.items():
            operation = getattr(item, method.lower(), None)
            if isinstance(operation, Operation):
                _complete_operation(operation, route.path_format, method.lower(),
                                    bool(handler.opt.get("public")))
    structs = _request_structs(app)
    _, described = msgspec.json.schema_components(
        list(structs.values()), ref_template="#/components/schemas/{name}")
    components = document.components.schemas if document.components else None
    assert components is not None
    _any_of(document)
    for name, struct in structs.items():
        _mark_instants(struct, described[name])
    components.update(described)  # type: ignore[arg-type]
    return document
