"""The gateway as a subprocess, for end-to-end tests and benchmarks, and the ledger databases it runs on.

:func:`start_gateway` runs ``python -m imagegate serve`` on a free port with a clean environment (no
``IMAGEGATE_*`` or provider variable of the machine leaks in), waits for ``/healthz`` and returns a
:class:`Gateway`; :func:`running` does the same as a context manager that always stops it.

Ledger backends: SQLite always; PostgreSQL when reachable, each test in a fresh database.
``IMAGEGATE_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/test``) is used only to
create and drop databases named ``imagegate_t_<run>_<n>``; ``tests/conftest.py`` probes it and reports.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import asyncpg
import httpx
import openai
import pytest

from imagegate.providers.registry import Registry

if TYPE_CHECKING:
    from tests.fakes.openai_upstream import FakeOpenAI

MASTER = "ig-test-master-key"
SECRET = "test-signing-secret"
# Variables a gateway under test never inherits from the machine: its settings and the providers' keys.
def _provider_variables() -> tuple[str, ...]:
    """Every registered provider's key and base-URL variables (``GEMINI_API_KEY``, ``FAL_KEY``, ...)."""
    specs = Registry.load().specs.values()
    return tuple(name for spec in specs if spec.env is not None for name in (spec.env.key_var, spec.env.base_var))


SETTING_PREFIXES = ("IMAGEGATE_", "OPENAI_", "BFL_", "FAL_", *_provider_variables())
# One upstream, no retries: each upstream fault reaches the client, so its mapping can be checked
# (failover and Retry-After rests are tested with several upstreams in test_failover.py).
SINGLE_CHANNEL_ENV = {"IMAGEGATE_MAX_ATTEMPTS": "1", "IMAGEGATE_RETRY_AFTER_MAX": "0"}
# Retries that keep a test quick: three attempts with a short backoff, a Retry-After rest of at most a second,
# a 2 s upstream timeout, and a channel that is not cooled down by the faults a test injects.
FAST_RETRY_ENV = {"IMAGEGATE_RETRY_BACKOFF": "0.01", "IMAGEGATE_MAX_ATTEMPTS": "3", "IMAGEGATE_RETRY_AFTER_MAX": "1",
                  "IMAGEGATE_ALLOWED_FAILS": "100", "IMAGEGATE_UPSTREAM_TIMEOUT": "2"}


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
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
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


@contextmanager
def running(data_dir: Path, extra_env: dict[str, str], config: Path | None = None) -> Iterator[Gateway]:
    """A gateway for the ``with`` block (a fixture's whole life: ``with running(...) as gw: yield gw``)."""
    gateway = start_gateway(data_dir, extra_env, config)
    try:
        yield gateway
    finally:
        stop_gateway(gateway)


class Resettable(Protocol):
    """A fake upstream that forgets its requests and queued faults on ``reset()``."""

    def reset(self) -> None: ...


@contextmanager
def fresh_client(gateway: Gateway, *fakes: Resettable, key: str = MASTER) -> Iterator[openai.OpenAI]:
    """An SDK client of ``gateway`` (with ``key``) after resetting ``fakes`` and the gateway's channel health."""
    for fake in fakes:
        fake.reset()
    gateway.reset_channels()
    with gateway.client(key) as sdk:
        yield sdk


def openai_env(fake: FakeOpenAI) -> dict[str, str]:
    """The variables that make ``fake`` the gateway's implicit OpenAI channel."""
    return {"OPENAI_API_KEY": fake.api_key, "OPENAI_BASE_URL": fake.base_url}


# --- ledger databases ------------------------------------------------------------------------------------

# Taken out of the environment: it is no setting, and the CLI run in-process would refuse it as unknown.
ADMIN_URL = os.environ.pop("IMAGEGATE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


class Postgres:
    """Creates and drops the test run's databases through the admin URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.run = uuid.uuid4().hex[:8]
        self.counter = itertools.count(1)
        self.created: list[str] = []
        self.error: str | None = None
        self.skipped = 0

    async def _execute(self, sql: str) -> None:
        conn = await asyncpg.connect(self.admin_url, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def probe(self) -> None:
        try:
            asyncio.run(self._execute("SELECT 1"))
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy async URL."""
        name = f"imagegate_t_{self.run}_{next(self.counter)}"
        asyncio.run(self._execute(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        base = self.admin_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        return f"{base.rsplit('/', 1)[0]}/{name}"

    def drop_all(self) -> None:
        for name in self.created:
            asyncio.run(self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.created.clear()


POSTGRES = Postgres(ADMIN_URL)


def database_url(backend: str, directory: Path) -> str:
    """A fresh ledger database of ``backend`` (SQLite: a file in ``directory``)."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{directory / 'imagegate.db'}"
    if POSTGRES.error is not None:
        pytest.skip(f"POSTGRESQL UNREACHABLE at {ADMIN_URL}: {POSTGRES.error}")
    return POSTGRES.new_database()
