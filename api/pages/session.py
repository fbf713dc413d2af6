"""The page guard: every page request passes here before its handler.

It resumes the page session from its cookie (never a bearer token: the API's middleware skips
page routes, and this one reads only the cookie), applies the route's access rule with the
same `authorize` as the API, checks the CSRF token of every form post, and sets the
principal where the `ctx` dependency finds it, so page handlers get the same `Context` as
API controllers. Its answers carry the pages' security headers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from api.auth.access import authorize, deny, route_rule
from api.i18n import DEFAULT, LANGUAGES, language_of
from api.state import AppServices, client_address, request_id_of, services_of
from vetting.accounts import page_sessions
from vetting.errors import Unauthenticated
from vetting.notifications.outbox import unread_count
from vetting.principal import Actor, Context, anonymous

SESSION_COOKIE = "kt1_session"
#: Over https the `__Host-` prefix makes the browser refuse the cookie from any other host,
#: any other path, or without `Secure`.
SECURE_SESSION_COOKIE = "__Host-kt1_session"
PRE_SESSION_COOKIE = "kt1_pre"
LANGUAGE_COOKIE = "kt1_lang"
CSRF_FIELD = "_csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                           "script-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
    (b"vary", b"Cookie, Accept-Language"),
)


@dataclass(slots=True)
class PageState:
    """What one page request knows of its visitor; templates read it via `page_state()`."""

    actor: Actor | None
    language: str
    csrf_token: str
    resumed: page_sessions.Resumed | None = None
    unread: int = 0

    @property
    def signed_in(self) -> bool:
        return self.actor is not None


def is_https(services: AppServices) -> bool:
    return services.settings.public_url.startswith("https://")


def session_cookie_name(services: AppServices) -> str:
    return SECURE_SESSION_COOKIE if is_https(services) else SESSION_COOKIE


def _cookie(services: AppServices, key: str, value: str, *, max_age: int | None = None) -> Cookie:
    return Cookie(key=key, value=value, path="/", httponly=True, samesite="strict",
                  secure=is_https(services), max_age=max_age)


def session_cookie(services: AppServices, token: str) -> Cookie:
    """The cookie that carries a new session: no expiry of its own (the server decides)."""
    return _cookie(services, session_cookie_name(services), token)


def ended_session_cookie(services: AppServices) -> Cookie:
    return _cookie(services, session_cookie_name(services), "", max_age=0)


def language_cookie(services: AppServices, language: str) -> Cookie:
    """A signed-out visitor's language (a signed-in one's is kept on the account)."""
    return _cookie(services, LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600)


def cookies_of(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name == b"cookie":
            for item in value.decode("latin-1").split(";"):
                key, _, text = item.strip().partition("=")
                if key and key not in found:
                    found[key] = text.strip()
    return found


def session_token(scope: Scope) -> str | None:
    services = services_of(scope["app"].state)
    return cookies_of(scope).get(session_cookie_name(services)) or None


def csrf_token_for(services: AppServices, seed: str) -> str:
    """The CSRF token bound to a session (its digest) or to a pre-session cookie."""
    return hmac.new(services.page_key, seed.encode(), hashlib.sha256).hexdigest()


class PageSessionMiddleware:
    """Applied to the pages' router only (see `api.pages.page_router`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)  # Litestar's own OPTIONS answer: no data
            return
        services = services_of(scope["app"].state)
        pinned = services.db.pin_version()
        try:
            state, new_cookies = await self._state(scope, services)
            scope.setdefault("state", {})["page"] = state
            scope["state"]["language"] = state.language
            ScopeState.from_scope(scope).csrf_token = state.csrf_token
            if state.actor is not None:
                scope["user"] = state.actor
            send = _with_page_headers(send, new_cookies)
            if route_rule(scope["route_handler"]) != "public":
                if state.actor is None:
                    raise Unauthenticated("sign in to continue", code="UNAUTHENTICATED")
                await authorize(scope, state.actor)
            if scope["method"] not in SAFE_METHODS:
                await _check_csrf(scope, receive, state)
            await self.app(scope, receive, send)
        finally:
            services.db.unpin(pinned)

    @staticmethod
    async def _state(scope: Scope, services: AppServices) -> tuple[PageState, list[Cookie]]:
        cookies = cookies_of(scope)
        token = cookies.get(session_cookie_name(services))
        now = datetime.now(UTC)
        resumed = (await page_sessions.resume(services.db, services.settings.policy, token, now)
                   if token else None)
        new_cookies: list[Cookie] = []
        if resumed is not None:
            language = resumed.language or language_of(scope)
            state = PageState(actor=resumed.actor, language=language, resumed=resumed,
                              csrf_token=csrf_token_for(services, "session:" + resumed.digest))
            ctx = Context(actor=resumed.actor, request_id=request_id_of(scope), now=now)
            async with services.db.transaction(read_only=True) as session:
                state.unread = await unread_count(session, ctx)
            return state, new_cookies
        if token:
            new_cookies.append(ended_session_cookie(services))
        chosen = cookies.get(LANGUAGE_COOKIE)
        language = chosen if chosen in LANGUAGES else language_of(scope) or DEFAULT
        seed = cookies.get(PRE_SESSION_COOKIE)
        if not seed and scope["method"] in SAFE_METHODS:
            seed = secrets.token_urlsafe(32)
            new_cookies.append(_cookie(services, PRE_SESSION_COOKIE, seed))
        csrf = csrf_token_for(services, "pre:" + seed) if seed else ""
        return PageState(actor=None, language=language, csrf_token=csrf), new_cookies


async def _check_csrf(scope: Scope, receive: Receive, state: PageState) -> None:
    """A form post must carry the token of its own session (or pre-session): a page of
    another site cannot know it. Refusals are audited."""
    offered = next((v.decode("latin-1") for k, v in scope["headers"]
                    if k == CSRF_HEADER.encode()), None)
    if offered is None:
        request: Request[Any, Any, Any] = Request(scope, receive)
        if request.content_type[0] in ("application/x-www-form-urlencoded",
                                       "multipart/form-data"):
            value = (await request.form()).get(CSRF_FIELD)
            offered = value if isinstance(value, str) else None
    if state.csrf_token and offered and hmac.compare_digest(offered, state.csrf_token):
        return
    await deny(scope, state.actor or anonymous(client_address(scope)), "csrf",
               code="CSRF_REFUSED")


def _with_page_headers(send: Send, cookies: list[Cookie]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableScopeHeaders.from_message(message)
            for name, value in PAGE_HEADERS:
                key = name.decode()
                if key not in headers:
                    headers[key] = value.decode()
            for cookie in cookies:
                headers.add("set-cookie", cookie.to_header(header=""))
        await send(message)
    return sending
