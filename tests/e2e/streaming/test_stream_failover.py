"""A stream that fails over after sending partial images: the client keeps the previews of the first attempt,
gets no partials from the second, and its one completed event comes from the attempt that succeeded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway, running


def channel(name: str, upstream: FakeOpenAI, priority: int) -> str:
    return (f'[[channels]]\nname = "{name}"\nbase_url = "{upstream.base_url}"\napi_key = "{upstream.api_key}"\n'
            f'models = ["gpt-image-1"]\npriority = {priority}\n')


@pytest.fixture(scope="module")
def two_channels(upstream: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data_dir = Path(tmp_path_factory.mktemp("stream-failover"))
    config = data_dir / "imagegate.toml"
    config.write_text("retry_backoff = 0.01\n" + channel("first", upstream, 1) + channel("second", upstream, 0))
    with running(data_dir, {"IMAGEGATE_STREAM_KEEPALIVE": "0.05"}, config) as gateway:
        yield gateway


def test_partials_come_from_the_first_attempt_only(two_channels: Gateway, upstream: FakeOpenAI) -> None:
    upstream.reset()
    upstream.cut_streams = 1
    with two_channels.client() as client:
        received = list(client.images.generate(model="gpt-image-1", prompt="a fox", stream=True, partial_images=2))
    assert [e.type for e in received] == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    assert [e.partial_image_index for e in received[:-1]] == [0, 1]  # type: ignore[union-attr]
    assert len(upstream.image_requests) == 2  # the second attempt streamed its partials too; they were held back


def test_without_a_failure_every_partial_arrives(two_channels: Gateway, upstream: FakeOpenAI) -> None:
    upstream.reset()
    with two_channels.client() as client:
        received = list(client.images.generate(model="gpt-image-1", prompt="a fox", stream=True, partial_images=3))
    assert [e.type for e in received] == ["image_generation.partial_image"] * 3 + ["image_generation.completed"]
