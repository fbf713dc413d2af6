"""Stored answers under an `Idempotency-Key`: one per account, scope and key.

A key is claimed in its own committed transaction before the action runs, so two requests
with one key never both run it. A successful action stores its answer in the action's own
transaction (`settle` with the request's session): the action commits only together with its
answer, and only while its request still holds the claim. A claim whose request died before
committing anything is taken over after `LEASE`; a record expires after the configured time.

Answers may hold dossier data, so they are sealed like every other personal field.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vetting.db import Database
from vetting.errors import Conflict, InvalidInput
from vetting.models import IdempotencyRecord
from vetting.personal_data import DataProtection
from vetting.principal import Actor

#: How long a claim may wait for its request's answer before another request may take the
#: key over: the late request then finds its claim gone and rolls its action back.
LEASE = timedelta(seconds=60)
RUNNING = 0
HEADER = "Idempotency-Key"
#: How much of the path a record keeps (for people reading it; the digest covers all of it).
PATH_KEPT = 500


def scope_of(actor: Actor) -> str:
    """What an answer's visibility depended on when it was made: role, province and unit.
    A moved account asks under a new scope and finds none of its old answers."""
    text = f"{actor.role}\n{actor.province or ''}\n{actor.unit or ''}"
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Claim:
    """The key, held by one request while its action runs."""

    user_id: str
    scope: str
    key: str
    token: str

    def where(self) -> object:
        return ((IdempotencyRecord.user_id == self.user_id)
                & (IdempotencyRecord.scope == self.scope) & (IdempotencyRecord.key == self.key)
                & (IdempotencyRecord.claim == self.token)
                & (IdempotencyRecord.status_code == RUNNING))


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer as it was sent: status, the headers worth repeating, the body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _row_id(user_id: str, scope: str, key: str) -> str:
    return f"{user_id}/{scope}/{key}"


def _open(protection: DataProtection, record: IdempotencyRecord) -> Answer:
    body = protection.unseal(base64.b64decode(record.response_body), table="idempotency_record",
                             column="response_body",
                             row_id=_row_id(record.user_id, record.scope, record.key))
    headers = [(str(k), str(v)) for k, v in msgspec.json.decode(record.response_headers)]
    return Answer(status=record.status_code, headers=headers, body=body.encode())


async def claim(database: Database, protection: DataProtection, *, actor: Actor, key: str,
                method: str, path: str, digest: str, now: datetime,
                ttl: timedelta) -> Claim | Answer:
    """The claim to run the action, or the stored answer to replay.

    Raises InvalidInput (IDEMPOTENCY_KEY_REUSED) when the key came with another request, and
    Conflict (IDEMPOTENCY_IN_PROGRESS) while another request holds it.
    """
    assert actor.id is not None
    scope = scope_of(actor)
    mine = Claim(actor.id, scope, key, secrets.token_hex(16))
    pk = (actor.id, scope, key)
    try:
        async with database.transaction() as session:
            await session.execute(delete(IdempotencyRecord).where(
                IdempotencyRecord.expires_at <= now))
            found = await session.get(IdempotencyRecord, pk, with_for_update=True)
            if found is None:
                session.add(IdempotencyRecord(
                    user_id=actor.id, scope=scope, key=key, method=method,
                    path=path[:PATH_KEPT], request_sha256=digest, claim=mine.token, claimed_at=now,
                    status_code=RUNNING, response_headers="[]", response_body="",
                    created_at=now, expires_at=now + ttl))
                return mine
            if found.request_sha256 != digest:
                raise InvalidInput("this key was already used with another request",
                                   field=HEADER, code="IDEMPOTENCY_KEY_REUSED")
            if found.status_code != RUNNING:
                return _open(protection, found)
            if found.claimed_at > now - LEASE:
                raise Conflict("a request with this key is still running",
                               code="IDEMPOTENCY_IN_PROGRESS")
            # Its request died before committing (a commit would have settled it): take over.
            found.claim, found.claimed_at = mine.token, now
            return mine
    except IntegrityError as exc:  # a concurrent request claimed the key first
        raise Conflict("a request with this key is still running",
                       code="IDEMPOTENCY_IN_PROGRESS") from exc


async def settle(session: AsyncSession, protection: DataProtection, held: Claim,
                 answer: Answer) -> None:
    """Store `answer` in `session`'s transaction; Conflict if the claim was taken over (the
    action must then roll back: another request is running it)."""
    sealed = protection.seal(answer.body.decode("utf-8", "replace"), table="idempotency_record",
                             column="response_body",
                             row_id=_row_id(held.user_id, held.scope, held.key))
    result = await session.execute(update(IdempotencyRecord).where(held.where()).values(
        status_code=answer.status,
        response_headers=msgspec.json.encode(answer.headers).decode(),
        response_body=base64.b64encode(sealed).decode()))
    if getattr(result, "rowcount", 1) != 1:
        raise Conflict("a request with this key is still running",
                       code="IDEMPOTENCY_IN_PROGRESS")


async def settle_apart(database: Database, protection: DataProtection, held: Claim,
                       answer: Answer) -> None:
    """Store the answer of a request whose action stored nothing (a refusal rolled back, or
    no writer transaction); a server error frees the key so that the client may retry."""
    async with database.transaction() as session:
        if answer.status >= 500:
            await session.execute(delete(IdempotencyRecord).where(held.where()))
            return
        try:
            await settle(session, protection, held, answer)
        except Conflict:
            return  # taken over meanwhile: the other request's answer stands
