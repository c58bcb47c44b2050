"""A gateway run as ``imagegate serve --workers N`` (a supervisor and N worker processes), its workers, and
its metrics directory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.harness import MASTER, SECRET, SETTING_PREFIXES, Gateway, free_port, stop_gateway

SAMPLE = re.compile(r"([a-z_]+)\{(.*)\} (\S+)")


@contextmanager
def serving_workers(data_dir: Path, extra_env: dict[str, str], workers: int) -> Iterator[Gateway]:
    """``imagegate serve --workers N`` on a free port for the ``with`` block; its temp dir is ``data_dir/tmp``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith((*SETTING_PREFIXES, "PROMETHEUS_"))}
    env.update({"IMAGEGATE_MASTER_KEY": MASTER, "IMAGEGATE_DATA_DIR": str(data_dir), "IMAGEGATE_SECRET": SECRET,
                "IMAGEGATE_HOST": "127.0.0.1", "IMAGEGATE_PORT": str(port), "IMAGEGATE_KEY_CACHE_TTL": "0",
                "TMPDIR": str(data_dir / "tmp"), **extra_env})
    (data_dir / "tmp").mkdir(exist_ok=True)
    log = data_dir / "gateway.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "imagegate", "serve", "--workers", str(workers)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    gateway = Gateway(f"http://127.0.0.1:{port}", data_dir, env, process, log)
    try:
        wait_until(lambda: len(worker_pids(gateway)) == workers and _healthy(gateway), log, process)
        yield gateway
    finally:
        stop_gateway(gateway)


def wait_until(ready: Callable[[], bool], log: Path, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        assert process.poll() is None, f"imagegate exited early:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"imagegate not ready:\n{log.read_text()}"
        time.sleep(0.1)


def _healthy(gateway: Gateway) -> bool:
    try:
        return httpx.get(f"{gateway.url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def worker_pids(gateway: Gateway) -> set[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    pid = gateway.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = set()
    for child in (children.read_text().split() if children.exists() else []):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"resource_tracker" not in cmdline:
            found.add(int(child))
    return found


def metrics_dir(gateway: Gateway) -> Path:
    return gateway.data_dir / "tmp" / f"imagegate-metrics-{gateway.process.pid}"


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of ``name`` in a ``/metrics`` text, with its labels."""
    found = []
    for line in text.splitlines():
        match = SAMPLE.fullmatch(line)
        if match and match[1] == name:
            labels = dict(pair.split("=", 1) for pair in match[2].split(","))
            found.append(({k: v.strip('"') for k, v in labels.items()}, float(match[3])))
    return found
