"""What the registry says of an attestation now: checked against the keys it publishes and
the status lists it signs. The API's `POST /attestations/verify` and the public `/verify`
page both ask here, so a printed copy checked by scanning its QR code gets the same answer."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vetting.attestations import status, unit_keys
from vetting.attestations.verification import VerificationResult, verify_attestation
from vetting.keys import RegistryKeys


async def check_attestation(session: AsyncSession, keys: RegistryKeys, jws: str, *,
                            now: float) -> VerificationResult:
    trusted = await unit_keys.published(session, keys.unit_keys)
    return verify_attestation(jws, trusted, status_lists=await status.bits(session), now=now)
