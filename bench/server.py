"""The real server, started as `make run` starts it (`kt1vet serve`: migrate, bootstrap,
granian) but on a bench database and a free port, and measured from outside its processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

T = TypeVar("T")
READY_TIMEOUT_S = 300.0  # the first start on a big database runs the migrations check


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def kt1vet() -> Path:
    """The console script next to this interpreter: the one `make run` uses."""
    return Path(sys.executable).parent / "kt1vet"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields start after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def process_tree(pid: int) -> list[int]:
    """`pid` and every descendant (granian's main process and its worker processes)."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(_children(current))
    return tree


def peak_rss_kib(pid: int) -> int:
    """The kernel's high-water mark of resident memory (VmHWM) of one process, in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time one process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy (every process, every core), from /proc/stat:
    with the server's own, it shows whether a figure is bounded by the CPUs."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuUse:
    """What one measured run cost in CPU: the server's processes and the whole machine."""

    server_s: float
    machine_s: float
    wall_s: float

    def server_ms_per(self, operations: int) -> float:
        return self.server_s * 1000 / operations if operations else 0.0

    @property
    def machine_busy(self) -> float:
        """The share of all the machine's cores that was busy."""
        return self.machine_s / (self.wall_s * (os.cpu_count() or 1)) if self.wall_s else 0.0


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_rss(self) -> dict[int, int]:
        """VmHWM per process of the server (KiB); read while it still runs."""
        return {pid: peak_rss_kib(pid) for pid in process_tree(self.process.pid)}

    def cpu_seconds(self) -> float:
        """CPU time of every server process: per request, it does not depend on how busy the
        machine is, unlike req/s."""
        return sum(cpu_seconds(pid) for pid in process_tree(self.process.pid))

    def measured(self, work: Callable[[], T]) -> tuple[T, CpuUse]:
        """Run `work` (the load) and what it cost the server and the machine in CPU."""
        server_before, machine_before = self.cpu_seconds(), machine_busy_seconds()
        began = time.perf_counter()
        result = work()
        return result, CpuUse(self.cpu_seconds() - server_before,
                              machine_busy_seconds() - machine_before,
                              time.perf_counter() - began)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGINT as a terminal would send it; granian stops its workers. Anything of ours
        still alive after that is killed by its process id."""
        tree = process_tree(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for pid in tree[1:]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def start(database_url: str, keys_dir: Path, log_path: Path, *, workers: int = 1) -> Server:
    """`kt1vet serve [--workers N]` with the bench database, keys and a free port; waits for
    /ready."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("KT1_")}
    env.update({"KT1_DATABASE_URL": database_url, "KT1_KEYS_DIR": str(keys_dir),
                "KT1_HOST": "127.0.0.1", "KT1_PORT": str(port)})
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        command = [str(kt1vet()), "serve", *(["--workers", str(workers)] if workers > 1 else [])]
        process = subprocess.Popen(command, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(process=process, port=port, log_path=log_path)
    deadline = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}:\n"
                                   f"{server.log_tail()}")
            try:
                if client.get(f"{server.base_url}/ready").status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"the server was not ready within {READY_TIMEOUT_S:.0f} s:\n"
                       f"{server.log_tail()}")
