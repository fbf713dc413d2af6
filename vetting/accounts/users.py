"""Account administration: create, change role or scope, disable, reset password."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.passwords import random_password
from policies.access import UNIT_KIND_BY_ROLE
from policies.policy import Policy
from vetting.accounts import throttle
from vetting.accounts.passwords import hash_password, require_acceptable
from vetting.accounts.scope import resolve_placement
from vetting.audit.entries import append
from vetting.errors import Conflict, InvalidInput, require_version
from vetting.models import Province, UserAccount
from vetting.principal import Context
from vetting.repositories import ACCOUNTS


@dataclass(frozen=True, slots=True)
class CreatedUser:
    user: UserAccount
    one_time_password: str | None


@dataclass(frozen=True, slots=True)
class UserChanges:
    role: str | None = None
    province: str | None = None
    unit: str | None = None
    state: str | None = None
    reset_password: bool = False


async def _context_words(session: AsyncSession, province: str | None) -> tuple[str, ...]:
    if province is None:
        return ()
    found = await session.get(Province, province)
    return (found.name,) if found else ()


async def create_user(
    session: AsyncSession, ctx: Context, *, username: str, role: str, province: str | None,
    unit: str | None, password: str | None, policy: Policy,
) -> CreatedUser:
    """A new account; without a password it gets a one-time one that must change at login."""
    placement = await resolve_placement(session, role=role, province=province, unit=unit)
    one_time = None
    if password is None:
        one_time = password = random_password()
    else:
        require_acceptable(password, username=username, role=role, policy=policy,
                           context_words=await _context_words(session, placement.province))
    if await session.scalar(select(UserAccount.id).where(UserAccount.username == username)):
        raise Conflict("the username is taken", code="USERNAME_TAKEN")
    user = UserAccount(
        username=username, role=role, province_code=placement.province,
        unit_code=placement.unit, password_hash=await hash_password(password),
        must_change_password=one_time is not None,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create of the same username
        raise Conflict("the username is taken", code="USERNAME_TAKEN") from exc
    await append(session, ctx, action="user.create", object_type="user", object_id=user.id,
                 body={"role": role, "province": placement.province, "unit": placement.unit,
                       "one_time_password": one_time is not None})
    return CreatedUser(user=user, one_time_password=one_time)


async def get_user(session: AsyncSession, ctx: Context, user_id: str, *,
                   action: str = "users.read", for_update: bool = False) -> UserAccount:
    return await ACCOUNTS.get(session, ctx.actor, action, user_id, lock=for_update)


async def list_users(session: AsyncSession, ctx: Context, *, limit: int, offset: int,
                     role: str | None = None) -> tuple[list[UserAccount], int]:
    return await ACCOUNTS.list(session, ctx.actor, "users.read",
                               *([UserAccount.role == role] if role else []),
                               order_by=(UserAccount.username,), limit=limit, offset=offset)


@dataclass(frozen=True, slots=True)
class AccountCounts:
    by_role: dict[str, int]
    disabled: int
    must_change_password: int


async def account_counts(session: AsyncSession) -> AccountCounts:
    """Accounts by role (as `list_users` counts them), disabled ones, and those still on a
    one-time password (the admin's home page)."""
    rows = (await session.execute(select(UserAccount.role, func.count())
                                  .group_by(UserAccount.role))).all()
    disabled = await session.scalar(select(func.count()).select_from(UserAccount).where(
        UserAccount.state == "disabled"))
    pending = await session.scalar(select(func.count()).select_from(UserAccount).where(
        UserAccount.state == "active", UserAccount.must_change_password.is_(True)))
    return AccountCounts(by_role={str(r): int(n) for r, n in rows}, disabled=int(disabled or 0),
                         must_change_password=int(pending or 0))


async def update_user(
    session: AsyncSession, ctx: Context, user_id: str, changes: UserChanges, *,
    expected_version: int | None,
) -> CreatedUser:
    """Apply an admin's change; any change of role, scope, state or password ends sessions."""
    user = await get_user(session, ctx, user_id, action="users.manage", for_update=True)
    require_version(user.version, expected_version, what="account")
    if ctx.actor.id == user.id and (changes.state == "disabled" or changes.role not in (
            None, user.role)):
        raise InvalidInput("an admin cannot disable or demote their own account", field="state",
                           code="SELF_LOCKOUT")
    audit_body: dict[str, object] = {}
    if changes.role is not None or changes.unit is not None or changes.province is not None:
        role_changed = changes.role not in (None, user.role)
        role = changes.role or user.role
        unit = changes.unit if changes.unit is not None else (
            None if role_changed else user.unit_code)
        province = changes.province if changes.province is not None else (
            None if role_changed or role in UNIT_KIND_BY_ROLE else user.province_code)
        placement = await resolve_placement(session, role=role, province=province, unit=unit)
        user.role, user.province_code, user.unit_code = role, placement.province, placement.unit
        audit_body |= {"role": role, "province": placement.province, "unit": placement.unit}
    if changes.state is not None:
        user.state = changes.state
        audit_body["state"] = changes.state
    one_time = None
    if changes.reset_password:
        one_time = random_password()
        user.password_hash = await hash_password(one_time)
        user.must_change_password = True
        throttle.forgive(user)
        audit_body["password_reset"] = True
    if not audit_body:
        raise InvalidInput("nothing to change", field="body", code="EMPTY_CHANGE")
    user.token_version += 1
    await session.flush()
    await append(session, ctx, action="user.update", object_type="user", object_id=user.id,
                 body=audit_body)
    return CreatedUser(user=user, one_time_password=one_time)


async def ensure_first_admin(session: AsyncSession, ctx: Context,
                             policy: Policy) -> CreatedUser | None:
    """On an empty registry only: the first admin, with a random single-use password."""
    if await session.scalar(select(func.count()).select_from(UserAccount)):
        return None
    return await create_user(session, ctx, username="admin", role="admin", province=None,
                             unit=None, password=None, policy=policy)
