"""`Idempotency-Key` on every POST: the same key and body replay the stored answer, with its
status and headers; the same key with another body is refused with 422; a key whose first
request is still running answers 409 rather than running the action twice.

A stored answer belongs to the account *and* the scope it was made under, and is replayed only
while the caller could still read what it shows: before a replay the object is read again
through the app itself (`READS`), as the same caller, so the scope rules and the read's audit
entry (`worker.dossier_read` for a dossier) are exactly those of a GET. Reads sent as POST
(`RERUN`) are simply answered afresh. The store is `vetting.idempotency`; every refusal here is
a domain error that `api.problems` maps.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import MediaType, Response
from litestar.exceptions import ImproperlyConfiguredException
from litestar.serialization import get_serializer
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from api.body_guard import API_PREFIX, body_limit, read_body, replaying
from api.state import COMMIT_HOOK, AppServices, request_id_of, services_of
from policies.vetting_states import TRANSITIONS
from vetting import idempotency as store
from vetting.errors import InvalidInput, NotFound
from vetting.models.base import utcnow
from vetting.principal import Actor

HEADER = b"idempotency-key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
#: Headers that belong to one sending of an answer, not to the answer.
_NOT_REPLAYED = frozenset({"content-length", "x-request-id", "date", "server",
                           "idempotent-replayed"})
#: Headers a replay's re-read carries over from the request: who asks, in which language.
_FORWARDED = frozenset({b"authorization", b"accept-language", b"host"})

_V1 = "/api/v1"
#: For each POST (by path template), the GET that shows whether its caller can still read what
#: the stored answer shows; `{name}` comes from the answer's fields or the POST's path.
READS: dict[str, str] = {
    f"{_V1}/auth/logout": f"{_V1}/auth/me",
    f"{_V1}/auth/password": f"{_V1}/auth/me",
    f"{_V1}/auth/mfa/enrol": f"{_V1}/auth/me",
    f"{_V1}/auth/mfa/confirm": f"{_V1}/auth/me",
    f"{_V1}/users": f"{_V1}/users/{{id}}",
    f"{_V1}/workers": f"{_V1}/workers/{{id}}",
    f"{_V1}/workers/{{worker_id}}/trainings": f"{_V1}/workers/{{worker_id}}/clearance",
    f"{_V1}/workers/{{worker_id}}/commitments": f"{_V1}/workers/{{worker_id}}/clearance",
    f"{_V1}/workers/{{worker_id}}/leave": f"{_V1}/workers/{{worker_id}}/clearance",
    f"{_V1}/vetting-requests": f"{_V1}/vetting-requests/{{id}}",
    **{f"{_V1}/vetting-requests/{{request_id}}/{action}": f"{_V1}/vetting-requests/{{request_id}}"
       for action in TRANSITIONS},
    **{f"{_V1}/workers/{{worker_id}}/clearance/{action}": f"{_V1}/workers/{{worker_id}}/clearance"
       for action in ("suspend", "reinstate", "revoke")},
    f"{_V1}/routes": f"{_V1}/routes/{{id}}",
    f"{_V1}/assignments": f"{_V1}/routes/{{route_id}}",
    f"{_V1}/assignments/{{assignment_id}}/end": f"{_V1}/routes/{{route_id}}",
    f"{_V1}/incidents": f"{_V1}/incidents/{{id}}",
    f"{_V1}/incidents/{{incident_id}}/conclude": f"{_V1}/incidents/{{incident_id}}",
    f"{_V1}/notifications/{{notification_id}}/read": f"{_V1}/notifications",
    f"{_V1}/vetting-requests/batch": f"{_V1}/vetting-requests",
    # an import's answer names rows and ids: replayed while the caller may still import
    **{f"{_V1}/imports/{kind}": f"{_V1}/imports/{kind}/template"
       for kind in ("workers", "trainings", "commitments")},
    f"{_V1}/webhooks/subscriptions": f"{_V1}/webhooks/subscriptions/{{id}}",
    **{f"{_V1}/webhooks/subscriptions/{{subscription_id}}/{action}":
       f"{_V1}/webhooks/subscriptions/{{subscription_id}}"
       for action in ("disable", "enable", "rotate-secret")},
    f"{_V1}/webhooks/deliveries/{{delivery_id}}/replay":
        f"{_V1}/webhooks/deliveries/{{delivery_id}}",
}
#: POSTs that only read: nothing to replay, each is answered afresh.
RERUN = frozenset({f"{_V1}/eligibility/batch", f"{_V1}/attestations/verify"})


def _kept(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k.lower(), v) for k, v in headers if k.lower() not in _NOT_REPLAYED]


class Pending:
    """A claimed key while its request runs: the answer is caught before it is sent and stored
    inside the action's transaction (`api.state.CommitHook`)."""

    def __init__(self, services: AppServices, held: store.Claim) -> None:
        self.services, self.held = services, held
        self.answer: store.Answer | None = None
        self.settled = False

    def catch(self, response: Response[Any]) -> None:
        """Keep the answer as it will be sent; one that cannot be rendered here is stored
        from what was sent instead (`IdempotencyMiddleware._run`)."""
        status = response.status_code
        media = str(getattr(response.media_type, "value", response.media_type or MediaType.JSON))
        try:
            body = b"" if status in (204, 304) else response.render(
                response.content, media, get_serializer())
        except ImproperlyConfiguredException:
            return
        if media.startswith("text/") and "charset" not in media:
            media += "; charset=utf-8"  # as Litestar sends it
        headers = [("content-type", media), *response.headers.items()]
        self.answer = store.Answer(status=status, headers=_kept(headers), body=body)

    async def before_commit(self, session: AsyncSession) -> None:
        if self.answer is not None and self.answer.status < 500:
            await store.settle(session, self.services.keys.data, self.held, self.answer)

    def committed(self) -> None:
        self.settled = self.answer is not None and self.answer.status < 500


async def catch_answer(response: Response[Any]) -> Response[Any]:
    """The app's `after_request` hook: hands a claimed request's answer to its `Pending`."""
    pending = COMMIT_HOOK.get()
    if isinstance(pending, Pending):
        pending.catch(response)
    return response


def _read_path(scope: Scope, answer: store.Answer) -> str:
    template = READS.get(scope.get("path_template", ""))
    try:
        body = msgspec.json.decode(answer.body) if answer.body else {}
    except msgspec.DecodeError:
        body = {}
    values = {**scope.get("path_params", {}), **(body if isinstance(body, dict) else {})}
    try:
        return template.format_map({k: quote(str(v), safe="") for k, v in values.items()
                                    if isinstance(v, str | int)}) if template else ""
    except KeyError:
        return ""


async def _can_still_read(scope: Scope, path: str) -> bool:
    """Whether the caller's GET of `path` answers 200 now (its own audit entry included)."""
    headers = [(k, v) for k, v in scope["headers"] if k in _FORWARDED]
    request_id = request_id_of(scope)
    if request_id:
        headers.append((b"x-request-id", request_id.encode()))
    read = {"type": "http", "asgi": scope.get("asgi", {"version": "3.0"}),
            "http_version": scope.get("http_version", "1.1"), "method": "GET",
            "scheme": scope.get("scheme", "http"), "path": path, "raw_path": path.encode(),
            "root_path": scope.get("root_path", ""), "query_string": b"", "headers": headers,
            "client": scope.get("client"), "server": scope.get("server"), "state": {}}
    status: list[int] = []

    async def nothing() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def observe(message: Message) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await scope["app"](read, nothing, observe)
    return status == [200]


async def _replay(scope: Scope, answer: store.Answer, send: Send) -> None:
    """The stored answer again, if what it shows is still the caller's to see (a stored
    refusal shows nothing)."""
    if answer.status < 400:
        path = _read_path(scope, answer)
        if not path or not await _can_still_read(scope, path):
            raise NotFound("nothing the caller can read answers this key any more")
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers]
    headers += [(b"content-length", str(len(answer.body)).encode()),
                (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = next((v for k, v in scope["headers"] if k == HEADER), None) \
            if scope["type"] == "http" else None
        user = scope.get("user")
        if key is None or scope.get("method") != "POST" or not isinstance(user, Actor) or \
                user.id is None or not scope["path"].startswith(API_PREFIX):  # pages: forms
            await self.app(scope, receive, send)
            return
        text = key.decode("latin-1")
        if not _VALID_KEY.match(text):
            raise InvalidInput("must be 1 to 255 visible ASCII characters",
                               field=store.HEADER, code="INVALID_IDEMPOTENCY_KEY")
        if scope.get("path_template") in RERUN:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive, limit=body_limit(scope))
        digest = hashlib.sha256(scope["path"].encode() + b"\n" + body).hexdigest()
        services = services_of(scope["app"].state)
        found = await store.claim(services.db, services.keys.data, actor=user, key=text,
                                  method="POST", path=scope["path"], digest=digest,
                                  now=utcnow(), ttl=services.settings.idempotency_ttl)
        if isinstance(found, store.Answer):
            await _replay(scope, found, send)
            return
        await self._run(scope, replaying(body, receive), send, Pending(services, found))

    async def _run(self, scope: Scope, receive: Receive, send: Send, pending: Pending) -> None:
        """Run the action holding the claim; what its transaction did not store (a refusal
        that rolled back, a handler without a writer) is stored once it has been sent."""
        sent: dict[str, Any] = {"status": 500, "headers": [], "body": []}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                sent["headers"] = [(k.decode("latin-1"), v.decode("latin-1"))
                                   for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                sent["body"].append(message.get("body", b""))
            await send(message)

        token = COMMIT_HOOK.set(pending)
        try:
            await self.app(scope, receive, watch)
        finally:
            COMMIT_HOOK.reset(token)
            if not pending.settled:
                await store.settle_apart(
                    pending.services.db, pending.services.keys.data, pending.held,
                    store.Answer(status=sent["status"], headers=_kept(sent["headers"]),
                                 body=b"".join(sent["body"])))
