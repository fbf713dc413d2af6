"""Request ids come from `random`, not the OS: they must still differ between requests and
between the worker processes `kt1vet serve --workers N` forks from one parent."""

from __future__ import annotations

import asyncio
import multiprocessing
import re
from multiprocessing.connection import Connection

from litestar.types import Message, Receive, Scope, Send

from api.request_id import RequestIdMiddleware


async def _ok(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _ids(count: int) -> list[str]:
    middleware = RequestIdMiddleware(_ok)
    found: list[str] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            found.extend(v.decode() for k, v in message["headers"] if k == b"x-request-id")

    async def run() -> None:
        for _ in range(count):
            await middleware({"type": "http", "headers": [], "query_string": b""},  # type: ignore[typeddict-item]
                             receive, send)

    asyncio.run(run())
    return found


def _child(pipe: Connection) -> None:
    pipe.send(_ids(50))
    pipe.close()


def test_ids_are_32_hex_digits_and_never_repeat() -> None:
    ids = _ids(2000)
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_forked_workers_do_not_repeat_each_others_ids() -> None:
    """A forked child starts with a copy of the parent's generator; it must be reseeded."""
    context = multiprocessing.get_context("fork")  # as granian starts its workers
    parent_end, child_end = context.Pipe()
    child = context.Process(target=_child, args=(child_end,))
    child.start()
    from_child = parent_end.recv()
    child.join(10)
    assert child.exitcode == 0
    assert not set(from_child) & set(_ids(50))
