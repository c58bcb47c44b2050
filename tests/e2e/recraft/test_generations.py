"""Recraft through the official SDK: sizes, styles and the Recraft-only substyle, n beyond Recraft's 6, url and
b64_json (result links fetched at once and rehosted), SVG served safely, the price in the ledger, /v1/models."""

from __future__ import annotations

import base64

import httpx
import openai
import pytest

from tests.e2e.channels import named_key, usage_line
from tests.e2e.helpers import api_error, fetch, raised
from tests.fakes.images_api_fake import SVG
from tests.fakes.recraft_upstream import FakeRecraft
from tests.harness import Gateway, fresh_client


def sent(fake: FakeRecraft) -> dict[str, object]:
    return dict(fake.last.json or {})


def test_a_generation_is_rehosted_from_recraft_s_expiring_link(client: openai.OpenAI, recraft: FakeRecraft) -> None:
    result = client.images.generate(model="recraftv4_1", prompt="a fox", response_format="url")
    assert sent(recraft) == {"model": "recraftv4_1", "prompt": "a fox", "n": 1, "response_format": "url"}
    assert recraft.last.headers["authorization"] == f"Bearer {recraft.api_key}"
    assert len(recraft.downloads) == 1 and result.data[0].url is not None
    assert result.data[0].url.startswith(client.base_url.scheme + "://" + client.base_url.host)
    assert fetch(result.data[0].url).size == (64, 64)


@pytest.mark.parametrize(("model", "extra", "size"), [
    ("recraftv4_1", {"size": "1344x768"}, "1344x768"),
    ("recraftv4_pro", {"size": "2560x1664"}, "2560x1664"),
    ("recraftv3", {"size": "1820x1024"}, "1820x1024"),
    ("recraftv4_1", {"aspect_ratio": "16:9"}, "1344x768"),
    ("recraftv3", {"aspect_ratio": "9:16"}, "1024x1820"),
    ("recraftv4_1_pro", {"aspect_ratio": "1:1"}, "2048x2048"),
])
def test_listed_sizes_and_aspect_ratios(client: openai.OpenAI, recraft: FakeRecraft, model: str,
                                        extra: dict[str, str], size: str) -> None:
    client.images.generate(model=model, prompt="p", response_format="b64_json", extra_body=extra)
    assert sent(recraft)["size"] == size


def test_styles_substyle_and_negative_prompt_on_v3(client: openai.OpenAI, recraft: FakeRecraft) -> None:
    client.images.generate(model="recraftv3", prompt="p", style="digital_illustration",  # type: ignore[arg-type]
                           extra_body={"substyle": "2d_art_poster", "negative_prompt": "text"})
    assert {k: sent(recraft)[k] for k in ("style", "substyle", "negative_prompt")} == {
        "style": "digital_illustration", "substyle": "2d_art_poster", "negative_prompt": "text"}


@pytest.mark.parametrize(("model", "extra", "param", "code"), [
    ("recraftv4_1", {"size": "1000x1000"}, "size", "invalid_size"),
    ("recraftv4_1", {"size": "16:9"}, "size", "invalid_size"),
    ("recraftv4_1", {"style": "realistic_image"}, "style", "unsupported_parameter"),
    ("recraftv3", {"style": "vector_illustration"}, "style", "invalid_value"),
    ("recraftv3", {"substyle": "hdr"}, "substyle", "invalid_value"),
    ("recraftv4_1", {"substyle": "hdr"}, "substyle", "unsupported_parameter"),
    ("recraftv4_1", {"negative_prompt": "x"}, "negative_prompt", "unsupported_parameter"),
    ("recraftv4_1", {"quality": "high"}, "quality", "invalid_value"),
    ("recraftv4_1", {"output_format": "svg"}, "output_format", "unsupported_parameter"),
    ("recraftv4_1_vector", {"output_format": "png"}, "output_format", "invalid_value"),
    ("recraftv4_1", {"image_size": "2K"}, "image_size", "unsupported_parameter"),
    ("recraftv4_1", {"seed": 1}, "seed", "unsupported_parameter"),
    ("recraftv4_1", {"background": "transparent"}, "background", "unsupported_parameter"),
    ("recraftv3", {"prompt": "x" * 1001}, "prompt", "string_above_max_length"),
])
def test_what_recraft_cannot_honour_is_a_400(client: openai.OpenAI, recraft: FakeRecraft, model: str,
                                             extra: dict[str, object], param: str, code: str) -> None:
    failure = raised(lambda: client.images.generate(model=model, prompt="p", extra_body=extra))
    api_error(failure, 400, param=param, code=code)
    assert recraft.requests == []


def test_n_beyond_six_fans_out(client: openai.OpenAI, recraft: FakeRecraft) -> None:
    result = client.images.generate(model="recraftv4_1", prompt="p", n=8, response_format="b64_json")
    assert len(result.data) == 8 and sorted(r.json["n"] for r in recraft.requests) == [2, 6]  # type: ignore[index]


def test_vector_results_are_svg_served_as_a_sandboxed_download(client: openai.OpenAI, recraft: FakeRecraft) -> None:
    result = client.images.generate(model="recraftv4_1_vector", prompt="p", response_format="url",
                                    extra_body={"output_format": "svg"})
    response = httpx.get(result.data[0].url or "", timeout=10)
    assert response.status_code == 200 and response.content == SVG
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["content-security-policy"].startswith("sandbox")
    assert response.headers["x-content-type-options"] == "nosniff"
    inline = client.images.generate(model="recraftv3_vector", prompt="p", response_format="b64_json",
                                    style="icon")  # type: ignore[arg-type]
    assert base64.b64decode(inline.data[0].b64_json or "") == SVG


def test_price_in_the_answer_and_the_ledger(recraft_gateway: Gateway, recraft: FakeRecraft) -> None:
    with fresh_client(recraft_gateway, recraft, key=named_key(recraft_gateway, "recraft-price")) as own:
        result = own.images.generate(model="recraftv4_pro", prompt="p", n=2, response_format="b64_json")
    assert result.usage is not None and (result.usage.model_extra or {})["cost_usd"] == pytest.approx(0.50)
    line = usage_line(recraft_gateway, "recraft-price", "recraftv4_pro")
    assert line["cost_usd"] == pytest.approx(0.50) and line["images"] == 2
    assert recraft.answers[-1]["credits"] == 500


def test_models_lists_recraft_with_its_capabilities(client: openai.OpenAI, recraft_gateway: Gateway) -> None:
    ids = {m.id for m in client.models.list()}
    assert {"recraftv4_1", "recraftv3_vector", "recraftv4_pro"} <= ids and "grok-imagine-image" not in ids
    with recraft_gateway.http() as http:
        capabilities = http.get("/v1/models/recraftv3").json()["capabilities"]
    assert capabilities["styles"] == ["any", "realistic_image", "digital_illustration"]
    assert "1820x1024" in capabilities["sizes"] and capabilities["endpoints"] == ["edits", "generations"]
