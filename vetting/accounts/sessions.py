"""Login, refresh, logout, password change and TOTP: the life of a session.

Failures are audited refusals (`DomainError.audited`): a failed login still commits its
throttling counter and its audit entry, which a rollback would undo.
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
class Grant:
    """A successful sign-in: the tokens and what the account must still do."""

    tokens: TokenPair
    password_change_required: bool = False
    mfa_enrolment_required: bool = False


def login_refused(reason: str) -> Unauthenticated:
    """One answer for every failed login, whatever the cause (recorded as `reason`)."""
    return Unauthenticated("the username, password or one-time code is wrong",
                           code="INVALID_CREDENTIALS", audited=True, reason=reason)


def _actor(user: UserAccount, policy: Policy) -> Actor:
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


async def login(session: AsyncSession, ctx: Context, keys: RegistryKeys, policy: Policy, *,
                username: str, password: str, otp: str | None) -> Grant:
    user = await session.scalar(
        select(UserAccount).where(UserAccount.username == username).with_for_update())
    password_ok = await verify_password(user.password_hash if user else None, password)
    if user is None:
        await append(session, ctx, action="auth.login", outcome="failure",
                     body={"reason": "unknown_user"})
        raise login_refused("unknown_user")
    blocked = _blocked_reason(user, ctx)
    if blocked is not None:
        await append(session, ctx, action="auth.login", object_type="user", object_id=user.id,
                     outcome="failure", body={"reason": blocked})
        raise login_refused(blocked)
    if not password_ok:
        await _record_failure(session, ctx, user, "bad_password")
        raise login_refused("bad_password")
    if user.totp_confirmed:
        step = _otp_step(user, keys, otp, ctx)
        if step is None:
            reason = "bad_otp" if otp else "otp_missing"
            await _record_failure(session, ctx, user, reason)
            raise login_refused(reason)
        user.totp_last_step = step
    user.failed_logins, user.throttled_until, user.locked_until = 0, None, None
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
    tokens = await _issue_pair(session, ctx, user, keys)
    actor = _actor(user, policy)
    await append(session, Context(actor=actor, request_id=ctx.request_id, now=ctx.now),
                 action="auth.login", object_type="user", object_id=user.id,
                 body={"mfa": user.totp_confirmed})
    return Grant(
        tokens=tokens,
        password_change_required=user.must_change_password,
        mfa_enrolment_required=user.role in policy.mfa_required_roles and not user.totp_confirmed,
    )


def _refresh_refused() -> Unauthenticated:
    return Unauthenticated("the refresh token is not valid", code="INVALID_REFRESH_TOKEN",
                           audited=True)


async def refresh(session: AsyncSession, ctx: Context, keys: RegistryKeys, *,
                  refresh_token: str) -> TokenPair:
    """Rotate a refresh token; a reused one revokes its whole family and ends the sessions
    (the revocation commits with the refusal)."""
    row = await session.scalar(select(RefreshToken).where(
        RefreshToken.token_hash == refresh_digest(refresh_token)).with_for_update())
    if row is None:
        await append(session, ctx, action="auth.refresh", outcome="failure",
                     body={"reason": "unknown_token"})
        raise _refresh_refused()
    user = await session.get(UserAccount, row.user_id, with_for_update=True)
    assert user is not None
    if row.used_at is not None and row.revoked_at is None:
        await session.execute(update(RefreshToken).where(
            RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None)
        ).values(revoked_at=ctx.now))
        user.token_version += 1
        await append(session, ctx, action="auth.refresh_reuse", object_type="user",
                     object_id=user.id, outcome="failure", body={"family": row.family_id})
        raise _refresh_refused()
    if (row.revoked_at is not None or row.expires_at <= ctx.now or user.state != "active"
            or row.token_version != user.token_version):
        await append(session, ctx, action="auth.refresh", object_type="user", object_id=user.id,
                     outcome="failure", body={"reason": "expired_or_ended"})
        raise _refresh_refused()
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


async def change_password(session: AsyncSession, ctx: Context, keys: RegistryKeys,
                          policy: Policy, *, current: str, new: str) -> TokenPair:
    """Needs the current password; ends every other session and returns a fresh pair."""
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


async def confirm_totp(session: AsyncSession, ctx: Context, keys: RegistryKeys, *,
                       otp: str) -> None:
    """Confirm an enrolment with its first code; a wrong code is refused (422, audited)."""
    user = await _me(session, ctx)
    if user.totp_secret is None or user.totp_confirmed:
        raise Conflict("no enrolment is waiting for confirmation", code="MFA_NOT_PENDING")
    step = _otp_step(user, keys, otp, ctx)
    if step is None:
        await append(session, ctx, action="auth.mfa_confirm", object_type="user",
                     object_id=user.id, outcome="failure")
        raise InvalidInput("the one-time code is wrong", field="otp", code="INVALID_OTP",
                           audited=True)
    user.totp_confirmed, user.totp_last_step = True, step
    await append(session, ctx, action="auth.mfa_confirm", object_type="user", object_id=user.id)


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
            actor=_actor(user, policy))
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

