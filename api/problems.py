"""The one place where errors become RFC 9457 problem+json responses.

Every answer carries a machine-readable `code`; validation problems name the
field and the rule; unexpected errors say nothing about their internals.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from api.state import request_id_of
from vetting.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, Unauthenticated

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("kt1.api")

_DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Unauthenticated: 401,
    Forbidden: 403,
}
_HTTP_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE", 422: "INVALID_INPUT", 429: "TOO_MANY_REQUESTS",
    503: "UNAVAILABLE",
}
_TITLES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
    415: "Unsupported Media Type", 422: "Unprocessable Content", 429: "Too Many Requests",
    500: "Internal Server Error", 503: "Service Unavailable",
}


def problem(status: int, code: str, detail: str, *, headers: dict[str, str] | None = None,
            **extra: Any) -> Response[dict[str, Any]]:
    body = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status,
            "code": code, "detail": detail, **extra}
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_NAMED = (re.compile(r"at `\$\.([^`]+)`"), re.compile(r"unknown field `([^`]+)`"),
          re.compile(r"Missing required \w+ parameter '([^']+)'"))


def _field_of(key: str | None, message: str) -> str:
    """The offending field: msgspec names it inside the message, Litestar only says 'data'."""
    for pattern in _NAMED:
        found = pattern.search(message)
        if found:
            return found.group(1)
    return key if key and key != "data" else "body"


def _public_name(request: Request[Any, Any, Any], name: str) -> str:
    """The parameter as the client spells it (`from`), not the Python name (`since`)."""
    try:
        parameter = request.route_handler.parsed_fn_signature.parameters.get(name)
    except Exception:  # no route matched: nothing to translate
        return name
    kwarg = getattr(parameter, "kwarg_definition", None) if parameter else None
    return getattr(kwarg, "name", None) or name


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    items = exc.extra if isinstance(exc.extra, list) else []
    if not items and exc.detail.startswith("Missing required"):
        items = [{"message": exc.detail, "source": "query"}]
    invalid = [
        {"name": _public_name(request, _field_of(item.get("key"), str(item.get("message", "")))),
         "reason": item.get("message", "invalid"),
         "in": item.get("source", "body")}
        for item in items
        if isinstance(item, dict)
    ]
    if not invalid:
        invalid = [{"name": "body", "reason": exc.detail, "in": "body"}]
    names = ", ".join(p["name"] for p in invalid)
    return problem(400, "VALIDATION_FAILED", f"invalid input: {names}", invalid_params=invalid)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    detail = exc.detail if status < 500 else _TITLES.get(status, "Error")
    headers = dict(exc.headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="kt1"')
    return problem(status, _HTTP_CODES.get(status, "ERROR"), detail, headers=headers or None)


def _domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    status = next((s for cls, s in _DOMAIN_STATUS.items() if isinstance(exc, cls)), 400)
    extra = {k: v for k, v in exc.extra.items() if k not in {"reason"}}
    if isinstance(exc, InvalidInput):
        extra["invalid_params"] = [{"name": exc.field, "reason": exc.code, "in": "body"}]
    headers = {"WWW-Authenticate": 'Bearer realm="kt1"'} if status == 401 else None
    return problem(status, exc.code, exc.detail, headers=headers, **extra)


def _stale(request: Request[Any, Any, Any], exc: StaleDataError) -> Response[Any]:
    """Two writers raced on a versioned row: the loser is told, never silently overwritten."""
    return problem(409, "STALE_VERSION", "the record changed meanwhile; read it and retry")


def _integrity(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    """A uniqueness or reference rule of the database refused the write (no SQL shown)."""
    return problem(409, "CONFLICT", "the request conflicts with existing data")


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "INTERNAL_ERROR",
                   "The registry could not complete the request.")


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


def documented(*statuses: int) -> dict[int, ResponseSpec]:
    """Declare error answers on a handler so the OpenAPI document is a true contract."""
    return {
        status: ResponseSpec(data_container=ProblemBody, description=_TITLES.get(status, "Error"),
                             media_type=PROBLEM_JSON)
        for status in statuses
    }
