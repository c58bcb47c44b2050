"""Large JSON edits end to end: data URLs of several MB through a real gateway, and the same errors as before.

A body of more than 1 MB, or one sent without a Content-Length, is split while it is read (its
long strings go to disk); a smaller one with a Content-Length is read whole. The error cases send
the same bytes both ways and expect the same answer, down to the message.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import orjson
import pybase64
import pytest
from openai.types import ImagesResponse
from PIL import Image

from tests.e2e.helpers import decode, mask
from tests.e2e.test_bad_input import api_error, still_serving
from tests.factories import png_bytes as png
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway

MB = 1024 * 1024


def noise_png(side: int, seed: int) -> bytes:
    """An RGB noise PNG: about ``3 * side**2`` bytes, as noise does not compress."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), random.Random(seed).randbytes(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{pybase64.b64encode(data).decode()}"


def chunked(body: bytes, size: int = 50_000) -> Iterator[bytes]:
    """The body as an iterator, which httpx sends chunked, without a Content-Length."""
    return (body[i:i + size] for i in range(0, len(body), size))


def post(gateway: Gateway, body: bytes | Iterator[bytes]) -> httpx.Response:
    with gateway.http() as http:
        return http.post("/v1/images/edits", content=body, headers={"Content-Type": "application/json"})


def test_a_large_json_edit_through_the_sdk(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    images = [noise_png(800, seed) for seed in range(3)]
    the_mask = mask(800, 800)
    body = {"model": "gpt-image-1", "prompt": "p", "size": "1024x1024",
            "images": [{"image_url": data_url(i)} for i in images], "mask": {"image_url": data_url(the_mask)}}
    result = client.post("/images/edits", body=body, cast_to=ImagesResponse)
    assert result.data and decode(result.data[0].b64_json).size == (1024, 1024)
    sent = upstream.last
    assert [f.data for f in sent.files if f.field == "image[]"] == images
    assert [f.data for f in sent.files if f.field == "mask"] == [the_mask]


def test_a_chunked_json_edit_with_escaped_slashes(gateway: Gateway, upstream: FakeOpenAI) -> None:
    """Some encoders write ``/`` as ``\\/``; base64 is full of them."""
    images = [noise_png(600, 7), png(64, 64)]
    body = orjson.dumps({"model": "gpt-image-1", "prompt": "p", "images": [{"image_url": data_url(i)}
                                                                           for i in images]})
    response = post(gateway, chunked(body.replace(b"/", b"\\/")))
    assert response.status_code == 200, response.text
    assert [f.data for f in upstream.last.files if f.field == "image[]"] == images


LONG = "A" * 200_000  # valid base64 (of zeros), long enough to be split out, short enough for 1 MB
IMAGE = {"image_url": data_url(png(64, 64))}


def edit(**fields: Any) -> bytes:
    return orjson.dumps({"model": "gpt-image-1", "prompt": "p", "images": [IMAGE], **fields})


@pytest.mark.parametrize(("body", "status", "param", "code"), [
    (edit(images=[{"image_url": "data:image/png;base64," + LONG + "%"}]), 400, "images", "invalid_image"),
    (edit(images=[{"image_url": "data:image/png;base64," + LONG[:-2] + "==" + LONG}]), 400, "images",
     "invalid_image"),
    (edit(images=[{"image_url": "data:image/png;base64," + LONG}]), 400, "image", "invalid_image"),  # not a PNG
    (edit(images=[{"image_url": "https://example.com/" + LONG}]), 400, "images", "invalid_image_url"),
    (edit(images=[{"file_id": LONG}]), 400, "images", "unsupported_value"),
    (edit(images=[IMAGE, {"image_url": LONG}]), 400, "images", "invalid_image_url"),
    (edit(images=[IMAGE], mask={"image_url": "data:image/png;base64,%" + LONG}), 400, "mask", "invalid_image"),
    (edit(images=LONG), 400, "images", "missing_required_parameter"),
    (edit(images=[{"image_url": "data:image/png;base64,AAAA"}] * 17, prompt=LONG), 400, "images",
     "too_many_images"),
    (edit(prompt="é" * 40_000), 400, "prompt", "string_above_max_length"),  # its length, in characters
    (edit(model="m" * 100_000), 404, "model", "model_not_found"),  # its name, in the message
    (edit(colour=LONG), 400, "colour", "unknown_parameter"),
    (edit(prompt=LONG).replace(LONG.encode(), LONG.encode() + b"\x01"), 400, None, "invalid_json"),
    (edit(prompt=LONG).replace(LONG.encode(), LONG.encode() + b"\\ud83d"), 400, None, "invalid_json"),
    (b'{"model": "gpt-image-1", "prompt": "' + LONG.encode(), 400, None, "invalid_json"),
    (edit(prompt=LONG)[:-10], 400, None, "invalid_json"),
    (b'["' + LONG.encode() + b'"]', 400, None, "invalid_json"),
])
def test_bad_long_json_edits(gateway: Gateway, upstream: FakeOpenAI, body: bytes, status: int,
                             param: str | None, code: str) -> None:
    """Read whole (Content-Length, under 1 MB) or split (chunked): the same status, param, code and message."""
    assert len(body) < MB
    whole = api_error(post(gateway, body), status, param=param, code=code)
    split = api_error(post(gateway, chunked(body)), status, param=param, code=code)
    assert split == whole
    assert upstream.image_requests == []


@pytest.mark.parametrize("field", ["images", "mask"])
def test_a_file_over_the_size_limit(gateway: Gateway, upstream: FakeOpenAI, field: str) -> None:
    too_large = {"image_url": "data:image/png;base64," + "A" * (34 * MB)}  # 25.5 MB once decoded
    body = edit(images=[too_large]) if field == "images" else edit(mask=too_large)
    api_error(post(gateway, body), 413, param=field, code="file_too_large")
    assert upstream.image_requests == []
    still_serving(gateway)
