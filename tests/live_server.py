"""`kt1vet serve` as a real process, the way `make run` starts it: for the browser tests and
the tests of several server processes on one database."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

KT1VET = str(Path(sys.executable).with_name("kt1vet"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


def start_server(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`kt1vet serve` as `make run` runs it, in a process group of its own."""
    with log.open("wb") as output:
        return subprocess.Popen([KT1VET, "serve"], env=env, stdout=output,
                                stderr=subprocess.STDOUT, start_new_session=True)


async def wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"kt1vet serve exited: {_tail(log)}")
            try:
                if (await client.get("/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.3)
    raise RuntimeError(f"kt1vet serve did not become ready: {_tail(log)}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to its process group (granian's workers too), SIGKILL after 20 s."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
