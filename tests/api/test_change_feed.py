"""The change feed behind the read caches: every commit, by any connection, is published by
what it touched, before the next `sync` answers; a request sees one moment until it commits."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.engine import make_url

from tests.conftest import People, unique
from vetting.changes import Changed, ChangeFeed, PostgresChangeFeed, SqliteChangeFeed
from vetting.db import Database
from vetting.models import Route, UserAccount
from vetting.settings import Settings


class Heard:
    """What a subscriber was told, in order."""

    def __init__(self, feed: ChangeFeed) -> None:
        self.changes: list[Changed] = []
        feed.subscribe(self.hear)

    def hear(self, changed: Changed) -> None:
        self.changes.append(changed)

    def keys(self) -> set[str]:
        return set().union(*(c for c in self.changes if c is not None))

    def take(self) -> list[Changed]:
        taken, self.changes = self.changes, []
        return taken


@pytest.fixture
async def pair(settings: Settings) -> AsyncIterator[tuple[Database, Database]]:
    """Two engines on one database, as two server processes would have."""
    here, elsewhere = Database(settings.database_url), Database(settings.database_url)
    yield here, elsewhere
    await here.dispose()
    await elsewhere.dispose()


async def _new_route(database: Database) -> str:
    async with database.transaction() as session:
        route = Route(province_code="51", code=unique("R-"), name="Tuyến thử", stage="transport",
                      service_classes="standard", max_secrecy="A")
        session.add(route)
        await session.flush()
        return route.id


async def _started(database: Database) -> Heard:
    heard = Heard(database.changes)
    assert await database.changes.sync() is True
    heard.take()  # the first sync says "assume everything changed": nothing was known before
    return heard


async def test_each_commit_elsewhere_is_published_by_what_it_touched(
        pair: tuple[Database, Database], people: People) -> None:
    here, elsewhere = pair
    heard = await _started(here)
    route_id = await _new_route(elsewhere)
    assert await here.changes.sync() is True
    assert heard.keys() == {f"route:{route_id}"}

    heard.take()
    person = await people.make("dispatcher", unit="POST-51")
    async with elsewhere.transaction() as session:
        await session.execute(update(UserAccount).where(UserAccount.id == person.id)
                              .values(state="disabled"))
        await session.execute(update(Route).where(Route.id == route_id).values(active=False))
    assert await here.changes.sync() is True
    assert {f"account:{person.id}", f"route:{route_id}"} <= heard.keys()

    heard.take()
    async with elsewhere.transaction() as session:
        await session.execute(delete(Route).where(Route.id == route_id))
    assert await here.changes.sync() is True
    assert heard.keys() == {f"route:{route_id}"}


async def test_a_change_to_units_or_keys_is_a_change_to_everything(
        pair: tuple[Database, Database]) -> None:
    here, elsewhere = pair
    heard = await _started(here)
    async with elsewhere.transaction() as session:
        await session.execute(text("UPDATE unit SET name = name WHERE code = 'POST-51'"))
    assert await here.changes.sync() is True
    assert None in heard.take()


async def test_a_pinned_request_asks_once_until_it_commits(
        pair: tuple[Database, Database], monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside a pin the feed is asked once (one round trip, or one read of the change log),
    whatever happens elsewhere meanwhile; the request's own commit makes the next sync ask
    again, so it sees what it wrote. (On PostgreSQL a notification may still arrive between
    the two: it only drops cached answers, which can never make one stale.)"""
    here, elsewhere = pair
    heard = await _started(here)
    asked: list[int] = []
    catch_up = here.changes._catch_up

    async def counted() -> bool:
        asked.append(1)
        return await catch_up()

    monkeypatch.setattr(here.changes, "_catch_up", counted)
    pinned = here.pin_version()
    try:
        assert await here.changes.sync() is True
        await _new_route(elsewhere)
        assert await here.changes.sync() is True
        assert len(asked) == 1, "one request, one question"
        heard.take()
        own = await _new_route(here)  # the request's own commit: the next sync asks again
        assert await here.changes.sync() is True
        assert len(asked) == 2
        assert f"route:{own}" in heard.keys()
    finally:
        here.unpin(pinned)
    assert await here.changes.sync() is True  # unpinned: every sync asks
    assert await here.changes.sync() is True
    assert len(asked) == 4


async def test_sqlite_one_read_serves_the_callbacks_queued_before_it_and_no_later(
        backend: str, pair: tuple[Database, Database], settings: Settings) -> None:
    """Requests that were already waiting when `data_version` was read share that read; the
    event loop forgets it before anything queued afterwards runs, so a request that arrived
    after a commit always reads again and sees it."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL shares its round trip instead")
    here, elsewhere = pair
    heard = await _started(here)
    route_id = await _new_route(elsewhere)
    path = make_url(settings.database_url).database
    assert path

    def commit_elsewhere_at_once() -> None:  # another process: no await, no loop turn
        other = sqlite3.connect(path)
        with other:
            other.execute("UPDATE route SET name = name || '.' WHERE id = ?", (route_id,))
        other.close()

    data_version_reads: list[int] = []
    assert isinstance(here.changes, SqliteChangeFeed)
    reader = here.changes._data_version
    assert reader is not None
    read = reader.read

    def counted() -> int:
        data_version_reads.append(1)
        return read()

    reader.read = counted  # type: ignore[method-assign]
    assert await here.changes.sync() is True
    assert f"route:{route_id}" in heard.keys()
    heard.take()
    commit_elsewhere_at_once()
    assert await here.changes.sync() is True  # same loop turn: what the first read said
    assert data_version_reads == [1]
    assert heard.take() == []
    await asyncio.sleep(0)  # the loop runs what was queued, then this: a later arrival
    assert await here.changes.sync() is True
    assert data_version_reads == [1, 1]
    assert heard.keys() == {f"route:{route_id}"}

    heard.take()
    own = await _new_route(here)  # this process's own commit: asked again, even in one turn
    assert await here.changes.sync() is True
    assert f"route:{own}" in heard.keys()


async def test_a_rolled_back_write_publishes_nothing(pair: tuple[Database, Database]) -> None:
    here, elsewhere = pair
    heard = await _started(here)
    with pytest.raises(RuntimeError):
        async with elsewhere.transaction() as session:
            session.add(Route(province_code="51", code=unique("R-"), name="x", stage="transport",
                              service_classes="standard", max_secrecy="A"))
            await session.flush()
            raise RuntimeError("the action fails after its write")
    assert await here.changes.sync() is True
    assert heard.take() == []


async def test_sqlite_log_prunes_itself_and_a_reader_left_behind_drops_everything(
        backend: str, pair: tuple[Database, Database]) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL notifies; it keeps no log")
    here, elsewhere = pair
    assert isinstance(here.changes, SqliteChangeFeed)
    heard = await _started(here)
    async with elsewhere.transaction() as session:
        await session.execute(text(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000) "
            "INSERT INTO change_log (key) SELECT 'worker:w' || i FROM n"))
        kept = (await session.execute(text("SELECT count(*) FROM change_log"))).scalar_one()
    assert kept <= 11_000, "the log keeps about its last 10,000 rows"
    assert await here.changes.sync() is True
    assert heard.take() == [None], "rows it never saw are gone: everything may have changed"


async def test_postgres_listener_lost_turns_caching_off_until_it_is_back(
        backend: str, pair: tuple[Database, Database], monkeypatch: pytest.MonkeyPatch) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no listener connection")
    here, _ = pair
    feed = here.changes
    assert isinstance(feed, PostgresChangeFeed)
    heard = await _started(here)
    listener: Any = feed._connection
    async with here.transaction() as session:  # the server ends the listener's session
        await session.execute(text("SELECT pg_terminate_backend(:pid)"),
                              {"pid": listener.get_server_pid()})
    monkeypatch.setattr(PostgresChangeFeed, "RETRY_SECONDS", 0.0)
    await feed.sync()  # notices the loss, if the termination listener has not yet
    assert None in heard.take(), "what was learnt while listening may be stale"
    assert await feed.sync() is True and feed._connection is not listener
