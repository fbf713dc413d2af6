"""Login, refresh, logout, me, password change and TOTP enrolment."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import JSONBody

from api.problems import documented
from api.schemas import Strict
from api.state import ActingContext, Services, Transaction
from vetting.accounts import sessions
from vetting.accounts.tokens import TokenPair

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
Otp = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")]

class LoginIn(Strict):
    username: Username
    password: Password
    otp: Otp | None = None


class RefreshIn(Strict):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class PasswordIn(Strict):
    current_password: Password
    new_password: Password


class OtpIn(Strict):
    otp: Otp


class TokenOut(msgspec.Struct, kw_only=True):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    password_change_required: bool = False
    mfa_enrolment_required: bool = False


class MeOut(msgspec.Struct, kw_only=True):
    id: str
    username: str
    role: str
    province: str | None
    unit: str | None
    setup_required: bool


class EnrolOut(msgspec.Struct, kw_only=True):
    otpauth_uri: str


def _tokens(pair: TokenPair, **flags: bool) -> Response[TokenOut]:
    return Response(TokenOut(access_token=pair.access_token, refresh_token=pair.refresh_token,
                             expires_in=pair.expires_in, **flags),
                    headers={"Cache-Control": "no-store"})


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012

    @post("/login", opt={"public": True}, status_code=200,
          responses=documented(400, 401, 429))
    async def login(self, data: JSONBody[LoginIn], db: Transaction, ctx: ActingContext,
                    services: Services) -> Response[TokenOut]:
        """Every failure is one 401 answer (a right password with a used code excepted); during
        a delay or a lock, 429 with `Retry-After`. Each counts and is audited all the same."""
        grant = await sessions.login(services.db, db, ctx, services.keys,
                                     services.settings.policy,
                                     username=data.username, password=data.password,
                                     otp=data.otp)
        return _tokens(grant.tokens, password_change_required=grant.password_change_required,
                       mfa_enrolment_required=grant.mfa_enrolment_required)

    @post("/refresh", opt={"public": True}, status_code=200, responses=documented(400, 401))
    async def refresh(self, data: JSONBody[RefreshIn], db: Transaction, ctx: ActingContext,
                      services: Services) -> Response[TokenOut]:
        return _tokens(await sessions.refresh(db, ctx, services.keys, services.settings.policy,
                                              refresh_token=data.refresh_token))

    @post("/logout", opt={"action": "auth.session"}, status_code=204, responses=documented(401))
    async def logout(self, db: Transaction, ctx: ActingContext) -> None:
        await sessions.logout(db, ctx)

    @get("/me", opt={"action": "auth.session", "read_only": True}, responses=documented(401))
    async def me(self, ctx: ActingContext) -> MeOut:
        actor = ctx.actor
        return MeOut(id=actor.id or "", username=actor.username, role=actor.role,
                     province=actor.province, unit=actor.unit, setup_required=actor.restricted)

    @post("/password", opt={"action": "auth.password"}, status_code=200,
          responses=documented(400, 401, 422))
    async def change_password(self, data: JSONBody[PasswordIn], db: Transaction, ctx: ActingContext,
                              services: Services) -> Response[TokenOut]:
        grant = await sessions.change_password(services.db, db, ctx, services.keys,
                                               services.settings.policy,
                                               current=data.current_password,
                                               new=data.new_password)
        return _tokens(grant.tokens, mfa_enrolment_required=grant.mfa_enrolment_required)

    @post("/mfa/enrol", opt={"action": "auth.mfa"}, status_code=200,
          responses=documented(401, 409))
    async def enrol(self, db: Transaction, ctx: ActingContext, services: Services) -> EnrolOut:
        return EnrolOut(otpauth_uri=await sessions.enrol_totp(db, ctx, services.keys))

    @post("/mfa/confirm", opt={"action": "auth.mfa"}, status_code=200,
          responses=documented(400, 401, 409, 422))
    async def confirm(self, data: JSONBody[OtpIn], db: Transaction, ctx: ActingContext,
                      services: Services) -> dict[str, str]:
        await sessions.confirm_totp(db, ctx, services.keys, otp=data.otp)
        return {"mfa": "enrolled"}
