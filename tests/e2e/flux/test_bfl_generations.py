"""flux-kontext-* generations through BFL: every mapping row, driven by the official SDK."""

from __future__ import annotations

import io

import httpx
import openai
import pytest
from PIL import Image

from tests.e2e.flux.helpers import generate, usage_row
from tests.e2e.helpers import api_error, decode, raised
from tests.fakes.bfl_upstream import FakeBFL
from tests.fakes.task_upstream import RATIO_SIZES
from tests.harness import Gateway

RATIOS = list(RATIO_SIZES)


def test_defaults(bfl_client: openai.OpenAI, bfl: FakeBFL, bfl_gateway: Gateway) -> None:
    body = generate(bfl_client, model="flux-kontext-pro", prompt="a lighthouse")
    sent = bfl.submitted()[-1]
    assert sent.path == "/v1/flux-kontext-pro"
    assert sent.headers["x-key"] == bfl.api_key
    assert sent.json == {"prompt": "a lighthouse", "aspect_ratio": "1:1", "output_format": "png",
                         "prompt_upsampling": False}
    item = body["data"][0]
    assert (item["width"], item["height"]) == (1024, 1024)
    assert body["aspect_ratio"] == "1:1" and body["output_format"] == "png"
    assert body["usage"] == {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0,
                             "input_tokens_details": {"text_tokens": 0, "image_tokens": 0}, "images": 1,
                             "cost_usd": 0.04}
    link = item["url"]
    assert link.startswith(bfl_gateway.url) and bfl.origin not in link
    image = Image.open(io.BytesIO(httpx.get(link, timeout=10).content))
    assert (image.format, image.size) == ("PNG", (1024, 1024))
    downloads = [r for r in bfl.requests if r.path.startswith("/files/")]
    assert downloads and all("x-key" not in r.headers for r in downloads)


@pytest.mark.parametrize("ratio", RATIOS)
def test_aspect_ratio_passes_through(bfl_client: openai.OpenAI, bfl: FakeBFL, ratio: str) -> None:
    body = generate(bfl_client, model="flux-kontext-pro", prompt="p", extra_body={"aspect_ratio": ratio})
    assert bfl.submitted()[-1].json["aspect_ratio"] == ratio
    assert body["aspect_ratio"] == ratio
    assert (body["data"][0]["width"], body["data"][0]["height"]) == RATIO_SIZES[ratio]


@pytest.mark.parametrize("ratio", ["5:4", "16x9", "2:1", "1:1 ", "", "auto"])
def test_other_aspect_ratios_are_refused(bfl_client: openai.OpenAI, bfl: FakeBFL, ratio: str) -> None:
    failure = raised(lambda: bfl_client.images.generate(
        model="flux-kontext-pro", prompt="p", extra_body={"aspect_ratio": ratio}))
    api_error(failure, 400, param="aspect_ratio", code="invalid_value")
    assert bfl.submitted() == []


@pytest.mark.parametrize(("size", "ratio"), [
    ("1920x1080", "16:9"), ("1536x1024", "3:2"), ("1024x1536", "2:3"), ("2560x1080", "21:9"),
    ("1280x1024", "4:3"), ("1000x1000", "1:1"), ("1024x1792", "9:16"), ("900x2100", "9:21"), ("768x1024", "3:4"),
])
def test_size_maps_to_the_nearest_ratio(bfl_client: openai.OpenAI, bfl: FakeBFL, size: str, ratio: str) -> None:
    body = generate(bfl_client, model="flux-kontext-pro", prompt="p", size=size)
    assert bfl.submitted()[-1].json["aspect_ratio"] == ratio
    assert body["aspect_ratio"] == ratio


def test_aspect_ratio_wins_over_size(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    generate(bfl_client, model="flux-kontext-pro", prompt="p", size="1024x1536", extra_body={"aspect_ratio": "21:9"})
    assert bfl.submitted()[-1].json["aspect_ratio"] == "21:9"


def test_size_auto_is_the_upstream_default(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    body = generate(bfl_client, model="flux-kontext-max", prompt="p", size="auto")
    assert bfl.submitted()[-1].path == "/v1/flux-kontext-max"
    assert bfl.submitted()[-1].json["aspect_ratio"] == "1:1" and body["aspect_ratio"] == "1:1"


@pytest.mark.parametrize("size", ["big", "1024", "0x512", "1024x", "10x10x10"])
def test_bad_sizes_are_refused(bfl_client: openai.OpenAI, size: str) -> None:
    failure = raised(lambda: bfl_client.images.generate(model="flux-kontext-pro", prompt="p", size=size))
    api_error(failure, 400, param="size", code="invalid_size")


@pytest.mark.parametrize(("quality", "upsampling"), [
    ("hd", True), ("high", True), ("standard", False), ("auto", False), ("low", False), ("medium", False),
])
def test_quality_sets_prompt_upsampling(bfl_client: openai.OpenAI, bfl: FakeBFL, quality: str,
                                        upsampling: bool) -> None:
    generate(bfl_client, model="flux-kontext-pro", prompt="p", quality=quality)
    assert bfl.submitted()[-1].json["prompt_upsampling"] is upsampling


def test_unknown_quality_is_refused(bfl_client: openai.OpenAI) -> None:
    failure = raised(lambda: bfl_client.images.generate(model="flux-kontext-pro", prompt="p",
                                                        quality="xhigh"))
    api_error(failure, 400, param="quality", code="invalid_value")


def test_prompt_upsampling_contradicting_quality_is_refused(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    failure = raised(lambda: bfl_client.images.generate(
        model="flux-kontext-pro", prompt="p", quality="hd", extra_body={"prompt_upsampling": False}))
    api_error(failure, 400, param="prompt_upsampling", code="conflicting_parameters")
    assert bfl.submitted() == []


@pytest.mark.parametrize(("fmt", "pil"), [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
def test_output_format(bfl_client: openai.OpenAI, bfl: FakeBFL, fmt: str, pil: str) -> None:
    body = generate(bfl_client, model="flux-kontext-pro", prompt="p", output_format=fmt, response_format="b64_json")
    assert bfl.submitted()[-1].json["output_format"] == fmt
    assert body["output_format"] == fmt
    image = decode(body["data"][0]["b64_json"])
    assert image.format == pil
    assert (body["data"][0]["width"], body["data"][0]["height"]) == image.size


def test_unsupported_output_format_is_refused(bfl_client: openai.OpenAI) -> None:
    failure = raised(lambda: bfl_client.images.generate(model="flux-kontext-pro", prompt="p",
                                                        output_format="gif"))
    api_error(failure, 400, param="output_format", code="invalid_value")


def test_extras_pass_through(bfl_client: openai.OpenAI, bfl: FakeBFL) -> None:
    generate(bfl_client, model="flux-kontext-pro", prompt="p",
             extra_body={"seed": 7, "safety_tolerance": 5, "prompt_upsampling": True})
    sent = bfl.submitted()[-1].json
    assert (sent["seed"], sent["safety_tolerance"], sent["prompt_upsampling"]) == (7, 5, True)


@pytest.mark.parametrize(("extra", "param", "code"), [
    ({"safety_tolerance": 7}, "safety_tolerance", "integer_above_max_value"),
    ({"safety_tolerance": -1}, "safety_tolerance", "integer_below_min_value"),
    ({"seed": "lucky"}, "seed", "invalid_type"),
    ({"seed": -3}, "seed", "integer_below_min_value"),
    ({"seed": 2**32}, "seed", "integer_above_max_value"),
    ({"prompt_upsampling": "maybe"}, "prompt_upsampling", "invalid_type"),
    ({"partial_results": "sometimes"}, "partial_results", "invalid_type"),
    ({"guidance": 3.5}, "guidance", "unknown_parameter"),
    ({"steps": 30}, "steps", "unknown_parameter"),
    ({"style": "vivid"}, "style", "unsupported_parameter"),
    ({"background": "transparent"}, "background", "unsupported_parameter"),
])
def test_bad_extras_are_refused(bfl_client: openai.OpenAI, bfl: FakeBFL, extra: dict[str, object], param: str,
                                code: str) -> None:
    failure = raised(lambda: bfl_client.images.generate(model="flux-kontext-pro", prompt="p",
                                                        extra_body=extra))
    api_error(failure, 400, param=param, code=code)
    assert bfl.submitted() == []


def test_prompt_is_required(bfl_client: openai.OpenAI, bfl_gateway: Gateway) -> None:
    failure = raised(lambda: bfl_client.images.generate(model="flux-kontext-pro", prompt="  "))
    api_error(failure, 400, param="prompt", code="missing_required_parameter")
    with bfl_gateway.http() as http:
        response = http.post("/v1/images/generations", json={"model": "flux-kontext-pro", "aspect_ratio": "1:1"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "prompt"


def test_n_fans_out_with_spread_seeds(bfl_client: openai.OpenAI, bfl: FakeBFL, bfl_gateway: Gateway) -> None:
    raw = bfl_client.images.with_raw_response.generate(model="flux-kontext-pro", prompt="p", n=10,
                                                       extra_body={"seed": 100})
    body = raw.http_response.json()
    seeds = sorted(r.json["seed"] for r in bfl.submitted())
    assert seeds == list(range(100, 110))
    assert len(body["data"]) == 10 and body["usage"]["images"] == 10
    assert len({item["url"] for item in body["data"]}) == 10
    row = usage_row(bfl_gateway, raw.http_response.headers["x-request-id"])
    assert (row["n"], row["images"], row["channel"]) == (10, 10, "bfl")
    assert row["upstream_cost_micros"] == 400_000 and row["price_micros"] == 400_000
    assert body["usage"]["cost_usd"] == 0.4 and raw.http_response.headers["x-imagegate-cost"] == "0.4"


def test_n_above_ten_is_refused(bfl_client: openai.OpenAI) -> None:
    failure = raised(lambda: bfl_client.images.generate(model="flux-kontext-pro", prompt="p", n=11))
    api_error(failure, 400, param="n", code="integer_above_max_value")


def test_models_list_flux_capabilities(bfl_client: openai.OpenAI) -> None:
    models = {m.id: m for m in bfl_client.models.list()}
    assert set(models) == {"flux-kontext-pro", "flux-kontext-max", "flux-fill-pro"}
    capabilities = models["flux-kontext-pro"].model_extra["capabilities"]  # type: ignore[index]
    assert capabilities["aspect_ratios"] == RATIOS
    assert capabilities["mask_model"] == "flux-fill-pro" and capabilities["edit_max_images"] == 4
    fields = capabilities["option_fields"]
    assert sorted(fields) == ["prompt_upsampling", "safety_tolerance", "seed"]
    assert (fields["seed"]["type"], fields["seed"]["minimum"], fields["seed"]["maximum"]) == ("integer", 0, 2**32 - 1)
    assert (fields["safety_tolerance"]["minimum"], fields["safety_tolerance"]["maximum"]) == (0, 6)
    assert fields["prompt_upsampling"]["type"] == "boolean"
