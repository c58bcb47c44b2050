"""End-to-end fixtures: a fake OpenAI upstream and imagegate itself, each a real HTTP server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest

from tests.conftest import BACKENDS, database_url
from tests.fakes.openai_upstream import FakeOpenAI

MASTER = "ig-test-master-key"
SECRET = "test-signing-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Gateway:
    url: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "imagegate", *args], env=self.env, capture_output=True,
                              text=True, timeout=60, check=False)

    def client(self, key: str = MASTER) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=key, max_retries=0, timeout=30)

    def http(self, key: str | None = MASTER) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def reset_channels(self) -> None:
        """Reload the channels, which clears their health (cooldowns, a channel disabled by a 401)."""
        with self.http() as http:
            response = http.post("/admin/reload")
        assert response.status_code == 200, response.text


def start_gateway(data_dir: Path, extra_env: dict[str, str], config: Path | None = None) -> Gateway:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMAGEGATE_", "OPENAI_", "BFL_", "FAL_"))}
    env.update({
        "IMAGEGATE_MASTER_KEY": MASTER, "IMAGEGATE_DATA_DIR": str(data_dir), "IMAGEGATE_SECRET": SECRET,
        "IMAGEGATE_HOST": "127.0.0.1", "IMAGEGATE_PORT": str(port), "IMAGEGATE_KEY_CACHE_TTL": "0",
        "TMPDIR": str(data_dir / "tmp"), **extra_env,
    })
    (data_dir / "tmp").mkdir(exist_ok=True)
    if config is not None:
        env["IMAGEGATE_CONFIG"] = str(config)
    log = data_dir / "gateway.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "imagegate", "serve", "--log-level", "info"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    gateway = Gateway(f"http://127.0.0.1:{port}", data_dir, env, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"imagegate exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{gateway.url}/healthz", timeout=1).status_code == 200:
                return gateway
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"imagegate did not start:\n{log.read_text()}")


def stop_gateway(gateway: Gateway) -> None:
    gateway.process.terminate()
    try:
        gateway.process.wait(10)
    except subprocess.TimeoutExpired:
        gateway.process.kill()
        gateway.process.wait(5)


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


# One upstream, no retries: each upstream fault reaches the client, so its mapping can be checked
# (failover and Retry-After rests are tested with several upstreams in test_failover.py).
SINGLE_CHANNEL_ENV = {"IMAGEGATE_MAX_ATTEMPTS": "1", "IMAGEGATE_RETRY_AFTER_MAX": "0"}


@pytest.fixture(scope="session")
def gateway(upstream: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {"OPENAI_API_KEY": upstream.api_key, "OPENAI_BASE_URL": upstream.base_url,
           "IMAGEGATE_UPSTREAM_TIMEOUT": "3", **SINGLE_CHANNEL_ENV}
    gw = start_gateway(tmp_path_factory.mktemp("gateway"), env)
    yield gw
    stop_gateway(gw)


@pytest.fixture(autouse=True)
def _clean_upstream(request: pytest.FixtureRequest) -> Iterator[None]:
    if "upstream" in request.fixturenames:
        request.getfixturevalue("upstream").reset()
    for name in ("gateway", "ledger"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset_channels()
    yield


@pytest.fixture
def client(gateway: Gateway) -> openai.OpenAI:
    return gateway.client()


@pytest.fixture(scope="session", params=BACKENDS)
def ledger(request: pytest.FixtureRequest, upstream: FakeOpenAI,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway per ledger backend (SQLite, PostgreSQL), each on a fresh database."""
    data_dir = tmp_path_factory.mktemp(f"ledger-{request.param}")
    env = {"OPENAI_API_KEY": upstream.api_key, "OPENAI_BASE_URL": upstream.base_url,
           "IMAGEGATE_UPSTREAM_TIMEOUT": "5", "IMAGEGATE_DATABASE_URL": database_url(request.param, data_dir),
           **SINGLE_CHANNEL_ENV}
    gw = start_gateway(data_dir, env)
    yield gw
    stop_gateway(gw)


@pytest.fixture
def slow_upstream(upstream: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """The upstream, answering after a second (requests overlap; clients can leave mid-request)."""
    upstream.delay = 1.0
    yield upstream
    upstream.delay = 0.0
