"""Sign-ins never hold the write lock while argon2 runs, and their failures count atomically.

Each check is structural, not a stopwatch: the password verifications are held inside the
worker thread (that is what argon2 looks like to the database: a long pause) while the test
looks at who holds a writer transaction, and does a write of its own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import event
from sqlalchemy.engine import Connection

import crypto.passwords
from tests.conftest import People, unique
from tests.factories import worker_body
from tests.security.test_login import account, login
from vetting.accounts import throttle
from vetting.db import _READ_ONLY, Database

SETTLE = 30.0  # seconds: a guard against a hang on the old code, never a measured figure


class WriterWatch:
    """Which asyncio tasks hold a writer transaction on the database right now."""

    def __init__(self, database: Database) -> None:
        self._engine = database.engine.sync_engine
        self._open: dict[int, asyncio.Task[Any] | None] = {}

    def _begin(self, conn: Connection) -> None:
        if not conn.get_execution_options().get(_READ_ONLY, False):
            self._open[id(conn)] = asyncio.current_task()

    def _end(self, conn: Connection) -> None:
        self._open.pop(id(conn), None)

    def holders(self) -> set[asyncio.Task[Any] | None]:
        return set(list(self._open.values()))

    @contextmanager
    def watching(self) -> Iterator[WriterWatch]:
        hooks = (("begin", self._begin), ("commit", self._end), ("rollback", self._end))
        for name, hook in hooks:
            event.listen(self._engine, name, hook)
        try:
            yield self
        finally:
            for name, hook in hooks:
                event.remove(self._engine, name, hook)


class HeldArgon2:
    """Wraps argon2 (verify and hash): each call notes which of `tasks` hold a writer
    transaction, waits at `gate` (if any), then does the real, full-cost work."""

    def __init__(self, watch: WriterWatch, monkeypatch: pytest.MonkeyPatch,
                 gate: Callable[[], None] | None = None) -> None:
        self.watch, self.gate = watch, gate
        self.tasks: set[asyncio.Task[Any]] = set()
        self.writers_seen: list[int] = []
        self._lock = threading.Lock()
        real_verify, real_hash = crypto.passwords.verify_password, crypto.passwords.hash_password
        monkeypatch.setattr(crypto.passwords, "_hasher", PasswordHasher())  # full cost
        crypto.passwords._dummy_hash.cache_clear()
        crypto.passwords._dummy_hash()  # made once now, not by each unknown-user login
        monkeypatch.setattr(crypto.passwords, "verify_password", self._held(real_verify))
        monkeypatch.setattr(crypto.passwords, "hash_password", self._held(real_hash))

    def _held(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def held(*args: Any) -> Any:
            with self._lock:
                self.writers_seen.append(len(self.watch.holders() & set(self.tasks)))
            if self.gate is not None:
                self.gate()
            return real(*args)
        return held

    def start(self, calls: list[Any]) -> list[asyncio.Task[Any]]:
        started = [asyncio.ensure_future(call) for call in calls]
        self.tasks.update(started)
        return started

    async def arrivals(self, count: int) -> None:
        """Wait (briefly, politely) until `count` calls are inside argon2."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE
        while len(self.writers_seen) < count:
            assert loop.time() < deadline, f"only {len(self.writers_seen)} of {count} arrived"
            await asyncio.sleep(0.01)


@pytest.fixture(autouse=True)
def _forget_the_dummy_hash() -> Iterator[None]:
    yield
    crypto.passwords._dummy_hash.cache_clear()  # made at full cost here: not for later tests


async def test_a_write_goes_through_while_logins_verify_passwords(
        client: httpx.AsyncClient, people: People, database: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Several anonymous logins for unknown users sit inside argon2 while HR registers a
    worker: no login holds a writer transaction, so the registration does not wait."""
    hr = await people.make("post_hr", unit="POST-51")
    release = threading.Event()
    logins = 4
    with WriterWatch(database).watching() as watch:
        held = HeldArgon2(watch, monkeypatch, gate=lambda: release.wait(SETTLE))
        try:
            tasks = held.start([login(client, unique("ghost-"), "not a password at all")
                                for _ in range(logins)])
            await held.arrivals(logins)
            assert held.writers_seen == [0] * logins
            registered = await asyncio.wait_for(client.post(
                "/api/v1/workers", headers=hr.headers, json=worker_body()), SETTLE)
            assert registered.status_code == 201, registered.text
            assert not any(task.done() for task in tasks)  # still inside argon2
        finally:
            release.set()
        answers = await asyncio.gather(*tasks)
    assert [a.status_code for a in answers] == [401] * logins


async def test_the_password_change_verifies_and_hashes_outside_a_write(
        client: httpx.AsyncClient, people: People, database: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    person = await people.make("post_hr", unit="POST-51")
    with WriterWatch(database).watching() as watch:
        held = HeldArgon2(watch, monkeypatch)
        [task] = held.start([client.post("/api/v1/auth/password", headers=person.headers, json={
            "current_password": person.password, "new_password": "violet harbour pebble orchard"})])
        changed = await task
    assert changed.status_code == 200, changed.text
    assert held.writers_seen == [0, 0]  # verify the current password, hash the new one


async def test_concurrent_wrong_passwords_all_count(
        client: httpx.AsyncClient, people: People, database: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """N wrong passwords verified at the same moment (each has read the account before any
    has written) add N to the counter: the count is one atomic UPDATE, not read-then-write.
    Only the first THROTTLE_AFTER of them learn the password was wrong: the rest were counted
    after the delay began, and are told to wait, like any attempt during it."""
    attempts = throttle.THROTTLE_AFTER + 2
    monkeypatch.setattr(throttle, "THROTTLE_BASE", timedelta(seconds=30))
    person = await people.make("post_hr", unit="POST-51")
    everyone_read = threading.Barrier(attempts, timeout=SETTLE)
    with WriterWatch(database).watching() as watch:
        held = HeldArgon2(watch, monkeypatch, gate=everyone_read.wait)
        tasks = held.start([login(client, person.username, f"wrong guess number {i}")
                            for i in range(attempts)])
        answers = await asyncio.gather(*tasks)
    assert sorted(a.status_code for a in answers) == [401] * throttle.THROTTLE_AFTER + [429] * 2
    assert (await account(database, person.id)).failed_logins == attempts
