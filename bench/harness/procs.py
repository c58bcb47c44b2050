"""Process helpers: start pinned servers in their own process group, stop them, read /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    """A process started by the harness; stopped by killing its whole process group."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    port: int

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, grace: float = 8.0) -> None:
        """SIGTERM the process group, then SIGKILL after `grace` seconds."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        # Also reap stragglers left in the group (e.g. worker processes).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    core: int,
    env: Mapping[str, str],
    log_path: Path,
    port: int,
    cwd: Path | None = None,
) -> Server:
    """Start `argv` pinned to `core` with taskset, in a new session (own process group)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            ["taskset", "-c", str(core), *argv],
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name=name, proc=proc, log_path=log_path, port=port)


def wait_http_ok(server: Server, url: str, timeout: float) -> bool:
    """Poll `url` (GET) until it answers 2xx, the process dies, or `timeout` passes."""
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if not server.alive():
            return False
        try:
            with opener.open(url, timeout=2) as resp:
                if 200 <= resp.status < 300:
                    return True
        except (urllib.error.URLError, OSError, TimeoutError):
            pass
        time.sleep(0.25)
    return False


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants (from /proc/*/stat ppid fields)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree: list[int] = []
    todo = [root]
    while todo and len(tree) < 10_000:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(pids: Sequence[int]) -> float:
    """Sum of utime+stime (seconds) of `pids` that still exist."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / CLK_TCK


def status_kb(pid: int, key: str) -> int:
    """A `kB` field (VmRSS, VmHWM) of /proc/<pid>/status, 0 if unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mb(pids: Sequence[int]) -> float:
    return sum(status_kb(p, "VmRSS") for p in pids) / 1024


def hwm_mb(pids: Sequence[int]) -> float:
    return sum(status_kb(p, "VmHWM") for p in pids) / 1024


def core_times() -> dict[int, tuple[float, float]]:
    """Per-core (busy, total) seconds from /proc/stat; busy excludes idle and iowait."""
    out: dict[int, tuple[float, float]] = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *vals = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        ticks = [int(v) for v in vals[:8]]  # user nice system idle iowait irq softirq steal
        total = sum(ticks)
        out[int(name[3:])] = ((total - ticks[3] - ticks[4]) / CLK_TCK, total / CLK_TCK)
    return out


def core_busy_pct(
    before: dict[int, tuple[float, float]], after: dict[int, tuple[float, float]]
) -> dict[int, float]:
    """Busy percentage of each core between two core_times() snapshots."""
    out = {}
    for core, (busy, total) in after.items():
        b0, t0 = before.get(core, (busy, total))
        out[core] = round(100 * (busy - b0) / (total - t0), 1) if total > t0 else 0.0
    return out


def machine_busy_pct(seconds: float) -> float:
    """Whole-machine busy percentage (0-100 per core, summed) over `seconds`."""
    before = core_times()
    time.sleep(seconds)
    return sum(core_busy_pct(before, core_times()).values())


@dataclass
class Sampler:
    """Samples a process tree's CPU time and RSS on a background thread during one cell."""

    root: int
    interval: float = 0.05
    max_seconds: float = 3600.0
    peak_rss_mb: float = 0.0
    cpu_start: float = 0.0
    cpu_end: float = 0.0
    wall_start: float = 0.0
    wall_end: float = 0.0
    core_busy: dict[int, float] = field(default_factory=dict)
    _cores_start: dict[int, tuple[float, float]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        pids = process_tree(self.root)
        self.cpu_start = cpu_seconds(pids)
        self.peak_rss_mb = rss_mb(pids)
        self._cores_start, self.wall_start = core_times(), time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        pids = process_tree(self.root)
        ticks = 0
        while not self._stop.wait(self.interval) and time.monotonic() < deadline:
            ticks += 1
            if ticks % 20 == 0:  # pick up new worker processes once a second
                pids = process_tree(self.root)
            self.peak_rss_mb = max(self.peak_rss_mb, rss_mb(pids))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        pids = process_tree(self.root)
        self.peak_rss_mb = max(self.peak_rss_mb, rss_mb(pids))
        self.cpu_end = cpu_seconds(pids)
        self.core_busy, self.wall_end = core_busy_pct(self._cores_start, core_times()), time.monotonic()

    @property
    def cpu_used(self) -> float:
        return self.cpu_end - self.cpu_start

    @property
    def cpu_pct(self) -> float:
        """The tree's CPU use as a percentage of one core over the sampled wall time."""
        wall = self.wall_end - self.wall_start
        return round(100 * self.cpu_used / wall, 1) if wall > 0 else 0.0
