"""Personal data at rest: versioned AES-256-GCM data keys and the national-ID blind index.

Data keys are wrapped by the master key in the key store; rotation adds a new
version and keeps the old ones for decryption until every row is re-encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto.fields import FieldCipher, blind_index, keyed_digest, new_data_key
from crypto.keystore import KeyStore, KeyStoreError

DATA_KEY_PREFIX = "data/field-v"
BLIND_INDEX_KEY = "data/blind-index"


def _versions(store: KeyStore) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    for name in store.names(DATA_KEY_PREFIX):
        suffix = name.removeprefix(DATA_KEY_PREFIX)
        material = store.load(name)
        if suffix.isdigit() and material is not None:
            found[int(suffix)] = material
    return found


@dataclass(slots=True)
class DataProtection:
    cipher: FieldCipher
    blind_key: bytes

    @classmethod
    def open(cls, store: KeyStore, *, create: bool = True) -> DataProtection:
        """The data keys; without `create`, missing keys are a KeyStoreError, never new keys
        that would open none of the stored ciphertexts."""
        versions = _versions(store)
        blind_key = store.load(BLIND_INDEX_KEY)
        if not create and (not versions or blind_key is None):
            raise KeyStoreError(f"{store.keys_dir} holds no data keys")
        if not versions:
            versions = {1: store.load_or_create(f"{DATA_KEY_PREFIX}1", new_data_key)}
        if blind_key is None:
            blind_key = store.load_or_create(BLIND_INDEX_KEY, new_data_key)
        return cls(cipher=FieldCipher(versions, max(versions)), blind_key=blind_key)

    @staticmethod
    def add_version(store: KeyStore) -> int:
        """A new current data key; old versions stay for reading."""
        version = max(_versions(store), default=0) + 1
        store.load_or_create(f"{DATA_KEY_PREFIX}{version}", new_data_key)
        return version

    def seal(self, value: str, *, table: str, column: str, row_id: str) -> bytes:
        return self.cipher.encrypt(value, table=table, column=column, row_id=row_id)

    def unseal(self, blob: bytes, *, table: str, column: str, row_id: str) -> str:
        return self.cipher.decrypt(blob, table=table, column=column, row_id=row_id)

    def national_id_index(self, national_id: str) -> str:
        return blind_index(self.blind_key, national_id)

    def username_key(self, username: str) -> str:
        """What a login attempt for a username without an account is counted under."""
        return keyed_digest(self.blind_key, "login-throttle", username)
