"""Reading a JSON edit (imagegate.api.json_images): bounded memory, exact files, the same errors."""

from __future__ import annotations

import asyncio
import hashlib
import random
import tempfile
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pybase64
import pytest

from imagegate.api import json_images
from imagegate.api.json_images import read_json_edit
from imagegate.api.uploads import Form
from imagegate.errors import ApiError

from .fake_requests import pieces, request

MB = 1024 * 1024
RAW = random.Random(5).randbytes(48 * 1024)  # 64 KB as base64
BLOCK = pybase64.b64encode(RAW)


def edit_body(repeats: int, images: int) -> Iterator[bytes]:
    """A JSON edit with ``images`` data URLs of ``repeats`` blocks each, in 64 KB chunks, never whole."""
    yield b'{"model": "gpt-image-1", "prompt": "p", "images": ['
    for index in range(images):
        yield b'{"image_url": "data:image/png;base64,'
        for _ in range(repeats):
            yield BLOCK
        yield b'"}, ' if index < images - 1 else b'"}'
    yield b'], "size": "1024x1024"}'


async def read_edit(body: bytes, *, max_file: int = 25 * MB, max_body: int = 64 * MB) -> Form:
    return await read_json_edit(request(pieces(body, 64 * 1024)), max_body=max_body, max_file=max_file)


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{pybase64.b64encode(data).decode()}"


async def test_a_large_json_edit_is_never_held_in_memory() -> None:
    """A 64 MB body: the peak of Python allocations stays a few MB (reading it whole took 4 times the body)."""
    repeats, images = 256, 4
    body_size = sum(len(chunk) for chunk in edit_body(repeats, images))
    tracemalloc.start()
    try:
        form = await read_json_edit(request(edit_body(repeats, images)), max_body=420 * MB, max_file=25 * MB)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    try:
        assert body_size > 64 * MB and peak < 8 * MB, (body_size, peak)
        expected = hashlib.sha256(RAW * repeats).hexdigest()
        assert [u.size for u in form.images] == [len(RAW) * repeats] * images
        assert {hashlib.sha256(u.path.read_bytes()).hexdigest() for u in form.images} == {expected}
        assert [(u.field, u.content_type) for u in form.images] == [("image", "image/png")] * images
        assert form.fields == {"model": "gpt-image-1", "prompt": "p", "size": "1024x1024"}
    finally:
        form.cleanup()


async def test_escaped_data_urls_and_long_fields_come_through() -> None:
    image, the_mask = random.Random(1).randbytes(300_000), random.Random(2).randbytes(200_000)
    body = orjson.dumps({"prompt": "é" * 70_000, "images": [{"image_url": data_url(image, "image/webp")}],
                         "mask": {"image_url": data_url(the_mask)}}).replace(b"/", b"\\/")
    form = await read_edit(body)
    try:
        assert form.images[0].path.read_bytes() == image and form.images[0].content_type == "image/webp"
        assert form.mask is not None and form.mask.path.read_bytes() == the_mask and form.mask.field == "mask"
        assert form.fields == {"prompt": "é" * 70_000}
    finally:
        form.cleanup()


LONG = "A" * 400_000  # valid base64, long enough to be spilled
BIG = LONG * 4  # 1.2 MB once decoded


@pytest.mark.parametrize(("images", "mask", "status", "param", "code"), [
    ([{"image_url": "data:image/png;base64," + LONG + "%" + LONG}], None, 400, "images", "invalid_image"),
    ([{"image_url": "data:image/png;base64," + LONG[:-2] + "==" + LONG}], None, 400, "images", "invalid_image"),
    ([{"image_url": "data:image/png;base64," + LONG[:-2] + "==" + LONG * 2}], None, 400, "images",
     "invalid_image"),  # padding in a piece that is not the last
    ([{"image_url": "data:image/png;base64," + LONG + "A"}], None, 400, "images", "invalid_image"),
    ([{"image_url": "https://example.com/" + LONG}], None, 400, "images", "invalid_image_url"),
    ([{"file_id": LONG}], None, 400, "images", "unsupported_value"),
    ([{"image_url": "data:image/png;base64," + LONG}] * 17, None, 400, "images", "too_many_images"),
    ([{"image_url": "data:image/png;base64," + BIG}], None, 413, "images", "file_too_large"),
    ([{"image_url": "data:image/png;base64," + LONG}], {"image_url": "data:,x" + LONG}, 400, "mask",
     "invalid_image_url"),
    ([{"image_url": "data:image/png;base64," + LONG}], {"image_url": "data:image/png;base64," + BIG}, 413,
     "mask", "file_too_large"),
    ([{"image_url": "data:image/png;base64,%"}], {"image_url": "data:image/png;base64," + BIG}, 400,
     "images", "invalid_image"),  # the images are checked before the mask, as before
    (LONG, None, 400, "images", "missing_required_parameter"),
])
async def test_bad_long_images(images: Any, mask: Any, status: int, param: str, code: str) -> None:
    body: dict[str, Any] = {"model": "gpt-image-1", "prompt": "p", "images": images}
    if mask is not None:
        body["mask"] = mask
    with pytest.raises(ApiError) as info:
        await read_edit(orjson.dumps(body), max_file=MB)
    assert (info.value.status, info.value.param, info.value.code) == (status, param, code)


async def test_invalid_json_anywhere_wins_over_a_bad_image() -> None:
    body = b'{"images": [{"image_url": "%"}], "prompt": "' + b"a" * 200_000 + b'\x01"}'
    with pytest.raises(ApiError) as info:
        await read_edit(body)
    assert (info.value.status, info.value.param, info.value.code) == (400, None, "invalid_json")


async def test_a_body_over_the_limit_is_a_413() -> None:
    body = orjson.dumps({"images": [{"image_url": "data:image/png;base64," + BIG}]})
    with pytest.raises(ApiError) as info:
        await read_edit(body, max_body=MB)
    assert (info.value.status, info.value.param, info.value.code) == (413, None, "payload_too_large")


async def removed(directory: Path) -> bool:
    """Whether ``directory`` is empty within 5 s (temp directories are removed in a worker thread)."""
    for _ in range(100):
        if not any(directory.iterdir()):
            return True
        await asyncio.sleep(0.05)
    return False


async def test_no_temp_files_are_left_after_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    body = orjson.dumps({"images": [{"image_url": "data:image/png;base64," + LONG}] * 2 +
                         [{"image_url": "data:image/png;base64," + LONG + "%"}]})
    with pytest.raises(ApiError):
        await read_edit(body)
    assert await removed(tmp_path)


async def test_a_cancelled_read_removes_its_files_once_decoding_ends(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    decoding, go_on = threading.Event(), threading.Event()
    json_form = json_images.json_form

    def held(*args: Any) -> Form:
        decoding.set()
        go_on.wait(10)
        return json_form(*args)

    monkeypatch.setattr(json_images, "json_form", held)
    task = asyncio.create_task(read_edit(orjson.dumps({"images": [{"image_url": "data:image/png;base64," + LONG}]})))
    assert await asyncio.to_thread(decoding.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.1)
    assert any(tmp_path.iterdir())  # the worker thread is still writing there
    go_on.set()
    assert await removed(tmp_path)
