"""Qwen-Image on DashScope through the official SDK: listed sizes, flexible W*H, aspect ratios, the extension
fields, fan-out beyond a call's n, url and b64_json, the price in the ledger, and GET /v1/models."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from imagegate.providers.dashscope.models import PIXELS
from tests.e2e.channels import named_key, usage_line
from tests.e2e.helpers import api_error, decode, fetch, raised
from tests.fakes.dashscope_upstream import FakeDashScope
from tests.harness import Gateway


def sent(fake: FakeDashScope) -> dict[str, Any]:
    return dict((fake.last.json or {}).get("parameters", {}))


@pytest.mark.parametrize(("model", "size", "wanted"), [
    ("qwen-image-max", "1664x928", "1664*928"),
    ("qwen-image-plus", "1104x1472", "1104*1472"),
    ("qwen-image", "1328x1328", "1328*1328"),
    ("qwen-image-2.0-pro", "1024x1024", "1024*1024"),
    ("qwen-image-2.0-pro", "1200x800", "1200*800"),
    ("qwen-image-2.0", "512x2048", "512*2048"),
])
def test_size_goes_upstream_as_w_star_h(client: openai.OpenAI, dashscope: FakeDashScope, model: str, size: str,
                                        wanted: str) -> None:
    result = client.images.generate(model=model, prompt="a lighthouse", size=size,  # type: ignore[arg-type]
                                    response_format="b64_json")
    assert sent(dashscope)["size"] == wanted
    width, height = (int(edge) for edge in size.split("x"))
    assert decode(result.data[0].b64_json).size == (width, height)
    extra = result.data[0].model_extra or {}
    assert (extra["width"], extra["height"]) == (width, height)


@pytest.mark.parametrize(("model", "ratio", "wanted"), [
    ("qwen-image-max", "16:9", "1664*928"),
    ("qwen-image-max", "3:4", "1104*1472"),
    ("qwen-image-2.0-pro", "1:1", "2048*2048"),
    ("qwen-image-2.0-pro", "16:9", PIXELS.for_ratio(16 / 9).replace("x", "*")),
])
def test_aspect_ratio_maps_to_an_allowed_size(client: openai.OpenAI, dashscope: FakeDashScope, model: str, ratio: str,
                                              wanted: str) -> None:
    client.images.generate(model=model, prompt="p", extra_body={"aspect_ratio": ratio})
    assert sent(dashscope)["size"] == wanted
    width, height = (int(edge) for edge in wanted.split("*"))
    across, down = (int(part) for part in ratio.split(":"))
    assert abs(width / height - across / down) < 0.02


def test_defaults_and_auto(client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    client.images.generate(model="qwen-image-max", prompt="p")
    assert sent(dashscope) == {"size": "1328*1328", "watermark": False, "n": 1}
    result = client.images.generate(model="qwen-image-2.0-pro", prompt="p", size="auto", response_format="b64_json")
    assert sent(dashscope) == {"watermark": False, "n": 1}  # the upstream's own default: 2048*2048
    assert decode(result.data[0].b64_json).size == (2048, 2048)
    body = dashscope.last.json or {}
    assert body["model"] == "qwen-image-2.0-pro"
    assert body["input"] == {"messages": [{"role": "user", "content": [{"text": "p"}]}]}
    assert dashscope.last.headers["authorization"] == f"Bearer {dashscope.api_key}"


def test_extension_fields_reach_the_parameters(client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    client.images.generate(model="qwen-image-2.0", prompt="p", size="1024x1024",
                           extra_body={"negative_prompt": "blur", "seed": 42, "watermark": True,
                                       "prompt_extend": False})
    assert sent(dashscope) == {"size": "1024*1024", "negative_prompt": "blur", "seed": 42, "watermark": True,
                               "prompt_extend": False, "n": 1}


@pytest.mark.parametrize(("model", "extra", "param", "code"), [
    ("qwen-image-max", {"size": "1024x1024"}, "size", "invalid_size"),
    ("qwen-image-2.0", {"size": "4096x4096"}, "size", "invalid_size"),
    ("qwen-image-2.0", {"size": "1000x1000"}, "size", "invalid_size"),
    ("qwen-image-2.0", {"size": "256x256"}, "size", "invalid_size"),
    ("qwen-image-2.0", {"size": "big"}, "size", "invalid_size"),
    ("qwen-image-2.0", {"image_size": "2K"}, "image_size", "unsupported_parameter"),
    ("qwen-image-2.0", {"aspect_ratio": "wide"}, "aspect_ratio", "invalid_value"),
    ("qwen-image-2.0", {"seed": 2**31}, "seed", "unsupported_value"),
    ("qwen-image-2.0", {"seed": -1}, "seed", "integer_below_min_value"),
    ("qwen-image-2.0", {"negative_prompt": "x" * 501}, "negative_prompt", "string_above_max_length"),
    ("qwen-image-2.0", {"prompt_extend": "maybe"}, "prompt_extend", "invalid_type"),
    ("qwen-image-2.0", {"watermark": "often"}, "watermark", "invalid_type"),
    ("qwen-image-2.0", {"prompt": "p" * 801}, "prompt", "string_above_max_length"),
    ("qwen-image-2.0", {"quality": "high"}, "quality", "invalid_value"),
    ("qwen-image-2.0", {"style": "vivid"}, "style", "unsupported_parameter"),
    ("qwen-image-2.0", {"output_format": "jpeg"}, "output_format", "unsupported_parameter"),
    ("qwen-image-2.0", {"background": "transparent"}, "background", "unsupported_parameter"),
    ("qwen-image-2.0", {"output_compression": 50}, "output_compression", "unsupported_parameter"),
    ("qwen-image-2.0", {"n": 11}, "n", "integer_above_max_value"),
])
def test_values_qwen_image_cannot_honour_are_400s(client: openai.OpenAI, dashscope: FakeDashScope, model: str,
                                                  extra: dict[str, object], param: str, code: str) -> None:
    failure = raised(lambda: client.images.generate(model=model, prompt="p", extra_body=extra))
    api_error(failure, 400, param=param, code=code)
    assert dashscope.requests == []


def test_n_within_a_call_and_fanned_out_beyond_it(client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    result = client.images.generate(model="qwen-image-2.0", prompt="p", n=4, size="1024x1024")
    assert len(result.data) == 4 and [sent(dashscope)["n"]] == [4] and len(dashscope.posts) == 1
    dashscope.reset()
    result = client.images.generate(model="qwen-image-2.0", prompt="p", n=8, size="1024x1024",
                                    extra_body={"seed": 7})
    calls = sorted(((r.json or {})["parameters"]["n"], (r.json or {})["parameters"]["seed"]) for r in dashscope.posts)
    assert len(result.data) == 8 and calls == [(2, 13), (6, 7)]
    dashscope.reset()
    result = client.images.generate(model="qwen-image-max", prompt="p", n=3, extra_body={"seed": 2**31 - 1})
    seeds = sorted((r.json or {})["parameters"]["seed"] for r in dashscope.posts)
    assert len(result.data) == 3 and seeds == [0, 1, 2**31 - 1]  # seed + i, wrapped at the upstream's bound


def test_url_answers_are_our_own_links(client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    result = client.images.generate(model="qwen-image-max", prompt="p", size="1664x928")  # url by default
    url = result.data[0].url
    assert url is not None and not url.startswith(dashscope.origin)
    assert fetch(url).size == (1664, 928)


def test_the_ledger_price_is_the_answer_s_cost(client: openai.OpenAI, dashscope_gateway: Gateway) -> None:
    with dashscope_gateway.client(named_key(dashscope_gateway, "qwen-price")) as own:
        raw = own.images.with_raw_response.generate(model="qwen-image-2.0-pro", prompt="p", n=2, size="1024x1024")
    result = raw.parse()
    assert result.usage is not None
    assert (result.usage.model_extra or {})["cost_usd"] == pytest.approx(0.15)
    assert float(raw.headers["x-imagegate-cost"]) == pytest.approx(0.15)
    line = usage_line(dashscope_gateway, "qwen-price", "qwen-image-2.0-pro")
    assert line["cost_usd"] == pytest.approx(0.15) and line["images"] == 2


def test_models_lists_qwen_image_with_its_capabilities(client: openai.OpenAI) -> None:
    listed = {model.id: model.model_extra or {} for model in client.models.list()}
    assert {"qwen-image-2.0-pro", "qwen-image-2.0", "qwen-image-max", "qwen-image-plus", "qwen-image",
            "qwen-image-edit-max", "qwen-image-edit-plus", "qwen-image-edit"} <= set(listed)
    pro = listed["qwen-image-2.0-pro"]["capabilities"]
    assert pro["endpoints"] == ["edits", "generations"] and pro["edit_max_images"] == 3 and pro["mask"] is False
    assert pro["size_rule"]["min_pixels"] == 512 * 512 and pro["size_rule"]["max_pixels"] == 2048 * 2048
    assert pro["options"] == ["negative_prompt", "prompt_extend", "seed", "watermark"]
    assert pro["option_fields"]["prompt_extend"]["type"] == "boolean"
    assert listed["qwen-image-max"]["capabilities"]["sizes"] == [
        "1328x1328", "1664x928", "928x1664", "1472x1104", "1104x1472", "auto"]
    assert "prompt_extend" not in listed["qwen-image-edit"]["capabilities"]["options"]


def test_models_lists_only_what_a_configured_channel_serves(channels_client: openai.OpenAI) -> None:
    listed = {model.id for model in channels_client.models.list()}
    assert {"qwen-image-max", "qwen-image-plus"} <= listed and "qwen-image-2.0-pro" not in listed
