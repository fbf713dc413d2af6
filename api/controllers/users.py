"""Account administration by an admin."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Response, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from api.problems import documented
from api.schemas import CREATED_AT, Limit, Offset, Page, Strict, created
from api.state import ActingContext, Services, Transaction
from policies.vocabulary import Role
from vetting.accounts import users
from vetting.models import UserAccount

UsernameIn = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]
ProvinceCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2}$")]
UnitCode = Annotated[str, msgspec.Meta(pattern=r"^(POST|POLICE)-[0-9A-Z-]{2,30}$")]


class UserIn(Strict):
    username: UsernameIn
    role: Role
    province: ProvinceCode | None = None
    unit: UnitCode | None = None
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)] | None = None


class UserPatch(Strict):
    version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    role: Role | None = None
    province: ProvinceCode | None = None
    unit: UnitCode | None = None
    state: Literal["active", "disabled"] | None = None
    reset_password: bool = False


class UserOut(msgspec.Struct, kw_only=True):
    id: str
    username: str
    role: str
    province: str | None
    unit: str | None
    state: str
    locked_until: datetime | None
    mfa_enrolled: bool
    must_change_password: bool
    version: int
    one_time_password: str | None = None


def _out(user: UserAccount, one_time_password: str | None = None) -> UserOut:
    return UserOut(id=user.id, username=user.username, role=user.role,
                   province=user.province_code, unit=user.unit_code, state=user.state,
                   locked_until=user.locked_until, mfa_enrolled=user.totp_confirmed,
                   must_change_password=user.must_change_password, version=user.version,
                   one_time_password=one_time_password)


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]  # noqa: RUF012

    @post("/", opt={"action": "users.manage"}, responses=documented(400, 401, 403, 409, 422),
          response_headers=[CREATED_AT])
    async def create(self, data: JSONBody[UserIn], db: Transaction, ctx: ActingContext,
                     services: Services) -> Response[UserOut]:
        new = await users.create_user(db, ctx, username=data.username, role=data.role,
                                      province=data.province, unit=data.unit,
                                      password=data.password, policy=services.settings.policy)
        return created(_out(new.user, new.one_time_password), f"{self.path}/{new.user.id}")

    @get("/", opt={"action": "users.read", "read_only": True}, responses=documented(401, 403))
    async def list(self, db: Transaction, ctx: ActingContext, limit: Limit = 50, offset: Offset = 0,
                   role: FromQuery[Role | None] = None) -> Page[UserOut]:
        rows, total = await users.list_users(db, ctx, limit=limit, offset=offset, role=role)
        return Page(items=[_out(u) for u in rows], total=total)

    @get("/{user_id:str}", opt={"action": "users.read", "read_only": True},
         responses=documented(401, 403, 404))
    async def get(self, user_id: FromPath[str], db: Transaction, ctx: ActingContext) -> UserOut:
        return _out(await users.get_user(db, ctx, user_id))

    @patch("/{user_id:str}", opt={"action": "users.manage"},
           responses=documented(400, 401, 403, 404, 409, 422))
    async def update(self, user_id: FromPath[str], data: JSONBody[UserPatch], db: Transaction,
                     ctx: ActingContext) -> UserOut:
        changes = users.UserChanges(role=data.role, province=data.province, unit=data.unit,
                                    state=data.state, reset_password=data.reset_password)
        updated = await users.update_user(db, ctx, user_id, changes,
                                          expected_version=data.version)
        return _out(updated.user, updated.one_time_password)
