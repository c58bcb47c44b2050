"""DashScope fixtures: a fake DashScope, a gateway on the ``DASHSCOPE_API_KEY`` channel alone, and a gateway with
configured channels: a failing one before a healthy one for ``qwen-image-max``, and one that sends
``qwen-image-plus`` as text2image tasks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.e2e.channels import channel, write_config
from tests.fakes.dashscope_upstream import FakeDashScope
from tests.harness import FAST_RETRY_ENV, Gateway, fresh_client, running


@pytest.fixture(scope="session")
def dashscope() -> Iterator[FakeDashScope]:
    with FakeDashScope() as fake:
        yield fake


@pytest.fixture(scope="session")
def dashscope_gateway(dashscope: FakeDashScope, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {"DASHSCOPE_API_KEY": dashscope.api_key, "DASHSCOPE_BASE_URL": dashscope.base_url, **FAST_RETRY_ENV}
    with running(tmp_path_factory.mktemp("dashscope-gateway"), env) as gateway:
        yield gateway


@pytest.fixture(scope="session")
def channels_gateway(dashscope: FakeDashScope, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data_dir = Path(tmp_path_factory.mktemp("dashscope-channels"))
    config = write_config(
        data_dir / "imagegate.toml",
        channel("ds-broken", dashscope, ["qwen-image-max"], provider="dashscope", api_key="sk-revokedkey0000000000",
                priority=1),
        channel("ds-good", dashscope, ["qwen-image-max"], provider="dashscope"),
        channel("ds-async", dashscope, ["qwen-image-plus"], provider="dashscope", async_tasks=True,
                poll={"interval": 0.05, "max_interval": 0.1, "deadline": 1.5}),
        retry_backoff=0.01, allowed_fails=100)
    with running(data_dir, {"IMAGEGATE_RETRY_AFTER_MAX": "1"}, config) as gateway:
        yield gateway


@pytest.fixture
def client(dashscope_gateway: Gateway, dashscope: FakeDashScope) -> Iterator[openai.OpenAI]:
    with fresh_client(dashscope_gateway, dashscope) as sdk:
        yield sdk


@pytest.fixture
def channels_client(channels_gateway: Gateway, dashscope: FakeDashScope) -> Iterator[openai.OpenAI]:
    with fresh_client(channels_gateway, dashscope) as sdk:
        yield sdk
