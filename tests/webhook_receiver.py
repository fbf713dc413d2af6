"""A real HTTP receiver for webhook tests (http.server on 127.0.0.1, its own threads), and a
Standard Webhooks check that does not use the registry's code.

Each request is recorded (path, headers, body) and answered by the next planned `Reply`,
or by `default` when none is planned: a status, after a delay or once a `hold` event is set
(a receiver that never answers, for timeouts and for killing a relay mid-delivery).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # several relays connect at once; 5 would drop some


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None  # answer only once this is set


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lowercase names
    body: bytes
    at: float

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.plan: deque[Reply] = deque()
        self.default = Reply()
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                with receiver._arrived:
                    receiver.received.append(Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                        time.monotonic()))
                    reply = receiver.plan.popleft() if receiver.plan else receiver.default
                    receiver._arrived.notify_all()
                if reply.hold is not None:
                    reply.hold.wait(60)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                with contextlib.suppress(OSError):  # the sender may be gone (killed)
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", "0")
                    self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Block (call it through `asyncio.to_thread`) until `count` requests arrived."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} of {count} requests arrived")
                self._arrived.wait(left)
            return list(self.received)

    def ids(self) -> list[str]:
        return [r.webhook_id for r in self.received]


def verify(secret: str, received: Received) -> Any:
    """The `standardwebhooks` package's own check of the signature and timestamp."""
    return Webhook(secret).verify(received.body, received.headers)
