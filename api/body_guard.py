"""The gate every request body of the JSON API passes before anything reads it, even before
authentication: no larger than MAX_BODY_BYTES, sent as JSON (415 otherwise, also with no
content type: a form or `text/plain` body wrote a worker before), and nested no deeper than
MAX_DEPTH.

Nesting is counted on the raw bytes, before any decoder runs: a thousand `[` made msgspec and
Litestar recurse into a `RecursionError` (a 500 and a traceback per request, also on the
unauthenticated login). Pages outside `/api/` are not this module's concern.
"""

from __future__ import annotations

import logging
import re
from itertools import accumulate

from litestar.exceptions import ClientException, HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.schemas import MAX_BODY_BYTES

MAX_DEPTH = 32
API_PREFIX = "/api/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
#: Route handler opt key: the media types a route takes instead of JSON.
BODY_MEDIA_TYPES_OPT = "body_media_types"
#: The media types a body may have, by method: a PATCH may say it is a JSON merge patch.
ACCEPTED = {"PATCH": (JSON, MERGE_PATCH)}
logger = logging.getLogger("kt1.api")

#: A JSON string, escapes included: brackets inside one are text, not structure.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))


def nesting_depth(body: bytes) -> int:
    """How deep arrays and objects nest in `body` (0 for a scalar), strings skipped."""
    structure = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, structure)), default=0)


def accepted(scope: Scope) -> tuple[str, ...]:
    return ACCEPTED.get(scope["method"], (JSON,))


def _handler_opt(scope: Scope) -> dict[str, object]:
    handler = scope.get("route_handler")
    return dict(handler.opt) if handler is not None else {}


def body_limit(scope: Scope) -> int:
    """The route's own body limit (an import takes more than a JSON body), else the API's."""
    handler = scope.get("route_handler")
    limit = handler.resolve_request_max_body_size() if handler is not None else None
    return int(limit or MAX_BODY_BYTES)


def media_type_of(scope: Scope) -> tuple[str, dict[str, str]]:
    """The `Content-Type` as (type, parameters), lowercased; ('', {}) when there is none."""
    raw = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"content-type"), "")
    kind, *rest = raw.split(";")
    params = {}
    for item in rest:
        name, _, value = item.partition("=")
        params[name.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), params


def refuse_other_media_types(scope: Scope) -> None:
    """JSON only, in UTF-8 (RFC 8259): anything else is a 415 naming what is accepted."""
    kind, params = media_type_of(scope)
    allowed = accepted(scope)
    if kind in allowed and params.get("charset", "utf-8") == "utf-8":
        return
    header = "Accept-Patch" if scope["method"] == "PATCH" else "Accept-Post"
    raise HTTPException(status_code=415, detail=f"send the body as {' or '.join(allowed)}",
                        headers={header: ", ".join(allowed)})


class TooDeep(ClientException):
    """A body nested beyond MAX_DEPTH (400 JSON_TOO_DEEP, mapped by api.problems)."""


async def read_body(receive: Receive, *, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, refused with 413 beyond `limit` (Litestar's own limit applies only
    when a handler reads it, after this gate)."""
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HTTPException(status_code=413, detail="the request body is too large")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the already-read body once, then waits on the real one (for
    the client's disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay  # type: ignore[return-value]


class BodyGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS or \
                not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive, limit=body_limit(scope))
        if body:
            self._check(scope, body)
        await self.app(scope, replaying(body, receive), send)

    @staticmethod
    def _check(scope: Scope, body: bytes) -> None:
        if _handler_opt(scope).get(BODY_MEDIA_TYPES_OPT):
            return  # a file upload: its handler reads and refuses its own media types
        refuse_other_media_types(scope)
        if media_type_of(scope)[0] in (JSON, MERGE_PATCH) and nesting_depth(body) > MAX_DEPTH:
            logger.warning("refused %s %s: JSON body nested deeper than %d (request %s)",
                           scope["method"], scope["path"], MAX_DEPTH,
                           scope.get("state", {}).get("request_id"))
            raise TooDeep(detail=f"the JSON body is nested deeper than {MAX_DEPTH}",
                          extra={"code": "JSON_TOO_DEEP"})
