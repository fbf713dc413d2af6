"""Server-side sessions of the web pages: the browser holds an opaque token in a cookie, the
database only its SHA-256.

A session opens through the same login rule as the API (`sessions.check_login`: throttling,
lock-out, second factor, audit) and lives while all of these hold:

* the account is active and its token version is the one the session was opened under, so
  logout, password change, disable and role or scope change end it at once, as they end
  bearer tokens;
* it is younger than `ABSOLUTE` (12 h) and was used within `IDLE` (30 min).

`last_seen_at` is written at most every `TOUCH_AFTER`: a page view should not cost a durable
commit (an fsync) each time. A session therefore idles out between `IDLE - TOUCH_AFTER` and
`IDLE` after its last use, never later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from policies.policy import Policy
from vetting.accounts import sessions
from vetting.accounts.tokens import new_opaque_token, opaque_digest
from vetting.audit.entries import append
from vetting.db import Database
from vetting.errors import InvalidInput
from vetting.keys import RegistryKeys
from vetting.models import PageSession, UserAccount
from vetting.principal import Actor, Context

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
TOUCH_AFTER = timedelta(minutes=2)
LANGUAGES = ("vi", "en")


@dataclass(frozen=True, slots=True)
class Resumed:
    """A live session: who it is, and what the pages need to know of the account."""

    actor: Actor
    digest: str
    language: str | None
    must_change_password: bool
    mfa_pending: bool
    mfa_enrolled: bool


async def open_session(session: AsyncSession, ctx: Context, user: UserAccount) -> str:
    """A new session for `user` (a fresh id at every login: never one an attacker planted);
    the account's dead sessions are cleared on the way."""
    await session.execute(delete(PageSession).where(
        PageSession.user_id == user.id,
        or_(PageSession.expires_at <= ctx.now, PageSession.last_seen_at <= ctx.now - IDLE,
            PageSession.token_version != user.token_version)))
    token, digest = new_opaque_token()
    session.add(PageSession(id=digest, user_id=user.id, token_version=user.token_version,
                            created_at=ctx.now, last_seen_at=ctx.now,
                            expires_at=ctx.now + ABSOLUTE))
    return token


async def sign_in(database: Database, session: AsyncSession, ctx: Context, keys: RegistryKeys,
                  policy: Policy, *, username: str, password: str, otp: str | None) -> str:
    """The API's login rule (`sessions.check_login`: its audited refusals are raised as they
    are), then a page session instead of a token pair; the token for the cookie."""
    user = await sessions.check_login(database, session, ctx, keys, policy, username=username,
                                      password=password, otp=otp, via="page")
    return await open_session(session, ctx, user)


def _alive(page: PageSession, user: UserAccount, now: datetime) -> bool:
    return (user.state == "active" and page.token_version == user.token_version
            and page.expires_at > now and page.last_seen_at + IDLE > now)


async def resume(database: Database, policy: Policy, token: str, now: datetime
                 ) -> Resumed | None:
    """The live session behind a cookie's token, or None (unknown, ended, expired, idle)."""
    digest = opaque_digest(token)
    async with database.transaction(read_only=True) as session:
        found = (await session.execute(select(PageSession, UserAccount).join(
            UserAccount, UserAccount.id == PageSession.user_id).where(
            PageSession.id == digest))).first()
    if found is None:
        return None
    page, user = found
    if not _alive(page, user, now):
        return None
    if now - page.last_seen_at >= TOUCH_AFTER:
        async with database.transaction() as session:
            await session.execute(update(PageSession).where(PageSession.id == digest)
                                  .values(last_seen_at=now))
    return Resumed(actor=sessions.actor_for(user, policy), digest=digest,
                   language=user.language, must_change_password=user.must_change_password,
                   mfa_pending=sessions.mfa_pending(user, policy),
                   mfa_enrolled=user.totp_confirmed)


async def sign_out(session: AsyncSession, ctx: Context, token: str | None) -> None:
    """Logout from a page: this session goes, and like the API's logout every token and
    session of the account ends with it (one per-user version)."""
    if token:
        await session.execute(delete(PageSession).where(PageSession.id == opaque_digest(token)))
    await sessions.logout(session, ctx)


async def change_password(database: Database, session: AsyncSession, ctx: Context,
                          policy: Policy, *, current: str, new: str) -> str:
    """The API's password rule; every session ends, and this browser gets a fresh one."""
    user = await sessions.replace_password(database, session, ctx, policy, current=current,
                                           new=new)
    return await open_session(session, ctx, user)


async def set_language(session: AsyncSession, ctx: Context, language: str) -> None:
    """Remember the account's language. Written without the account's version counter: an
    admin editing the account meanwhile must not be told it changed."""
    if language not in LANGUAGES:
        raise InvalidInput("no such language", field="language", code="UNKNOWN_LANGUAGE")
    await session.execute(update(UserAccount).where(UserAccount.id == ctx.actor.id)
                          .values(language=language).execution_options(synchronize_session=False))
    await append(session, ctx, action="user.language", object_type="user",
                 object_id=ctx.actor.id, body={"language": language})
