"""The administrator's account pages: list, create (the one-time password shown once, on
the answer page only, never stored in a link), disable or enable, reset the password, change
the role or the unit. The same user service as `/api/v1/users`: a change of role, scope or
state ends the account's sessions and tokens at once."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from api.controllers.users import UserIn, UserPatch
from api.pages.forms import REFUSALS, Form, FormErrors, refusal
from api.pages.rendering import page, see_other
from api.state import ActingContext, Services, Transaction
from policies.vocabulary import ROLES
from vetting.accounts import users

PAGE_SIZE = 50
RoleFilter = Annotated[str | None, QueryParameter(name="role", max_length=32)]


class AccountsPages(Controller):
    include_in_schema = False

    @get("/accounts", opt={"action": "users.read", "read_only": True})
    async def accounts(self, db: Transaction, ctx: ActingContext, role: RoleFilter = None,
                       offset: FromQuery[int] = 0) -> Template:
        offset = max(offset, 0)
        chosen = role if role in ROLES else None
        rows, total = await users.list_users(db, ctx, limit=PAGE_SIZE, offset=offset, role=chosen)
        return page("accounts/list.html", accounts=rows, total=total, limit=PAGE_SIZE,
                    offset=offset, role=chosen, roles=ROLES)

    @get("/accounts/new", opt={"action": "users.manage"})
    async def new_account(self) -> Template:
        return page("accounts/new.html", roles=ROLES)

    @post("/accounts/new", opt={"action": "users.manage"})
    async def create(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                     services: Services) -> Template:
        form = await Form.read(request)
        try:
            data = form.parse(UserIn, password=None)  # pages always issue a one-time password
            created = await users.create_user(db, ctx, username=data.username, role=data.role,
                                              province=data.province, unit=data.unit,
                                              password=None, policy=services.settings.policy)
        except REFUSALS as exc:
            return page("accounts/new.html", roles=ROLES, form=form, status=422,
                        errors=await refusal(db, request, exc))
        return page("accounts/password.html", account=created.user,
                    one_time_password=created.one_time_password, created=True)

    @get("/accounts/{user_id:str}", opt={"action": "users.read", "read_only": True})
    async def account(self, user_id: FromPath[str], db: Transaction,
                      ctx: ActingContext) -> Template:
        return page("accounts/show.html", account=await users.get_user(db, ctx, user_id),
                    roles=ROLES)

    @post("/accounts/{user_id:str}", opt={"action": "users.manage"})
    async def change(self, request: Request[Any, Any, Any], user_id: FromPath[str], db: Transaction,
                     ctx: ActingContext) -> Template | Redirect:
        """One form per change (role and placement, state, password reset), each carrying
        the version the administrator saw: a stale page is refused, never overwrites."""
        form = await Form.read(request)
        try:
            data = form.parse(UserPatch)
            changed = await users.update_user(db, ctx, user_id, users.UserChanges(
                role=data.role, province=data.province, unit=data.unit, state=data.state,
                reset_password=data.reset_password), expected_version=data.version)
        except REFUSALS as exc:
            errors: FormErrors = await refusal(db, request, exc)
            return page("accounts/show.html", account=await users.get_user(db, ctx, user_id),
                        roles=ROLES, form=form, errors=errors, status=422)
        if changed.one_time_password is not None:
            return page("accounts/password.html", account=changed.user,
                        one_time_password=changed.one_time_password, created=False)
        return see_other(f"/accounts/{user_id}?notice=account_changed")
