"""The change feed's `data_version` reader: it moves exactly when another connection commits,
whichever way it reaches the library, and it keeps the GIL only where that is safe."""

from __future__ import annotations

import ctypes
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from vetting import sqlite_data_version
from vetting.sqlite_data_version import (
    DataVersion,
    _DirectDataVersion,
    _ModuleDataVersion,
    open_data_version,
)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "feed.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (x INTEGER)")
    yield path


def _readers(path: Path) -> list[DataVersion]:
    readers: list[DataVersion] = [_ModuleDataVersion(str(path))]
    if sqlite_data_version._library is not None:
        readers.append(_DirectDataVersion(sqlite_data_version._library, str(path)))
    return readers


def test_the_server_uses_the_reader_that_keeps_the_gil() -> None:
    """The Python here links SQLite as a shared library: the fast reader must be the one used
    (if this fails, the feed silently falls back and the eligibility figures drop)."""
    assert sqlite_data_version._library is not None
    reader = open_data_version(":memory:")
    try:
        assert isinstance(reader, _DirectDataVersion)
    finally:
        reader.close()


def test_version_moves_on_every_commit_by_another_connection_and_only_then(
        database: Path) -> None:
    for reader in _readers(database):
        writer = sqlite3.connect(database, isolation_level=None)
        try:
            first = reader.read()
            assert reader.read() == first, "nothing committed: the version stays"
            writer.execute("INSERT INTO t VALUES (1)")
            second = reader.read()
            assert second != first, type(reader).__name__
            writer.execute("BEGIN")
            writer.execute("INSERT INTO t VALUES (2)")
            assert reader.read() == second, "an open transaction is not a commit"
            writer.execute("ROLLBACK")
            assert reader.read() == second, "a rolled back write is not a commit"
        finally:
            writer.close()
            reader.close()


def test_direct_reader_calls_the_library_without_releasing_the_gil() -> None:
    """The point of the module: ctypes keeps the GIL only for functions of a PyDLL (the
    FUNCFLAG_PYTHONAPI flag); a CDLL here would hand the GIL over on every read again."""
    library = sqlite_data_version._library
    if library is None:
        pytest.skip("no shared SQLite library loaded")
    assert library._func_flags_ & ctypes._FUNCFLAG_PYTHONAPI  # type: ignore[attr-defined]
    assert library.sqlite3_step._flags_ & ctypes._FUNCFLAG_PYTHONAPI  # type: ignore[attr-defined]


def test_a_file_that_cannot_be_opened_is_an_sqlite_error(tmp_path: Path) -> None:
    """The feed treats sqlite3.Error as "cannot tell": caching off, nothing stale served."""
    library = sqlite_data_version._library
    if library is None:
        pytest.skip("no shared SQLite library loaded")
    with pytest.raises(sqlite3.Error):
        _DirectDataVersion(library, str(tmp_path / "missing" / "feed.db"))


def test_closed_twice_is_harmless(database: Path) -> None:
    for reader in _readers(database):
        reader.read()
        reader.close()
        if isinstance(reader, _DirectDataVersion):
            reader.close()
