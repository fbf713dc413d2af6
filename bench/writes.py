"""Registration writes: `POST /api/v1/workers` from `CLIENTS` concurrent clients for a few
seconds, on an empty registry of its own (`<name>-writes` / `<name>_writes`), through the real
server. Each registration is one durable commit with its audit entry; the figures are the
commits per second and each request's latency as its client saw it."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import server
from bench.imports import LEGACY, UNIT, log, registry_with_hr, url_for
from bench.seed import NAMES, database_name, sqlite_path
from bench.table import Figure

CLIENTS = 8
TARGET_PER_S = {"sqlite": 400.0, "postgresql": 600.0}
TARGET_P99_MS = 100.0


@dataclass
class WriteFigures:
    database: str
    engine: str
    clients: int
    seconds: float
    load_average: tuple[float, float, float]
    created: int = 0
    refused: dict[int, int] = field(default_factory=dict)
    per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    server_cpu_ms: float = 0.0  # per registration
    machine_busy: float = 0.0  # share of all cores


def registration(i: int) -> dict[str, object]:
    """A valid registration of worker `i`: a unique employee number and CCCD (born 1980-1999,
    so the CCCD's century digit and birth year agree with the date)."""
    year, sex = 1980 + i % 20, "male" if i % 2 == 0 else "female"
    return {"employee_no": f"W{i:08d}", "full_name": NAMES[i % len(NAMES)],
            "date_of_birth": f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}", "sex": sex,
            "national_id": f"{LEGACY}{0 if sex == 'male' else 1}{year % 100:02d}{i:06d}",
            "hometown": "Tư Nghĩa, Quảng Ngãi", "permanent_address": f"{i % 300} Lê Lợi",
            "permanent_province": "51", "current_address": f"{i % 300} Lê Lợi",
            "post_unit": UNIT, "stages": ["acceptance", "transport"]}


#: One unit of work a client repeats (its number given): whether it succeeded.
Work = Callable[[httpx.AsyncClient, int], Awaitable[bool]]


async def drive(base_url: str, clients: int, seconds: float, work: Work
                ) -> tuple[list[float], float]:
    """`clients` concurrent clients repeat `work` until `seconds` have passed: the latency
    of each success (ms) and how long it all took (s)."""
    latencies: list[float] = []
    counter = iter(range(10**7))
    deadline = time.perf_counter() + seconds

    async def client_loop(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            if await work(client, next(counter)):
                latencies.append((time.perf_counter() - began) * 1000)

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        began = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        return latencies, time.perf_counter() - began


def p50_p99(latencies: list[float]) -> tuple[float, float]:
    if len(latencies) < 2:
        return 0.0, 0.0
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return statistics.median(latencies), cuts[98]


def _register(token: str, figures: WriteFigures) -> Work:
    headers = {"Authorization": f"Bearer {token}"}

    async def one(client: httpx.AsyncClient, i: int) -> bool:
        answer = await client.post("/api/v1/workers", json=registration(i), headers=headers)
        if answer.status_code != 201:
            figures.refused[answer.status_code] = figures.refused.get(answer.status_code, 0) + 1
        return answer.status_code == 201

    return one


def run(directory: Path, base: str | None, seconds: float) -> WriteFigures:
    url = url_for(base, directory, "writes")
    keys_dir = directory / "keys"
    figures = WriteFigures(database=database_name(url),
                           engine="sqlite" if sqlite_path(url) else "postgresql",
                           clients=CLIENTS, seconds=seconds, load_average=os.getloadavg())
    log(f"\nregistration writes: {CLIENTS} clients for {seconds:g} s ({figures.database})")
    token = asyncio.run(registry_with_hr(url, keys_dir))
    running = server.start(url, keys_dir, directory / f"server-{figures.database}.log")
    try:
        (latencies, figures.seconds), cpu = running.measured(lambda: asyncio.run(drive(
            running.base_url, CLIENTS, seconds, _register(token, figures))))
    finally:
        running.stop()
    figures.created = len(latencies)
    figures.server_cpu_ms = cpu.server_ms_per(figures.created)
    figures.machine_busy = cpu.machine_busy
    figures.per_s = figures.created / figures.seconds
    figures.p50_ms, figures.p99_ms = p50_p99(latencies)
    log(f"  {figures.created} registered ({figures.per_s:.0f}/s), p50 {figures.p50_ms:.1f} ms, "
        f"p99 {figures.p99_ms:.1f} ms, refused {figures.refused or 'none'}; server CPU "
        f"{figures.server_cpu_ms:.2f} ms each, machine {figures.machine_busy:.0%} busy")
    return figures


def summary(figures: WriteFigures) -> list[Figure]:
    target = TARGET_PER_S[figures.engine]
    return [Figure(f"registrations/s ({figures.clients} clients)", f"{figures.per_s:.0f}",
                   f">= {target:.0f}", figures.per_s >= target),
            Figure("registration p50 / p99", f"{figures.p50_ms:.1f} / {figures.p99_ms:.1f} ms",
                   f"p99 <= {TARGET_P99_MS:.0f} ms",
                   figures.p99_ms <= TARGET_P99_MS and figures.created > 0),
            cpu_row("registration", figures.server_cpu_ms, figures.machine_busy)]


def cpu_row(operation: str, server_cpu_ms: float, machine_busy: float) -> Figure:
    """What bounds a write figure: the server's CPU per operation (one process cannot do more
    than 1,000 / that per second) and how busy all the machine's cores were meanwhile."""
    return Figure(f"  server CPU per {operation} / machine busy",
                  f"{server_cpu_ms:.2f} ms / {machine_busy:.0%}")
