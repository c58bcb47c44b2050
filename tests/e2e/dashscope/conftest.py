"""DashScope fixtures: a fake DashScope, a gateway on the ``DASHSCOPE_API_KEY`` channel alone, and a gateway with
configured channels: a failing one before a healthy one for ``qwen-image-max``, and one that sends
``qwen-image-plus`` as text2image tasks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.fakes.dashscope_upstream import FakeDashScope
from tests.harness import Gateway, running


@pytest.fixture(scope="session")
def dashscope() -> Iterator[FakeDashScope]:
    with FakeDashScope() as fake:
        yield fake


@pytest.fixture(scope="session")
def dashscope_gateway(dashscope: FakeDashScope, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {"DASHSCOPE_API_KEY": dashscope.api_key, "DASHSCOPE_BASE_URL": dashscope.origin,
           "IMAGEGATE_RETRY_BACKOFF": "0.01", "IMAGEGATE_MAX_ATTEMPTS": "3", "IMAGEGATE_RETRY_AFTER_MAX": "1",
           "IMAGEGATE_ALLOWED_FAILS": "100", "IMAGEGATE_UPSTREAM_TIMEOUT": "2"}
    with running(tmp_path_factory.mktemp("dashscope-gateway"), env) as gateway:
        yield gateway


@pytest.fixture(scope="session")
def channels_gateway(dashscope: FakeDashScope, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data_dir = Path(tmp_path_factory.mktemp("dashscope-channels"))
    config = data_dir / "imagegate.toml"
    config.write_text(f'''retry_backoff = 0.01
allowed_fails = 100

[[channels]]
name = "ds-broken"
provider = "dashscope"
base_url = "{dashscope.origin}"
api_key = "sk-revokedkey0000000000"
models = ["qwen-image-max"]
priority = 1

[[channels]]
name = "ds-good"
provider = "dashscope"
base_url = "{dashscope.origin}"
api_key = "{dashscope.api_key}"
models = ["qwen-image-max"]

[[channels]]
name = "ds-async"
provider = "dashscope"
base_url = "{dashscope.origin}"
api_key = "{dashscope.api_key}"
models = ["qwen-image-plus"]
async_tasks = true
poll = {{ interval = 0.05, max_interval = 0.1, deadline = 1.5 }}
''')
    with running(data_dir, {"IMAGEGATE_RETRY_AFTER_MAX": "1"}, config) as gateway:
        yield gateway


@pytest.fixture
def client(dashscope_gateway: Gateway, dashscope: FakeDashScope) -> Iterator[openai.OpenAI]:
    dashscope.reset()
    dashscope_gateway.reset_channels()
    with dashscope_gateway.client() as sdk:
        yield sdk


@pytest.fixture
def channels_client(channels_gateway: Gateway, dashscope: FakeDashScope) -> Iterator[openai.OpenAI]:
    dashscope.reset()
    channels_gateway.reset_channels()
    with channels_gateway.client() as sdk:
        yield sdk
