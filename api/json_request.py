"""Request bodies decoded strictly, straight into the handler's request struct.

Litestar decodes a body into plain values and then converts them with msgspec's lax rules, the
ones meant for query strings: `"starts_at": "1796198368"` became a time, `"version": "2"` a
number. Here the body is decoded once with `strict=True` into the type the handler's `data`
declares; Litestar's later conversion passes the finished struct through unchanged.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import SerializationException, ValidationException
from litestar.types import Empty

_AT = " - at `"


def _problem(error: msgspec.ValidationError) -> dict[str, str]:
    """Litestar's shape for one invalid value: the message, the field's path, the source."""
    text, _, where = str(error).partition(_AT)
    where = where.rstrip("`")
    key = where[2:] if where.startswith("$.") else "data"
    return {"message": text, "key": key, "source": "body"}


def body_type(request: Request[Any, Any, Any]) -> Any:
    """What the handler's `data` parameter declares, or Empty when it takes none."""
    parameter = request.route_handler.parsed_fn_signature.parameters.get("data")
    return Empty if parameter is None else parameter.annotation


class JSONRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        kind = body_type(self)
        if kind is Empty or kind is Any:
            return await super().json()
        if self._json is Empty:
            try:
                self._json = msgspec.json.decode(await self.body() or b"null", type=kind,
                                                 strict=True)
            except msgspec.ValidationError as exc:
                raise ValidationException(detail="invalid request body",
                                          extra=[_problem(exc)]) from exc
            except msgspec.DecodeError as exc:  # not JSON at all
                raise SerializationException(str(exc)) from exc
        return self._json
