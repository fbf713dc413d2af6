"""Field encryption: binding to table/column/row, tamper detection, key rotation, blind index."""

from __future__ import annotations

import pytest

from crypto.fields import DecryptionError, FieldCipher, blind_index, keyed_digest, new_data_key

WHERE = {"table": "people", "column": "national_id", "row_id": "42"}


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher({1: new_data_key()}, current_version=1)


def test_round_trip_unicode(cipher: FieldCipher) -> None:
    blob = cipher.encrypt("Nguyễn Thị Hồng Đào", **WHERE)
    assert cipher.decrypt(blob, **WHERE) == "Nguyễn Thị Hồng Đào"
    assert cipher.version_of(blob) == 1
    assert blob[:2] == b"\x00\x01"


def test_fresh_nonce(cipher: FieldCipher) -> None:
    assert cipher.encrypt("001234567890", **WHERE) != cipher.encrypt("001234567890", **WHERE)


@pytest.mark.parametrize(
    "moved",
    [
        {**WHERE, "row_id": "43"},
        {**WHERE, "column": "full_name"},
        {**WHERE, "table": "people_archive"},
    ],
    ids=["row", "column", "table"],
)
def test_blob_copied_elsewhere_fails(cipher: FieldCipher, moved: dict[str, str]) -> None:
    blob = cipher.encrypt("001234567890", **WHERE)
    with pytest.raises(DecryptionError):
        cipher.decrypt(blob, **moved)


@pytest.mark.parametrize("index", [0, 1, 2, 14, -1])
def test_tampered_byte_fails(cipher: FieldCipher, index: int) -> None:
    blob = bytearray(cipher.encrypt("001234567890", **WHERE))
    blob[index] ^= 0x80
    with pytest.raises(DecryptionError):
        cipher.decrypt(bytes(blob), **WHERE)


@pytest.mark.parametrize("blob", [b"", b"\x00\x01", b"\x00\x01" + b"\x00" * 20])
def test_garbage_fails_with_decryption_error(cipher: FieldCipher, blob: bytes) -> None:
    with pytest.raises(DecryptionError):
        cipher.decrypt(blob, **WHERE)


def test_colon_in_identifier_refused(cipher: FieldCipher) -> None:
    with pytest.raises(ValueError, match="':'"):
        cipher.encrypt("x", table="a:b", column="c", row_id="1")
    blob = cipher.encrypt("x", **WHERE)
    with pytest.raises(DecryptionError):
        cipher.decrypt(blob, table="people:x", column="national_id", row_id="42")


def test_rotation_reads_both_versions() -> None:
    k1, k2 = new_data_key(), new_data_key()
    old = FieldCipher({1: k1}, current_version=1).encrypt("cũ", **WHERE)
    rotated = FieldCipher({1: k1, 2: k2}, current_version=2)
    new = rotated.encrypt("mới", **WHERE)
    assert rotated.current_version == 2
    assert rotated.version_of(old) == 1
    assert rotated.version_of(new) == 2
    assert rotated.decrypt(old, **WHERE) == "cũ"
    assert rotated.decrypt(new, **WHERE) == "mới"


def test_unknown_version_fails() -> None:
    k1, k2 = new_data_key(), new_data_key()
    blob = FieldCipher({1: k1, 2: k2}, current_version=2).encrypt("x", **WHERE)
    with pytest.raises(DecryptionError, match="unknown key version"):
        FieldCipher({1: k1}, current_version=1).decrypt(blob, **WHERE)


def test_version_relabelled_fails() -> None:
    """Changing the version prefix to another known key must not decrypt (AAD has it)."""
    key = new_data_key()
    cipher = FieldCipher({1: key, 2: key}, current_version=1)
    blob = bytearray(cipher.encrypt("x", **WHERE))
    blob[1] = 2
    with pytest.raises(DecryptionError):
        cipher.decrypt(bytes(blob), **WHERE)


@pytest.mark.parametrize("bad", [{1: b"short"}, {1: b"\x00" * 16}, {70000: b"\x00" * 32}])
def test_bad_keys_refused(bad: dict[int, bytes]) -> None:
    with pytest.raises(ValueError):
        FieldCipher(bad, current_version=next(iter(bad)))


def test_missing_current_version_refused() -> None:
    with pytest.raises(ValueError):
        FieldCipher({1: new_data_key()}, current_version=2)


def test_blind_index_normalises() -> None:
    key = new_data_key()
    digest = blind_index(key, "0 01 234567890 ")
    assert digest == blind_index(key, "001234567890")
    assert len(digest) == 64
    assert digest == digest.lower()
    assert blind_index(key, "ab12") == blind_index(key, " AB 12")
    assert blind_index(key, "ＡＢ１２") == blind_index(key, "AB12")  # NFKC full-width


def test_blind_index_depends_on_key_and_value() -> None:
    key = new_data_key()
    assert blind_index(key, "001234567890") != blind_index(new_data_key(), "001234567890")
    assert blind_index(key, "001234567890") != blind_index(key, "001234567891")


def test_keyed_digest_is_exact_and_separated_by_purpose() -> None:
    key = new_data_key()
    digest = keyed_digest(key, "login-throttle", "Admin")
    assert len(digest) == 64 and "Admin" not in digest
    assert digest == keyed_digest(key, "login-throttle", "Admin")
    assert digest != keyed_digest(key, "login-throttle", "admin")  # taken as typed
    assert digest != keyed_digest(key, "other-purpose", "Admin")
    assert digest != keyed_digest(new_data_key(), "login-throttle", "Admin")
    with pytest.raises(ValueError):
        keyed_digest(key, "a\x00b", "c")  # would collide with purpose "a", value "b\x00c"
    assert blind_index(key, "001234567890") != keyed_digest(key, "", "001234567890")


def test_new_data_key() -> None:
    assert len(new_data_key()) == 32
    assert new_data_key() != new_data_key()
