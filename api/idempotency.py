"""`Idempotency-Key` on every POST: the same key and body replay the stored answer, the same
key with another body is refused with 422, and a key whose first request is still running
(or whose outcome was lost in a crash) answers 409 rather than running the action twice.

The key is claimed in its own committed transaction *before* the action runs, so two
concurrent requests with one key can never both execute it. Stored answers may hold
dossier data, so they are sealed like every other personal field.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import msgspec
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from api.schemas import MAX_BODY_BYTES
from api.state import registry_of
from vetting.models import IdempotencyRecord
from vetting.models.base import utcnow
from vetting.principal import Actor

HEADER = b"idempotency-key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
IN_PROGRESS = 0


def _problem(status: int, code: str, detail: str, field: str | None = None) -> bytes:
    body: dict[str, Any] = {"type": "about:blank", "status": status, "code": code,
                            "detail": detail,
                            "title": {409: "Conflict", 422: "Unprocessable Content"}[status]}
    if field:
        body["invalid_params"] = [{"name": field, "reason": code, "in": "header"}]
    return msgspec.json.encode(body)


async def _send_raw(send: Any, status: int, body: bytes, media_type: str,
                    extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", media_type.encode()),
               (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _row(user_id: str, key: str) -> str:
    return f"{user_id}/{key}"


def _unseal(registry: Any, record: IdempotencyRecord) -> bytes:
    return registry.keys.data.unseal(
        base64.b64decode(record.response_body), table="idempotency_record",
        column="response_body", row_id=_row(record.user_id, record.key)).encode()


class IdempotencyMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        key = dict(scope.get("headers", [])).get(HEADER) if scope["type"] == "http" else None
        user = scope.get("user")
        if key is None or scope.get("method") != "POST" or not isinstance(user, Actor) or \
                user.id is None:
            await self.app(scope, receive, send)
            return
        text = key.decode("latin-1")
        if not _VALID_KEY.match(text):
            await _send_raw(send, 422, _problem(422, "INVALID_IDEMPOTENCY_KEY",
                                                "must be 1 to 255 visible ASCII characters",
                                                "Idempotency-Key"), "application/problem+json")
            return
        # the route's own limit (a spreadsheet import takes more than a JSON body)
        limit = scope["route_handler"].resolve_request_max_body_size() or MAX_BODY_BYTES
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
            if sum(map(len, chunks)) > limit:
                await _send_raw(send, 413, msgspec.json.encode({
                    "type": "about:blank", "title": "Content Too Large", "status": 413,
                    "code": "PAYLOAD_TOO_LARGE", "detail": "the request body is too large"}),
                    "application/problem+json")
                return
        body = b"".join(chunks)
        digest = hashlib.sha256(scope["path"].encode() + b"\n" + body).hexdigest()
        registry = registry_of(scope["app"].state)
        claimed = await self._claim(registry, user.id, text, scope["path"], digest, send)
        if not claimed:
            return
        captured: dict[str, Any] = {"status": 500, "body": [], "headers": []}

        async def replay_receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        finally:
            await self._settle(registry, user.id, text, captured)

    async def _claim(self, registry: Any, user_id: str, key: str, path: str, digest: str,
                     send: Any) -> bool:
        try:
            async with registry.db.transaction() as session:
                found = await session.get(IdempotencyRecord, (user_id, key))
                if found is None:
                    session.add(IdempotencyRecord(
                        user_id=user_id, key=key, method="POST", path=path,
                        request_sha256=digest, status_code=IN_PROGRESS, response_body="",
                        created_at=utcnow()))
                    return True
        except IntegrityError:  # a concurrent request claimed the key first
            found = None
        if found is not None and found.request_sha256 != digest:
            await _send_raw(send, 422, _problem(422, "IDEMPOTENCY_KEY_REUSED",
                                                "this key was already used with another request",
                                                "Idempotency-Key"), "application/problem+json")
        elif found is not None and found.status_code != IN_PROGRESS:
            content_type = "application/problem+json" if found.status_code >= 400 else \
                "application/json"
            body = _unseal(registry, found)
            await _send_raw(send, found.status_code, body, content_type,
                            [(b"idempotent-replayed", b"true")])
        else:
            await _send_raw(send, 409, _problem(409, "IDEMPOTENCY_IN_PROGRESS",
                                                "a request with this key is still running"),
                            "application/problem+json")
        return False

    async def _settle(self, registry: Any, user_id: str, key: str,
                      captured: dict[str, Any]) -> None:
        """Store the answer; a server error frees the key so that the client may retry."""
        where = (IdempotencyRecord.user_id == user_id) & (IdempotencyRecord.key == key)
        async with registry.db.transaction() as session:
            if captured["status"] >= 500:
                await session.execute(delete(IdempotencyRecord).where(where))
            else:
                sealed = registry.keys.data.seal(
                    b"".join(captured["body"]).decode("utf-8", "replace"),
                    table="idempotency_record", column="response_body", row_id=_row(user_id, key))
                await session.execute(update(IdempotencyRecord).where(where).values(
                    status_code=captured["status"],
                    response_body=base64.b64encode(sealed).decode()))
