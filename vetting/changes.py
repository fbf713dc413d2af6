"""What other connections changed, so the read caches can drop exactly that.

Triggers on the tables the caches read (migration 0015) name each change by what it touches:
`worker:<id>` (a worker, or their trainings, commitments, requests, clearances, attestations),
`route:<id>`, `account:<id>`, or `*` (units and signing keys, which anything may depend on).
They fire for every commit by anyone: this process, another replica, the CLI, plain SQL.

- SQLite: the triggers append to `change_log`. A dedicated reader connection asks
  `PRAGMA data_version` (about 2 µs, without letting go of the GIL:
  `vetting.sqlite_data_version`), and only when it moved reads the new log rows. One read
  serves every request the event loop had queued when it was made (`_catch_up`).
- PostgreSQL: the triggers `NOTIFY kt1_change`; a dedicated connection listens. A
  notification arrives only after its transaction committed, and the server delivers the
  notifications that are due before it answers a query on the listening connection, so one
  round trip there (shared by every request that waits for it) brings this process up to
  date with every commit acknowledged before the request arrived. A per-table counter row was
  the other way; it would make every writer of a table queue on one row, and writers touching
  two tables in either order could deadlock.

`sync` is what a reader calls: True when every commit acknowledged before the call has been
passed to the listeners; False when that cannot be known (no log, listener down), and then
nothing may be answered from memory.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from contextvars import ContextVar, Token

import asyncpg
from sqlalchemy.engine import make_url

from vetting.sqlite_data_version import DataVersion, open_data_version

logger = logging.getLogger(__name__)

#: The PostgreSQL channel the triggers notify on.
CHANNEL = "kt1_change"
#: A change to anything a cache may hold.
EVERYTHING = "*"
#: The change keys' prefixes, as the triggers of migration 0015 write them.
WORKER_CHANGE, ROUTE_CHANGE, ACCOUNT_CHANGE = "worker:", "route:", "account:"

#: What a listener is told: the keys that changed, or None for "assume everything did".
Changed = frozenset[str] | None
Listener = Callable[[Changed], None]


class ChangeFeed:
    """The changes committed since the last `sync`, passed to every subscribed listener."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._pin: ContextVar[_Pin | None] = ContextVar("kt1_change_pin", default=None)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _publish(self, changed: Changed) -> None:
        if changed is not None and EVERYTHING in changed:
            changed = None
        for listener in self._listeners:
            listener(changed)

    async def sync(self) -> bool:
        """Whether every commit acknowledged before now has been published.

        Inside `pin` the answer is found once and then repeated, so one request sees one
        moment; the request's own commit (`forget_pinned`) makes the next call ask again.
        """
        pin = self._pin.get()
        if pin is None:
            return await self._catch_up()
        if pin.synced is None:
            pin.synced = await self._catch_up()
        return pin.synced

    def pin(self) -> Token[_Pin | None]:
        return self._pin.set(_Pin())

    def unpin(self, token: Token[_Pin | None]) -> None:
        self._pin.reset(token)

    def forget_pinned(self) -> None:
        pin = self._pin.get()
        if pin is not None:
            pin.synced = None
        self._forget_current()

    def _forget_current(self) -> None:
        """Drop an answer shared by the callbacks of one loop turn (the SQLite feed's): the
        turn is over, or this process just committed. The next `sync` asks again."""

    async def _catch_up(self) -> bool:
        return False  # no change signal: nothing may be cached

    async def close(self) -> None:
        return None


class _Pin:
    __slots__ = ("synced",)

    def __init__(self) -> None:
        self.synced: bool | None = None


class SqliteChangeFeed(ChangeFeed):
    """`change_log` read by a connection that never writes, when `data_version` moved."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._data_version: DataVersion | None = None
        self._version: int | None = None
        self._seen: int | None = None  # the last log row published
        self._current = False  # read since the loop's queued callbacks were queued

    def _forget_current(self) -> None:
        self._current = False

    async def _catch_up(self) -> bool:
        """One `data_version` read serves every callback the event loop had queued when it was
        made: each of them was queued, so its request had arrived, before the read, and every
        commit acknowledged before that arrival is already in what the read found. The loop
        runs `_forget_current` after them, so anything queued later asks again."""
        if self._current:
            return True
        asyncio.get_running_loop().call_soon(self._forget_current)
        try:
            if self._connection is None:
                self._connection = sqlite3.connect(self._path, isolation_level=None,
                                                   check_same_thread=False)
                self._data_version = open_data_version(self._path)
            assert self._data_version is not None
            version = self._data_version.read()
            if version != self._version:
                self._read_log()
                self._version = version
            self._current = True
            return True
        except sqlite3.Error:
            self.close_now()
            return False

    def _read_log(self) -> None:
        assert self._connection is not None
        if self._seen is None:  # (re)opened: whatever was learnt before may be stale
            last = self._connection.execute("SELECT max(seq) FROM change_log").fetchone()[0]
            self._seen = int(last or 0)
            self._publish(None)
            return
        rows = self._connection.execute(
            "SELECT seq, key FROM change_log WHERE seq > ? ORDER BY seq", (self._seen,)
        ).fetchall()
        if not rows:
            return
        pruned = rows[0][0] != self._seen + 1  # the log was pruned past what we had seen
        self._seen = int(rows[-1][0])
        self._publish(None if pruned else frozenset(key for _, key in rows))

    def close_now(self) -> None:
        if self._data_version is not None:
            self._data_version.close()
        if self._connection is not None:
            self._connection.close()
        self._connection, self._data_version = None, None
        self._version, self._seen, self._current = None, None, False

    async def close(self) -> None:
        self.close_now()


class PostgresChangeFeed(ChangeFeed):
    """`LISTEN kt1_change` on a connection of its own; one shared round trip per sync."""

    RETRY_SECONDS = 1.0
    TIMEOUT_SECONDS = 2.0

    def __init__(self, url: str) -> None:
        super().__init__()
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        self._connection: asyncpg.Connection | None = None
        self._connecting: asyncio.Lock | None = None
        self._round_trip: asyncio.Lock | None = None
        self._failed_at = 0.0
        self._asked = 0  # round trips asked for, numbered
        self._answered = 0  # the highest number a finished round trip covers

    async def _catch_up(self) -> bool:
        connection = self._connection or await self._connect()
        if connection is None:
            return False
        asked = self._asked = self._asked + 1
        assert self._round_trip is not None
        async with self._round_trip:
            if self._answered >= asked:  # a round trip that began after we asked has ended
                return self._connection is connection
            covers = self._asked  # everyone who asked so far asked before this one begins
            try:
                await connection.fetchval("SELECT 1")
            except Exception:  # the connection is gone: notifications may have been lost
                logger.warning("change listener lost its connection", exc_info=True)
                await self._drop(connection)
                return False
            # asyncpg hands notifications to the listener with call_soon before it resolves
            # the query, so they have all been published by the time we resume here.
            self._answered = covers
            return True

    async def _connect(self) -> asyncpg.Connection | None:
        if self._connecting is None:
            self._connecting, self._round_trip = asyncio.Lock(), asyncio.Lock()
        async with self._connecting:
            if self._connection is not None:
                return self._connection
            if time.monotonic() - self._failed_at < self.RETRY_SECONDS:
                return None
            try:
                connection = await asyncpg.connect(self._dsn, timeout=self.TIMEOUT_SECONDS)
                await connection.add_listener(CHANNEL, self._notified)
            except (TimeoutError, OSError, asyncpg.PostgresError):
                logger.warning("change listener could not connect", exc_info=True)
                self._failed_at = time.monotonic()
                return None
            connection.add_termination_listener(self._terminated)
            self._connection = connection
            self._publish(None)  # what was cached before listening may be stale
            return connection

    def _notified(self, _connection: asyncpg.Connection, _pid: int, _channel: str,
                  payload: str) -> None:
        self._publish(frozenset((payload,)))

    def _terminated(self, connection: asyncpg.Connection) -> None:
        if self._connection is connection:
            self._connection = None
            self._publish(None)

    async def _drop(self, connection: asyncpg.Connection) -> None:
        if self._connection is connection:
            self._connection = None
        self._publish(None)
        try:
            await connection.close(timeout=self.TIMEOUT_SECONDS)
        except Exception:  # already broken; nothing more to release
            logger.debug("closing a broken change listener", exc_info=True)

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close(timeout=self.TIMEOUT_SECONDS)


def change_feed_for(url: str) -> ChangeFeed:
    """The feed for a database URL; in-memory SQLite has no other connections and no log
    reader, so it gets the feed that keeps the caches off."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        return SqliteChangeFeed(path) if path and path != ":memory:" else ChangeFeed()
    return PostgresChangeFeed(url)
