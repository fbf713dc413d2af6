"""`make bench`: seed (or reuse) the bench databases, start the real server on them, drive it
from another process, on SQLite and then on PostgreSQL, and print one table: a row per
figure, a column per engine, each value with PASS/MISS against its target.

    .venv/bin/python -m bench [--workers 100000] [--duration 10] [--seed-only]
                              [--scenario all|eligibility|worker-list|writes|cycles]
                              [--database both|sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from bench import cycles, imports, load, seed, server, throwaway, worker_list, writes
from bench.sample import Sample, draw
from bench.table import Figure, combined

DEFAULT_DIR = Path("var/bench")
DEFAULT_WORKERS = 100_000
TARGET_RATIO = 0.5
TARGET_AUTH_RATIO = 0.6
TARGET_P99_MS = 20.0
TARGET_BATCH_MS = 100.0
TARGET_COLD_BATCH_MS = 250.0
TARGET_SCALE = 1.5
TARGET_RSS_MB = 300.0
SCALE_ROUNDS = 5


def log(message: str) -> None:
    print(message, flush=True)


@dataclass
class Figures:
    """Everything measured in one run (also written as JSON next to the databases)."""

    workers: int
    small_workers: int
    tool: str
    connections: int
    duration_s: float
    load_average: tuple[float, float, float]
    seed_seconds: dict[str, float] = field(default_factory=dict)
    health: dict[str, float] = field(default_factory=dict)
    eligibility: dict[str, float] = field(default_factory=dict)
    auth_only: dict[str, float] = field(default_factory=dict)
    two_workers: dict[str, float] = field(default_factory=dict)  # eligibility, serve --workers 2
    batch_size: int = 0
    batch_ms: list[float] = field(default_factory=list)
    batch_cold_ms: list[float] = field(default_factory=list)
    single_p50_ms: dict[str, float] = field(default_factory=dict)
    scale_ratios: list[float] = field(default_factory=list)  # big / small, round by round
    single_cpu_ms: dict[str, float] = field(default_factory=dict)
    rss_kib: dict[str, dict[int, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help="workers in the main bench database (default %(default)s)")
    parser.add_argument("--small", type=int, default=None,
                        help="workers in the scale-comparison database (default workers/10)")
    parser.add_argument("--duration", type=float, default=10.0,
                        help="seconds per measured load run (default %(default)s)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: the "
                        "server has one worker and the machine may have two cores)")
    parser.add_argument("--batch-calls", type=int, default=30)
    parser.add_argument("--checks", type=int, default=5000,
                        help="distinct (worker, route) pairs the single-check load rotates over")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                        help="bench databases, keys, logs (default %(default)s)")
    parser.add_argument("--seed-only", action="store_true", help="seed, then stop")
    parser.add_argument("--imports-only", action="store_true",
                        help="only the import scenario (10,000 workers from one spreadsheet)")
    parser.add_argument("--no-imports", action="store_true", help="skip the import scenario")
    parser.add_argument("--scenario", choices=("all", "eligibility", "worker-list", "writes",
                                               "cycles"),
                        default="all", help="what to measure (default %(default)s)")
    parser.add_argument("--database", choices=("both", "sqlite", "postgresql"), default="both",
                        help="sqlite: files under --dir, kept for the next run; postgresql: a "
                        "database made for this run and dropped after it; both: one then the "
                        "other, in one table (default %(default)s)")
    parser.add_argument("--list-workers", type=int, default=DEFAULT_WORKERS,
                        help="workers in the worker-list database (default %(default)s)")
    args = parser.parse_args(argv)
    args.small = args.small or args.workers // 10
    if not 0 < args.small < args.workers:
        parser.error("need 0 < --small < --workers")
    return args


def _databases(args: argparse.Namespace, base: str | None
               ) -> tuple[seed.BenchDb, seed.BenchDb]:
    """The main database (`base`: KT1_DATABASE_URL if set, or the run's own PostgreSQL
    database) and the smaller one for the scale comparison, named after it."""
    if base:
        name = seed.database_name(base)
        if "bench" not in name:
            raise SystemExit(f"KT1_DATABASE_URL names {name!r}: the bench fills its database "
                             "with seeded workers, so it only uses one whose name contains "
                             "'bench' (e.g. postgresql+asyncpg://…/kt1_bench)")
    else:
        stem = "kt1-bench" if args.workers == DEFAULT_WORKERS else f"kt1-bench-{args.workers}w"
        base = f"sqlite+aiosqlite:///{args.dir / stem}.db"

    def sized(workers: int) -> str:
        path = seed.sqlite_path(base)
        if path is not None:
            return f"sqlite+aiosqlite:///{path.with_name(f'{path.stem}-{workers}w.db')}"
        url = make_url(base)
        return url.set(database=f"{url.database}_{workers}w").render_as_string(
            hide_password=False)

    def bench_db(url: str, workers: int) -> seed.BenchDb:
        return seed.BenchDb(url=url, workers=workers,
                            marker=args.dir / f"{seed.database_name(url)}.seed.json")

    return bench_db(base, args.workers), bench_db(sized(args.small), args.small)


def _seed_all(big: seed.BenchDb, small: seed.BenchDb, keys_dir: Path, figures: Figures) -> None:
    """The small database first; the big one then grows from a copy of it."""
    for db, smaller in ((small, None), (big, small)):
        name = seed.database_name(db.url)
        if seed.is_complete(db):
            marker = seed.read_marker(db)
            added = f"{marker['seeded']:,} workers" if isinstance(marker.get("seeded"), int) \
                else "workers"
            log(f"reusing {name} ({db.label}; its last seed added {added} in "
                f"{marker.get('seconds')} s, finished {marker.get('finished_at')})")
            figures.seed_seconds[name] = float(str(marker.get("seconds", 0)))
            continue
        spent = asyncio.run(seed.seed(db, keys_dir, log, smaller))
        marker = seed.read_marker(db)
        log(f"seeded {name} ({db.label}): {marker.get('seeded')} workers added in {spent:.0f} s"
            f" ({marker.get('workers_per_s')} workers/s)")
        figures.seed_seconds[name] = round(spent, 1)


def _check_requests(sample: Sample) -> tuple[list[load.Request], list[str]]:
    provinces = sorted(sample.tokens)
    index = {p: n for n, p in enumerate(provinces)}
    requests = [load.Request(f"/api/v1/eligibility?worker_id={c.worker_id}&route_id="
                             f"{c.route_id}", index[c.province]) for c in sample.checks]
    return requests, [sample.tokens[p] for p in provinces]


def _batch(client: httpx.Client, sample: Sample, worker_ids: list[str]) -> float:
    """One batch call; milliseconds. Every answer must be there and eligible."""
    began = time.perf_counter()
    response = client.post("/api/v1/eligibility/batch", json={
        "route_id": sample.batch_route, "worker_ids": worker_ids}, headers={
        "Authorization": f"Bearer {sample.tokens[sample.batch_province]}"})
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"batch answered {response.status_code}: {response.text[:500]}")
    results = response.json()["results"]
    if len(results) != len(worker_ids) or not all(r["eligible"] for r in results):
        raise RuntimeError("batch: some seeded workers came back missing or not eligible")
    return elapsed


def _prepare_server(client: httpx.Client, sample: Sample) -> None:
    """A sanity check (the seeded worker must be eligible) and one batch call per province over
    the sampled workers, so the signature cache holds them as it would in steady use."""
    first = sample.checks[0]
    response = client.get("/api/v1/eligibility", params={
        "worker_id": first.worker_id, "route_id": first.route_id},
        headers={"Authorization": f"Bearer {sample.tokens[first.province]}"})
    if response.status_code != 200 or not response.json().get("eligible"):
        raise RuntimeError(f"sanity check failed: {response.status_code} {response.text[:500]}")
    by_province: dict[str, list[tuple[str, str]]] = {}
    for check in sample.checks:
        by_province.setdefault(check.province, []).append((check.worker_id, check.route_id))
    for province, pairs in by_province.items():
        for start in range(0, len(pairs), 1000):
            chunk = pairs[start:start + 1000]
            client.post("/api/v1/eligibility/batch", json={
                "route_id": chunk[0][1], "worker_ids": [w for w, _ in chunk]},
                headers={"Authorization": f"Bearer {sample.tokens[province]}"},
            ).raise_for_status()


def _record(result: load.LoadResult, what: str, figures: Figures,
            cpu_s: float | None = None) -> dict[str, float]:
    cpu_ms = cpu_s / result.requests * 1000 if cpu_s is not None and result.requests else 0.0
    cpu = f", server CPU {cpu_ms:.2f} ms/request" if cpu_s is not None else ""
    log(f"  {what}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
        f"p99 {result.p99_ms:.2f} ms{cpu} ({result.requests:,} requests, {result.errors} "
        f"errors, {result.non_2xx} non-2xx)")
    if not result.clean:
        figures.problems.append(f"{what}: {result.errors} errors, {result.non_2xx} non-2xx "
                                "responses: the figure is not trustworthy")
    return {"rps": result.rps, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms,
            "cpu_ms": cpu_ms, "requests": result.requests, "errors": result.errors,
            "non_2xx": result.non_2xx}


@dataclass
class Target:
    """A started server, what it is asked, and the requests of its single-check load."""

    db: seed.BenchDb
    running: server.Server
    sample: Sample
    requests: list[load.Request]
    tokens: list[str]

    @property
    def name(self) -> str:
        return seed.database_name(self.db.url)


def _start(db: seed.BenchDb, args: argparse.Namespace, *, batch_sets: int,
           workers: int = 1) -> Target:
    keys_dir = args.dir / "keys"
    name = seed.database_name(db.url)
    log(f"\nserver on {name} ({db.label}): {server.kt1vet()} serve --workers {workers}")
    running = server.start(db.url, keys_dir, args.dir / f"server-{name}.log", workers=workers)
    try:
        sample = asyncio.run(draw(db.url, keys_dir, checks=args.checks, batch_sets=batch_sets,
                                  batch_size=1000))
        requests, tokens = _check_requests(sample)
        with httpx.Client(base_url=running.base_url, timeout=60) as client:
            _prepare_server(client, sample)
    except BaseException:
        running.stop()
        raise
    return Target(db, running, sample, requests, tokens)


def _throughput(target: Target, args: argparse.Namespace, figures: Figures) -> None:
    """/health, the bearer check alone and single eligibility, each at `--connections`."""
    base, work, warm = target.running.base_url, args.dir / "run", min(3.0, args.duration)
    health = [load.Request("/health")]
    # the bearer check alone (no handler query): splits the eligibility cost in two
    me = [load.Request("/api/v1/auth/me", n) for n in range(len(target.tokens))]
    # the checks' warm-up lasts long enough to send every (worker, route) pair at least once
    # (~500 req/s at worst), so the routes are in the read cache as in steady use
    warm_checks = max(warm, len(target.requests) / 500)
    log(f"  warm-up {warm:.0f} s (health) and {warm_checks:.0f} s (checks), then "
        f"{args.duration:.0f} s each at {args.connections} connections")
    for what, seconds in ((health, warm), (target.requests, warm_checks)):
        load.run(base, what, target.tokens, connections=args.connections, seconds=seconds,
                 workdir=work, threads=args.threads)
    runs = (("GET /health", health), ("GET /api/v1/auth/me", me),
            ("GET /api/v1/eligibility", target.requests))
    results = []
    for label, what in runs:
        cpu_before = target.running.cpu_seconds()
        result = load.run(base, what, target.tokens, connections=args.connections,
                          seconds=args.duration, workdir=work, threads=args.threads)
        results.append(_record(result, label, figures,
                               target.running.cpu_seconds() - cpu_before))
    figures.health, figures.auth_only, figures.eligibility = results


def _two_workers(db: seed.BenchDb, args: argparse.Namespace, figures: Figures) -> None:
    """Single eligibility at `--connections` against `serve --workers 2` on the same database:
    what a second server process adds on this machine (wrk shares its cores)."""
    target = _start(db, args, batch_sets=0, workers=2)
    try:
        base, work = target.running.base_url, args.dir / "run"
        load.run(base, target.requests, target.tokens, connections=args.connections,
                 seconds=max(min(3.0, args.duration), len(target.requests) / 500),
                 workdir=work, threads=args.threads)  # both workers' caches warm
        result = load.run(base, target.requests, target.tokens, connections=args.connections,
                          seconds=args.duration, workdir=work, threads=args.threads)
        figures.two_workers = _record(result, "GET /api/v1/eligibility, 2 workers", figures)
    finally:
        target.running.stop()


def _batches(target: Target, args: argparse.Namespace, figures: Figures) -> None:
    """First calls on never-checked workers (cold signature cache), then `--batch-calls`
    calls on one set."""
    sample = target.sample
    with httpx.Client(base_url=target.running.base_url, timeout=60) as client:
        figures.batch_size = len(sample.batch_sets[0])
        figures.batch_cold_ms = [_batch(client, sample, ids) for ids in sample.batch_sets]
        log(f"  batch of {figures.batch_size:,}, first call on never-checked workers: " +
            ", ".join(f"{ms:.0f}" for ms in figures.batch_cold_ms) + " ms")
        _batch(client, sample, sample.batch_sets[0])
        figures.batch_ms = [_batch(client, sample, sample.batch_sets[0])
                            for _ in range(args.batch_calls)]
    log(f"  batch of {figures.batch_size:,}, {args.batch_calls} calls: median "
        f"{statistics.median(figures.batch_ms):.1f} ms, min {min(figures.batch_ms):.1f}, "
        f"max {max(figures.batch_ms):.1f}")


def _scale(big: Target, small: Target, args: argparse.Namespace, figures: Figures) -> None:
    """Single checks over one connection, alternating between the two servers in short
    rounds, so a change in the machine's background load hits both alike."""
    work, rounds = args.dir / "run", SCALE_ROUNDS
    seconds = max(2.0, args.duration / 2)
    log(f"\nscale: {rounds} alternating rounds of {seconds:.0f} s at one connection")
    for target in (big, small):
        load.run(target.running.base_url, target.requests, target.tokens, connections=1,
                 seconds=min(3.0, args.duration), workdir=work)
    p50s: dict[str, list[float]] = {big.name: [], small.name: []}
    cpu: dict[str, list[float]] = {big.name: [], small.name: []}
    for _ in range(rounds):
        for target in (big, small):
            cpu_before = target.running.cpu_seconds()
            result = load.run(target.running.base_url, target.requests, target.tokens,
                              connections=1, seconds=seconds, workdir=work)
            cpu[target.name].append((target.running.cpu_seconds() - cpu_before) * 1000 /
                                    max(1, result.requests))
            if not result.clean:
                figures.problems.append(f"scale probe on {target.name}: {result.errors} "
                                        f"errors, {result.non_2xx} non-2xx")
            p50s[target.name].append(result.p50_ms)
    figures.scale_ratios = [b / s for b, s in zip(p50s[big.name], p50s[small.name],
                                                  strict=True) if s]
    for target in (big, small):
        figures.single_p50_ms[target.name] = statistics.median(p50s[target.name])
        figures.single_cpu_ms[target.name] = statistics.median(cpu[target.name])
        log(f"  {target.name} ({target.db.label}): p50 per round " +
            ", ".join(f"{ms:.2f}" for ms in p50s[target.name]) + " ms; server CPU per "
            "check " + ", ".join(f"{ms:.2f}" for ms in cpu[target.name]) + " ms")


def _measure(big_db: seed.BenchDb, small_db: seed.BenchDb, args: argparse.Namespace,
             figures: Figures) -> None:
    """Throughput and batch on the big database alone; then the small one's server joins for
    the scale comparison. Peak memory is the big server's."""
    big = _start(big_db, args, batch_sets=4)
    try:
        _throughput(big, args, figures)
        _batches(big, args, figures)
        small = _start(small_db, args, batch_sets=0)
        try:
            _scale(big, small, args, figures)
        finally:
            small.running.stop()
        figures.rss_kib[big.name] = big.running.peak_rss()
    finally:
        big.running.stop()
    _two_workers(big_db, args, figures)


def _count(workers: int) -> str:
    return f"{workers // 1000}k" if workers >= 1000 and workers % 1000 == 0 else f"{workers}"


def _summary(figures: Figures, big: seed.BenchDb, small: seed.BenchDb) -> list[Figure]:
    big_name, small_name = seed.database_name(big.url), seed.database_name(small.url)
    health, me, single = figures.health, figures.auth_only, figures.eligibility
    ratio = single["rps"] / health["rps"] if health.get("rps") else 0.0
    me_ratio = me["rps"] / health["rps"] if health.get("rps") else 0.0
    batch = statistics.median(figures.batch_ms)
    cold = statistics.median(figures.batch_cold_ms)
    scale = statistics.median(figures.scale_ratios) if figures.scale_ratios else 0.0
    rss = sum(figures.rss_kib[big_name].values()) / 1024
    two = figures.two_workers.get("rps", 0.0)
    c, n = figures.connections, f"{figures.batch_size:,}"

    def latency(result: dict[str, float]) -> str:
        return f"{result['p50_ms']:.1f} / {result['p99_ms']:.1f} ms"

    return [
        Figure(f"GET /health, req/s ({c} conn)", f"{health['rps']:,.0f}"),
        Figure("GET /health, p50 / p99", latency(health)),
        Figure("GET /api/v1/auth/me, req/s ÷ health", f"{me['rps']:,.0f} ({me_ratio:.2f})",
               f">= {TARGET_AUTH_RATIO}", me_ratio >= TARGET_AUTH_RATIO),
        Figure("GET /api/v1/auth/me, p50 / p99", latency(me), f"p99 <= {TARGET_P99_MS:.0f} ms",
               me["p99_ms"] <= TARGET_P99_MS),
        Figure("single eligibility, req/s", f"{single['rps']:,.0f}"),
        Figure("single eligibility, p50 / p99", latency(single),
               f"p99 <= {TARGET_P99_MS:.0f} ms", single["p99_ms"] <= TARGET_P99_MS),
        Figure("eligibility ÷ health throughput", f"{ratio:.3f}", f">= {TARGET_RATIO}",
               ratio >= TARGET_RATIO),
        Figure("server CPU/request: health, me, eligibility", " / ".join(
            f"{r['cpu_ms']:.2f}" for r in (health, me, single)) + " ms"),
        Figure("single eligibility, serve --workers 2, req/s",
               f"{two:,.0f} (×{two / single['rps']:.2f})" if single.get("rps") else "—"),
        Figure(f"batch of {n}, warm (median of {len(figures.batch_ms)})", f"{batch:.1f} ms",
               f"<= {TARGET_BATCH_MS:.0f} ms", batch <= TARGET_BATCH_MS),
        Figure(f"batch of {n}, never-checked workers", f"{cold:.1f} ms",
               f"<= {TARGET_COLD_BATCH_MS:.0f} ms", cold <= TARGET_COLD_BATCH_MS),
        Figure("single check p50 (1 conn), small / big", f"{figures.single_p50_ms[small_name]:.2f}"
               f" / {figures.single_p50_ms[big_name]:.2f} ms"),
        Figure(f"scale ratio, {_count(big.workers)} ÷ {_count(small.workers)} workers",
               f"{scale:.2f}", f"<= {TARGET_SCALE}", scale <= TARGET_SCALE),
        Figure("server peak RSS (all processes)", f"{rss:.0f} MB", f"<= {TARGET_RSS_MB:.0f} MB",
               rss <= TARGET_RSS_MB),
    ]


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    if args.imports_only:
        return imports.main(["--dir", str(args.dir)])
    named = os.environ.get("KT1_DATABASE_URL")
    engines = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    by_engine: dict[str, list[Figure]] = {}
    problems: list[str] = []
    if named:  # that database alone, whichever engine it is
        engine = "SQLite" if seed.sqlite_path(named) else "PostgreSQL"
        by_engine[engine] = _run(args, named, problems)
    for engine in () if named else engines:
        if engine == "postgresql":
            with throwaway.throwaway_postgres(args.dir) as url:
                by_engine["PostgreSQL"] = _run(args, url, problems)
        else:
            by_engine["SQLite"] = _run(args, None, problems)
    if args.seed_only:
        return 0
    log(f"\nKT1 bench results ({'wrk' if load.have_wrk() else 'bench.client'}, "
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {os.cpu_count()} CPUs)")
    lines = combined(by_engine)
    for line in lines:
        log(line)
    for problem in problems:
        log(f"WARNING: {problem}")
    out = args.dir / f"table-{datetime.now():%Y%m%d-%H%M%S}.txt"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"(table saved to {out})")
    return 0


def _run(args: argparse.Namespace, database_url: str | None, problems: list[str]
         ) -> list[Figure]:
    """Every scenario asked for on one engine; its figures (and the details as JSON)."""
    big, small = _databases(args, database_url)
    figures = Figures(workers=args.workers, small_workers=args.small,
                      tool="wrk" if load.have_wrk() else "bench.client",
                      connections=args.connections, duration_s=args.duration,
                      load_average=os.getloadavg())
    log(f"KT1 bench on {seed.database_name(big.url)}: {args.workers:,} workers (scale "
        f"comparison at {args.small:,}), {os.cpu_count()} CPUs, load average "
        f"{figures.load_average[0]:.2f}")
    if figures.load_average[0] > 0.5:
        log("note: the machine is busy; other processes compete with the server for the CPU")
    eligibility = args.scenario in ("all", "eligibility")
    if eligibility:
        _seed_all(big, small, args.dir / "keys", figures)
    if args.seed_only:
        if args.scenario in ("all", "worker-list"):
            asyncio.run(worker_list.seed_list(worker_list.list_db(
                big, args.dir, args.list_workers), args.dir / "keys", log))
        return []
    if not load.have_wrk():
        log(f"\n*** {load.WRK_MISSING}\n")
    rows: list[Figure] = []
    details: dict[str, object] = {}
    if eligibility:
        _measure(big, small, args, figures)
        rows += _summary(figures, big, small)
    if args.scenario in ("all", "writes"):
        wrote = writes.run(args.dir, database_url, max(3.0, args.duration))
        rows += writes.summary(wrote)
        details["writes"] = asdict(wrote)
    if args.scenario in ("all", "cycles"):
        cycled = cycles.run(args.dir, database_url, max(3.0, args.duration))
        rows += cycles.summary(cycled)
        details["cycles"] = asdict(cycled)
    if args.scenario == "all" and not args.no_imports:
        imported = imports.run(imports.DEFAULT_ROWS, args.dir, database_url)
        rows += imports.summary(imported)
        details["imports"] = asdict(imported)
    if args.scenario in ("all", "worker-list"):
        listed = worker_list.run(big, args.dir, args.list_workers,
                                 seconds=max(2.0, args.duration / 2), log=log)
        rows += worker_list.summary(listed)
        figures.problems += listed.problems
        details["worker_list"] = asdict(listed)
    problems += figures.problems
    out = args.dir / f"results-{seed.database_name(big.url)}-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps({**asdict(figures), **details,
                               "table": [asdict(r) for r in rows]}, indent=2, default=str),
                   encoding="utf-8")
    log(f"(figures saved to {out})")
    return rows


if __name__ == "__main__":
    sys.exit(main())
