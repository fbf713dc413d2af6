"""The gate every request body of the JSON API passes before anything reads it, even before
authentication: no larger than MAX_BODY_BYTES, and nested no deeper than MAX_DEPTH.

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
logger = logging.getLogger("kt1.api")

#: A JSON string, escapes included: brackets inside one are text, not structure.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))


def nesting_depth(body: bytes) -> int:
    """How deep arrays and objects nest in `body` (0 for a scalar), strings skipped."""
    structure = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, structure)), default=0)


class TooDeep(ClientException):
    """A body nested beyond MAX_DEPTH (400 JSON_TOO_DEEP, mapped by api.problems)."""


async def read_body(receive: Receive) -> bytes:
    """The whole body, refused with 413 beyond MAX_BODY_BYTES (Litestar's own limit applies
    only when a handler reads it, after this gate)."""
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
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
        body = await read_body(receive)
        if body:
            self._check(scope, body)
        await self.app(scope, replaying(body, receive), send)

    @staticmethod
    def _check(scope: Scope, body: bytes) -> None:
        if nesting_depth(body) > MAX_DEPTH:
            logger.warning("refused %s %s: JSON body nested deeper than %d (request %s)",
                           scope["method"], scope["path"], MAX_DEPTH,
                           scope.get("state", {}).get("request_id"))
            raise TooDeep(detail=f"the JSON body is nested deeper than {MAX_DEPTH}",
                          extra={"code": "JSON_TOO_DEEP"})
