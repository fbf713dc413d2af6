"""Police units' ES256 signing keys: created on first use, rotated on demand, never deleted.

The private key is wrapped in the key store (`units/<unit>/<kid>`); the database holds the
public JWK and the validity window that `/.well-known/jwks.json` publishes. The database is not
the trust anchor: a key is trusted (for eligibility, verification and publication) only when
the key store under `KT1_KEYS_DIR` holds its private half, wrapped under the master key and
bound to that unit and kid. A row inserted or relabelled in the database trusts nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import jose_es256
from crypto.keystore import KeyStore, KeyStoreError
from vetting.audit.entries import append
from vetting.errors import InvalidInput
from vetting.models import SigningKey, Unit
from vetting.principal import Context


def _store_name(unit: str, kid: str) -> str:
    return f"units/{unit}/{kid}"


async def _police_unit(session: AsyncSession, unit_code: str) -> Unit:
    """The unit, locked FOR NO KEY UPDATE on PostgreSQL: it serialises two first signings, and
    unlike FOR UPDATE it does not wait for the KEY SHARE lock that every insert referring to
    the unit takes (a request, a clearance). With FOR UPDATE, a lead signing after the audit
    head was locked and a request inserted before it deadlocked under concurrent writes."""
    unit = await session.scalar(select(Unit).where(Unit.code == unit_code)
                                .with_for_update(key_share=True))
    if unit is None or unit.kind != "police":
        raise InvalidInput(f"{unit_code} is not a police unit", field="unit",
                           code="UNKNOWN_UNIT")
    return unit


async def _create(session: AsyncSession, ctx: Context, store: KeyStore, unit: str) -> SigningKey:
    key = jose_es256.generate_key()
    jwk = jose_es256.public_jwk(key.public_key())
    kid = jose_es256.thumbprint(jwk)
    store.save(_store_name(unit, kid), jose_es256.private_to_pkcs8(key))
    row = SigningKey(kid=kid, unit_code=unit, public_jwk=json.dumps(jwk), created_at=ctx.now)
    session.add(row)
    await session.flush()
    await append(session, ctx, action="keys.unit_create", object_type="unit", object_id=unit,
                 body={"kid": kid})
    return row


async def active_key(session: AsyncSession, ctx: Context, store: KeyStore,
                     unit_code: str) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """The unit's current key, created on first use (the unit row lock stops a double create)."""
    await _police_unit(session, unit_code)
    row = await session.scalar(select(SigningKey).where(
        SigningKey.unit_code == unit_code, SigningKey.retired_at.is_(None)))
    if row is None:
        row = await _create(session, ctx, store, unit_code)
    material = store.load(_store_name(unit_code, row.kid))
    if material is None:
        raise RuntimeError(f"the wrapped key of {unit_code} ({row.kid}) is missing from the store")
    return row.kid, jose_es256.private_from_pkcs8(material)


async def rotate(session: AsyncSession, ctx: Context, store: KeyStore, unit_code: str) -> str:
    """Retire the current key (it stays published for old attestations) and make a new one."""
    await _police_unit(session, unit_code)
    for row in (await session.scalars(select(SigningKey).where(
            SigningKey.unit_code == unit_code, SigningKey.retired_at.is_(None)))).all():
        row.retired_at = ctx.now
        await append(session, ctx, action="keys.unit_retire", object_type="unit",
                     object_id=unit_code, body={"kid": row.kid})
    return (await _create(session, ctx, store, unit_code)).kid


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


@dataclass(frozen=True, slots=True)
class UnitKey:
    """A unit key the key store vouches for."""

    kid: str
    unit: str
    jwk: dict[str, str]
    created_at: datetime
    retired_at: datetime | None


class KeyTrust:
    """Which `signing_key` rows the key store vouches for: the stored private key unwraps
    under the master key for exactly this unit and kid, and its public half is the kid's.
    A row's verdict is remembered by its (kid, unit) (the unwrap is file I/O and AES-GCM)."""

    def __init__(self, store: KeyStore) -> None:
        self._store = store
        self._vouched: dict[tuple[str, str], dict[str, str] | None] = {}

    def _vouch(self, kid: str, unit: str) -> dict[str, str] | None:
        try:
            material = self._store.load(_store_name(unit, kid))
        except (KeyStoreError, ValueError):
            return None
        if material is None:
            return None
        jwk = jose_es256.public_jwk(jose_es256.private_from_pkcs8(material).public_key())
        return jwk if jose_es256.thumbprint(jwk) == kid else None

    async def keys(self, session: AsyncSession) -> list[UnitKey]:
        rows = (await session.scalars(select(SigningKey).order_by(
            SigningKey.unit_code, SigningKey.created_at))).all()
        trusted = []
        for row in rows:
            key = (row.kid, row.unit_code)
            if key not in self._vouched:
                self._vouched[key] = self._vouch(row.kid, row.unit_code)
            jwk = self._vouched[key]
            if jwk is not None:
                trusted.append(UnitKey(row.kid, row.unit_code, jwk, row.created_at,
                                       row.retired_at))
        return trusted


async def published(session: AsyncSession, trust: KeyTrust) -> list[dict[str, Any]]:
    """Every trusted unit key ever used, active and retired, with its validity window."""
    return [{**key.jwk, "kid": key.kid, "use": "sig", "alg": "ES256",
             "kt1_purpose": "attestation", "kt1_unit": key.unit,
             "kt1_not_before": _iso(key.created_at), "kt1_retired_at": _iso(key.retired_at)}
            for key in await trust.keys(session)]
