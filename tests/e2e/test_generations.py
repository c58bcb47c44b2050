"""POST /v1/images/generations through the official SDK: every model, size, format and mapping."""

from __future__ import annotations

import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway
from tests.openai_schema import validate

from .helpers import decode, fetch

GPT_SIZES = ["1024x1024", "1536x1024", "1024x1536"]


@pytest.mark.parametrize("size", GPT_SIZES)
def test_gpt_image_every_size_b64_by_default(client: openai.OpenAI, upstream: FakeOpenAI, size: str) -> None:
    result = client.images.generate(model="gpt-image-1", prompt="a red fox", size=size)
    width, height = map(int, size.split("x"))
    assert decode(result.data[0].b64_json).size == (width, height)
    assert result.data[0].url is None
    sent = upstream.last.json
    assert sent["size"] == size and sent["model"] == "gpt-image-1" and sent["prompt"] == "a red fox"
    assert "response_format" not in sent  # gpt-image upstreams reject it


def test_gpt_image_n_and_response_fields(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    raw = client.images.with_raw_response.generate(model="gpt-image-1", prompt="three owls", n=3,
                                                   quality="high", background="opaque", output_format="png")
    body = raw.http_response.json()
    validate(body, "ImagesResponse")
    assert len(body["data"]) == 3
    assert body["quality"] == "high" and body["size"] == "1024x1024" and body["output_format"] == "png"
    assert body["usage"]["images"] == 3
    assert body["usage"]["input_tokens_details"] == {"text_tokens": 40, "image_tokens": 10}
    assert raw.headers["x-request-id"]
    assert upstream.last.json["n"] == 3 and upstream.last.json["quality"] == "high"


def test_gpt_image_url_is_hosted_by_the_gateway(client: openai.OpenAI, gateway: Gateway) -> None:
    result = client.images.generate(model="gpt-image-1", prompt="a lighthouse", response_format="url")
    url = result.data[0].url or ""
    assert url.startswith(f"{gateway.url}/v1/files/images/") and "signature=" in url and "expires=" in url
    assert fetch(url).size == (1024, 1024)
    assert result.data[0].b64_json is None


def test_gpt_image_options_are_forwarded(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    client.images.generate(model="gpt-image-1", prompt="p", background="transparent", moderation="low",
                           output_format="webp", output_compression=80, user="u-1", quality="auto")
    sent = upstream.last.json
    assert {k: sent[k] for k in ("background", "moderation", "output_format", "output_compression", "user")} == {
        "background": "transparent", "moderation": "low", "output_format": "webp", "output_compression": 80,
        "user": "u-1"}
    assert sent["quality"] == "auto"


def test_gpt_image_quality_aliases(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    client.images.generate(model="gpt-image-1", prompt="p", quality="hd")
    assert upstream.last.json["quality"] == "high"
    client.images.generate(model="gpt-image-1", prompt="p", quality="standard")
    assert upstream.last.json["quality"] == "medium"


@pytest.mark.parametrize(("ratio", "size"), [("16:9", "1536x1024"), ("9:16", "1024x1536"), ("1:1", "1024x1024"),
                                             ("4:3", "1536x1024"), ("2:3", "1024x1536")])
def test_aspect_ratio_maps_to_nearest_size(client: openai.OpenAI, upstream: FakeOpenAI, ratio: str,
                                           size: str) -> None:
    result = client.images.generate(model="gpt-image-1", prompt="p", extra_body={"aspect_ratio": ratio})
    assert upstream.last.json["size"] == size
    assert "aspect_ratio" not in upstream.last.json
    width, height = map(int, size.split("x"))
    assert decode(result.data[0].b64_json).size == (width, height)


def test_size_wins_over_aspect_ratio(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    client.images.generate(model="gpt-image-1", prompt="p", size="1024x1024", extra_body={"aspect_ratio": "16:9"})
    assert upstream.last.json["size"] == "1024x1024"


def test_aspect_ratio_on_dall_e_3(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    client.images.generate(model="dall-e-3", prompt="p", extra_body={"aspect_ratio": "21:9"})
    assert upstream.last.json["size"] == "1792x1024"


@pytest.mark.parametrize("size", ["256x256", "512x512", "1024x1024"])
def test_dall_e_2_sizes_default_to_links(client: openai.OpenAI, upstream: FakeOpenAI, size: str) -> None:
    result = client.images.generate(model="dall-e-2", prompt="a boat", size=size, n=2)
    width, height = map(int, size.split("x"))
    assert [fetch(d.url).size for d in result.data] == [(width, height)] * 2
    assert upstream.last.json["response_format"] == "b64_json"  # bytes come back at once, never upstream links


@pytest.mark.parametrize("size", ["1024x1024", "1792x1024", "1024x1792"])
def test_dall_e_3_sizes_style_and_revised_prompt(client: openai.OpenAI, upstream: FakeOpenAI, size: str) -> None:
    result = client.images.generate(model="dall-e-3", prompt="a castle", size=size, quality="hd", style="natural",
                                    response_format="b64_json")
    width, height = map(int, size.split("x"))
    assert decode(result.data[0].b64_json).size == (width, height)
    assert result.data[0].revised_prompt == "revised: a castle"
    sent = upstream.last.json
    assert sent["style"] == "natural" and sent["quality"] == "hd" and sent["n"] == 1


def test_dall_e_3_n_fans_out(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    result = client.images.generate(model="dall-e-3", prompt="p", n=3, response_format="b64_json")
    assert len(result.data) == 3
    calls = upstream.image_requests
    assert len(calls) == 3 and all(c.json["n"] == 1 for c in calls)
    assert result.usage is not None


def test_dall_e_response_has_no_non_openai_enum_values(client: openai.OpenAI) -> None:
    raw = client.images.with_raw_response.generate(model="dall-e-2", prompt="p", size="256x256")
    body = raw.http_response.json()
    validate(body, "ImagesResponse")
    assert "size" not in body and "quality" not in body
    assert body["usage"]["total_tokens"] == 0 and body["usage"]["images"] == 1


def test_gpt_image_1_all_is_served_by_gpt_image_1(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    result = client.images.generate(model="gpt-image-1-all", prompt="p")
    assert upstream.last.json["model"] == "gpt-image-1"
    assert decode(result.data[0].b64_json).size == (1024, 1024)


def test_null_fields_mean_not_sent(gateway: Gateway, upstream: FakeOpenAI) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/generations", json={"model": "dall-e-3", "prompt": "p", "style": None,
                                                             "size": None, "n": None, "response_format": None})
    assert response.status_code == 200, response.text
    assert "style" not in upstream.last.json and upstream.last.json["size"] == "1024x1024"


def test_default_model_is_dall_e_2(gateway: Gateway, upstream: FakeOpenAI) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/generations", json={"prompt": "p"})
    assert response.status_code == 200, response.text
    assert upstream.last.json["model"] == "dall-e-2"
    assert response.json()["data"][0]["url"].startswith(gateway.url)


def test_upstream_receives_its_own_key_not_the_clients(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    client.images.generate(model="gpt-image-1", prompt="p")
    assert upstream.last.headers["authorization"] == f"Bearer {upstream.api_key}"
