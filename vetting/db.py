"""Engines and sessions for SQLite (embedded default) and PostgreSQL.

SQLite is made durable and writer-safe here: WAL, `synchronous=FULL`, a busy
timeout, and `BEGIN IMMEDIATE` for every write transaction, so two writers
queue on the lock instead of failing half-way with SQLITE_BUSY. Read-only
sessions keep the deferred BEGIN so readers never wait for writers; on
PostgreSQL they are READ ONLY transactions.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import Token
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import Table, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_only

from vetting.changes import change_feed_for
from vetting.errors import DomainError

SQLITE_BUSY_TIMEOUT_MS = 30_000
_READ_ONLY = "kt1_read_only"


def _install_sqlite_pragmas(engine: AsyncEngine, writers: _WriterQueue | None = None) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so "begin" below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=FULL",
            f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            "PRAGMA foreign_keys=ON",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(_READ_ONLY, False)
        if not read_only and writers is not None:
            await_only(writers.take(id(conn.connection.dbapi_connection)))
        sqlite_connection = conn.connection.dbapi_connection._connection  # type: ignore[union-attr]
        await_only(sqlite_connection.begin(write=not read_only))

    if writers is not None:
        @event.listens_for(engine.sync_engine, "checkin")
        def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
            writers.give_back(id(dbapi_connection))


#: How long one write transaction's statements may run on the event loop's thread in all;
#: past it they go back to aiosqlite's thread (a bulk import must not stall every reader).
INLINE_WRITE_BUDGET_S = 0.02
_ENDS = frozenset({"commit", "rollback", "close"})  # the calls that end a transaction


class _SQLiteConnection(aiosqlite.Connection):
    """aiosqlite's connection, which runs a write transaction's statements on the event
    loop's own thread once the transaction holds SQLite's write lock.

    aiosqlite hands every call to its worker thread and back: four round trips a statement
    (cursor, execute, fetch, close), each a queue, a wake-up and the loop's self-pipe, about
    three quarters of a small statement's cost. Once `BEGIN IMMEDIATE` has returned, no
    statement of the transaction can wait on a lock (WAL: readers never block the writer,
    and this process's other writers wait for their turn in `_WriterQueue`), so running them
    inline costs the loop only the statement itself. What may wait stays on the thread: a
    BEGIN that found another process holding the lock (see `begin`), the COMMIT (its fsync),
    a rollback, the statements past `INLINE_WRITE_BUDGET_S`. Read-only transactions' statements
    stay on the thread too.

    `always` (bench seeds, batch jobs that are their engine's only user) runs every call
    inline: there nothing else waits on the loop. A server must not: a call waiting on the
    write lock would stall every other request.
    """

    def __init__(self, connector: Callable[[], sqlite3.Connection], *, always: bool) -> None:
        super().__init__(connector, 64)
        self._always = always
        self._inline_left = 0.0
        self._busy_timeout_ms: int | None = None  # the connection's own, read at first BEGIN

    async def begin(self, *, write: bool) -> None:
        """BEGIN a transaction on the loop's thread whenever that cannot wait.

        A reader's deferred `BEGIN` takes no lock and reads nothing. A writer's `BEGIN
        IMMEDIATE` is tried with no busy timeout, so it cannot wait either; it finds the lock
        free unless another process holds it, since this process's writers take turns in
        `_WriterQueue`. Only then does the BEGIN go to the thread to wait with the usual
        timeout, while the loop serves others. The BEGIN's three hand-offs to the thread
        were about 0.4 ms of a 3 ms registration, and the writers' turn waited on them."""
        raw = self._conn
        if not write:
            raw.execute("BEGIN")
            return
        if self._busy_timeout_ms is None:
            self._busy_timeout_ms = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
        try:
            raw.execute("PRAGMA busy_timeout=0")
            try:
                raw.execute("BEGIN IMMEDIATE")
            finally:
                raw.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
        except sqlite3.OperationalError as refused:
            if refused.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # any extended BUSY
                raise
            await super()._execute(raw.execute, "BEGIN IMMEDIATE")
        self._inline_left = INLINE_WRITE_BUDGET_S  # it holds the write lock

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._connection is None:
            return await super()._execute(fn, *args, **kwargs)
        if self._always:
            return fn(*args, **kwargs)
        if getattr(fn, "__self__", None) is self._connection and fn.__name__ in _ENDS:
            self._inline_left = 0.0
            if fn.__name__ == "rollback" and not self._connection.in_transaction:
                return None  # the pool's reset after a commit: nothing to undo
            return await super()._execute(fn, *args, **kwargs)
        if self._inline_left <= 0.0:
            return await super()._execute(fn, *args, **kwargs)
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self._inline_left -= time.perf_counter() - began


def _sqlite_creator(url: str, *, always_inline: bool) -> Callable[[], aiosqlite.Connection]:
    path = make_url(url).database or ":memory:"
    connector = partial(sqlite3.connect, path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                        check_same_thread=False)
    return lambda: _SQLiteConnection(connector, always=always_inline)


def create_engine(url: str, *, inline: bool = False, **kwargs: Any) -> AsyncEngine:
    """An async engine with the per-backend settings this service relies on.

    `inline` (SQLite only) is for single-task batch jobs; see `_SQLiteConnection`.
    """
    if url.startswith("sqlite"):
        kwargs["async_creator"] = _sqlite_creator(url, always_inline=inline)
        engine = create_async_engine(url, **kwargs)
        _install_sqlite_pragmas(engine, _WriterQueue())
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def insert_for(session: AsyncSession, table: type[Any] | Table) -> Any:
    """An INSERT of the session's dialect, the kind that has `on_conflict_do_*` (both
    dialects spell upserts alike, but each has its own construct)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


class _WriterQueue:
    """SQLite's writers of one process, one at a time, in arrival order.

    SQLite lets one connection write; the others wait in its busy handler, which sleeps
    between retries (up to 100 ms a time), so writers of one process queued that way
    wasted most of their wait asleep: 8 concurrent registrations ran at 15/s, with a p99
    of 3.7 s. Here a writer's BEGIN first waits its turn on an asyncio lock, and the turn
    passes on when its connection goes back to the pool (after the commit or rollback has
    finished). The turn is taken at BEGIN, not when a session is made, so a request that
    works outside the database first (a sign-in running argon2) holds no one up. A task may
    begin a writer while it holds the turn (SQLite then serializes them as before). Other
    processes still meet in the busy handler.
    """

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._owner: asyncio.Task[Any] | None = None
        self._holding: set[int] = set()  # ids of the DBAPI connections in a writer turn

    async def take(self, connection: int) -> None:
        if connection in self._holding:
            return
        task = asyncio.current_task()
        if task is None or task is not self._owner:
            if self._lock is None:
                self._lock = asyncio.Lock()
            try:  # as long as SQLite's own busy handler would have waited, then its error
                await asyncio.wait_for(self._lock.acquire(), SQLITE_BUSY_TIMEOUT_MS / 1000)
            except TimeoutError:
                raise sqlite3.OperationalError("database is locked") from None
            self._owner = task
        self._holding.add(connection)

    def give_back(self, connection: int) -> None:
        if connection not in self._holding:
            return
        self._holding.discard(connection)
        if not self._holding and self._lock is not None:
            self._owner = None
            self._lock.release()


class Database:
    """One engine and its two session factories: writers and readers."""

    def __init__(self, url: str, *, inline: bool = False, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, inline=inline, **engine_kwargs)
        self.is_sqlite = url.startswith("sqlite")
        #: What other connections commit, for the read caches (`vetting.read_cache`).
        self.changes = change_feed_for(url)
        self._writer = async_sessionmaker(self.engine, expire_on_commit=False)
        # PostgreSQL runs readers as READ ONLY transactions, so a write slipped into a reader
        # fails there instead of passing unnoticed; SQLite's readers keep the deferred BEGIN.
        reader_options = {_READ_ONLY: True} if self.is_sqlite else {
            _READ_ONLY: True, "postgresql_readonly": True}
        self._reader = async_sessionmaker(
            self.engine.execution_options(**reader_options), expire_on_commit=False
        )

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error, except
        an audited refusal (`DomainError.audited`), which commits its record and then re-raises.

        This is the only place in the service that commits. The transaction begins with the
        session's first use, so a request answered from memory costs no connection at all.
        """
        factory = self._reader if read_only else self._writer
        session = factory()
        try:
            try:
                yield session
            except DomainError as refusal:
                if refusal.audited:  # the refusal's audit entry must outlive the refusal
                    await self._commit(session)
                raise
            await self._commit(session)
        finally:
            if session.in_transaction() or session.identity_map:
                await session.close()  # rolls back whatever was not committed

    async def _commit(self, session: AsyncSession) -> None:
        if session.in_transaction():
            await session.commit()
            self.changes.forget_pinned()  # the stretch's own change must be seen next

    def pin_version(self) -> Token[Any]:
        """Start a stretch (a request) that sees one moment of the database in its caches;
        end it with `unpin`."""
        return self.changes.pin()

    def unpin(self, token: Token[Any]) -> None:
        self.changes.unpin(token)

    async def dispose(self) -> None:
        await self.changes.close()
        await self.engine.dispose()
