"""Police units' ES256 signing keys: created on first use, rotated on demand, never deleted.

The private key is wrapped in the key store (`units/<unit>/<kid>`); the database holds the
public JWK and the validity window that `/.well-known/jwks.json` publishes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import jose_es256
from crypto.keystore import KeyStore
from vetting.audit.entries import append
from vetting.errors import InvalidInput
from vetting.models import SigningKey, Unit
from vetting.principal import Context


def _store_name(unit: str, kid: str) -> str:
    return f"units/{unit}/{kid}"


async def _police_unit(session: AsyncSession, unit_code: str) -> Unit:
    unit = await session.scalar(select(Unit).where(Unit.code == unit_code).with_for_update())
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


async def published(session: AsyncSession) -> list[dict[str, Any]]:
    """Every unit key ever used, active and retired, with its validity window."""
    rows = (await session.scalars(select(SigningKey).order_by(SigningKey.unit_code,
                                                              SigningKey.created_at))).all()
    return [{**json.loads(row.public_jwk), "kid": row.kid, "use": "sig", "alg": "ES256",
             "kt1_purpose": "attestation", "kt1_unit": row.unit_code,
             "kt1_not_before": _iso(row.created_at), "kt1_retired_at": _iso(row.retired_at)}
            for row in rows]
