"""Seedream on Ark through the official SDK: the body Ark gets, every size path (listed, flexible WxH,
aspect_ratio, image_size tier), extensions, fan-out, url and b64_json, refusals of what Ark can't take, the
model list, and the price in the answer and the ledger."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.e2e.channels import named_key
from tests.e2e.helpers import api_error, decode, fetch, raised
from tests.e2e.ledger_tools import wait_for_rows
from tests.fakes.ark_upstream import FakeArk
from tests.harness import Gateway

PRICES = {"seedream-4.0": 0.03, "seedream-4.5": 0.04, "seedream-5.0-lite": 0.035}


def test_the_body_ark_gets(client: openai.OpenAI, ark: FakeArk) -> None:
    result = client.images.generate(model="seedream-4.5", prompt="a lighthouse", user="u-1")
    assert ark.last.json == {"model": "doubao-seedream-4-5-251128", "prompt": "a lighthouse", "watermark": False,
                             "sequential_image_generation": "disabled", "response_format": "url"}
    assert ark.last.path == "/api/v3/images/generations"
    assert ark.last.headers["authorization"] == f"Bearer {ark.api_key}"
    extra = result.data[0].model_extra or {}
    assert decode(result.data[0].b64_json).size == (extra["width"], extra["height"]) == (2048, 2048)
    assert ark.downloads == 1 and ark.files == {}  # the link was fetched at once


@pytest.mark.parametrize(("model", "body", "sent", "pixels"), [
    ("seedream-4.0", {"size": "1024x1024"}, "1024x1024", (1024, 1024)),
    ("seedream-4.0", {"size": "1536x1024"}, "1536x1024", (1536, 1024)),
    ("seedream-4.5", {"size": "2848x1600"}, "2848x1600", (2848, 1600)),
    ("seedream-4.5", {"size": "2560x1440"}, "2560x1440", (2560, 1440)),  # not listed: the size rule allows it
    ("seedream-5.0-lite", {"size": "3072x3072"}, "3072x3072", (3072, 3072)),
    ("seedream-4.0", {"aspect_ratio": "16:9"}, "2731x1536", (2731, 1536)),
    ("seedream-4.0", {"aspect_ratio": "1:4"}, "1024x4096", (1024, 4096)),
    ("seedream-4.5", {"aspect_ratio": "21:9", "image_size": "4K"}, "6256x2681", (6256, 2681)),
    ("seedream-4.0", {"image_size": "1K"}, "1K", (1024, 1024)),
    ("seedream-4.5", {"image_size": "4K"}, "4K", (4096, 4096)),
    ("seedream-4.5", {"size": "4096x4096", "image_size": "4K"}, "4096x4096", (4096, 4096)),
    ("seedream-4.0", {"size": "2048x2048", "aspect_ratio": "16:9"}, "2048x2048", (2048, 2048)),  # size wins
])
def test_every_size_path(client: openai.OpenAI, ark: FakeArk, model: str, body: dict[str, Any], sent: str,
                         pixels: tuple[int, int]) -> None:
    size = body.pop("size", openai.NOT_GIVEN)
    result = client.images.generate(model=model, prompt="p", size=size, extra_body=body)
    assert (ark.last.json or {})["size"] == sent
    extra = result.data[0].model_extra or {}
    assert (extra["width"], extra["height"]) == pixels == decode(result.data[0].b64_json).size


@pytest.mark.parametrize(("model", "body", "param", "code"), [
    ("seedream-4.5", {"size": "1024x1024"}, "size", "invalid_size"),  # below 4.5's 3,686,400 pixels
    ("seedream-5.0-lite", {"size": "4096x4096"}, "size", "invalid_size"),
    ("seedream-4.0", {"size": "8192x256"}, "size", "invalid_size"),  # 32:1
    ("seedream-4.0", {"size": "2K"}, "size", "invalid_size"),  # tiers are image_size
    ("seedream-4.0", {"size": "auto"}, "size", "invalid_size"),
    ("seedream-4.0", {"size": "big"}, "size", "invalid_size"),
    ("seedream-4.5", {"image_size": "1K"}, "image_size", "invalid_value"),
    ("seedream-5.0-lite", {"image_size": "4K"}, "image_size", "invalid_value"),
    ("seedream-4.0", {"size": "2048x2048", "image_size": "4K"}, "image_size", "invalid_value"),
    ("seedream-4.0", {"aspect_ratio": "wide"}, "aspect_ratio", "invalid_value"),
    ("seedream-4.0", {"seed": 7}, "seed", "unsupported_parameter"),
    ("seedream-4.0", {"negative_prompt": "fog"}, "negative_prompt", "unsupported_parameter"),
    ("seedream-4.0", {"quality": "high"}, "quality", "invalid_value"),
    ("seedream-4.0", {"style": "vivid"}, "style", "unsupported_parameter"),
    ("seedream-4.0", {"background": "transparent"}, "background", "unsupported_parameter"),
    ("seedream-4.0", {"moderation": "low"}, "moderation", "unsupported_parameter"),
    ("seedream-4.0", {"output_compression": 50}, "output_compression", "unsupported_parameter"),
    ("seedream-4.5", {"output_format": "png"}, "output_format", "unsupported_parameter"),
    ("seedream-5.0-lite", {"output_format": "webp"}, "output_format", "invalid_value"),
    ("seedream-4.0", {"n": 11}, "n", "integer_above_max_value"),
    ("seedream-4.0", {"prompt": "x" * 4001}, "prompt", "string_above_max_length"),
    ("seedream-4.0", {"watermark": "sometimes"}, "watermark", "invalid_type"),
])
def test_what_ark_cannot_take_is_a_400(client: openai.OpenAI, ark: FakeArk, model: str, body: dict[str, Any],
                                       param: str, code: str) -> None:
    failure = raised(lambda: client.images.generate(model=model, prompt=body.pop("prompt", "p"), extra_body=body))
    api_error(failure, 400, param=param, code=code)
    assert ark.requests == []


def test_extensions_reach_ark(client: openai.OpenAI, ark: FakeArk) -> None:
    client.images.generate(model="seedream-5.0-lite", prompt="p", extra_body={"watermark": True,
                                                                             "output_format": "png"})
    body = ark.last.json or {}
    assert body["watermark"] is True and body["output_format"] == "png"
    assert body["model"] == "doubao-seedream-5-0-260128"
    client.images.generate(model="seedream-4.0", prompt="p", extra_body={"watermark": False, "quality": "auto"})
    assert (ark.last.json or {})["watermark"] is False and "quality" not in (ark.last.json or {})


@pytest.mark.parametrize("response_format", ["url", "b64_json"])
def test_n_fans_out_one_image_per_call(client: openai.OpenAI, ark: FakeArk, response_format: str) -> None:
    raw = client.images.with_raw_response.generate(model="seedream-4.0", prompt="p", n=3, size="1024x1024",
                                                   response_format=response_format)  # type: ignore[arg-type]
    result = raw.parse()
    assert len(result.data) == 3 and len(ark.requests) == 3 and ark.downloads == 3
    assert all(b["sequential_image_generation"] == "disabled" and "sequential_image_generation_options" not in b
               for b in ark.bodies)
    for image in result.data:
        picture = fetch(image.url) if response_format == "url" else decode(image.b64_json)
        assert picture.size == (1024, 1024) and picture.format == "JPEG"
    if response_format == "url":
        assert all(image.url and not image.url.startswith(ark.origin) for image in result.data)
    assert float(raw.headers["x-imagegate-cost"]) == pytest.approx(3 * 0.03)


@pytest.mark.parametrize("model", sorted(PRICES))
def test_the_answer_s_price_is_the_ledger_s(client: openai.OpenAI, ark_gateway: Gateway, model: str) -> None:
    with ark_gateway.client(named_key(ark_gateway, f"ark-{model}")) as own:
        raw = own.images.with_raw_response.generate(model=model, prompt="p", n=2)
    result = raw.parse()
    expected = 2 * PRICES[model]
    assert result.usage is not None and (result.usage.model_extra or {})["cost_usd"] == pytest.approx(expected)
    assert float(raw.headers["x-imagegate-cost"]) == pytest.approx(expected)
    rows = wait_for_rows(ark_gateway, "SELECT price_micros, images, channel FROM usage WHERE key_name = :k", 1,
                         k=f"ark-{model}")
    assert rows == [(round(expected * 1_000_000), 2, "ark")]


def test_models_and_their_capabilities(client: openai.OpenAI) -> None:
    listed = {m.id: m for m in client.models.list()}
    assert listed["seedream-4.5"].owned_by == "bytedance"
    models = {m.id: m.model_extra or {} for m in listed.values()}
    assert {"seedream-4.0", "seedream-4.5", "seedream-5.0-lite"} <= set(models)
    capabilities = models["seedream-4.5"]["capabilities"]
    assert capabilities["resolutions"] == ["2K", "4K"]
    assert capabilities["size_rule"]["min_pixels"] == 3_686_400 and capabilities["size_rule"]["max_aspect_ratio"] == 16
    assert models["seedream-4.0"]["capabilities"]["resolutions"] == ["1K", "2K", "4K"]


def test_streaming_ends_with_one_completed_event_per_image(client: openai.OpenAI, ark: FakeArk) -> None:
    events = list(client.images.generate(model="seedream-4.0", prompt="p", n=2, size="1024x1024", stream=True))
    assert [e.type for e in events] == ["image_generation.completed"] * 2
    assert decode(events[0].b64_json).size == (1024, 1024) and len(ark.requests) == 2
    assert all("stream" not in body for body in ark.bodies)
