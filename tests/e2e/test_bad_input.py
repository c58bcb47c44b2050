"""Bad input end to end: every malformed or unsupported request is a 4xx in OpenAI's error envelope.

The official ``openai`` SDK sends everything it can express; raw httpx is used only for what the
SDK can't send (a broken multipart body, a non-JSON body, an oversized body, odd paths, odd
Authorization headers) and for the signed result links, which need no API key.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import struct
import tempfile
import time
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

import httpx
import openai
import pytest
from PIL import Image

from tests.e2e.helpers import BLANK, api_error, check_envelope, image_file
from tests.factories import png_bytes
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, SECRET, Gateway, openai_env, running

MB = 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# the SDK marks images.create_variation deprecated; the endpoint is still OpenAI's and ours
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


# --- helpers -----------------------------------------------------------------------------------------




def still_serving(gateway: Gateway) -> None:
    """A good request after the failures above still works."""
    with gateway.client() as client:
        result = client.images.generate(model="dall-e-2", prompt="still here", size="256x256",
                                        response_format="b64_json")
    assert len(result.data) == 1 and result.data[0].b64_json


def blob(size: int, name: str = "big.png") -> tuple[str, bytes, str]:
    """``size`` bytes that start like a PNG: rejected while reading, long before decoding."""
    return (name, PNG_MAGIC + bytes(size - len(PNG_MAGIC)), "image/png")


def claimed_size_png(width: int, height: int) -> bytes:
    """A tiny 1x1 PNG whose IHDR claims ``width`` x ``height`` (CRC fixed up): a decompression bomb header."""
    data = png_bytes(1, 1, "1", color=BLANK)
    assert data[12:16] == b"IHDR"
    ihdr = struct.pack(">II", width, height) + data[24:29]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return data[:16] + ihdr + crc + data[33:]


def sign(name: str, expires: int) -> str:
    return hmac.new(SECRET.encode(), f"{name}:{expires}".encode(), hashlib.sha256).hexdigest()


# --- prompt ------------------------------------------------------------------------------------------


def test_generation_without_prompt(client: openai.OpenAI, gateway: Gateway) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="dall-e-2", prompt=openai.omit)
    api_error(info.value, 400, param="prompt", code="missing_required_parameter")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="gpt-image-1", prompt="   ")
    api_error(info.value, 400, param="prompt", code="missing_required_parameter")
    with gateway.http() as http:
        response = http.post("/v1/images/generations", json={"model": "dall-e-3"})
    api_error(response, 400, param="prompt", code="missing_required_parameter")


def test_edit_without_prompt(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=image_file(), prompt=openai.omit)
    api_error(info.value, 400, param="prompt", code="missing_required_parameter")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="dall-e-2", image=image_file(), prompt="")
    api_error(info.value, 400, param="prompt", code="missing_required_parameter")


@pytest.mark.parametrize(("model", "limit"), [("dall-e-2", 1000), ("dall-e-3", 4000), ("gpt-image-1", 32000)])
def test_prompt_too_long(client: openai.OpenAI, upstream: FakeOpenAI, model: str, limit: int) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model=model, prompt="a" * (limit + 1))
    error = api_error(info.value, 400, param="prompt", code="string_above_max_length")
    assert str(limit) in error["message"]
    assert upstream.image_requests == []
    # exactly at the limit is fine
    result = client.images.generate(model=model, prompt="a" * limit, response_format="b64_json")
    assert len(result.data) == 1
    assert upstream.last.json["prompt"] == "a" * limit


def test_edit_prompt_too_long(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="dall-e-2", image=image_file(), prompt="a" * 1001)
    api_error(info.value, 400, param="prompt", code="string_above_max_length")


# --- n -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "code"), [(0, "integer_below_min_value"), (-1, "integer_below_min_value"),
                                         (11, "integer_above_max_value")])
def test_n_out_of_range(client: openai.OpenAI, upstream: FakeOpenAI, n: int, code: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="dall-e-2", prompt="a cat", n=n)
    api_error(info.value, 400, param="n", code=code)
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=image_file(), prompt="a cat", n=n)
    api_error(info.value, 400, param="n", code=code)
    with pytest.raises(openai.BadRequestError) as info:
        client.images.create_variation(model="dall-e-2", image=image_file(), n=n)
    api_error(info.value, 400, param="n", code=code)
    assert upstream.image_requests == []


def test_dall_e_3_n_fans_out(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    """dall-e-3 makes one image per upstream call; n>1 is mapped to a fan-out (DESIGN.md), not rejected."""
    result = client.images.generate(model="dall-e-3", prompt="a cat", n=2, response_format="b64_json")
    assert len(result.data) == 2
    assert [r.json["n"] for r in upstream.image_requests] == [1, 1]


def test_dall_e_2_edit_takes_n(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    result = client.images.edit(model="dall-e-2", image=image_file(), prompt="a hat", n=3, size="256x256",
                                response_format="b64_json")
    assert len(result.data) == 3
    assert upstream.last.form["n"] == ["3"]


@pytest.mark.parametrize("n", ["two", "1.5", True, 1.5, [1], ""])
def test_n_not_a_number(client: openai.OpenAI, n: Any) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="dall-e-2", prompt="a cat", n=n)
    api_error(info.value, 400, param="n", code="invalid_type")


@pytest.mark.parametrize("n", ["two", "", "1e3"])
def test_n_not_a_number_multipart(client: openai.OpenAI, n: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=image_file(), prompt="a cat", n=n)  # type: ignore[arg-type]
    api_error(info.value, 400, param="n", code="invalid_type")


# --- size, aspect_ratio, quality, style, response_format ------------------------------------------------


@pytest.mark.parametrize(("model", "size"), [
    ("dall-e-2", "1792x1024"), ("dall-e-2", "auto"), ("dall-e-2", "1536x1024"),
    ("dall-e-3", "256x256"), ("dall-e-3", "1536x1024"), ("dall-e-3", "auto"),
    ("gpt-image-1", "512x512"), ("gpt-image-1", "1792x1024"), ("gpt-image-1", "big"),
    ("gpt-image-1", "1024X1024"), ("gpt-image-1", "-1x-1"),
])
def test_invalid_size(client: openai.OpenAI, model: str, size: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model=model, prompt="a cat", size=size)
    error = api_error(info.value, 400, param="size", code="invalid_size")
    assert model in error["message"]


def test_invalid_size_on_edit_and_variation(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=image_file(), prompt="a cat", size="256x256")
    api_error(info.value, 400, param="size", code="invalid_size")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.create_variation(model="dall-e-2", image=image_file(), size="1024x1536")  # type: ignore[arg-type]
    api_error(info.value, 400, param="size", code="invalid_size")


@pytest.mark.parametrize("ratio", ["wide", "16x9", "0:1", "16:0", "-1:2", "1:2:3", ""])
def test_aspect_ratio_garbage(client: openai.OpenAI, ratio: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="gpt-image-1", prompt="a cat", extra_body={"aspect_ratio": ratio})
    api_error(info.value, 400, param="aspect_ratio", code="invalid_value")


def test_aspect_ratio_not_a_string(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="gpt-image-1", prompt="a cat", extra_body={"aspect_ratio": 1.5})
    api_error(info.value, 400, param="aspect_ratio", code="invalid_type")


@pytest.mark.parametrize(("model", "quality"), [("gpt-image-1", "ultra"), ("dall-e-3", "low"),
                                                ("dall-e-2", "hd"), ("gpt-image-1", "HIGH")])
def test_invalid_quality(client: openai.OpenAI, model: str, quality: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model=model, prompt="a cat", quality=quality)  # type: ignore[arg-type]
    api_error(info.value, 400, param="quality", code="invalid_value")


def test_style_on_gpt_image_1(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="gpt-image-1", prompt="a cat", style="vivid")
    api_error(info.value, 400, param="style", code="unsupported_parameter")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="dall-e-2", prompt="a cat", style="natural")
    api_error(info.value, 400, param="style", code="unsupported_parameter")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="dall-e-3", prompt="a cat", style="bright")  # type: ignore[arg-type]
    api_error(info.value, 400, param="style", code="invalid_value")
    assert upstream.image_requests == []


@pytest.mark.parametrize(("field", "value"), [
    ("background", "transparent"), ("moderation", "low"), ("output_format", "png"),
    ("output_compression", 50), ("partial_images", 1),
])
def test_gpt_image_fields_on_dall_e_3(client: openai.OpenAI, upstream: FakeOpenAI, field: str, value: Any) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="dall-e-3", prompt="a cat", **{field: value})
    error = api_error(info.value, 400, param=field, code="unsupported_parameter")
    assert "dall-e-3" in error["message"]
    assert upstream.image_requests == []


def test_gpt_image_field_on_dall_e_2_edit(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="dall-e-2", image=image_file(), prompt="a cat", input_fidelity="high")
    api_error(info.value, 400, param="input_fidelity", code="unsupported_parameter")


@pytest.mark.parametrize(("field", "value", "code"), [
    ("background", "clear", "invalid_value"), ("moderation", "none", "invalid_value"),
    ("output_format", "gif", "invalid_value"), ("output_compression", 101, "integer_above_max_value"),
    ("output_compression", "high", "invalid_type"), ("partial_images", 4, "integer_above_max_value"),
])
def test_invalid_gpt_image_values(client: openai.OpenAI, field: str, value: Any, code: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="gpt-image-1", prompt="a cat", **{field: value})
    api_error(info.value, 400, param=field, code=code)


@pytest.mark.parametrize("value", ["png", "URL", "base64"])
def test_invalid_response_format(client: openai.OpenAI, value: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="dall-e-2", prompt="a cat", response_format=value)  # type: ignore[arg-type]
    api_error(info.value, 400, param="response_format", code="invalid_value")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.create_variation(image=image_file(), response_format=value)  # type: ignore[arg-type]
    api_error(info.value, 400, param="response_format", code="invalid_value")


def test_transparent_background_with_jpeg(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="gpt-image-1", prompt="a logo", background="transparent", output_format="jpeg")
    api_error(info.value, 400, param="background", code="invalid_value")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=image_file(), prompt="a logo", background="transparent",
                           output_format="jpeg")
    api_error(info.value, 400, param="background", code="invalid_value")
    assert upstream.image_requests == []


def test_stream_bad_values(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="dall-e-3", prompt="a cat", stream=True, response_format="url")
    api_error(info.value, 400, param="response_format", code="invalid_value")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=image_file(), prompt="a cat", stream=True, response_format="url")
    api_error(info.value, 400, param="response_format", code="invalid_value")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="gpt-image-1", prompt="a cat", extra_body={"stream": "maybe"})
    api_error(info.value, 400, param="stream", code="invalid_type")
    assert upstream.image_requests == []


# --- models and fields --------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["dall-e-4", "gpt-image-99", "DALL-E-2", "../dall-e-2"])
def test_unknown_model(client: openai.OpenAI, model: str) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.images.generate(model=model, prompt="a cat")
    api_error(info.value, 404, param="model", code="model_not_found")


def test_unknown_model_on_edit_and_variation(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.images.edit(model="dall-e-4", image=image_file(), prompt="a cat")
    api_error(info.value, 404, param="model", code="model_not_found")
    with pytest.raises(openai.NotFoundError) as info:
        client.images.create_variation(model="dall-e-4", image=image_file())
    api_error(info.value, 404, param="model", code="model_not_found")


def test_model_not_a_string(gateway: Gateway) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/generations", json={"model": 3, "prompt": "a cat"})
    api_error(response, 400, param="model", code="invalid_type")


def test_model_on_wrong_endpoint(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="dall-e-3", image=image_file(), prompt="a cat")
    api_error(info.value, 400, param="model", code="unsupported_model")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.create_variation(model="gpt-image-1", image=image_file())
    api_error(info.value, 400, param="model", code="unsupported_model")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.create_variation(model="dall-e-3", image=image_file())
    api_error(info.value, 400, param="model", code="unsupported_model")
    assert upstream.image_requests == []


def test_unknown_field(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="dall-e-2", prompt="a cat", extra_body={"foo": 1})
    api_error(info.value, 400, param="foo", code="unknown_parameter")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=image_file(), prompt="a cat", extra_body={"foo": "1"})
    api_error(info.value, 400, param="foo", code="unknown_parameter")
    with pytest.raises(openai.BadRequestError) as info:  # fields of another endpoint are unknown here
        client.images.create_variation(model="dall-e-2", image=image_file(), extra_body={"prompt": "a cat"})
    api_error(info.value, 400, param="prompt", code="unknown_parameter")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=image_file(), prompt="a cat", extra_body={"style": "vivid"})
    api_error(info.value, 400, param="style", code="unknown_parameter")
    assert upstream.image_requests == []


# --- bodies the SDK can't send ------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"{not json", b"", b'{"prompt": "a cat"', b"\xff\xfe\x00", b"null", b"prompt=a+cat"])
def test_invalid_json_body(gateway: Gateway, body: bytes) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/generations", content=body, headers={"Content-Type": "application/json"})
    api_error(response, 400, param=None, code="invalid_json")


@pytest.mark.parametrize("body", [b'[{"prompt": "a cat"}]', b'"a cat"', b"42", b"true"])
def test_json_body_not_an_object(gateway: Gateway, body: bytes) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/generations", content=body, headers={"Content-Type": "application/json"})
    api_error(response, 400, param=None, code="invalid_json")


def test_json_body_too_large(gateway: Gateway) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": "a" * (3 * MB)})
    api_error(response, 413, param=None, code="payload_too_large")
    still_serving(gateway)


def test_multipart_on_generations(gateway: Gateway) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/generations", data={"model": "dall-e-2", "prompt": "a cat"},
                             files={"image": image_file()})
    api_error(response, 400, param=None, code="invalid_json")


def test_json_on_variations(gateway: Gateway) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/variations", json={"model": "dall-e-2", "image": "aGVsbG8="})
    api_error(response, 400, param=None, code="invalid_content_type")


@pytest.mark.parametrize(("body", "param", "code"), [
    ({"model": "gpt-image-1", "prompt": "a cat"}, "images", "missing_required_parameter"),
    ({"model": "gpt-image-1", "prompt": "a cat", "images": []}, "images", "missing_required_parameter"),
    ({"model": "gpt-image-1", "prompt": "a cat", "images": "aGVsbG8="}, "images", "missing_required_parameter"),
    ({"model": "gpt-image-1", "prompt": "a cat", "images": ["aGVsbG8="]}, "images", "invalid_type"),
    ({"model": "gpt-image-1", "prompt": "a cat", "images": [{"image_url": "https://example.com/a.png"}]},
     "images", "invalid_image_url"),
    ({"model": "gpt-image-1", "prompt": "a cat", "images": [{"image_url": "file:///etc/passwd"}]},
     "images", "invalid_image_url"),
    ({"model": "gpt-image-1", "prompt": "a cat", "images": [{"image_url": "data:image/png;base64,%%%"}]},
     "images", "invalid_image"),
    ({"model": "gpt-image-1", "prompt": "a cat", "images": [{"file_id": "file-123"}]}, "images",
     "unsupported_value"),
    ({"model": "gpt-image-1", "prompt": "a cat", "images": [{"image_url": "data:image/png;base64,AAAA"}] * 17},
     "images", "too_many_images"),
    ({"model": "gpt-image-1", "prompt": "a cat", "images": [{"image_url": "data:image/png;base64,AAAA"}],
      "mask": "AAAA"}, "mask", "invalid_type"),
])
def test_bad_json_edits(gateway: Gateway, upstream: FakeOpenAI, body: dict[str, Any], param: str,
                        code: str) -> None:
    """Edits also take OpenAI's JSON form (``images`` as base64 data URLs); a malformed one is a 400."""
    with gateway.http() as http:
        response = http.post("/v1/images/edits", json=body)
    api_error(response, 400, param=param, code=code)
    assert upstream.image_requests == []


BOUNDARY = "imagegate-test-boundary"


@pytest.mark.parametrize(("content_type", "body"), [
    (f"multipart/form-data; boundary={BOUNDARY}", b"this is not a multipart body at all"),
    (f"multipart/form-data; boundary={BOUNDARY}",
     b'--other\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat\r\n--other--\r\n'),
    (f"multipart/form-data; boundary={BOUNDARY}",
     f"--{BOUNDARY}\r\nNoColonInThisHeader\r\n\r\na cat\r\n--{BOUNDARY}--\r\n".encode()),
    (f"multipart/form-data; boundary={BOUNDARY}", b"\x00\xff" * 512),
])
def test_malformed_multipart(gateway: Gateway, upstream: FakeOpenAI, content_type: str, body: bytes) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/edits", content=body, headers={"Content-Type": content_type})
    api_error(response, 400, param=None, code="invalid_multipart")
    assert upstream.image_requests == []


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/mixed; boundary=x", "text/plain", ""])
def test_multipart_content_type_without_boundary(gateway: Gateway, content_type: str) -> None:
    body = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\na\r\n--{BOUNDARY}--\r\n"
    with gateway.http() as http:
        response = http.post("/v1/images/edits", content=body.encode(), headers={"Content-Type": content_type})
    api_error(response, 400, param=None, code="invalid_content_type")


def test_multipart_truncated_mid_file(gateway: Gateway) -> None:
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\na cat\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode()
    with gateway.http() as http:
        response = http.post("/v1/images/edits", content=head + png_bytes(64, 64, color=BLANK)[:40],
                             headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert response.status_code == 400, response.text
    check_envelope(response.json())
    assert response.json()["error"]["param"] in (None, "image"), response.text
    assert response.json()["error"]["code"] in ("invalid_multipart", "invalid_image"), response.text


def test_multipart_unknown_file_field_and_duplicates(gateway: Gateway) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/edits", data={"prompt": "a cat", "model": "gpt-image-1"},
                             files={"picture": image_file()})
        api_error(response, 400, param="picture", code="unknown_parameter")
        response = http.post("/v1/images/edits", data={"prompt": ["a cat", "a dog"], "model": "gpt-image-1"},
                             files={"image": image_file()})
        api_error(response, 400, param="prompt", code="invalid_value")
        response = http.post("/v1/images/edits", data={"prompt": "a cat", "model": "gpt-image-1"},
                             files=[("image", image_file()), ("mask", image_file()), ("mask", image_file())])
        api_error(response, 400, param="mask", code="invalid_value")
    still_serving(gateway)


def test_edit_without_image(gateway: Gateway) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/edits", data={"prompt": "a cat", "model": "gpt-image-1"},
                             files={"mask": image_file()})
    api_error(response, 400, param="image", code="missing_required_parameter")


def test_image_errors_do_not_reveal_server_paths(client: openai.OpenAI, gateway: Gateway) -> None:
    """An undecodable upload is described by its own filename, never by the server's temp file path."""
    not_image = ("notes.txt", b"hello, I am not an image", "text/plain")
    failures: list[openai.APIStatusError] = []
    for call in (lambda: client.images.edit(model="gpt-image-1", image=not_image, prompt="a cat"),
                 lambda: client.images.edit(model="gpt-image-1", image=image_file(), mask=not_image, prompt="a cat"),
                 lambda: client.images.create_variation(model="dall-e-2", image=not_image)):
        with pytest.raises(openai.BadRequestError) as info:
            call()
        failures.append(info.value)
    for failure, param in zip(failures, ("image", "mask", "image"), strict=True):
        error = api_error(failure, 400, param=param, code="invalid_image")
        assert "notes.txt" in error["message"]
        for leak in (tempfile.gettempdir() + os.sep, "imagegate-", "part0", "part1", str(gateway.data_dir)):
            assert leak not in error["message"], error


# --- uploaded images and masks ------------------------------------------------------------------------


@pytest.mark.parametrize("upload", [
    ("notes.txt", b"hello, I am not an image", "text/plain"),
    ("fake.png", b"\x89PNG\r\n\x1a\nnot really", "image/png"),
    ("image.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
                  b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", "image/gif"),
    ("empty.png", b"", "image/png"),
])
def test_edit_with_non_image(client: openai.OpenAI, upstream: FakeOpenAI, upload: tuple[str, bytes, str]) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=upload, prompt="a cat")
    api_error(info.value, 400, param="image", code="invalid_image")
    assert upstream.image_requests == []


def test_edit_with_truncated_png(client: openai.OpenAI) -> None:
    data = png_bytes(64, 64, "RGB", color=BLANK)
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=("cut.png", data[: len(data) // 2], "image/png"), prompt="x")
    api_error(info.value, 400, param="image", code="invalid_image")


def test_edit_with_corrupt_png(client: openai.OpenAI) -> None:
    data = png_bytes(64, 64, "RGB", color=BLANK)
    idat = data.index(b"IDAT") + 4
    corrupt = data[:idat] + bytes(b ^ 0xFF for b in data[idat:idat + 16]) + data[idat + 16:]
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=("bad.png", corrupt, "image/png"), prompt="x")
    api_error(info.value, 400, param="image", code="invalid_image")


@pytest.mark.parametrize(("width", "height"), [(20000, 20000), (8000, 8000), (100000, 1000)])
def test_decompression_bomb(client: openai.OpenAI, gateway: Gateway, upstream: FakeOpenAI,
                            width: int, height: int) -> None:
    bomb = ("bomb.png", claimed_size_png(width, height), "image/png")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=bomb, prompt="a cat")
    api_error(info.value, 400, param="image", code="invalid_image")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.create_variation(model="dall-e-2", image=bomb)
    api_error(info.value, 400, param="image", code="invalid_image")
    assert upstream.image_requests == []
    still_serving(gateway)


def test_real_bomb_made_with_pillow(client: openai.OpenAI) -> None:
    buf = io.BytesIO()
    Image.new("1", (10000, 10000)).save(buf, "PNG")  # 100 Mpx in a few kB
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=("bomb.png", buf.getvalue(), "image/png"), prompt="x")
    api_error(info.value, 400, param="image", code="invalid_image")


def test_image_over_25_mb(client: openai.OpenAI, gateway: Gateway, upstream: FakeOpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        client.images.edit(model="gpt-image-1", image=blob(25 * MB + 1024), prompt="a cat")
    api_error(info.value, 413, param="image", code="file_too_large")
    assert upstream.image_requests == []
    still_serving(gateway)


def test_mask_over_limit(client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        client.images.edit(model="gpt-image-1", image=image_file(), mask=blob(5 * MB, "mask.png"), prompt="a cat")
    api_error(info.value, 413, param="mask", code="file_too_large")


def test_dall_e_2_edit_non_square(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="dall-e-2", image=image_file(64, 32), prompt="a cat")
    api_error(info.value, 400, param="image", code="invalid_image")


def test_dall_e_2_edit_rgb_without_mask(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="dall-e-2", image=image_file(64, 64, "RGB"), prompt="a cat")
    api_error(info.value, 400, param="image", code="invalid_image")
    assert upstream.image_requests == []
    # with a mask the same RGB image is fine
    result = client.images.edit(model="dall-e-2", image=image_file(64, 64, "RGB"), mask=image_file(64, 64),
                                prompt="a cat", size="256x256", response_format="b64_json")
    assert len(result.data) == 1


def test_dall_e_2_edit_not_png(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="dall-e-2", image=image_file(mode="RGB", fmt="JPEG"), mask=image_file(),
                           prompt="a cat")
    api_error(info.value, 400, param="image", code="invalid_image_format")


def test_dall_e_2_image_over_4_mb(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        client.images.edit(model="dall-e-2", image=blob(4 * MB + 1024), prompt="a cat")
    api_error(info.value, 413, param="image", code="file_too_large")
    with pytest.raises(openai.APIStatusError) as info:
        client.images.create_variation(model="dall-e-2", image=blob(4 * MB + 1024))
    api_error(info.value, 413, param="image", code="file_too_large")
    assert upstream.image_requests == []


def test_seventeen_images(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=[image_file(16, 16)] * 17, prompt="a collage")
    api_error(info.value, 400, param="image", code="too_many_images")
    assert upstream.image_requests == []
    result = client.images.edit(model="gpt-image-1", image=[image_file(16, 16)] * 16, prompt="a collage")
    assert len(result.data) == 1
    assert len(upstream.last.files) == 16


def test_dall_e_2_takes_one_image(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="dall-e-2", image=[image_file(), image_file()], prompt="a cat")
    api_error(info.value, 400, param="image", code="too_many_images")


def test_mask_not_png(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=image_file(), mask=image_file(mode="RGB", fmt="JPEG"),
                           prompt="a cat")
    api_error(info.value, 400, param="mask", code="invalid_image_format")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=image_file(), mask=("mask.png", b"not an image", "image/png"),
                           prompt="a cat")
    api_error(info.value, 400, param="mask", code="invalid_image")


def test_mask_without_alpha(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=image_file(), mask=image_file(64, 64, "RGB"), prompt="a cat")
    api_error(info.value, 400, param="mask", code="invalid_image")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="dall-e-2", image=image_file(64, 64, "RGB"), mask=image_file(64, 64, "L"),
                           prompt="a cat")
    api_error(info.value, 400, param="mask", code="invalid_image")


def test_mask_size_mismatch(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1", image=image_file(64, 64), mask=image_file(32, 32), prompt="a cat")
    error = api_error(info.value, 400, param="mask", code="invalid_image")
    assert "32x32" in error["message"] and "64x64" in error["message"]
    with pytest.raises(openai.BadRequestError) as info:  # the mask must match the *first* image
        client.images.edit(model="gpt-image-1", image=[image_file(48, 48), image_file(64, 64)],
                           mask=image_file(64, 64), prompt="x")
    api_error(info.value, 400, param="mask", code="invalid_image")
    assert upstream.image_requests == []


def test_variation_non_square(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.create_variation(model="dall-e-2", image=image_file(64, 48))
    api_error(info.value, 400, param="image", code="invalid_image")


def test_variation_with_bad_images(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.create_variation(image=("notes.txt", b"hello", "text/plain"))
    api_error(info.value, 400, param="image", code="invalid_image")
    with pytest.raises(openai.BadRequestError) as info:
        client.images.create_variation(image=image_file(mode="RGB", fmt="JPEG"))
    api_error(info.value, 400, param="image", code="invalid_image_format")


def test_variation_with_mask(gateway: Gateway, upstream: FakeOpenAI) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/variations", data={"model": "dall-e-2"},
                             files=[("image", image_file()), ("mask", image_file())])
    api_error(response, 400, param="mask", code="unknown_parameter")
    assert upstream.image_requests == []


def test_variation_with_two_images(gateway: Gateway) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/variations", data={"model": "dall-e-2"},
                             files=[("image", image_file()), ("image", image_file())])
    api_error(response, 400, param="image", code="too_many_images")


# --- total body cap ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_gateway(upstream: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {**openai_env(upstream), "IMAGEGATE_UPSTREAM_TIMEOUT": "3", "IMAGEGATE_MAX_BODY_MB": "1"}
    with running(tmp_path_factory.mktemp("small-gateway"), env) as gw:
        yield gw


def test_total_body_over_cap(small_gateway: Gateway, upstream: FakeOpenAI) -> None:
    part = blob(700 * 1024)  # each file is fine, together they pass the 1 MB cap
    with small_gateway.client() as client, pytest.raises(openai.APIStatusError) as info:
        client.images.edit(model="gpt-image-1", image=[part, part], prompt="a cat")
    api_error(info.value, 413, param=None, code="payload_too_large")
    assert upstream.image_requests == []
    still_serving(small_gateway)


def test_total_body_over_cap_chunked(small_gateway: Gateway, upstream: FakeOpenAI) -> None:
    def body() -> Iterator[bytes]:  # no Content-Length: the cap must hold while reading
        yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
               "Content-Type: image/png\r\n\r\n").encode() + PNG_MAGIC
        for _ in range(24):
            yield bytes(64 * 1024)
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    with small_gateway.http() as http:
        response = http.post("/v1/images/edits", content=body(),
                             headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert response.request.headers.get("transfer-encoding") == "chunked"
    api_error(response, 413, param=None, code="payload_too_large")
    assert upstream.image_requests == []
    still_serving(small_gateway)


# --- API keys ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer  x", "Basic aWc6dGVzdA==", f"Token {MASTER}", "Bearer wrong-key",
    f"Bearer {MASTER}x", f"Bearer {MASTER[:-1]}", MASTER,
])
def test_bad_authorization(gateway: Gateway, upstream: FakeOpenAI, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        response = http.post("/v1/images/generations", json={"model": "dall-e-2", "prompt": "a cat"},
                             headers=headers)
    error = api_error(response, 401, param=None, code="invalid_api_key")
    assert MASTER not in error["message"]
    assert upstream.image_requests == []


def test_wrong_key_with_sdk(gateway: Gateway, upstream: FakeOpenAI) -> None:
    with gateway.client("ig-not-a-real-key") as bad:
        with pytest.raises(openai.AuthenticationError) as info:
            bad.images.generate(model="dall-e-2", prompt="a cat")
        api_error(info.value, 401, param=None, code="invalid_api_key")
        with pytest.raises(openai.AuthenticationError) as info:
            bad.images.edit(model="gpt-image-1", image=image_file(), prompt="a cat")
        api_error(info.value, 401, param=None, code="invalid_api_key")
        with pytest.raises(openai.AuthenticationError) as info:
            bad.images.create_variation(image=image_file())
        api_error(info.value, 401, param=None, code="invalid_api_key")
        with pytest.raises(openai.AuthenticationError) as info:
            bad.models.list()
        api_error(info.value, 401, param=None, code="invalid_api_key")
    assert upstream.image_requests == []


def test_revoked_key(gateway: Gateway) -> None:
    name = f"revoke-me-{time.time_ns()}"
    created = gateway.cli("keys", "create", "--name", name)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1].strip()
    with gateway.client(key) as user:
        result = user.images.generate(model="dall-e-2", prompt="a cat", size="256x256", response_format="b64_json")
        assert len(result.data) == 1
        revoked = gateway.cli("keys", "revoke", name)
        assert revoked.returncode == 0, revoked.stderr
        with pytest.raises(openai.AuthenticationError) as info:
            user.images.generate(model="dall-e-2", prompt="a cat", size="256x256", response_format="b64_json")
        error = api_error(info.value, 401, param=None, code="invalid_api_key")
        assert key not in error["message"]
        with pytest.raises(openai.AuthenticationError) as info:
            user.images.edit(model="gpt-image-1", image=image_file(), prompt="a cat")
        api_error(info.value, 401, param=None, code="invalid_api_key")
    still_serving(gateway)


# --- signed result links -----------------------------------------------------------------------------


@pytest.fixture
def link(client: openai.OpenAI) -> httpx.URL:
    result = client.images.generate(model="dall-e-2", prompt="a cat", size="256x256", response_format="url")
    assert result.data[0].url
    return httpx.URL(result.data[0].url)


def fetch(gateway: Gateway, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:  # no API key: links are public
        return http.get(path, params=params)


def parts(link: httpx.URL) -> tuple[str, int, str]:
    name = link.path.rsplit("/", 1)[1]
    return name, int(link.params["expires"]), link.params["signature"]


def test_good_link_works_without_key(gateway: Gateway, link: httpx.URL) -> None:
    assert str(link).startswith(f"{gateway.url}/v1/files/images/")
    with httpx.Client(timeout=30) as http:
        response = http.get(link)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG_MAGIC)
    assert Image.open(io.BytesIO(response.content)).size == (256, 256)


def test_tampered_signature(gateway: Gateway, link: httpx.URL) -> None:
    name, expires, signature = parts(link)
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    for bad in (flipped, signature.upper(), signature[:-2], "", "x" * 64):
        response = fetch(gateway, f"/v1/files/images/{name}", {"expires": expires, "signature": bad})
        api_error(response, 403, param=None, code="invalid_signature")
    # the signature is bound to the expiry too: a later expiry with the old signature is refused
    response = fetch(gateway, f"/v1/files/images/{name}", {"expires": expires + 3600, "signature": signature})
    api_error(response, 403, param=None, code="invalid_signature")


def test_tampered_name(client: openai.OpenAI, gateway: Gateway, link: httpx.URL) -> None:
    name, expires, signature = parts(link)
    other = client.images.generate(model="dall-e-2", prompt="a dog", size="256x256", response_format="url")
    other_name = parts(httpx.URL(other.data[0].url or ""))[0]
    stem, ext = name.rsplit(".", 1)
    for bad in (other_name, ("A" if stem[0] != "A" else "B") + stem[1:] + "." + ext, f"{stem}.jpeg",
                f"{stem}.png.png"):
        response = fetch(gateway, f"/v1/files/images/{bad}", {"expires": expires, "signature": signature})
        api_error(response, 403, param=None, code="invalid_signature")
        assert not response.content.startswith(PNG_MAGIC)


def test_expired_link(gateway: Gateway, link: httpx.URL) -> None:
    name, _, _ = parts(link)
    past = int(time.time()) - 60
    response = fetch(gateway, f"/v1/files/images/{name}", {"expires": past, "signature": sign(name, past)})
    api_error(response, 410, param=None, code="link_expired")
    # a valid signature for a future expiry still works: the failure above was the expiry alone
    future = int(time.time()) + 60
    response = fetch(gateway, f"/v1/files/images/{name}", {"expires": future, "signature": sign(name, future)})
    assert response.status_code == 200 and response.content.startswith(PNG_MAGIC)


@pytest.mark.parametrize("params", [None, {"expires": "1"}, {"signature": "abc"}, {"expires": "", "signature": ""},
                                    {"expires": "soon", "signature": "abc"}, {"expires": "-5", "signature": "abc"}])
def test_link_missing_or_bad_query(gateway: Gateway, link: httpx.URL, params: dict[str, str] | None) -> None:
    name, _, _ = parts(link)
    response = fetch(gateway, f"/v1/files/images/{name}", params)
    api_error(response, 403, param=None, code="invalid_signature")
    assert not response.content.startswith(PNG_MAGIC)


CANARY = "canary-0123456789abcdefghij.png"  # a result-shaped name, one level above the results dir


@pytest.fixture
def canary(gateway: Gateway) -> bytes:
    """A file next to the results directory that no link may ever reach."""
    content = b"\x89PNG\r\n\x1a\nCANARY-" + str(time.time_ns()).encode()
    (gateway.data_dir / CANARY).write_bytes(content)
    return content


@pytest.mark.parametrize("name", [
    "..%2f..%2fsecret", "../secret", f"..%2f{CANARY}", f"%2e%2e%2f{CANARY}", f"..%5c{CANARY}",
    f"....%2f{CANARY}", "..%2f..%2f..%2f..%2fetc%2fpasswd", "%2fetc%2fpasswd", f"%252e%252e%252f{CANARY}",
    "..%2fgateway.log", "gateway.log", ".", "..", "results", "imagegate.db", f"..%00{CANARY}",
])
def test_path_traversal(gateway: Gateway, canary: bytes, name: str) -> None:
    expires = int(time.time()) + 600
    # unsigned, a made-up signature, and a correct signature for the name as sent and as decoded
    signatures = ("", "0" * 64, sign(name, expires), sign(unquote(name), expires),
                  sign(unquote(unquote(name)), expires))
    first_log_line = gateway.log.read_text(errors="replace").strip().splitlines()[:1]
    with httpx.Client(timeout=30) as http:  # no API key
        for signature in signatures:
            response = http.get(f"{gateway.url}/v1/files/images/{name}?expires={expires}&signature={signature}")
            assert response.status_code in (403, 404), (name, response.status_code, response.text)
            error = check_envelope(response.json())
            assert error["code"] in ("invalid_signature", "not_found", "file_not_found"), error
            for secret in (canary, b"CANARY-", PNG_MAGIC, b"root:", b"SQLite format", SECRET.encode(),
                           *(line.encode() for line in first_log_line)):
                assert secret not in response.content, (name, response.content[:200])


def test_signed_name_outside_results_is_not_served(gateway: Gateway) -> None:
    """Even a correctly signed link can't reach a file that isn't a result (names are checked, not joined)."""
    expires = int(time.time()) + 600
    for name in ("gateway.log", "..", ".", f"..{os.sep}gateway.log", "A" * 30 + ".png"):
        response = fetch(gateway, f"/v1/files/images/{quote(name, safe='')}",
                         {"expires": expires, "signature": sign(name, expires)})
        assert response.status_code == 404, (name, response.text)
        error = check_envelope(response.json())
        assert error["code"] in ("file_not_found", "not_found"), error
        assert not response.content.startswith(PNG_MAGIC)
    still_serving(gateway)
