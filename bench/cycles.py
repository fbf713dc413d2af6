"""Full vetting cycles: from `CLIENTS` concurrent clients, each cycle registers a worker, records
two trainings and a commitment, nominates them, and an officer claims and proposes and a lead
approves (eight writes, each a durable commit with its audit entries, the last one signing an
attestation), on an empty registry of its own (`<name>-cycles` / `<name>_cycles`)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

from bench import server
from bench.imports import log, registry_with, url_for
from bench.seed import database_name, sqlite_path
from bench.table import Figure
from bench.writes import cpu_row, drive, p50_p99, registration

CLIENTS = 8
TARGET_PER_S = 50.0
ROLES = ("post_hr", "police_officer", "police_lead")  # the accounts a cycle acts as
DIGEST = "ab" * 32


@dataclass
class CycleFigures:
    database: str
    engine: str
    clients: int
    seconds: float
    completed: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    server_cpu_ms: float = 0.0  # per cycle
    machine_busy: float = 0.0  # share of all cores


def _steps(worker_id: str) -> list[tuple[str, str, dict[str, object] | None]]:
    """The cycle after the registration: (role, path, body)."""
    trained = (date.today() - timedelta(days=30)).isoformat()
    return [("post_hr", f"/api/v1/workers/{worker_id}/trainings",
             {"kind": "postal_operations", "completed_on": trained}),
            ("post_hr", f"/api/v1/workers/{worker_id}/trainings",
             {"kind": "kt1_security", "completed_on": trained}),
            ("post_hr", f"/api/v1/workers/{worker_id}/commitments",
             {"signed_on": trained, "document_sha256": DIGEST}),
            ("post_hr", "/api/v1/vetting-requests", {"worker_id": worker_id, "reason": "KT1"})]


async def _cycle(client: httpx.AsyncClient, headers: dict[str, dict[str, str]], i: int,
                 figures: CycleFigures) -> bool:
    async def call(role: str, path: str, body: dict[str, object] | None = None) -> dict | None:
        answer = await client.post(path, json=body, headers=headers[role])
        if answer.status_code not in (200, 201):
            step = f"{path.rsplit('/', 1)[-1]} {answer.status_code}"
            figures.failed[step] = figures.failed.get(step, 0) + 1
            return None
        return dict(answer.json())

    worker = await call("post_hr", "/api/v1/workers", registration(i))
    if worker is None:
        return False
    request = None
    for role, path, body in _steps(str(worker["id"])):
        request = await call(role, path, body)
        if request is None:
            return False
    assert request is not None
    base = f"/api/v1/vetting-requests/{request['id']}"
    return (await call("police_officer", f"{base}/claim") is not None
            and await call("police_officer", f"{base}/propose",
                           {"outcome": "meets_standard", "note": "bench"}) is not None
            and await call("police_lead", f"{base}/approve") is not None)


def run(directory: Path, base: str | None, seconds: float) -> CycleFigures:
    url = url_for(base, directory, "cycles")
    keys_dir = directory / "keys"
    figures = CycleFigures(database=database_name(url),
                           engine="sqlite" if sqlite_path(url) else "postgresql",
                           clients=CLIENTS, seconds=seconds)
    log(f"\nfull vetting cycles: {CLIENTS} clients for {seconds:g} s ({figures.database}, "
        f"load average {os.getloadavg()[0]:.2f})")
    tokens = asyncio.run(registry_with(url, keys_dir, ROLES))
    running = server.start(url, keys_dir, directory / f"server-{figures.database}.log")
    try:
        headers = {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}

        async def one(client: httpx.AsyncClient, i: int) -> bool:
            return await _cycle(client, headers, i, figures)

        (latencies, figures.seconds), cpu = running.measured(
            lambda: asyncio.run(drive(running.base_url, CLIENTS, seconds, one)))
    finally:
        running.stop()
    figures.completed = len(latencies)
    figures.server_cpu_ms = cpu.server_ms_per(figures.completed)
    figures.machine_busy = cpu.machine_busy
    figures.per_s = figures.completed / figures.seconds
    figures.p50_ms, figures.p99_ms = p50_p99(latencies)
    log(f"  {figures.completed} cycles ({figures.per_s:.1f}/s), p50 {figures.p50_ms:.0f} ms, "
        f"p99 {figures.p99_ms:.0f} ms per cycle, failed steps {figures.failed or 'none'}; server "
        f"CPU {figures.server_cpu_ms:.1f} ms each, machine {figures.machine_busy:.0%} busy")
    return figures


def summary(figures: CycleFigures) -> list[Figure]:
    return [Figure(f"full vetting cycles/s ({figures.clients} clients)", f"{figures.per_s:.1f}",
                   f">= {TARGET_PER_S:.0f}", figures.per_s >= TARGET_PER_S),
            Figure("  one cycle's p50 / p99 (8 writes)",
                   f"{figures.p50_ms:.0f} / {figures.p99_ms:.0f} ms"),
            cpu_row("cycle", figures.server_cpu_ms, figures.machine_busy)]
