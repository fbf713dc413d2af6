"""Checking an attestation: one code path for the API and the offline CLI.

Algorithm (ES256 only), `typ`, the `kid` against the published keys, the signature, the
issuer against the key's unit, the validity window, and the status bits; the answer lists
every reason that fails, never just the first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crypto import jose_es256, status_list

JWK_MEMBERS = ("kty", "crv", "x", "y")
STATUS_PURPOSES = ("revocation", "suspension")


@dataclass(slots=True)
class VerificationResult:
    valid: bool
    reasons: list[str] = field(default_factory=list)
    claims: dict[str, Any] | None = None
    status_checked: bool = False
    #: Status purposes the attestation names but no list was given for: valid is then only
    #: "the signature holds", not "in force".
    status_unknown: list[str] = field(default_factory=list)


def keys_for(jwks: Sequence[Mapping[str, Any]], purpose: str) -> dict[str, dict[str, str]]:
    """The published EC keys of one purpose, reduced to their public members."""
    return {str(k["kid"]): {m: str(k[m]) for m in JWK_MEMBERS}
            for k in jwks if isinstance(k, Mapping) and k.get("kt1_purpose") == purpose
            and k.get("kty") == "EC" and "kid" in k and all(m in k for m in JWK_MEMBERS)}


def _parse_time(value: Any) -> float | None:
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _key_reasons(claims: Mapping[str, Any], jwk: Mapping[str, Any]) -> list[str]:
    reasons = []
    unit = jwk.get("kt1_unit")
    issuer = claims.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if unit is not None and issuer_id != f"urn:kt1:unit:{unit}":
        reasons.append("issuer_mismatch")
    retired = _parse_time(jwk.get("kt1_retired_at")) if jwk.get("kt1_retired_at") else None
    issued = claims.get("iat")
    if retired is not None and isinstance(issued, int) and issued > retired:
        reasons.append("key_retired")
    return reasons


def _status_entries(claims: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The attestation's `credentialStatus` entries of a known purpose."""
    entries = claims.get("credentialStatus") or []
    return [e for e in (entries if isinstance(entries, list) else [entries])
            if isinstance(e, Mapping) and e.get("statusPurpose") in STATUS_PURPOSES]


def status_list_urls(claims: Mapping[str, Any]) -> dict[str, str]:
    """Purpose -> where the attestation says its status list is published."""
    return {str(e["statusPurpose"]): str(e["statusListCredential"])
            for e in _status_entries(claims) if isinstance(e.get("statusListCredential"), str)}


def _status_reasons(claims: Mapping[str, Any], lists: Mapping[str, bytes]) -> list[str]:
    reasons = []
    for entry in _status_entries(claims):
        purpose = entry["statusPurpose"]
        if purpose not in lists:
            continue
        try:
            flagged = status_list.get_bit(lists[purpose], int(entry["statusListIndex"]))
        except (KeyError, ValueError, IndexError):
            reasons.append("status_entry_invalid")
            continue
        if flagged:
            reasons.append("revoked" if purpose == "revocation" else "suspended")
    return reasons


def verify_attestation(jws: str, jwks: Sequence[Mapping[str, Any]], *,
                       status_lists: Mapping[str, bytes] | None, now: float) -> VerificationResult:
    keys = keys_for(jwks, "attestation")
    checked = jose_es256.check_all(jws, keys, typ="vc+jwt", now=now)
    claims, reasons = checked.claims, checked.reasons
    if claims is not None:
        jwk = next((k for k in jwks if k.get("kid") == checked.kid), {})
        reasons.extend(_key_reasons(claims, jwk))
        if status_lists is not None:
            reasons.extend(_status_reasons(claims, status_lists))
    unknown = sorted({str(e["statusPurpose"]) for e in _status_entries(claims or {})}
                     - set(status_lists or {}))
    return VerificationResult(valid=not reasons, reasons=reasons, claims=claims,
                              status_checked=status_lists is not None and not unknown,
                              status_unknown=unknown)


def read_status_list(token: str, jwks: Sequence[Mapping[str, Any]], *,
                     now: float) -> tuple[str, bytes]:
    """A published list's purpose and bits, after checking its signature and freshness."""
    claims, reasons = jose_es256.verify_all(token, keys_for(jwks, "status-list"),
                                            typ="vc+jwt", now=now)
    if claims is None or reasons:
        raise ValueError(f"status list rejected: {', '.join(reasons) or 'unreadable'}")
    subject = claims.get("credentialSubject") or {}
    purpose = subject.get("statusPurpose")
    if purpose not in STATUS_PURPOSES:
        raise ValueError("status list has no known statusPurpose")
    return str(purpose), status_list.decode(str(subject.get("encodedList", "")))
