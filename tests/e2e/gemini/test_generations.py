"""Gemini image models on the Gemini API through the official SDK: sizes to ratios and tiers, extensions,
fan-out, url and b64_json, streaming, aliases, and the price in the ledger."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.e2e.channels import named_key
from tests.e2e.helpers import api_error, decode, fetch, raised
from tests.fakes.gemini_models import MODELS
from tests.fakes.gemini_upstream import FakeGemini
from tests.harness import Gateway

IMAGE_CONFIG = ("generationConfig", "imageConfig")
PRO_RATES = {"input": 2, "text_out": 12, "image_out": 120}  # USD per 1M tokens, gemini-3-pro-image


def pro_price(meta: dict[str, Any]) -> float:
    """What one answer of gemini-3-pro-image costs by its ``usageMetadata``: thinking tokens are output text."""
    text_out = meta.get("thoughtsTokenCount", 0) + sum(d["tokenCount"] for d in meta.get("candidatesTokensDetails", ())
                                                       if d["modality"] == "TEXT")
    image_out = meta["candidatesTokenCount"] + meta.get("thoughtsTokenCount", 0) - text_out
    return (meta["promptTokenCount"] * PRO_RATES["input"] + text_out * PRO_RATES["text_out"]
            + image_out * PRO_RATES["image_out"]) / 1_000_000


def image_config(fake: FakeGemini) -> dict[str, str]:
    body = fake.last.json or {}
    return dict(body.get("generationConfig", {}).get("imageConfig", {}))


@pytest.mark.parametrize(("model", "size", "ratio", "tier"), [
    ("gemini-3-pro-image", "1024x1024", "1:1", "1K"),
    ("gemini-3-pro-image", "1536x1024", "3:2", "2K"),
    ("gemini-3-pro-image", "1024x1536", "2:3", "2K"),
    ("gemini-3-pro-image", "3840x2160", "16:9", "4K"),
    ("gemini-3-pro-image", "2048x2048", "1:1", "2K"),
    ("gemini-3.1-flash-image", "512x2048", "1:4", "2K"),
    ("gemini-3.1-flash-image", "512x512", "1:1", "512"),
    ("gemini-3.1-flash-image", "2560x1080", "21:9", "4K"),
    ("gemini-2.5-flash-image", "1792x1024", "16:9", None),
    ("gemini-2.5-flash-image", "1024x1280", "4:5", None),
])
def test_size_maps_to_the_nearest_ratio_and_the_tier_of_its_long_edge(client: openai.OpenAI, gemini: FakeGemini,
                                                                     model: str, size: str, ratio: str,
                                                                     tier: str | None) -> None:
    result = client.images.generate(model=model, prompt="a lighthouse", size=size)  # type: ignore[arg-type]
    sent = image_config(gemini)
    assert sent.get("aspectRatio") == ratio and sent.get("imageSize") == tier
    width, height = MODELS[model].pixels(ratio, tier)
    extra = result.data[0].model_extra or {}
    assert (extra["width"], extra["height"]) == (width, height) == decode(result.data[0].b64_json).size
    assert result.size is None  # not one of OpenAI's sizes: the real size is in width/height


def test_extensions_and_size_winning_over_aspect_ratio(client: openai.OpenAI, gemini: FakeGemini) -> None:
    client.images.generate(model="gemini-3-pro-image", prompt="p", extra_body={"aspect_ratio": "4:5",
                                                                               "image_size": "4K"})
    assert image_config(gemini) == {"aspectRatio": "4:5", "imageSize": "4K"}
    client.images.generate(model="gemini-3-pro-image", prompt="p", size="1024x1024",
                           extra_body={"aspect_ratio": "21:9", "image_size": "2K"})
    assert image_config(gemini) == {"aspectRatio": "1:1", "imageSize": "2K"}
    client.images.generate(model="gemini-3-pro-image", prompt="p")
    assert image_config(gemini) == {"imageSize": "1K"}  # no ratio asked: the model's own (1:1)
    body = gemini.last.json or {}
    assert body["generationConfig"]["responseModalities"] == ["TEXT", "IMAGE"]
    assert body["contents"] == [{"role": "user", "parts": [{"text": "p"}]}]
    assert gemini.last.headers["x-goog-api-key"] == gemini.api_key and not gemini.last.query


@pytest.mark.parametrize(("model", "extra", "param", "code"), [
    ("gemini-2.5-flash-image", {"image_size": "2K"}, "image_size", "unsupported_parameter"),
    ("gemini-3-pro-image", {"image_size": "512"}, "image_size", "invalid_value"),
    ("gemini-3-pro-image", {"image_size": "8K"}, "image_size", "invalid_value"),
    ("gemini-3-pro-image", {"aspect_ratio": "1:4"}, "aspect_ratio", "invalid_value"),
    ("gemini-3-pro-image", {"quality": "high"}, "quality", "invalid_value"),
    ("gemini-3-pro-image", {"style": "vivid"}, "style", "unsupported_parameter"),
    ("gemini-3-pro-image", {"background": "transparent"}, "background", "unsupported_parameter"),
    ("gemini-3-pro-image", {"output_format": "jpeg"}, "output_format", "unsupported_parameter"),
    ("gemini-3-pro-image", {"output_compression": 50}, "output_compression", "unsupported_parameter"),
    ("gemini-3-pro-image", {"size": "big"}, "size", "invalid_size"),
])
def test_values_the_gemini_api_cannot_honour_are_400s(client: openai.OpenAI, gemini: FakeGemini, model: str,
                                                       extra: dict[str, object], param: str, code: str) -> None:
    failure = raised(lambda: client.images.generate(model=model, prompt="p", extra_body=extra))
    api_error(failure, 400, param=param, code=code)
    assert gemini.requests == []


def test_n_fans_out_and_a_failed_call_is_retried(client: openai.OpenAI, gemini: FakeGemini) -> None:
    gemini.fail_next("internal")
    result = client.images.generate(model="gemini-3.1-flash-image", prompt="p", n=3)
    assert len(result.data) == 3 and len(gemini.requests) == 4
    assert result.usage is not None and (result.usage.model_extra or {})["images"] == 3


def test_an_answer_without_an_image_is_a_failed_call_retried_and_never_billed(client: openai.OpenAI,
                                                                              gemini: FakeGemini) -> None:
    gemini.fail_next("text_only", reason="I would rather describe it.")
    result = client.images.with_raw_response.generate(model="gemini-3-pro-image", prompt="p", n=2)
    assert len(result.parse().data) == 2 and len(gemini.requests) == 3 and len(gemini.answers) == 2
    expected = sum(pro_price(answer["usageMetadata"]) for answer in gemini.answers)  # not the text-only one
    assert float(result.headers["x-imagegate-cost"]) == pytest.approx(expected, abs=2e-6)


def test_partial_result_when_a_call_fails_for_good(client: openai.OpenAI, gemini: FakeGemini) -> None:
    gemini.fail_next("text_only", count=5)  # the first five attempts of two calls of three attempts each
    result = client.images.generate(model="gemini-3-pro-image", prompt="p", n=2,
                                    extra_body={"partial_results": True})
    assert len(result.data) == 1 and len((result.model_extra or {})["errors"]) == 1


def test_text_beside_the_image_is_the_revised_prompt(client: openai.OpenAI, gemini: FakeGemini) -> None:
    gemini.reply_text = "Here is a lighthouse at dusk."
    result = client.images.generate(model="gemini-3-pro-image", prompt="p")
    assert result.data[0].revised_prompt == "Here is a lighthouse at dusk."
    assert result.usage is not None
    details = result.usage.output_tokens_details
    assert details is not None and details.image_tokens == 1120 and details.text_tokens > 0


def test_url_answers_are_our_own_links(client: openai.OpenAI) -> None:
    result = client.images.generate(model="gemini-2.5-flash-image", prompt="p", response_format="url",
                                    size="1024x1024")
    assert fetch(result.data[0].url).size == (1024, 1024)


def test_usage_and_price_follow_the_upstream_s_counts(client: openai.OpenAI, gemini_gateway: Gateway,
                                                      gemini: FakeGemini) -> None:
    with gemini_gateway.client(named_key(gemini_gateway, "gemini-price")) as own:
        raw = own.images.with_raw_response.generate(model="gemini-3-pro-image", prompt="a fox",
                                                     extra_body={"image_size": "4K"})
    result = raw.parse()
    assert result.usage is not None
    meta = gemini.answers[-1]["usageMetadata"]
    assert result.usage.input_tokens == meta["promptTokenCount"]
    assert result.usage.output_tokens == meta["candidatesTokenCount"] + meta.get("thoughtsTokenCount", 0)
    assert [d["tokenCount"] for d in meta["candidatesTokensDetails"] if d["modality"] == "IMAGE"] == [2000]
    expected = pro_price(meta)
    assert float(raw.headers["x-imagegate-cost"]) == pytest.approx(expected, abs=1e-6)
    assert (result.usage.model_extra or {})["cost_usd"] == pytest.approx(expected, abs=1e-6)
    with gemini_gateway.http() as http:
        report = http.get("/admin/usage", params={"by": "model", "key": "gemini-price"}).json()
    (line,) = [row for row in report["data"] if row["group"] == "gemini-3-pro-image"]
    assert line["cost_usd"] == pytest.approx(expected, abs=1e-6) and line["images"] == 1


def test_streaming_ends_with_completed_events(client: openai.OpenAI) -> None:
    events = list(client.images.generate(model="gemini-3-pro-image", prompt="p", n=2, stream=True))
    assert [e.type for e in events] == ["image_generation.completed"] * 2
    assert decode(events[0].b64_json).size == (1024, 1024)


def test_aliases_answer_with_the_model_that_served_them(client: openai.OpenAI, gemini: FakeGemini) -> None:
    raw = client.images.with_raw_response.generate(model="nano-banana-pro", prompt="p")
    assert raw.headers["x-imagegate-model"] == "gemini-3-pro-image" and "deprecation" not in raw.headers
    assert gemini.last.path.endswith("/models/gemini-3-pro-image:generateContent")
    raw = client.images.with_raw_response.generate(model="gemini-3-pro-image-preview", prompt="p")
    assert raw.headers["x-imagegate-model"] == "gemini-3-pro-image"
    assert raw.headers["deprecation"].startswith("@") and "successor-version" in raw.headers["link"]
    models = {m.id: m for m in client.models.list()}
    assert {"nano-banana", "nano-banana-pro", "nano-banana-2", "gemini-3-pro-image-preview"} <= set(models)
    capabilities = (models["nano-banana-2"].model_extra or {})["capabilities"]
    assert capabilities["alias_of"] == "gemini-3.1-flash-image"
    assert capabilities["resolutions"] == ["512", "1K", "2K", "4K"] and "1:8" in capabilities["aspect_ratios"]


def test_a_budgeted_key_is_held_by_the_tier_and_charged_the_answer_s_price(gemini_gateway: Gateway,
                                                                           gemini: FakeGemini) -> None:
    gemini.reset()
    with gemini_gateway.http() as http:
        created = http.post("/admin/keys", json={"name": "gemini-budget", "budget_usd": 1}).json()
    with gemini_gateway.client(created["key"]) as own:
        raw = own.images.with_raw_response.generate(model="gemini-3-pro-image", prompt="p", n=2,
                                                    extra_body={"image_size": "4K"})
    cost = float(raw.headers["x-imagegate-cost"])
    assert cost == pytest.approx(sum(pro_price(a["usageMetadata"]) for a in gemini.answers), abs=2e-6)
    with gemini_gateway.http() as http:
        key = http.get(f"/admin/keys/{created['id']}").json()
    assert key["spent_usd"] == pytest.approx(cost, abs=1e-6) and key["reserved_usd"] == 0
