"""stream=true on GPT image models: the upstream's partial images reach the SDK's iterator as they are
streamed, the stream ends with the completed event carrying usage, and one usage row is written."""

from __future__ import annotations

import openai
import pytest

from tests.e2e.helpers import decode
from tests.factories import png_bytes
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway
from tests.openai_schema import validate

SCHEMAS = {"image_generation.partial_image": "ImageGenPartialImageEvent",
           "image_generation.completed": "ImageGenCompletedEvent",
           "image_edit.partial_image": "ImageEditPartialImageEvent", "image_edit.completed": "ImageEditCompletedEvent"}


@pytest.mark.parametrize("partials", [0, 1, 3])
def test_sdk_receives_partials_then_completed(streaming_gateway: Gateway, upstream: FakeOpenAI,
                                              partials: int) -> None:
    upstream.stream_gap = 0.1  # a slow upstream: the events come one by one
    with streaming_gateway.client() as client:
        received = list(client.images.generate(model="gpt-image-1", prompt="a fox", stream=True,
                                               partial_images=partials, size="1536x1024"))
    kinds = [event.type for event in received]
    assert kinds == ["image_generation.partial_image"] * partials + ["image_generation.completed"]
    for event in received:
        validate(event.model_dump(exclude_unset=True), SCHEMAS[event.type])
    assert [e.partial_image_index for e in received[:-1]] == list(range(partials))  # type: ignore[union-attr]
    completed = received[-1]
    assert decode(completed.b64_json).size == (1536, 1024)
    assert (completed.size, completed.usage.total_tokens) == ("1536x1024", 4210)  # type: ignore[union-attr]
    sent = upstream.last.json
    assert sent["stream"] is True and sent.get("partial_images", 0) == partials


def test_sdk_edit_stream_passes_partials(streaming_gateway: Gateway, upstream: FakeOpenAI) -> None:
    with streaming_gateway.client() as client:
        received = list(client.images.edit(model="gpt-image-1", prompt="merge",
                                           image=[png_bytes(64, 64), png_bytes(32, 32)], stream=True, partial_images=2))
    assert [e.type for e in received] == ["image_edit.partial_image"] * 2 + ["image_edit.completed"]
    for event in received:
        validate(event.model_dump(exclude_unset=True), SCHEMAS[event.type])
    assert upstream.last.form["stream"] == ["true"] and len(upstream.last.files) == 2


def test_upstream_error_before_the_stream_is_an_error_event(streaming_gateway: Gateway, upstream: FakeOpenAI) -> None:
    upstream.fail_next("moderation")
    with streaming_gateway.client() as client, pytest.raises(openai.APIError) as info:
        list(client.images.generate(model="gpt-image-1", prompt="x", stream=True, partial_images=1))
    assert info.value.body["code"] == "content_policy_violation"  # type: ignore[index]
