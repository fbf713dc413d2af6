"""Data keys wrapped at rest by a master key that lives in a file, not in the database.

A stolen database dump (or backup) is useless without ``master.key``; keeping the key in a
0600 file in a 0700 directory lets operators back it up and rotate it separately.
Every write is atomic (temp file + fsync + rename/link) so a crash never leaves half a key.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["KeyStore", "KeyStoreError"]

_MASTER_FILE = "master.key"
_MASTER_LEN = 32
_SUFFIX = ".wrapped"
_MAGIC = b"KT1W1"
_NONCE_LEN = 12
_TAG_LEN = 16
_AAD_PREFIX = b"kt1-wrap:"
_NAME_RE = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


class KeyStoreError(Exception):
    """The key store is unusable or a wrapped blob is not authentic."""


def _fsync_dir(path: Path) -> None:
    """Make a rename/link inside ``path`` durable (the directory entry itself)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(directory: Path, data: bytes) -> Path:
    """Write ``data`` to a fresh, exclusive, fsynced 0600 temp file in ``directory``."""
    tmp = directory / f".tmp-{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)  # explicit: never depend on the umask
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _create_once(path: Path, data: bytes) -> bool:
    """Atomically create ``path`` with ``data`` unless it exists; True if we won the race.

    ``os.link`` fails if the target exists, so concurrent creators never overwrite each
    other and nobody ever sees a partially written file.
    """
    tmp = _write_temp(path.parent, data)
    try:
        os.link(tmp, path)
        won = True
    except FileExistsError:
        won = False
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return won


def _make_dir(path: Path) -> None:
    """Create one directory level as 0700 (chmod too: mkdir's mode is filtered by umask)."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
        os.chmod(path, 0o700)


def _read_master(path: Path) -> bytes:
    """Read the master key, refusing files others can read or of the wrong size."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise KeyStoreError(f"cannot open master key {path}: {exc.strerror}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise KeyStoreError(f"master key {path} is not a regular file")
        if st.st_mode & 0o077:
            raise KeyStoreError(
                f"master key {path} is accessible by group/others "
                f"(mode {stat.S_IMODE(st.st_mode):04o}); run chmod 600"
            )
        data = os.read(fd, _MASTER_LEN + 1)
    finally:
        os.close(fd)
    if len(data) != _MASTER_LEN:
        raise KeyStoreError(f"master key {path} must be exactly {_MASTER_LEN} bytes")
    return data


class KeyStore:
    """Named key material, each wrapped (AES-256-GCM) under the master key of ``keys_dir``."""

    def __init__(self, keys_dir: Path, *, create: bool = True) -> None:
        """Open ``keys_dir``, creating it and ``master.key`` on first use if ``create``.

        Without ``create`` a missing store is an error: a fresh master key would silently
        start a second registry whose keys open nothing of the first.
        """
        self._dir = Path(keys_dir)
        master_path = self._dir / _MASTER_FILE
        if not create and not master_path.exists():
            raise KeyStoreError(f"{self._dir} holds no {_MASTER_FILE}")
        if not self._dir.is_dir():
            self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self._dir, 0o700)
        if not master_path.exists():
            # O_EXCL + link: if another process creates it meanwhile, we read theirs.
            _create_once(master_path, os.urandom(_MASTER_LEN))
        self._aead = AESGCM(_read_master(master_path))

    @classmethod
    def open(cls, keys_dir: Path, *, create: bool = True) -> KeyStore:
        """Open the key store in ``keys_dir``; initialise it first only if ``create``."""
        return cls(keys_dir, create=create)

    @property
    def keys_dir(self) -> Path:
        """Directory holding ``master.key`` and the ``*.wrapped`` files."""
        return self._dir

    # -- wrapping -------------------------------------------------------------------------

    def wrap(self, material: bytes, *, label: str) -> bytes:
        """Encrypt ``material`` bound to ``label``, so a blob cannot be swapped for another."""
        nonce = os.urandom(_NONCE_LEN)
        return _MAGIC + nonce + self._aead.encrypt(nonce, bytes(material), _aad(label))

    def unwrap(self, blob: bytes, *, label: str) -> bytes:
        """Decrypt a blob from :meth:`wrap`; KeyStoreError if tampered or for another label."""
        blob = bytes(blob)
        if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + _NONCE_LEN + _TAG_LEN:
            raise KeyStoreError(f"wrapped key {label!r} is malformed")
        nonce = blob[len(_MAGIC) : len(_MAGIC) + _NONCE_LEN]
        try:
            return self._aead.decrypt(nonce, blob[len(_MAGIC) + _NONCE_LEN :], _aad(label))
        except InvalidTag as exc:
            raise KeyStoreError(f"wrapped key {label!r} failed authentication") from exc

    # -- named storage --------------------------------------------------------------------

    def save(self, name: str, material: bytes) -> None:
        """Store (or replace) ``material`` under ``name`` atomically."""
        path = self._path(name)
        tmp = _write_temp(path.parent, self.wrap(material, label=name))
        try:
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    def load(self, name: str) -> bytes | None:
        """Return the material stored under ``name``, or None if there is none."""
        path = self._path(name, create_dirs=False)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        return self.unwrap(blob, label=name)

    def load_or_create(self, name: str, factory: Callable[[], bytes]) -> bytes:
        """Return the material under ``name``, creating it once with ``factory`` if missing.

        When several processes race, exactly one file wins and every caller returns it.
        """
        existing = self.load(name)
        if existing is not None:
            return existing
        _create_once(self._path(name), self.wrap(factory(), label=name))
        winner = self.load(name)
        if winner is None:  # pragma: no cover - only if someone deletes it right now
            raise KeyStoreError(f"key {name!r} vanished while being created")
        return winner

    def names(self, prefix: str = "") -> list[str]:
        """Sorted names of stored keys starting with ``prefix`` (e.g. ``"units/POLICE-12/"``)."""
        found = []
        for path in self._dir.rglob(f"*{_SUFFIX}"):
            if not path.is_file():
                continue
            name = path.relative_to(self._dir).as_posix()[: -len(_SUFFIX)]
            if name.startswith(prefix) and _valid_name(name):
                found.append(name)
        return sorted(found)

    def _path(self, name: str, *, create_dirs: bool = True) -> Path:
        """Map a validated name to its file, creating missing 0700 subfolders if asked."""
        if not _valid_name(name):
            raise KeyStoreError(f"invalid key name {name!r}")
        parts = name.split("/")
        directory = self._dir
        for part in parts[:-1]:
            directory = directory / part
            if create_dirs:
                _make_dir(directory)
        return directory / f"{parts[-1]}{_SUFFIX}"


def _aad(label: str) -> bytes:
    """Associated data binding a wrapped blob to its label."""
    return _AAD_PREFIX + label.encode()


def _valid_name(name: str) -> bool:
    """Names are relative slash paths of safe characters, never escaping ``keys_dir``."""
    return bool(_NAME_RE.fullmatch(name)) and ".." not in name and "." not in name.split("/")
