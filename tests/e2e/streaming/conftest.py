"""Streaming fixtures: one gateway in front of a fake OpenAI and a fake BFL, with keep-alives every 50 ms."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.bfl_upstream import FakeBFL
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import SINGLE_CHANNEL_ENV, Gateway, openai_env, running


@pytest.fixture(scope="module")
def bfl() -> Iterator[FakeBFL]:
    with FakeBFL() as fake:
        yield fake


@pytest.fixture(scope="module")
def streaming_gateway(upstream: FakeOpenAI, bfl: FakeBFL,
                      tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {**openai_env(upstream), "BFL_API_KEY": bfl.api_key, "BFL_BASE_URL": bfl.origin,
           "IMAGEGATE_POLL_INTERVAL": "0.01", "IMAGEGATE_POLL_MAX_INTERVAL": "0.05", "IMAGEGATE_POLL_DEADLINE": "60",
           "IMAGEGATE_STREAM_KEEPALIVE": "0.05", **SINGLE_CHANNEL_ENV}
    with running(tmp_path_factory.mktemp("streaming-gateway"), env) as gw:
        yield gw


@pytest.fixture(autouse=True)
def _fresh_bfl(bfl: FakeBFL) -> None:
    bfl.reset()
