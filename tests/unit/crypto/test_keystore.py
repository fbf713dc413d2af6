"""Key store: file modes, master reuse, authenticated wrapping, create-once races."""

from __future__ import annotations

import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from crypto.keystore import KeyStore, KeyStoreError


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_open_creates_private_dir_and_master(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    KeyStore.open(keys_dir)
    assert _mode(keys_dir) == 0o700
    master = keys_dir / "master.key"
    assert _mode(master) == 0o600
    assert len(master.read_bytes()) == 32
    assert [p.name for p in keys_dir.iterdir()] == ["master.key"]  # no temp files left


def test_master_reused_across_opens(tmp_path: Path) -> None:
    first = KeyStore.open(tmp_path / "keys")
    master = (tmp_path / "keys" / "master.key").read_bytes()
    blob = first.wrap(b"secret", label="x")
    second = KeyStore(tmp_path / "keys")
    assert (tmp_path / "keys" / "master.key").read_bytes() == master
    assert second.unwrap(blob, label="x") == b"secret"


def test_open_without_create_never_makes_a_master(tmp_path: Path) -> None:
    missing, empty = tmp_path / "missing", tmp_path / "empty"
    empty.mkdir()
    for folder in (missing, empty):
        with pytest.raises(KeyStoreError, match=r"master\.key"):
            KeyStore.open(folder, create=False)
    assert not missing.exists() and list(empty.iterdir()) == []
    made = KeyStore.open(tmp_path / "made")
    made.save("k", b"secret")
    assert KeyStore.open(tmp_path / "made", create=False).load("k") == b"secret"


def test_concurrent_open_yields_one_master(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    barrier = threading.Barrier(8)

    def opener(_: int) -> bytes:
        barrier.wait()
        return KeyStore.open(keys_dir).wrap(b"m", label="probe")

    with ThreadPoolExecutor(8) as pool:
        blobs = list(pool.map(opener, range(8)))
    store = KeyStore.open(keys_dir)
    assert all(store.unwrap(b, label="probe") == b"m" for b in blobs)


def test_wrap_unwrap_round_trip_and_format(tmp_path: Path) -> None:
    store = KeyStore.open(tmp_path)
    blob = store.wrap(b"\x00" * 32, label="fields/v1")
    assert blob.startswith(b"KT1W1")
    assert len(blob) == 5 + 12 + 32 + 16
    assert store.unwrap(blob, label="fields/v1") == b"\x00" * 32
    assert store.wrap(b"\x00" * 32, label="fields/v1") != blob  # fresh nonce


def test_label_mismatch_refused(tmp_path: Path) -> None:
    store = KeyStore.open(tmp_path)
    blob = store.wrap(b"k", label="units/A/1")
    with pytest.raises(KeyStoreError):
        store.unwrap(blob, label="units/B/1")


@pytest.mark.parametrize("index", [0, 6, 20, -1])
def test_flipped_byte_refused(tmp_path: Path, index: int) -> None:
    store = KeyStore.open(tmp_path)
    blob = bytearray(store.wrap(b"key material", label="a"))
    blob[index] ^= 0x01
    with pytest.raises(KeyStoreError):
        store.unwrap(bytes(blob), label="a")


def test_group_readable_master_refused(tmp_path: Path) -> None:
    KeyStore.open(tmp_path)
    os.chmod(tmp_path / "master.key", 0o640)
    with pytest.raises(KeyStoreError, match="group/others"):
        KeyStore.open(tmp_path)


def test_wrong_length_master_refused(tmp_path: Path) -> None:
    master = tmp_path / "master.key"
    master.write_bytes(b"short")
    os.chmod(master, 0o600)
    with pytest.raises(KeyStoreError, match="32 bytes"):
        KeyStore.open(tmp_path)


def test_save_load_with_subfolders_and_modes(tmp_path: Path) -> None:
    store = KeyStore.open(tmp_path)
    store.save("units/POLICE-12/kid-1", b"unit key")
    path = tmp_path / "units" / "POLICE-12" / "kid-1.wrapped"
    assert _mode(path) == 0o600
    assert _mode(tmp_path / "units") == 0o700
    assert _mode(tmp_path / "units" / "POLICE-12") == 0o700
    assert store.load("units/POLICE-12/kid-1") == b"unit key"
    assert store.load("units/POLICE-12/missing") is None
    store.save("units/POLICE-12/kid-1", b"replaced")
    assert store.load("units/POLICE-12/kid-1") == b"replaced"
    assert sorted(p.name for p in path.parent.iterdir()) == ["kid-1.wrapped"]


def test_file_moved_to_another_name_refused(tmp_path: Path) -> None:
    store = KeyStore.open(tmp_path)
    store.save("a", b"x")
    os.replace(tmp_path / "a.wrapped", tmp_path / "b.wrapped")
    with pytest.raises(KeyStoreError):
        store.load("b")


def test_names_sorted_and_filtered(tmp_path: Path) -> None:
    store = KeyStore.open(tmp_path)
    for name in ["units/U2/k", "units/U1/b", "units/U1/a", "fields/v1"]:
        store.save(name, b"m")
    assert store.names("units/U1/") == ["units/U1/a", "units/U1/b"]
    assert store.names("") == ["fields/v1", "units/U1/a", "units/U1/b", "units/U2/k"]
    assert store.names("nothing") == []


def test_load_or_create_creates_once(tmp_path: Path) -> None:
    store = KeyStore.open(tmp_path)
    first = store.load_or_create("jwt", lambda: b"one")
    assert first == b"one"
    assert store.load_or_create("jwt", lambda: b"two") == b"one"


def test_load_or_create_race_has_one_winner(tmp_path: Path) -> None:
    workers = 8
    barrier = threading.Barrier(workers)

    def racer(i: int) -> bytes:
        store = KeyStore.open(tmp_path)  # separate instances, as separate processes would
        barrier.wait()
        return store.load_or_create("units/X/kid", lambda: os.urandom(32) + bytes([i]))

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(racer, range(workers)))
    assert len(set(results)) == 1
    assert KeyStore.open(tmp_path).load("units/X/kid") == results[0]
    assert [p.name for p in (tmp_path / "units" / "X").iterdir()] == ["kid.wrapped"]


@pytest.mark.parametrize(
    "name",
    ["", "../escape", "a/../b", "a//b", "/abs", "a/", "a b", "a/./b", ".", "..", "x\\y", "é"],
)
def test_bad_names_refused(tmp_path: Path, name: str) -> None:
    store = KeyStore.open(tmp_path)
    with pytest.raises(KeyStoreError):
        store.save(name, b"m")
    with pytest.raises(KeyStoreError):
        store.load(name)
    assert not (tmp_path.parent / "escape.wrapped").exists()
