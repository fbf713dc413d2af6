"""Bearer-token authentication and the access check; which routes skip both is decided in one
place (`public`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.base import DefineMiddleware
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme
from litestar.security.base import AbstractSecurityConfig
from litestar.types import Receive, Scope, Send

from api.auth.access import PAGE_OPT, authorize
from api.state import services_of
from vetting.accounts.sessions import authenticate
from vetting.errors import Unauthenticated
from vetting.principal import Actor

PUBLIC_OPT = "public"
#: Paths served without a token besides handlers marked `public`: the OpenAPI document.
PUBLIC_PATHS = ["^/schema"]
SCHEME = "BearerToken"


def _bearer_token(scope: Scope) -> str:
    """The token of the `Authorization: Bearer` header, read straight from the ASGI scope."""
    for name, value in scope["headers"]:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            break
    raise Unauthenticated("a bearer access token is required", code="TOKEN_REQUIRED")


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Who is calling (401 otherwise), then whether the route lets them (403 otherwise).

    The request sees one database version from here on (`Database.pin_version`): the account
    and everything the handler reads from the caches belong to one moment, for one read.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["route_handler"].opt.get(PAGE_OPT):
            # pages have sessions of their own (api.pages.session): a bearer token is no
            # way into a page, and the page guard runs instead of this one
            await self.app(scope, receive, send)
            return
        database = services_of(scope["app"].state).db
        pinned = database.pin_version()
        try:
            await super().__call__(scope, receive, send)
        finally:
            database.unpin(pinned)

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]
                                   ) -> AuthenticationResult:
        actor = await self._actor(connection.scope)
        await authorize(connection.scope, actor)
        return AuthenticationResult(user=actor, auth=None)

    @staticmethod
    async def _actor(scope: Scope) -> Actor:
        services = services_of(scope["app"].state)
        return await authenticate(services.db, services.keys, services.settings.policy,
                                  _bearer_token(scope), services.accounts)


async def _unused_retrieve_user(_auth: Any, _connection: ASGIConnection[Any, Any, Any, Any]
                                ) -> Actor | None:
    return None  # the middleware resolves the principal itself


@dataclass
class BearerSecurity(AbstractSecurityConfig[Actor, None]):
    """Registers the middleware and documents the bearer scheme."""

    authentication_middleware_class: type[AbstractAuthenticationMiddleware] = BearerAuthMiddleware
    guards: Any = None
    exclude: str | list[str] | None = field(default_factory=lambda: list(PUBLIC_PATHS))
    exclude_opt_key: str = PUBLIC_OPT
    exclude_http_methods: Any = field(default_factory=lambda: ["OPTIONS"])
    scopes: Any = None
    route_handlers: Any = None
    dependencies: Any = None
    retrieve_user_handler: Any = _unused_retrieve_user
    type_encoders: Any = None

    @property
    def openapi_components(self) -> Components:
        return Components(security_schemes={
            SCHEME: SecurityScheme(type="http", scheme="bearer", bearer_format="JWT",
                                   description="ES256 access token from /api/v1/auth/login")})

    @property
    def security_requirement(self) -> SecurityRequirement:
        return {SCHEME: []}

    @property
    def middleware(self) -> DefineMiddleware:
        return DefineMiddleware(
            self.authentication_middleware_class, exclude=self.exclude,
            exclude_from_auth_key=self.exclude_opt_key,
            exclude_http_methods=self.exclude_http_methods, scopes=self.scopes)
