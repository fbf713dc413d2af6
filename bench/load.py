"""Driving the server from another process: `wrk` when installed (C, so the load generator
takes little of the two cores from the server), otherwise the asyncio client in
`bench.client`, run as its own process. Both rotate through a fixed list of requests."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

WRK_MISSING = ("wrk is not installed: falling back to the asyncio client (`python -m "
               "bench.client`), which is slower and shares the CPU with the server, so its "
               "req/s figures are LOWER BOUNDS. Install wrk for real figures: "
               "apt-get install -y wrk")


@dataclass(frozen=True, slots=True)
class Request:
    """A GET of `path`, with the bearer token `tokens[token]` when `token` is set."""

    path: str
    token: int | None = None


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # connect/read/write errors and timeouts
    non_2xx: int
    tool: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def clean(self) -> bool:
        return self.errors == 0 and self.non_2xx == 0 and self.requests > 0


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


#: How a request carries its caller: the API's bearer token, or a page session's cookie.
BEARER = ("Authorization", "Bearer ")
PAGE_COOKIE = ("Cookie", "kt1_session=")


def _wrk_script(requests: list[Request], tokens: list[str],
                carrier: tuple[str, str] = BEARER) -> str:
    """Each wrk thread builds every request once, then rotates from its own offset;
    `done` prints one machine-readable line with the exact percentiles."""
    paths = ",\n".join(f"{{{_lua_string(r.path)}, {0 if r.token is None else r.token + 1}}}"
                       for r in requests)
    header, prefix = carrier
    bearer = ",\n".join(_lua_string(f"{prefix}{t}") for t in tokens)
    return f"""
local items = {{
{paths}
}}
local tokens = {{
{bearer}
}}
local threads = 0
function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end
function init(args)
  built = {{}}
  for k, item in ipairs(items) do
    if item[2] > 0 then
      built[k] = wrk.format("GET", item[1], {{[{_lua_string(header)}] = tokens[item[2]]}})
    else
      built[k] = wrk.format("GET", item[1])
    end
  end
  position = (offset or 0) % #built
end
function request()
  position = position % #built + 1
  return built[position]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %.1f %.1f %d %d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def _run_wrk(base_url: str, requests: list[Request], tokens: list[str], *, connections: int,
             seconds: float, threads: int, workdir: Path,
             carrier: tuple[str, str] = BEARER) -> LoadResult:
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "rotate.lua"
    script.write_text(_wrk_script(requests, tokens, carrier), encoding="utf-8")
    command = ["wrk", "-t", str(min(threads, connections)), "-c", str(connections),
               "-d", f"{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script),
               base_url]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            count, micros, p50, p99, errors, non_2xx = line.split()[1:]
            return LoadResult(requests=int(count), seconds=int(micros) / 1e6,
                              p50_ms=float(p50) / 1000, p99_ms=float(p99) / 1000,
                              errors=int(errors), non_2xx=int(non_2xx), tool="wrk")
    raise RuntimeError(f"wrk printed no result (exit {done.returncode}):\n{done.stdout}\n"
                       f"{done.stderr}")


def _run_client(base_url: str, requests: list[Request], tokens: list[str], *,
                connections: int, seconds: float, workdir: Path,
                carrier: tuple[str, str] = BEARER) -> LoadResult:
    workdir.mkdir(parents=True, exist_ok=True)
    spec = workdir / "client.json"
    spec.write_text(json.dumps({
        "base_url": base_url, "connections": connections, "seconds": seconds,
        "requests": [[r.path, None if r.token is None
                      else f"{carrier[0]}: {carrier[1]}{tokens[r.token]}"]
                     for r in requests]}), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "bench.client", str(spec)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench.client failed:\n{done.stderr}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return LoadResult(tool="bench.client", **data)


def run(base_url: str, requests: list[Request], tokens: list[str], *, connections: int,
        seconds: float, workdir: Path, threads: int = 1,
        carrier: tuple[str, str] = BEARER) -> LoadResult:
    """`connections` keep-alive connections for `seconds`, from another process; each
    request's caller carried as `carrier` says (a bearer token or a page cookie)."""
    if have_wrk():
        return _run_wrk(base_url, requests, tokens, connections=connections, seconds=seconds,
                        threads=threads, workdir=workdir, carrier=carrier)
    return _run_client(base_url, requests, tokens, connections=connections, seconds=seconds,
                       workdir=workdir, carrier=carrier)
