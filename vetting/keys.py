"""The registry's own keys, unwrapped once per process from the key store.

Each purpose has its own key: access tokens (ES256) and the audit log (Ed25519)
never share one, and police units' attestation keys live apart from both.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto import checkpoints, jose_es256
from crypto.keystore import KeyStore, KeyStoreError
from vetting.attestations.unit_keys import KeyTrust
from vetting.eligibility.signatures import AttestationChecker
from vetting.personal_data import DataProtection

ACCESS_TOKEN_KEY = "registry/access-token-es256"  # noqa: S105 - a key file name
AUDIT_KEY = "registry/audit-ed25519"
STATUS_LIST_KEY = "registry/status-list-es256"


@dataclass(slots=True)
class RegistryKeys:
    store: KeyStore
    token_key: ec.EllipticCurvePrivateKey
    token_kid: str
    audit_key: Ed25519PrivateKey
    audit_kid: str
    status_key: ec.EllipticCurvePrivateKey
    status_kid: str
    data: DataProtection
    token_jwks: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Trust in police units' keys comes from this key store, not from the database.
    unit_keys: KeyTrust = field(init=False)
    attestations: AttestationChecker = field(init=False)
    #: Access tokens verified under these keys (by digest); they die with the keys.
    verified_tokens: OrderedDict[bytes, dict[str, Any]] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        self.unit_keys = KeyTrust(self.store)
        self.attestations = AttestationChecker(self.unit_keys)

    @classmethod
    def open(cls, keys_dir: Path, *, create: bool = True) -> RegistryKeys:
        """The registry's keys; without `create`, a missing store or key is a KeyStoreError
        (a command reading the registry must never mint a new audit or data key)."""
        store = KeyStore.open(keys_dir, create=create)
        token_key = _es256(store, ACCESS_TOKEN_KEY, create)
        audit_key = checkpoints.private_from_raw(_material(
            store, AUDIT_KEY, lambda: checkpoints.private_to_raw(
                checkpoints.generate_signing_key()), create))
        status_key = _es256(store, STATUS_LIST_KEY, create)
        token_jwk = jose_es256.public_jwk(token_key.public_key())
        token_kid = jose_es256.thumbprint(token_jwk)
        return cls(
            store=store,
            token_key=token_key,
            token_kid=token_kid,
            audit_key=audit_key,
            audit_kid=checkpoints.key_id(audit_key.public_key()),
            status_key=status_key,
            status_kid=jose_es256.thumbprint(jose_es256.public_jwk(status_key.public_key())),
            data=DataProtection.open(store, create=create),
            token_jwks={token_kid: token_jwk},
        )

    def audit_jwk(self) -> dict[str, str]:
        jwk = checkpoints.okp_jwk(self.audit_key.public_key())
        return {**jwk, "kid": self.audit_kid, "use": "sig", "alg": "EdDSA",
                "kt1_purpose": "audit"}

    def status_jwk(self) -> dict[str, str]:
        jwk = jose_es256.public_jwk(self.status_key.public_key())
        return {**jwk, "kid": self.status_kid, "use": "sig", "alg": "ES256",
                "kt1_purpose": "status-list"}


def _material(store: KeyStore, name: str, factory: Callable[[], bytes], create: bool) -> bytes:
    if create:
        return store.load_or_create(name, factory)
    found = store.load(name)
    if found is None:
        raise KeyStoreError(f"{store.keys_dir} holds no key {name!r}")
    return found


def _es256(store: KeyStore, name: str, create: bool) -> ec.EllipticCurvePrivateKey:
    return jose_es256.private_from_pkcs8(_material(
        store, name, lambda: jose_es256.private_to_pkcs8(jose_es256.generate_key()), create))
