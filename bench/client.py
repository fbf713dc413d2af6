"""The fallback load generator when `wrk` is missing: keep-alive HTTP/1.1 over raw asyncio
streams (an HTTP library would cost more CPU per request than the server's fast paths), run as
its own process. Reads a JSON spec, prints one JSON result line.

    python -m bench.client spec.json
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlsplit


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _connection(host: str, port: int, payloads: list[bytes], start: int, deadline: float,
                      latencies: list[float], counts: dict[str, int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    position = start
    try:
        while time.perf_counter() < deadline:
            payload = payloads[position % len(payloads)]
            position += 1
            began = time.perf_counter()
            writer.write(payload)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - began)
            status = int(status_line.split()[1]) if status_line else 0
            counts["non_2xx"] += not 200 <= status < 300
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        counts["errors"] += 1
    finally:
        writer.close()


async def drive(spec: dict[str, Any]) -> dict[str, Any]:
    url = urlsplit(spec["base_url"])
    host, port = url.hostname or "127.0.0.1", url.port or 80
    payloads = []
    for path, credential in spec["requests"]:
        header = f"{credential}\r\n" if credential else ""
        payloads.append(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{header}\r\n".encode())
    latencies: list[float] = []
    counts = {"errors": 0, "non_2xx": 0}
    began = time.perf_counter()
    deadline = began + float(spec["seconds"])
    connections = int(spec["connections"])
    await asyncio.gather(*(
        _connection(host, port, payloads, n * 7919, deadline, latencies, counts)
        for n in range(connections)))
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {"requests": len(ordered), "seconds": elapsed,
            "p50_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
            "p99_ms": _percentile(ordered, 0.99) * 1000, **counts}


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    print(json.dumps(asyncio.run(drive(spec))))


if __name__ == "__main__":
    main()
