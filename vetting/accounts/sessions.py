"""Login, refresh, logout, password change and TOTP: the life of a session.

Failures here are *results*, not exceptions: a failed login must still commit
its throttling counter and its audit entry, which a rollback would undo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import totp
from crypto.jose_es256 import TokenError
from crypto.passwords import needs_rehash
from policies.policy import Policy
from vetting.accounts.passwords import hash_password, require_acceptable, verify_password
from vetting.accounts.tokens import (
    REFRESH_TTL,
    TokenPair,
    issue_access_token,
    new_refresh_token,
    read_access_token,
    refresh_digest,
)
from vetting.audit.entries import append
from vetting.db import Database
from vetting.errors import Conflict, InvalidInput, Unauthenticated
from vetting.keys import RegistryKeys
from vetting.models import RefreshToken, UserAccount
from vetting.models.base import new_id
from vetting.principal import Actor, Context
from vetting.read_cache import MISSING, ReadCache

THROTTLE_AFTER = 3          # failures before each attempt must wait
THROTTLE_MAX = timedelta(seconds=60)
LOCK_AFTER = 10             # failures before the account locks
LOCK_FOR = timedelta(minutes=15)
TOTP_ISSUER = "KT1 Registry"


@dataclass(frozen=True, slots=True)
class LoginResult:
    tokens: TokenPair | None = None
    failure: str | None = None      # a code for the audit log; the client sees one generic answer
    password_change_required: bool = False
    mfa_enrolment_required: bool = False


def actor_for(user: UserAccount, policy: Policy) -> Actor:
    """The principal an account acts as now (restricted until its set-up is done)."""
    return Actor(
        id=user.id, role=user.role, username=user.username, province=user.province_code,
        unit=user.unit_code,
        restricted=user.must_change_password or (
            user.role in policy.mfa_required_roles and not user.totp_confirmed),
    )


async def _issue_pair(session: AsyncSession, ctx: Context, user: UserAccount, keys: RegistryKeys,
                      family_id: str | None = None) -> TokenPair:
    token, digest = new_refresh_token()
    session.add(RefreshToken(user_id=user.id, family_id=family_id or new_id(), token_hash=digest,
                             token_version=user.token_version, issued_at=ctx.now,
                             expires_at=ctx.now + REFRESH_TTL))
    access = issue_access_token(user, keys, ctx.now)
    return TokenPair(access_token=access, refresh_token=token, expires_in=15 * 60)


async def _record_failure(session: AsyncSession, ctx: Context, user: UserAccount,
                          reason: str) -> None:
    user.failed_logins += 1
    body: dict[str, object] = {"reason": reason, "failed_logins": user.failed_logins}
    if user.failed_logins >= LOCK_AFTER:
        user.locked_until = ctx.now + LOCK_FOR
        await append(session, ctx, action="auth.lock", object_type="user", object_id=user.id,
                     outcome="success", body={"until": user.locked_until.isoformat()})
    elif user.failed_logins >= THROTTLE_AFTER:
        delay = min(timedelta(seconds=2 ** (user.failed_logins - THROTTLE_AFTER)), THROTTLE_MAX)
        user.throttled_until = ctx.now + delay
        body["throttled_seconds"] = int(delay.total_seconds())
    await append(session, ctx, action="auth.login", object_type="user", object_id=user.id,
                 outcome="failure", body=body)


def _blocked_reason(user: UserAccount, ctx: Context) -> str | None:
    if user.state != "active":
        return "disabled"
    if user.locked_until is not None and user.locked_until > ctx.now:
        return "locked"
    if user.throttled_until is not None and user.throttled_until > ctx.now:
        return "throttled"
    return None


def _otp_step(user: UserAccount, keys: RegistryKeys, otp: str | None, ctx: Context) -> int | None:
    if user.totp_secret is None or not otp:
        return None
    secret = keys.store.unwrap(user.totp_secret, label=f"totp:{user.id}")
    return totp.verify(secret, otp, at=ctx.now.timestamp(), last_used_step=user.totp_last_step)


@dataclass(frozen=True, slots=True)
class LoginCheck:
    """A login judged: the account when every factor was right, else the audited cause."""

    user: UserAccount | None = None
    failure: str | None = None


async def check_login(session: AsyncSession, ctx: Context, keys: RegistryKeys, policy: Policy, *,
                      username: str, password: str, otp: str | None,
                      via: str | None = None) -> LoginCheck:
    """The one login rule for the API and the pages: throttling, lock-out, second factor and
    the audit entry; `via` names a channel other than the API in that entry."""
    user = await session.scalar(
        select(UserAccount).where(UserAccount.username == username).with_for_update())
    password_ok = await verify_password(user.password_hash if user else None, password)
    if user is None:
        await append(session, ctx, action="auth.login", outcome="failure",
                     body={"reason": "unknown_user"})
        return LoginCheck(failure="unknown_user")
    blocked = _blocked_reason(user, ctx)
    if blocked is not None:
        await append(session, ctx, action="auth.login", object_type="user", object_id=user.id,
                     outcome="failure", body={"reason": blocked})
        return LoginCheck(failure=blocked)
    if not password_ok:
        await _record_failure(session, ctx, user, "bad_password")
        return LoginCheck(failure="bad_password")
    if user.totp_confirmed:
        step = _otp_step(user, keys, otp, ctx)
        if step is None:
            await _record_failure(session, ctx, user, "bad_otp" if otp else "otp_missing")
            return LoginCheck(failure="bad_otp" if otp else "otp_missing")
        user.totp_last_step = step
    user.failed_logins, user.throttled_until, user.locked_until = 0, None, None
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
    actor = actor_for(user, policy)
    body: dict[str, object] = {"mfa": user.totp_confirmed}
    if via is not None:
        body["via"] = via
    await append(session, Context(actor=actor, request_id=ctx.request_id, now=ctx.now),
                 action="auth.login", object_type="user", object_id=user.id, body=body)
    return LoginCheck(user=user)


def mfa_pending(user: UserAccount, policy: Policy) -> bool:
    """The role needs a second factor the account has not enrolled yet."""
    return user.role in policy.mfa_required_roles and not user.totp_confirmed


async def login(session: AsyncSession, ctx: Context, keys: RegistryKeys, policy: Policy, *,
                username: str, password: str, otp: str | None) -> LoginResult:
    check = await check_login(session, ctx, keys, policy, username=username,
                              password=password, otp=otp)
    if check.user is None:
        return LoginResult(failure=check.failure)
    user = check.user
    return LoginResult(
        tokens=await _issue_pair(session, ctx, user, keys),
        password_change_required=user.must_change_password,
        mfa_enrolment_required=mfa_pending(user, policy),
    )


async def refresh(session: AsyncSession, ctx: Context, keys: RegistryKeys, *,
                  refresh_token: str) -> TokenPair | None:
    """Rotate a refresh token; a reused one revokes its whole family and ends the sessions."""
    row = await session.scalar(select(RefreshToken).where(
        RefreshToken.token_hash == refresh_digest(refresh_token)).with_for_update())
    if row is None:
        await append(session, ctx, action="auth.refresh", outcome="failure",
                     body={"reason": "unknown_token"})
        return None
    user = await session.get(UserAccount, row.user_id, with_for_update=True)
    assert user is not None
    if row.used_at is not None and row.revoked_at is None:
        await session.execute(update(RefreshToken).where(
            RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None)
        ).values(revoked_at=ctx.now))
        user.token_version += 1
        await append(session, ctx, action="auth.refresh_reuse", object_type="user",
                     object_id=user.id, outcome="failure", body={"family": row.family_id})
        return None
    if (row.revoked_at is not None or row.expires_at <= ctx.now or user.state != "active"
            or row.token_version != user.token_version):
        await append(session, ctx, action="auth.refresh", object_type="user", object_id=user.id,
                     outcome="failure", body={"reason": "expired_or_ended"})
        return None
    row.used_at = ctx.now
    pair = await _issue_pair(session, ctx, user, keys, family_id=row.family_id)
    await append(session, ctx, action="auth.refresh", object_type="user", object_id=user.id)
    return pair


async def _end_sessions(session: AsyncSession, ctx: Context, user: UserAccount) -> None:
    user.token_version += 1
    await session.execute(update(RefreshToken).where(
        RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None)
    ).values(revoked_at=ctx.now))


async def _me(session: AsyncSession, ctx: Context) -> UserAccount:
    user = await session.get(UserAccount, ctx.actor.id, with_for_update=True)
    if user is None:
        raise Unauthenticated("the account no longer exists")
    return user


async def logout(session: AsyncSession, ctx: Context) -> None:
    """End every token of the caller at once (per-user token version)."""
    await _end_sessions(session, ctx, await _me(session, ctx))
    await append(session, ctx, action="auth.logout", object_type="user", object_id=ctx.actor.id)


async def replace_password(session: AsyncSession, ctx: Context, policy: Policy, *,
                           current: str, new: str) -> UserAccount:
    """Needs the current password; ends every session of the account (tokens and pages)."""
    user = await _me(session, ctx)
    if not await verify_password(user.password_hash, current):
        raise InvalidInput("the current password is wrong", field="current_password",
                           code="WRONG_PASSWORD")
    if new == current:
        raise InvalidInput("the new password must differ from the current one",
                           field="new_password", code="PASSWORD_REUSED")
    try:
        require_acceptable(new, username=user.username, role=user.role, policy=policy)
    except InvalidInput as exc:
        exc.field = "new_password"
        exc.extra["field"] = "new_password"
        raise
    user.password_hash = await hash_password(new)
    user.must_change_password = False
    await _end_sessions(session, ctx, user)
    await append(session, ctx, action="auth.password_change", object_type="user",
                 object_id=user.id)
    return user


async def change_password(session: AsyncSession, ctx: Context, keys: RegistryKeys,
                          policy: Policy, *, current: str, new: str) -> TokenPair:
    """The API's password change: every other session ends, a fresh pair is returned."""
    user = await replace_password(session, ctx, policy, current=current, new=new)
    return await _issue_pair(session, ctx, user, keys)


async def enrol_totp(session: AsyncSession, ctx: Context, keys: RegistryKeys) -> str:
    """A new TOTP secret, returned once as an otpauth:// URI; confirmed by a first code."""
    user = await _me(session, ctx)
    if user.totp_confirmed:
        raise Conflict("a second factor is already enrolled", code="MFA_ALREADY_ENROLLED")
    secret = totp.new_secret()
    user.totp_secret = keys.store.wrap(secret, label=f"totp:{user.id}")
    user.totp_last_step = None
    await append(session, ctx, action="auth.mfa_enrol", object_type="user", object_id=user.id)
    return totp.provisioning_uri(secret, account=user.username, issuer=TOTP_ISSUER)


async def pending_enrolment(session: AsyncSession, ctx: Context, keys: RegistryKeys
                            ) -> str | None:
    """The otpauth:// URI of an enrolment begun but not confirmed yet (shown again until the
    first code confirms it), or None."""
    user = await session.get(UserAccount, ctx.actor.id)
    if user is None or user.totp_secret is None or user.totp_confirmed:
        return None
    secret = keys.store.unwrap(user.totp_secret, label=f"totp:{user.id}")
    return totp.provisioning_uri(secret, account=user.username, issuer=TOTP_ISSUER)


async def confirm_totp(session: AsyncSession, ctx: Context, keys: RegistryKeys, *,
                       otp: str) -> bool:
    user = await _me(session, ctx)
    if user.totp_secret is None or user.totp_confirmed:
        raise Conflict("no enrolment is waiting for confirmation", code="MFA_NOT_PENDING")
    step = _otp_step(user, keys, otp, ctx)
    if step is None:
        await append(session, ctx, action="auth.mfa_confirm", object_type="user",
                     object_id=user.id, outcome="failure")
        return False
    user.totp_confirmed, user.totp_last_step = True, step
    await append(session, ctx, action="auth.mfa_confirm", object_type="user", object_id=user.id)
    return True


@dataclass(frozen=True, slots=True)
class AccountState:
    """What the bearer check needs of an account, as a `ReadCache` keeps it."""

    active: bool
    token_version: int
    actor: Actor


#: Account states by user id (None: no such account), valid until the next commit.
AccountCache = ReadCache[str, AccountState | None]


async def _account(database: Database, policy: Policy, user_id: str,
                   cache: AccountCache | None) -> AccountState | None:
    version = cache.snapshot() if cache is not None else None
    found = cache.get(user_id) if cache is not None else MISSING
    if isinstance(found, AccountState) or found is None:
        return found
    async with database.transaction(read_only=True) as session:
        user = await session.get(UserAccount, user_id)
        state = None if user is None else AccountState(
            active=user.state == "active", token_version=user.token_version,
            actor=actor_for(user, policy))
    if cache is not None:
        cache.put(version, user_id, state)
    return state


async def authenticate(database: Database, keys: RegistryKeys, policy: Policy, token: str,
                       cache: AccountCache | None = None) -> Actor:
    """The principal behind a bearer token, checked against the account's current state
    (from `cache` while nothing has been committed since it was read: a logout, a password
    change or a suspension is a commit, so it takes effect on the very next request)."""
    try:
        claims = read_access_token(token, keys)
    except TokenError as exc:
        raise Unauthenticated("invalid or expired token", code="INVALID_TOKEN",
                              reason=exc.reason) from exc
    account = await _account(database, policy, str(claims["sub"]), cache)
    if account is None or not account.active or account.token_version != claims["ver"]:
        raise Unauthenticated("invalid or expired token", code="INVALID_TOKEN", reason="ended")
    return account.actor

