"""stream=true on models that can't stream: keep-alive comments while waiting, then one ``completed`` event
per image that OpenAI's event schema accepts and the SDK's stream iterator parses."""

from __future__ import annotations

import json
from typing import Any

import openai

from tests.e2e.helpers import api_error, decode
from tests.factories import png_bytes
from tests.fakes.bfl_upstream import FakeBFL
from tests.harness import Gateway
from tests.openai_schema import validate


def events(lines: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """``(event, data)`` pairs of an SSE body's lines."""
    found, name = [], ""
    for line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            found.append((name, json.loads(line[6:])))
    return found


def test_sdk_iterates_dall_e_completed_events(streaming_gateway: Gateway) -> None:
    with streaming_gateway.client() as client:
        stream = client.images.generate(model="dall-e-3", prompt="a harbour", stream=True, n=2,
                                        size="1792x1024")
        received = list(stream)
    assert [e.type for e in received] == ["image_generation.completed"] * 2
    for event in received:
        validate(event.model_dump(exclude_unset=True), "ImageGenCompletedEvent")
        assert decode(event.b64_json).size == (1792, 1024)
        assert event.size == "auto" and event.output_format == "png"
        assert event.model_extra is not None and event.model_extra["width"] == 1792
    assert received[0].usage.total_tokens == 0 and received[0].usage.model_extra == {"images": 0, "cost_usd": 0}
    assert received[1].usage.model_extra == {"images": 2, "cost_usd": 0.16}


def test_sdk_edit_stream_ends_with_usage(streaming_gateway: Gateway) -> None:
    with streaming_gateway.client() as client:
        received = list(client.images.edit(model="gpt-image-1", prompt="merge", image=png_bytes(64, 64), stream=True))
    assert [e.type for e in received] == ["image_edit.completed"]
    validate(received[0].model_dump(exclude_unset=True), "ImageEditCompletedEvent")
    assert received[0].usage.total_tokens == 4210  # the fake upstream's count, passed on


def test_flux_stream_sends_keepalives_while_it_waits(streaming_gateway: Gateway, bfl: FakeBFL) -> None:
    bfl.held = True
    lines: list[str] = []
    with streaming_gateway.http() as http, http.stream(
            "POST", "/v1/images/generations", json={"model": "flux-kontext-pro", "prompt": "a fox", "stream": True,
                                                    "aspect_ratio": "16:9"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            lines.append(line)
            if lines.count(": keep-alive") == 3:
                bfl.held = False
    assert lines[0] == ": imagegate stream open"
    (name, event), = events(lines)
    assert name == event["type"] == "image_generation.completed"
    validate(event, "ImageGenCompletedEvent")
    assert (event["size"], event["quality"], event["background"]) == ("auto", "auto", "auto")
    assert (event["width"], event["height"]) == (1392, 752)


def test_failure_after_the_stream_began_is_an_error_event(streaming_gateway: Gateway, bfl: FakeBFL) -> None:
    bfl.next_outcomes("Content Moderated")
    with streaming_gateway.client() as client:
        try:
            list(client.images.generate(model="flux-kontext-pro", prompt="x", stream=True))
        except openai.APIError as err:
            assert err.body is not None and err.body["code"] == "content_policy_violation"  # type: ignore[index]
        else:
            raise AssertionError("expected an error event")


def test_stream_refuses_url_results(streaming_gateway: Gateway) -> None:
    with streaming_gateway.http() as http:
        response = http.post("/v1/images/generations", json={"model": "flux-kontext-pro", "prompt": "x",
                                                              "stream": True, "response_format": "url"})
    api_error(response, 400, param="response_format", code="invalid_value")
