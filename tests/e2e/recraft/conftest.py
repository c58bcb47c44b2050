"""Recraft fixtures: a fake Recraft and a gateway on its key alone (each fault reaches the client), and a
gateway with two Recraft channels (the first one failing over to the second)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.fakes.recraft_upstream import FakeRecraft
from tests.harness import Gateway, running

FAST = {"IMAGEGATE_RETRY_BACKOFF": "0.01", "IMAGEGATE_RETRY_AFTER_MAX": "0", "IMAGEGATE_ALLOWED_FAILS": "100",
        "IMAGEGATE_UPSTREAM_TIMEOUT": "2"}


@pytest.fixture(scope="session")
def recraft() -> Iterator[FakeRecraft]:
    with FakeRecraft() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture(scope="session")
def backup() -> Iterator[FakeRecraft]:
    with FakeRecraft("recraft-backup-token-987654") as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture(scope="session")
def recraft_gateway(recraft: FakeRecraft, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {"RECRAFT_API_KEY": recraft.api_key, "RECRAFT_BASE_URL": recraft.base_url, "IMAGEGATE_MAX_ATTEMPTS": "1",
           **FAST}
    with running(tmp_path_factory.mktemp("recraft-gateway"), env) as gateway:
        yield gateway


@pytest.fixture(scope="session")
def failover_gateway(recraft: FakeRecraft, backup: FakeRecraft, tmp_path_factory: pytest.TempPathFactory
                     ) -> Iterator[Gateway]:
    data_dir = Path(tmp_path_factory.mktemp("recraft-failover"))
    config = data_dir / "imagegate.toml"
    config.write_text(f'''[[channels]]
name = "recraft-main"
provider = "recraft"
base_url = "{recraft.base_url}"
api_key = "{recraft.api_key}"
models = ["recraftv4_1"]
priority = 1

[[channels]]
name = "recraft-backup"
provider = "recraft"
base_url = "{backup.base_url}"
api_key = "{backup.api_key}"
models = ["recraftv4_1"]
''')
    with running(data_dir, {"IMAGEGATE_MAX_ATTEMPTS": "3", **FAST}, config) as gateway:
        yield gateway


@pytest.fixture
def client(recraft_gateway: Gateway, recraft: FakeRecraft) -> Iterator[openai.OpenAI]:
    recraft.reset()
    recraft_gateway.reset_channels()
    with recraft_gateway.client() as sdk:
        yield sdk
