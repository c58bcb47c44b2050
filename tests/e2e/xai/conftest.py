"""xAI fixtures: a fake xAI and a gateway on its key alone (each fault reaches the client), and a
gateway with two xAI channels (the first one failing over to the second)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.fakes.xai_upstream import FakeXAI
from tests.harness import Gateway, running

FAST = {"IMAGEGATE_RETRY_BACKOFF": "0.01", "IMAGEGATE_RETRY_AFTER_MAX": "0", "IMAGEGATE_ALLOWED_FAILS": "100",
        "IMAGEGATE_UPSTREAM_TIMEOUT": "2"}


@pytest.fixture(scope="session")
def xai() -> Iterator[FakeXAI]:
    with FakeXAI() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture(scope="session")
def backup() -> Iterator[FakeXAI]:
    with FakeXAI("xai-BackupKey9876543210zyxwvutsrqponmlkjih") as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture(scope="session")
def xai_gateway(xai: FakeXAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {"XAI_API_KEY": xai.api_key, "XAI_BASE_URL": xai.base_url, "IMAGEGATE_MAX_ATTEMPTS": "1",
           **FAST}
    with running(tmp_path_factory.mktemp("xai-gateway"), env) as gateway:
        yield gateway


@pytest.fixture(scope="session")
def failover_gateway(xai: FakeXAI, backup: FakeXAI, tmp_path_factory: pytest.TempPathFactory
                     ) -> Iterator[Gateway]:
    data_dir = Path(tmp_path_factory.mktemp("xai-failover"))
    config = data_dir / "imagegate.toml"
    config.write_text(f'''[[channels]]
name = "xai-main"
provider = "xai"
base_url = "{xai.base_url}"
api_key = "{xai.api_key}"
models = ["grok-imagine-image"]
priority = 1

[[channels]]
name = "xai-backup"
provider = "xai"
base_url = "{backup.base_url}"
api_key = "{backup.api_key}"
models = ["grok-imagine-image"]
''')
    with running(data_dir, {"IMAGEGATE_MAX_ATTEMPTS": "3", **FAST}, config) as gateway:
        yield gateway


@pytest.fixture
def client(xai_gateway: Gateway, xai: FakeXAI) -> Iterator[openai.OpenAI]:
    xai.reset()
    xai_gateway.reset_channels()
    with xai_gateway.client() as sdk:
        yield sdk
