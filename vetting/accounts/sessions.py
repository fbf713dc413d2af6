"""Login, refresh, logout, password change and TOTP: the life of a session.

Failures are audited refusals (`DomainError.audited`): a failed login still commits its
throttling counter and its audit entry, which a rollback would undo.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import NoReturn

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import totp
from crypto.jose_es256 import TokenError
from crypto.passwords import needs_rehash
from policies.policy import Policy
from vetting.accounts import throttle
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
from vetting.changes import ACCOUNT_CHANGE
from vetting.db import Database
from vetting.errors import Conflict, InvalidInput, Unauthenticated
from vetting.keys import RegistryKeys
from vetting.models import LoginThrottle, RefreshToken, UserAccount
from vetting.models.base import new_id
from vetting.principal import Actor, Context
from vetting.read_cache import MISSING, ReadCache

TOTP_ISSUER = "KT1 Registry"


@dataclass(frozen=True, slots=True)
class Grant:
    """A successful sign-in: the tokens and what the account must still do."""

    tokens: TokenPair
    password_change_required: bool = False
    mfa_enrolment_required: bool = False


def login_refused(reason: str) -> Unauthenticated:
    """One answer for every failed login, whatever the cause (recorded as `reason`), but for
    a right password with a code already used: that person is told to wait for the next."""
    if reason == "otp_reused":
        return Unauthenticated("this code was already used; wait for the next one",
                               code="OTP_ALREADY_USED", audited=True, reason=reason)
    return Unauthenticated("the username, password or one-time code is wrong",
                           code="INVALID_CREDENTIALS", audited=True, reason=reason)


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


async def _record_failure(session: AsyncSession, ctx: Context, user_id: str,
                          reason: str) -> NoReturn:
    """Count one failed attempt (atomically: concurrent failures all count), audit it, refuse
    it: 401, or 429 when a concurrent failure started a wait before this one was counted."""
    failure = await throttle.count_account_failure(session, user_id, ctx.now)
    if failure.locked_until is not None:
        await append(session, ctx, action="auth.lock", object_type="user", object_id=user_id,
                     outcome="success", body={"until": failure.locked_until.isoformat()})
    await append(session, ctx, action="auth.login", object_type="user", object_id=user_id,
                 outcome="failure", body={"reason": reason, **failure.audit_body()})
    if failure.waiting_until is not None:
        raise throttle.too_many(failure.waiting_until, ctx.now)
    raise login_refused(reason)


async def _record_unknown(session: AsyncSession, ctx: Context, key: str) -> NoReturn:
    """The same for a username without an account, counted under its own key."""
    failure = await throttle.count_name_failure(session, key, ctx.now)
    await append(session, ctx, action="auth.login", outcome="failure",
                 body={"reason": "unknown_user", **failure.audit_body()})
    if failure.waiting_until is not None:
        raise throttle.too_many(failure.waiting_until, ctx.now)
    raise login_refused("unknown_user")


async def _refuse_waiting(session: AsyncSession, ctx: Context, user: UserAccount | None,
                          counters: throttle.Counters, until: datetime) -> NoReturn:
    """An attempt during a delay or a lock: 429, audited, neither verified nor counted."""
    reason = "locked" if counters.locked_until == until else "throttled"
    if user is None:
        await append(session, ctx, action="auth.login", outcome="failure",
                     body={"reason": "unknown_user", "waiting": reason})
    else:
        await append(session, ctx, action="auth.login", object_type="user", object_id=user.id,
                     outcome="failure", body={"reason": reason})
    raise throttle.too_many(until, ctx.now)


def _otp_check(user: UserAccount, keys: RegistryKeys, otp: str | None,
               ctx: Context) -> tuple[str | None, int | None]:
    """Why the code fails (None: it does) and the time step it matched."""
    if user.totp_secret is None or not otp:
        return "otp_missing", None
    secret = keys.store.unwrap(user.totp_secret, label=f"totp:{user.id}")
    at = ctx.now.timestamp()
    step = totp.verify(secret, otp, at=at, last_used_step=user.totp_last_step)
    if step is not None:
        return None, step
    return ("otp_reused" if totp.verify(secret, otp, at=at) is not None else "bad_otp"), None


def _refusal(user: UserAccount, ctx: Context, keys: RegistryKeys, *, password_ok: bool,
             otp: str | None) -> tuple[str | None, int | None]:
    """Why this attempt fails (None: it succeeds) and the TOTP step it uses; pure, so it is
    asked once of what was read and again of the row as locked for the write."""
    if user.state != "active":
        return "disabled", None
    if throttle.waiting_until(user, ctx.now) is not None:
        return "throttled", None
    if not password_ok:
        return "bad_password", None
    if not user.totp_confirmed:
        return None, None
    return _otp_check(user, keys, otp, ctx)


async def _read_account(database: Database, user_id: str) -> UserAccount | None:
    """The account as it is now, read without taking any write lock."""
    async with database.transaction(read_only=True) as reader:
        return await reader.get(UserAccount, user_id)


async def _read_attempt(database: Database, keys: RegistryKeys, username: str
                        ) -> tuple[UserAccount | None, LoginThrottle | None, str]:
    """The account of `username`, or the failures counted under its key when it has none."""
    key = keys.data.username_key(username)
    async with database.transaction(read_only=True) as reader:
        user = await reader.scalar(select(UserAccount).where(UserAccount.username == username))
        counted = None if user is not None else await reader.get(LoginThrottle, key)
        return user, counted, key


async def _lock_account(session: AsyncSession, user_id: str) -> UserAccount | None:
    """The account row, locked for the rest of this (short) write transaction."""
    found: UserAccount | None = await session.scalar(
        select(UserAccount).where(UserAccount.id == user_id).with_for_update()
        .execution_options(populate_existing=True))
    return found


async def check_login(database: Database, session: AsyncSession, ctx: Context,
                      keys: RegistryKeys, policy: Policy, *, username: str, password: str,
                      otp: str | None, via: str | None = None) -> UserAccount:
    """The one sign-in rule of the API and the pages; the account, locked in `session`, when
    every factor is right (the success audited, `via` naming a channel other than the API),
    else an audited refusal.

    Argon2 runs in a thread with no transaction open: the account is read in a reader
    transaction, the password verified, and only then does `session` (the request's
    writer, still unused) take the write lock, briefly, for the counters and the audit entry.
    A failure is counted atomically; a success is judged again on the row as locked, so an
    attempt racing a lock, a password change or a replayed code cannot slip through.

    During a delay or a lock every attempt is answered 429 with `Retry-After`, before any
    password is looked at, whether or not the account exists (names without an account are
    counted alike, see `throttle`)."""
    user, counted, key = await _read_attempt(database, keys, username)
    counters = user if user is not None else counted
    until = throttle.waiting_until(counters, ctx.now)
    if counters is not None and until is not None:
        await _refuse_waiting(session, ctx, user, counters, until)
    password_ok = await verify_password(user.password_hash if user else None, password)
    if user is None:
        await _record_unknown(session, ctx, key)
    reason, step = _refusal(user, ctx, keys, password_ok=password_ok, otp=otp)
    rehashed = None
    if reason is None and needs_rehash(user.password_hash):
        rehashed = await hash_password(password)
    if reason is not None:
        await _record_failure(session, ctx, user.id, reason)
    locked = await _lock_account(session, user.id)
    assert locked is not None  # accounts are never deleted
    reason, step = _refusal(locked, ctx, keys, otp=otp,
                            password_ok=locked.password_hash == user.password_hash)
    if reason is not None:
        await _record_failure(session, ctx, user.id, reason)
    if step is not None:
        locked.totp_last_step = step
    throttle.forgive(locked)
    if rehashed is not None:
        locked.password_hash = rehashed
    body: dict[str, object] = {"mfa": locked.totp_confirmed}
    if via is not None:
        body["via"] = via
    await append(session, _signed_in(ctx, locked, policy), action="auth.login",
                 object_type="user", object_id=user.id, body=body)
    return locked


async def login(database: Database, session: AsyncSession, ctx: Context, keys: RegistryKeys,
                policy: Policy, *, username: str, password: str, otp: str | None) -> Grant:
    """The API's sign-in: `check_login`, then a token pair."""
    user = await check_login(database, session, ctx, keys, policy, username=username,
                             password=password, otp=otp)
    return _grant(user, policy, await _issue_pair(session, ctx, user, keys))


def mfa_pending(user: UserAccount, policy: Policy) -> bool:
    """The role needs a second factor the account has not enrolled yet."""
    return user.role in policy.mfa_required_roles and not user.totp_confirmed


def _signed_in(ctx: Context, user: UserAccount, policy: Policy) -> Context:
    """The anonymous caller of `ctx`, now known to be `user` (still at the same address)."""
    actor = replace(actor_for(user, policy), address=ctx.actor.address)
    return Context(actor=actor, request_id=ctx.request_id, now=ctx.now)


def _grant(user: UserAccount, policy: Policy, tokens: TokenPair) -> Grant:
    return Grant(
        tokens=tokens,
        password_change_required=user.must_change_password,
        mfa_enrolment_required=user.role in policy.mfa_required_roles and not user.totp_confirmed,
    )


def _refresh_refused() -> Unauthenticated:
    return Unauthenticated("the refresh token is not valid", code="INVALID_REFRESH_TOKEN",
                           audited=True)


async def refresh(session: AsyncSession, ctx: Context, keys: RegistryKeys, policy: Policy, *,
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
    await append(session, _signed_in(ctx, user, policy), action="auth.refresh",
                 object_type="user", object_id=user.id)
    return pair


async def _end_sessions(session: AsyncSession, ctx: Context, user: UserAccount) -> None:
    user.token_version += 1
    await session.execute(update(RefreshToken).where(
        RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None)
    ).values(revoked_at=ctx.now))


async def _me(session: AsyncSession, ctx: Context) -> UserAccount:
    user = await _lock_account(session, str(ctx.actor.id))
    if user is None:
        raise Unauthenticated("the account no longer exists")
    return user


async def logout(session: AsyncSession, ctx: Context) -> None:
    """End every token of the caller at once (per-user token version)."""
    await _end_sessions(session, ctx, await _me(session, ctx))
    await append(session, ctx, action="auth.logout", object_type="user", object_id=ctx.actor.id)


async def replace_password(database: Database, session: AsyncSession, ctx: Context,
                           policy: Policy, *, current: str, new: str) -> UserAccount:
    """Needs the current password; ends every session of the account (tokens and pages).

    As at login, both argon2 runs (verifying the current password, hashing the new one) happen
    before `session` takes the write lock; the write checks the hash is still the one verified.
    """
    user = await _read_account(database, str(ctx.actor.id))
    if user is None:
        raise Unauthenticated("the account no longer exists")
    if not await verify_password(user.password_hash, current):
        raise _wrong_password()
    if new == current:
        raise InvalidInput("the new password must differ from the current one",
                           field="new_password", code="PASSWORD_REUSED")
    try:
        require_acceptable(new, username=user.username, role=user.role, policy=policy)
    except InvalidInput as exc:
        exc.field = "new_password"
        exc.extra["field"] = "new_password"
        raise
    new_hash = await hash_password(new)
    locked = await _me(session, ctx)
    if locked.password_hash != user.password_hash:  # changed meanwhile: `current` is stale
        raise _wrong_password()
    locked.password_hash = new_hash
    locked.must_change_password = False
    await _end_sessions(session, ctx, locked)
    await append(session, ctx, action="auth.password_change", object_type="user",
                 object_id=locked.id)
    return locked


async def change_password(database: Database, session: AsyncSession, ctx: Context,
                          keys: RegistryKeys, policy: Policy, *, current: str,
                          new: str) -> Grant:
    """The API's password change: a fresh pair, with what the account must still do (enrol a
    second factor, for the roles that need one)."""
    user = await replace_password(database, session, ctx, policy, current=current, new=new)
    return _grant(user, policy, await _issue_pair(session, ctx, user, keys))


def _wrong_password() -> InvalidInput:
    return InvalidInput("the current password is wrong", field="current_password",
                        code="WRONG_PASSWORD")


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
                       otp: str) -> None:
    """Confirm an enrolment with its first code; a wrong code is refused (422, audited)."""
    user = await _me(session, ctx)
    if user.totp_secret is None or user.totp_confirmed:
        raise Conflict("no enrolment is waiting for confirmation", code="MFA_NOT_PENDING")
    wrong, step = _otp_check(user, keys, otp, ctx)
    if wrong is not None:
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
    stamp = await cache.snapshot() if cache is not None else None
    found = cache.get(user_id) if cache is not None else MISSING
    if isinstance(found, AccountState) or found is None:
        return found
    async with database.transaction(read_only=True) as session:
        user = await session.get(UserAccount, user_id)
        state = None if user is None else AccountState(
            active=user.state == "active", token_version=user.token_version,
            actor=actor_for(user, policy))
    if cache is not None:
        cache.put(stamp, user_id, state, depends_on=(ACCOUNT_CHANGE + user_id,))
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

