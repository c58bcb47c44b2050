"""POST /v1/images/edits and /v1/images/variations through the official SDK."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from tests.factories import png_bytes
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway
from tests.openai_schema import validate

from .helpers import decode, fetch, image_file, mask


def test_edit_two_images_and_a_mask_reach_the_upstream(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    first, second, the_mask = png_bytes(64, 64), png_bytes(80, 40, "RGB", "JPEG"), mask(64, 64)
    result = client.images.edit(
        model="gpt-image-1", prompt="merge them", n=2, size="1024x1536", quality="low",
        image=[("a.png", first, "image/png"), ("b.jpg", second, "image/jpeg")],
        mask=("m.png", the_mask, "image/png"), input_fidelity="high", background="transparent",
    )
    assert [decode(d.b64_json).size for d in result.data] == [(1024, 1536)] * 2
    sent = upstream.last
    assert sent.path == "/v1/images/edits"
    images = [f for f in sent.files if f.field == "image[]"]
    assert [f.data for f in images] == [first, second]
    assert [f.content_type for f in images] == ["image/png", "image/jpeg"]
    masks = [f for f in sent.files if f.field == "mask"]
    assert len(masks) == 1 and masks[0].data == the_mask and masks[0].content_type == "image/png"
    assert sent.form["prompt"] == ["merge them"] and sent.form["n"] == ["2"]
    assert sent.form["input_fidelity"] == ["high"] and sent.form["background"] == ["transparent"]
    assert sent.form["size"] == ["1024x1536"] and sent.form["quality"] == ["low"]


def test_edit_single_image_field(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    result = client.images.edit(model="gpt-image-1", prompt="p", image=image_file(mode="RGB", fmt="WEBP"))
    assert decode(result.data[0].b64_json).size == (1024, 1024)
    assert [f.field for f in upstream.last.files] == ["image[]"]


@pytest.mark.parametrize("field", ["image", "image[]", "image[0]"])
def test_edit_accepts_every_image_field_spelling(gateway: Gateway, upstream: FakeOpenAI, field: str) -> None:
    files = [(field, image_file(32, 32, name="a.png")), (field.replace("0", "1"), image_file(16, 16, name="b.png"))]
    with gateway.http() as http:
        response = http.post("/v1/images/edits", data={"model": "gpt-image-1", "prompt": "p"}, files=files)
    assert response.status_code == 200, response.text
    assert len([f for f in upstream.last.files if f.field == "image[]"]) == 2


def test_edit_multipart_numbers_as_strings(gateway: Gateway, upstream: FakeOpenAI) -> None:
    data = {"model": "gpt-image-1", "prompt": "p", "n": "2", "output_compression": "50", "output_format": "jpeg"}
    with gateway.http() as http:
        response = http.post("/v1/images/edits", data=data, files={"image": image_file(32, 32, name="a.png")})
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == 2
    assert upstream.last.form["output_compression"] == ["50"]


def test_edit_url_response_and_schema(client: openai.OpenAI, gateway: Gateway) -> None:
    raw = client.images.with_raw_response.edit(model="gpt-image-1", prompt="p", response_format="url",
                                               image=image_file(32, 32, name="a.png"))
    body = raw.http_response.json()
    validate(body, "ImagesResponse")
    assert body["data"][0]["url"].startswith(gateway.url)
    assert fetch(body["data"][0]["url"]).size == (1024, 1024)


def test_dall_e_2_edit_with_mask(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    result = client.images.edit(model="dall-e-2", prompt="p", size="512x512", image=image_file(64, 64, "RGB"),
                                mask=("m.png", mask(64, 64), "image/png"))
    assert fetch(result.data[0].url).size == (512, 512)
    assert [f.field for f in upstream.last.files] == ["image", "mask"]
    assert upstream.last.form["response_format"] == ["b64_json"]


def test_dall_e_2_edit_transparent_image_without_mask(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    result = client.images.edit(model="dall-e-2", prompt="p", response_format="b64_json",
                                image=image_file(64, 64))  # blank: fully transparent
    assert decode(result.data[0].b64_json).size == (1024, 1024)
    assert upstream.last.files[0].content_type == "image/png"


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # the SDK marks variations deprecated
def test_variations(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    result = client.images.create_variation(image=image_file(64, 64, "RGB", name="a.png"), n=2, size="256x256")
    assert [fetch(d.url).size for d in result.data] == [(256, 256)] * 2
    sent = upstream.last
    assert sent.path == "/v1/images/variations" and sent.form["model"] == ["dall-e-2"]
    assert sent.form["n"] == ["2"] and [f.field for f in sent.files] == ["image"]


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_variations_b64(client: openai.OpenAI) -> None:
    result = client.images.create_variation(model="dall-e-2", image=image_file(32, 32, name="a.png"),
                                            response_format="b64_json")
    assert decode(result.data[0].b64_json).size == (1024, 1024)


def test_temp_files_are_removed_after_the_request(gateway: Gateway, client: openai.OpenAI,
                                                  upstream: FakeOpenAI) -> None:
    client.images.edit(model="gpt-image-1", prompt="p", image=image_file(32, 32, name="a.png"))
    upstream.fail_next("status", status=500)
    with pytest.raises(openai.InternalServerError):
        client.images.edit(model="gpt-image-1", prompt="p", image=image_file(32, 32, name="a.png"))
    with pytest.raises(openai.BadRequestError):
        client.images.edit(model="gpt-image-1", prompt="p", image=("a.txt", b"not an image", "text/plain"))
    assert len(upstream.image_requests) == 2
    tmp = gateway.data_dir / "tmp"
    for _ in range(500):  # removal happens off the request path: wait for it, not for a time
        if not any(tmp.iterdir()):
            break
        time.sleep(0.01)
    assert list(tmp.iterdir()) == []


def test_edit_form_without_openai_sdk_accepts_curl_style(gateway: Gateway, upstream: FakeOpenAI) -> None:
    body = httpx.post(f"{gateway.url}/v1/images/edits", headers={"Authorization": "Bearer ig-test-master-key"},
                      data={"model": "gpt-image-1", "prompt": "p", "size": "1536x1024"},
                      files=[("image", image_file(20, 20, name="x.png"))], timeout=30)
    assert body.status_code == 200 and upstream.last.form["size"] == ["1536x1024"]


def data_url(data: bytes, mime: str = "image/png") -> str:
    import base64

    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def test_json_edit_with_data_urls(gateway: Gateway, upstream: FakeOpenAI) -> None:
    first, second, the_mask = png_bytes(40, 40), png_bytes(40, 40, "RGB", "JPEG"), mask(40, 40)
    body = {"model": "gpt-image-1", "prompt": "p", "n": 2, "size": "1536x1024",
            "images": [{"image_url": data_url(first)}, {"image_url": data_url(second, "image/jpeg")}],
            "mask": {"image_url": data_url(the_mask)}}
    with gateway.http() as http:
        response = http.post("/v1/images/edits", json=body)
    assert response.status_code == 200, response.text
    assert [decode(d["b64_json"]).size for d in response.json()["data"]] == [(1536, 1024)] * 2
    sent = upstream.last
    assert [f.data for f in sent.files if f.field == "image[]"] == [first, second]
    assert [f.data for f in sent.files if f.field == "mask"] == [the_mask]


@pytest.mark.parametrize(("images", "param", "code"), [
    (None, "images", "missing_required_parameter"),
    ([{"file_id": "file-1"}], "images", "unsupported_value"),
    ([{"image_url": "https://example.com/a.png"}], "images", "invalid_image_url"),
    ([{"image_url": "data:image/png;base64,!!!"}], "images", "invalid_image"),
    (["plain"], "images", "invalid_type"),
    ([{"image_url": "data:image/png;base64,aGVsbG8="}], "image", "invalid_image"),
])
def test_json_edit_bad_images(gateway: Gateway, upstream: FakeOpenAI, images: object, param: str,
                              code: str) -> None:
    body: dict[str, object] = {"model": "gpt-image-1", "prompt": "p"}
    if images is not None:
        body["images"] = images
    with gateway.http() as http:
        response = http.post("/v1/images/edits", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, code)
    assert upstream.image_requests == []
