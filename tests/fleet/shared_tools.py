"""Fleet tools for the shared-state tests: gateway nodes (with several workers) on one PostgreSQL database
and one Redis, a Redis server of the test's own that it can stop and start again, and bounded waits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import MASTER, SECRET, SETTING_PREFIXES, Gateway, database_url, free_port, stop_gateway

MACHINE_REDIS = "redis://127.0.0.1:6379/0"


class RedisServer:
    """A ``redis-server`` on a free loopback port, without persistence; ``stop()`` and ``start()`` again keep
    the port, so gateways pointed at it reconnect."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.binary, self.workdir, self.port = binary, workdir, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, "the test's redis-server to answer", 10)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def _answers(self) -> bool:
        import redis
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False


def wait_until(check: Callable[[], Any], what: str, timeout: float) -> Any:
    """Poll ``check`` until it is truthy, at most ``timeout`` seconds (a bound, never a timing assertion)."""
    end = time.monotonic() + timeout
    while True:
        if result := check():
            return result
        if time.monotonic() >= end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def _launch(data_dir: Path, env: dict[str, str], config: Path, workers: int) -> Gateway:
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    full.update({"IMAGEGATE_MASTER_KEY": MASTER, "IMAGEGATE_DATA_DIR": str(data_dir), "IMAGEGATE_SECRET": SECRET,
                 "IMAGEGATE_HOST": "127.0.0.1", "IMAGEGATE_PORT": str(port), "IMAGEGATE_KEY_CACHE_TTL": "0",
                 "IMAGEGATE_CONFIG": str(config), "TMPDIR": str(data_dir / "tmp"), **env})
    (data_dir / "tmp").mkdir(parents=True, exist_ok=True)
    log = data_dir / "gateway.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "imagegate", "serve", "--log-level", "info",
                                    "--workers", str(workers)], env=full, stdout=out, stderr=subprocess.STDOUT)
    return Gateway(f"http://127.0.0.1:{port}", data_dir, full, process, log)


def _ready(gateway: Gateway) -> None:
    def up() -> bool:
        if gateway.process.poll() is not None:
            raise RuntimeError(f"imagegate exited early:\n{gateway.log.read_text()}")
        try:
            return httpx.get(f"{gateway.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False
    wait_until(up, f"{gateway.url} to start", 90)


@contextmanager
def fleet(tmp_path: Path, config: Path, env: dict[str, str], nodes: int = 3, workers: int = 1,
          redis_url: str = MACHINE_REDIS) -> Iterator[list[Gateway]]:
    """``nodes`` gateways of ``workers`` workers each on a fresh PostgreSQL database and ``redis_url`` (under a
    prefix of their own), started one after the other: on a loaded machine, a worker that starts too slowly
    is killed by uvicorn's supervisor, so they are not made to compete for the CPU."""
    shared = {"IMAGEGATE_DATABASE_URL": database_url("postgresql", tmp_path), "IMAGEGATE_REDIS_URL": redis_url,
              "IMAGEGATE_REDIS_PREFIX": f"igfleet-{uuid.uuid4().hex[:12]}", **env}
    with ExitStack() as stack:
        gateways: list[Gateway] = []
        for i in range(nodes):
            gateway = _launch(tmp_path / f"node-{i}", shared, config, workers)
            stack.callback(stop_gateway, gateway)
            gateways.append(gateway)
            _ready(gateway)
        yield gateways


def health(gateway: Gateway) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{gateway.url}/healthz", timeout=5).json()
    return answer


def generate_all(gateways: list[Gateway], count: int, model: str) -> list[str]:
    """``count`` concurrent image requests spread over ``gateways``; the error of each that failed."""
    def one(i: int) -> str:
        with gateways[i % len(gateways)].client() as sdk:
            try:
                sdk.images.generate(model=model, prompt=f"fleet {i}", response_format="b64_json")
            except Exception as exc:  # every failure is reported, whatever its kind
                return f"request {i}: {exc!r}"
        return ""

    with ThreadPoolExecutor(count) as pool:
        return [error for error in pool.map(one, range(count)) if error]
