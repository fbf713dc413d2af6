"""The two status lists (revocation, suspension): index allocation, bit flips, publication."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import jose_es256, status_list
from vetting.errors import Conflict
from vetting.keys import RegistryKeys
from vetting.models import Attestation, StatusList
from vetting.principal import Context

PURPOSES = ("revocation", "suspension")
PUBLISHED_FOR = timedelta(minutes=10)
REGISTRY_ISSUER = "urn:kt1:registry"


def list_url(public_url: str, purpose: str) -> str:
    return f"{public_url}/api/v1/status-lists/{purpose}"


async def allocate_index(session: AsyncSession) -> int:
    """A random free index, so an index reveals nothing about issue order or volume."""
    size = await session.scalar(select(StatusList.size).where(StatusList.purpose == "revocation"))
    assert size is not None
    for _ in range(64):
        candidate = secrets.randbelow(size)
        taken = await session.scalar(select(Attestation.id).where(
            Attestation.status_index == candidate))
        if taken is None:
            return candidate
    # 64 misses in a row means the list is over ~90% full: refuse loudly rather than loop.
    raise Conflict("the status list is full: an operator must add a new list",
                   code="STATUS_LIST_FULL")


async def set_status(session: AsyncSession, ctx: Context, *, purpose: str, index: int,
                     value: bool) -> None:
    row = await session.scalar(select(StatusList).where(StatusList.purpose == purpose)
                               .with_for_update())
    assert row is not None
    row.bits = status_list.set_bit(row.bits, index, value)
    row.updated_at = ctx.now
    row.version += 1


async def bits(session: AsyncSession) -> dict[str, bytes]:
    rows = (await session.scalars(select(StatusList))).all()
    return {row.purpose: row.bits for row in rows}


def credential_status(public_url: str, index: int) -> list[dict[str, str]]:
    return [{"id": f"{list_url(public_url, purpose)}#{index}",
             "type": "BitstringStatusListEntry", "statusPurpose": purpose,
             "statusListIndex": str(index),
             "statusListCredential": list_url(public_url, purpose)} for purpose in PURPOSES]


async def signed_list(session: AsyncSession, ctx: Context, keys: RegistryKeys, *,
                      purpose: str, public_url: str) -> str:
    """The list as a `vc+jwt` BitstringStatusListCredential with a short validity."""
    row = await session.scalar(select(StatusList).where(StatusList.purpose == purpose))
    assert row is not None
    url = list_url(public_url, purpose)
    now = ctx.now.replace(microsecond=0)
    claims: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": REGISTRY_ISSUER,
        "validFrom": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "validUntil": (now + PUBLISHED_FOR).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                              "statusPurpose": purpose,
                              "encodedList": status_list.encode(row.bits)},
        "iss": REGISTRY_ISSUER, "iat": int(now.timestamp()),
        "exp": int((now + PUBLISHED_FOR).timestamp()), "kt1_list_version": row.version,
    }
    return jose_es256.sign(claims, keys.status_key, kid=keys.status_kid, typ="vc+jwt")
