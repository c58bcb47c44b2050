"""The demo model through the openai SDK, on a gateway with no upstream configured: every endpoint, sizes and
ratios, n, both response formats, output formats, seeds, streaming, a bad size, cost 0 in the answer and the
ledger."""

from __future__ import annotations

import base64
import io

import httpx
import openai
import pytest
from PIL import Image

from tests.e2e.ledger_tools import query
from tests.factories import png_bytes
from tests.harness import Gateway

# the SDK marks images.create_variation deprecated; the endpoint is still OpenAI's and ours
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def picture(b64: str | None) -> Image.Image:
    assert b64 is not None
    return Image.open(io.BytesIO(base64.b64decode(b64)))


@pytest.mark.parametrize("size", ["256x256", "1024x1024", "1536x1024", "256x2048"])
def test_generations_at_any_size(bare: Gateway, size: str) -> None:
    with bare.client() as client:
        result = client.images.generate(model="demo", prompt="a fox in the snow", size=size)  # type: ignore[arg-type]
    assert picture(result.data[0].b64_json).size == tuple(int(edge) for edge in size.split("x"))


@pytest.mark.parametrize(("ratio", "width_over_height"), [("16:9", 16 / 9), ("1:3", 1 / 3), ("1:1", 1.0)])
def test_generations_at_an_aspect_ratio(bare: Gateway, ratio: str, width_over_height: float) -> None:
    with bare.client() as client:
        result = client.images.generate(model="demo", prompt="fox", extra_body={"aspect_ratio": ratio})
    width, height = picture(result.data[0].b64_json).size
    assert abs(width / height - width_over_height) < 0.05


def test_an_answer_is_marked_demo_and_costs_nothing(bare: Gateway) -> None:
    with bare.http() as http:
        response = http.post("/v1/images/generations", json={"model": "demo", "prompt": "fox", "size": "64x64"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["demo"] is True and body["usage"]["cost_usd"] == 0 and body["usage"]["images"] == 1
    assert response.headers["x-imagegate-demo"] == "true" and float(response.headers["x-imagegate-cost"]) == 0
    request_id = response.headers["x-request-id"]
    rows = query(bare, "SELECT model, price_micros, status FROM usage WHERE request_id = :r", r=request_id)
    assert rows == [("demo", 0, 200)]


def test_n_urls_and_output_formats(bare: Gateway) -> None:
    with bare.client() as client:
        result = client.images.generate(model="demo", prompt="fox", size="256x256", n=3, response_format="url",
                                        output_format="webp")
        assert len(result.data) == 3 and result.usage is not None
        links = [item.url for item in result.data]
    assert all(link is not None and link.startswith(bare.url) for link in links)
    images = [httpx.get(str(link)).content for link in links]
    assert {Image.open(io.BytesIO(data)).format for data in images} == {"WEBP"}
    assert len(set(images)) == 3  # each image of a request has its own colours


def test_jpeg_and_a_seed_are_deterministic(bare: Gateway) -> None:
    with bare.client() as client:
        def draw(seed: int) -> str | None:
            return client.images.generate(model="demo", prompt="fox", size="128x128", output_format="jpeg",
                                          extra_body={"seed": seed}).data[0].b64_json
        first = draw(5)
        assert picture(first).format == "JPEG"
        assert draw(5) == first and draw(6) != first


def test_edits_with_and_without_mask(bare: Gateway) -> None:
    source = png_bytes(64, 64, color=(0, 0, 0, 255))
    mask = png_bytes(64, 64, color=(0, 0, 0, 255), transparent_box=(0, 0, 32, 64))
    with bare.client() as client:
        plain = client.images.edit(model="demo", image=("in.png", source), prompt="add a hat", size="128x128")
        masked = client.images.edit(model="demo", image=("in.png", source), mask=("mask.png", mask),
                                    prompt="add a hat", size="128x128")
    unmasked_pixel = picture(plain.data[0].b64_json).convert("RGB").getpixel((10, 10))
    masked_left = picture(masked.data[0].b64_json).convert("RGB").getpixel((10, 10))
    masked_right = picture(masked.data[0].b64_json).convert("RGB").getpixel((118, 10))
    assert unmasked_pixel == (0, 0, 0) and masked_right == (0, 0, 0)  # the input image, scaled behind the label
    assert isinstance(masked_left, tuple) and masked_left[0] > 50 and masked_left[1] == 0  # tinted where masked


def test_variations(bare: Gateway) -> None:
    with bare.client() as client:
        result = client.images.create_variation(model="demo", image=("in.png", png_bytes(32, 32)), n=2,
                                                size="256x256", response_format="b64_json")
    assert [picture(item.b64_json).size for item in result.data] == [(256, 256), (256, 256)]


def test_streaming_gives_the_completed_image(bare: Gateway) -> None:
    with bare.client() as client:
        events = list(client.images.generate(model="demo", prompt="fox", size="64x64", stream=True))
    assert [event.type for event in events] == ["image_generation.completed"]
    assert picture(events[0].b64_json).size == (64, 64)


@pytest.mark.parametrize("size", ["32x32", "4096x1024", "big"])
def test_a_bad_size_is_a_400_naming_size(bare: Gateway, size: str) -> None:
    with bare.client() as client, pytest.raises(openai.BadRequestError) as err:
        client.images.generate(model="demo", prompt="fox", size=size)  # type: ignore[arg-type]
    assert err.value.body["param"] == "size"  # type: ignore[index]


def test_the_models_list_has_only_demo(bare: Gateway) -> None:
    with bare.client() as client:
        assert [model.id for model in client.models.list()] == ["demo"]


def test_the_openapi_document_describes_the_demo_mark(bare: Gateway) -> None:
    with bare.http(key=None) as http:
        doc = http.get("/openapi.json").json()
    assert doc["components"]["schemas"]["ImagesResponse"]["properties"]["demo"]["anyOf"][0] == {"type": "boolean"}
    headers = doc["paths"]["/v1/images/generations"]["post"]["responses"]["200"]["headers"]
    assert headers["x-imagegate-demo"]["schema"] == {"enum": ["true"]}


def test_a_request_without_a_model_gets_the_demo_model(bare: Gateway) -> None:
    with bare.http() as http:
        response = http.post("/v1/images/generations", json={"prompt": "fox", "size": "64x64"})
    assert response.status_code == 200 and response.json()["demo"] is True
