"""Checks attestation signatures at decision time, so editing the database cannot make anyone
eligible: only keys the key store vouches for are trusted, each for its own police unit (the
attestation's issuer must be the key's unit). A verified signature is remembered by the
token's digest (verifying is ~0.2 ms); the checker belongs to one app's keys, not the process."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from crypto import jose_es256
from vetting.attestations.unit_keys import KeyTrust
from vetting.attestations.urns import unit_urn

_SIGNATURE_FAILURES = {"malformed", "bad_alg", "bad_typ", "unknown_kid", "bad_key",
                       "bad_signature"}
CACHE_SIZE = 250_000


@dataclass(frozen=True, slots=True)
class SignedFacts:
    """What the signature vouches for: whom, which outcome, until when, for which stages."""

    subject: str
    outcome: str
    valid_until: datetime
    stages: tuple[str, ...]


def _stages(signed: object) -> tuple[str, ...]:
    if not isinstance(signed, list) or not all(isinstance(s, str) for s in signed):
        raise TypeError("stages must be a list of names")
    return tuple(signed)


class AttestationChecker:
    def __init__(self, trust: KeyTrust) -> None:
        self._trust = trust
        self._keys: dict[str, dict[str, str]] = {}
        self._units: dict[str, str] = {}
        self._verified: OrderedDict[bytes, SignedFacts | None] = OrderedDict()

    async def _load_keys(self, session: AsyncSession) -> None:
        for key in await self._trust.keys(session):
            self._keys[key.kid] = {m: key.jwk[m] for m in ("kty", "crv", "x", "y")}
            self._units[key.kid] = key.unit

    def forget(self) -> None:
        """Drop what was learnt (after a key rotation, or when the key store changes)."""
        self._keys.clear()
        self._units.clear()
        self._verified.clear()

    async def facts(self, session: AsyncSession, jws: str) -> SignedFacts | None:
        """The signed facts, or None when the signature (or the token) does not hold."""
        digest = hashlib.sha256(jws.encode()).digest()
        if digest in self._verified:
            self._verified.move_to_end(digest)
            return self._verified[digest]
        checked = jose_es256.check_all(jws, self._keys, typ="vc+jwt", now=0)
        if "unknown_kid" in checked.reasons:  # a key not loaded yet (a new unit, a rotation)
            await self._load_keys(session)
            checked = jose_es256.check_all(jws, self._keys, typ="vc+jwt", now=0)
        claims, reasons, kid = checked.claims, checked.reasons, checked.kid
        result = None
        if claims is not None and not _SIGNATURE_FAILURES.intersection(reasons) and \
                claims.get("iss") == unit_urn(self._units.get(str(kid), "")):
            try:
                subject = claims["credentialSubject"]
                result = SignedFacts(
                    subject=str(subject["id"]), outcome=str(subject["outcome"]),
                    valid_until=datetime.strptime(claims["validUntil"], "%Y-%m-%dT%H:%M:%SZ")
                    .replace(tzinfo=UTC),
                    stages=_stages(subject.get("stages", [])))
            except (AttributeError, KeyError, TypeError, ValueError):
                result = None
        self._verified[digest] = result
        if len(self._verified) > CACHE_SIZE:
            self._verified.popitem(last=False)
        return result

