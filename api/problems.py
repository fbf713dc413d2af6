"""The one place where errors become RFC 9457 problem+json responses.

Every answer carries a machine-readable `code`; validation problems name the
field and the rule; unexpected errors say nothing about their internals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from api.i18n import DEFAULT, field_label, language_of, message, rule
from api.i18n.validation import Broken, classify
from api.state import request_id_of
from policies.calendar import YEARS
from vetting.errors import (
    BatchRefused,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("kt1.api")

_DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    TooManyAttempts: 429,
}
_HTTP_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE", 422: "INVALID_INPUT", 428: "PRECONDITION_REQUIRED",
    429: "TOO_MANY_REQUESTS", 503: "UNAVAILABLE",
}
TITLES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
    415: "Unsupported Media Type", 422: "Unprocessable Content", 428: "Precondition Required",
    429: "Too Many Requests",
    500: "Internal Server Error", 503: "Service Unavailable",
}


def problem(status: int, code: str, detail: str | None = None, *, language: str = DEFAULT,
            headers: dict[str, str] | None = None, params: dict[str, Any] | None = None,
            **extra: Any) -> Response[dict[str, Any]]:
    """A problem answer whose `detail` is the catalogue's text for `code` in `language`
    (`detail` is only the fallback for a code the catalogue lacks)."""
    text = message(language, code, {**extra, **(params or {})}, fallback=detail)
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status,
            "code": code, "detail": text, **extra}
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _public_name(request: Request[Any, Any, Any], name: str) -> str:
    """The parameter as the client spells it (`from`), not the Python name (`since`)."""
    try:
        parameter = request.route_handler.parsed_fn_signature.parameters.get(name)
    except Exception:  # no route matched: nothing to translate
        return name
    kwarg = getattr(parameter, "kwarg_definition", None) if parameter else None
    return getattr(kwarg, "name", None) or name


def _location(request: Request[Any, Any, Any], name: str) -> str:
    """Where the handler takes `name` from: a path, query or header parameter (header names
    are the only ones with a hyphen, or spelled as one: `If-Match`), else the body."""
    if name[:1].isupper() and name in request.headers:
        return "header"
    if name in request.path_params:
        return "path"
    if name in request.query_params:
        return "query"
    if "-" in name:
        return "header"
    try:
        parameters = request.route_handler.parsed_fn_signature.parameters.values()
    except Exception:  # no route matched
        return "body"
    for parameter in parameters:
        kwarg = getattr(parameter, "kwarg_definition", None)
        spelled = getattr(kwarg, "query", None) or getattr(kwarg, "name", None)
        if name in (parameter.name, spelled) and parameter.name != "data":
            return "query"
    return "body"


def _source(value: object) -> str:
    """Litestar names sources by a str enum (`ParamType.QUERY`); clients read `query`."""
    return str(getattr(value, "value", value) or "body")


def invalid_param(language: str, broken: Broken, location: str) -> dict[str, str]:
    """One entry of `invalid_params`: the field, where it was, the rule and the rule in words."""
    params = {"limit": broken.limit} if broken.limit is not None else {}
    if broken.rule == "year_out_of_range":
        params = {"low": YEARS.start, "high": YEARS.stop - 1}
    return {"name": broken.field, "in": location, "rule": broken.rule,
            "reason": rule(language, broken.rule, broken.field, **params)}


def validation_problem(language: str, broken: list[Broken], location: str = "body",
                       **extra: Any) -> Response[Any]:
    invalid = [invalid_param(language, b, location) for b in broken]
    return _validation_answer(language, invalid, **extra)


def _validation_answer(language: str, invalid: list[dict[str, str]], **extra: Any
                       ) -> Response[Any]:
    fields = ", ".join(dict.fromkeys(field_label(language, p["name"]) for p in invalid))
    return problem(400, "VALIDATION_FAILED", language=language, params={"fields": fields},
                   invalid_params=invalid, **extra)


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    language = language_of(request.scope)
    items = exc.extra if isinstance(exc.extra, list) else []
    if not items:
        items = [{"message": exc.detail, "source": "query" if exc.detail.startswith(
            "Missing required") else "body"}]
    invalid = []
    for item in items:
        if not isinstance(item, dict):
            continue
        broken = classify(item.get("key"), str(item.get("message", "")))
        broken = Broken(_public_name(request, broken.field), broken.rule, broken.limit)
        invalid.append(invalid_param(language, broken, _source(item.get("source"))))
    if not invalid:
        invalid = [invalid_param(language, Broken("body", "format"), "body")]
    return _validation_answer(language, invalid)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    language = language_of(request.scope)
    if status == 400 and "JSON is malformed" in str(exc.detail):
        return validation_problem(language, [Broken("body", "json")])
    headers = dict(exc.headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="kt1"')
    if status == 429 and "RateLimit-Reset" in headers:  # the rate limiter's window
        headers.setdefault("Retry-After", headers["RateLimit-Reset"])
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    code = str(extra.get("code") or _HTTP_CODES.get(status, "ERROR"))
    fallback = exc.detail if status < 500 else TITLES.get(status, "Error")
    params = {"retry_after": headers.get("Retry-After", "")}
    return problem(status, code, fallback, language=language, headers=headers or None,
                   params=params)


def domain_status(exc: DomainError) -> int:
    return next((s for cls, s in _DOMAIN_STATUS.items() if isinstance(exc, cls)), 400)


def domain_text(language: str, exc: DomainError) -> str:
    """A domain error in words: the catalogue's text for its code, its parameters filled."""
    return message(language, exc.code, dict(exc.extra), fallback=exc.detail)


def domain_invalid_param(language: str, exc: InvalidInput, location: str = "body"
                         ) -> dict[str, str]:
    """The refused field of a domain error, as an entry of `invalid_params`."""
    return {"name": exc.field, "in": location, "rule": exc.code,
            "reason": domain_text(language, exc)}


def domain_problem(language: str, exc: DomainError, location: str = "body") -> Response[Any]:
    """The answer to a domain error: status by its class, text by its code; `location` says
    where the refused field was (body, query or path)."""
    status = domain_status(exc)
    extra = {k: v for k, v in exc.extra.items() if k != "reason"}
    params = dict(exc.extra)
    if isinstance(extra.get("reasons"), list):  # reason codes, each answered with its words
        extra["reasons"] = [{"code": code, "message": message(language, code)}
                            for code in extra["reasons"]]
    if isinstance(exc, InvalidInput):
        extra["invalid_params"] = [domain_invalid_param(language, exc, location)]
    headers = {"WWW-Authenticate": 'Bearer realm="kt1"'} if status == 401 else None
    if isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    return problem(status, exc.code, exc.detail, language=language, headers=headers,
                   params=params, **extra)


def batch_problem(language: str, exc: BatchRefused) -> Response[Any]:
    """A refused batch names each failing item by its position (`worker_ids[3]`): 422 when
    an item is unknown or repeated (bad input), else 409 (each known, but not possible now)."""
    invalid = [{"name": f"worker_ids[{f.index}]", "in": "body", "rule": f.error.code,
                "reason": domain_text(language, f.error),
                "worker_id": f.item} for f in exc.failures]
    status = 422 if any(isinstance(f.error, InvalidInput) for f in exc.failures) else 409
    return problem(status, exc.code, exc.detail, language=language, params=exc.extra,
                   invalid_params=invalid)


def _domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if isinstance(exc, BatchRefused):
        return batch_problem(language_of(request.scope), exc)
    field = getattr(exc, "field", None)
    return domain_problem(language_of(request.scope), exc,
                          _location(request, field) if field else "body")


def _stale(request: Request[Any, Any, Any], exc: StaleDataError) -> Response[Any]:
    """Two writers raced on a versioned row: the loser is told, never silently overwritten."""
    return problem(409, "VERSION_MISMATCH", "the record changed meanwhile; read it and retry",
                   language=language_of(request.scope))


def _integrity(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    """A uniqueness or reference rule of the database refused the write (no SQL shown)."""
    return problem(409, "CONFLICT", "the request conflicts with existing data",
                   language=language_of(request.scope))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "INTERNAL_ERROR",
                   "The registry could not complete the request.",
                   language=language_of(request.scope))


Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def _with_request_id(handler: Handler) -> Handler:
    """Errors raised before the request-id middleware sees the answer (a refused token or
    role, raised in the bearer middleware) still carry the request's id, as every answer does."""
    def stamped(request: Request[Any, Any, Any], exc: Any) -> Response[Any]:
        response = handler(request, exc)
        request_id = request_id_of(request.scope)
        if request_id is not None:
            response.headers.setdefault("X-Request-ID", request_id)
        return response
    return stamped


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    kind: _with_request_id(handler) for kind, handler in (
        (ValidationException, _validation),
        (HTTPException, _http),
        (DomainError, _domain),
        (StaleDataError, _stale),
        (IntegrityError, _integrity),
        (Exception, _unexpected),
    )
}


class ProblemBody(msgspec.Struct, kw_only=True):
    """The shape of every error answer (RFC 9457 plus `code`)."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    invalid_params: list[dict[str, str]] | None = None
    """Each bad value: `name`, `in` (body, query, header, path), `rule`, `reason` in words."""


def documented(*statuses: int) -> dict[int, ResponseSpec]:
    """Declare error answers on a handler so the OpenAPI document is a true contract."""
    return {
        status: ResponseSpec(data_container=ProblemBody, description=TITLES.get(status, "Error"),
                             media_type=PROBLEM_JSON)
        for status in statuses
    }
