"""Bearer-token authentication; which routes skip it is decided in one place (`public`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.base import DefineMiddleware
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme
from litestar.security.base import AbstractSecurityConfig

from api.auth.guards import authorize
from api.state import registry_of
from vetting.accounts.sessions import authenticate
from vetting.errors import Unauthenticated
from vetting.principal import Actor

PUBLIC_OPT = "public"
#: Paths served without a token besides handlers marked `public`: the OpenAPI document.
PUBLIC_PATHS = ["^/schema"]
SCHEME = "BearerToken"


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]
                                   ) -> AuthenticationResult:
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("a bearer access token is required", code="TOKEN_REQUIRED")
        registry = registry_of(connection.app.state)
        actor = await authenticate(registry.db, registry.keys, registry.settings.policy,
                                   token.strip(), registry.accounts)
        return AuthenticationResult(user=actor, auth=None)


async def _unused_retrieve_user(_auth: Any, _connection: ASGIConnection[Any, Any, Any, Any]
                                ) -> Actor | None:
    return None  # the middleware resolves the principal itself


@dataclass
class BearerSecurity(AbstractSecurityConfig[Actor, None]):
    """Registers the middleware and the access guard, and documents the bearer scheme."""

    authentication_middleware_class: type[AbstractAuthenticationMiddleware] = BearerAuthMiddleware
    guards: Any = field(default_factory=lambda: [authorize])
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
