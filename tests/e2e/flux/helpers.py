"""Helpers for the FLUX end-to-end tests: uploads, SDK calls checked against OpenAI's schema, waits."""

from __future__ import annotations

import io
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import openai
import pytest
from openai.types import ImagesResponse
from PIL import Image

from tests.harness import Gateway
from tests.openai_schema import validate

TOKEN_FIELDS = ("input_tokens", "output_tokens", "total_tokens", "input_tokens_details")


def image_file(width: int, height: int, fmt: str = "PNG", mode: str = "RGB", name: str = "in.png",
               transparent_box: tuple[int, int, int, int] | None = None) -> tuple[str, bytes, str]:
    """An upload for the SDK: (filename, bytes, content type)."""
    img = Image.new(mode, (width, height), (200, 30, 30, 255) if mode == "RGBA" else (200, 30, 30))
    if transparent_box is not None:
        img.paste((0, 0, 0, 0), transparent_box)
    buf = io.BytesIO()
    img.save(buf, fmt)
    return name, buf.getvalue(), f"image/{fmt.lower()}"


def generate(client: openai.OpenAI, **kwargs: Any) -> dict[str, Any]:
    """Generate through the SDK; the raw JSON, after checking it parses as OpenAI's ImagesResponse."""
    return checked(client.images.with_raw_response.generate(**kwargs).http_response.json())


def edit(client: openai.OpenAI, **kwargs: Any) -> dict[str, Any]:
    return checked(client.images.with_raw_response.edit(**kwargs).http_response.json())


def checked(body: dict[str, Any]) -> dict[str, Any]:
    """OpenAI's schema holds (and the SDK's model parses): enum fields only with OpenAI's values, usage
    with its four token fields."""
    validate(body, "ImagesResponse")
    ImagesResponse.model_validate(body)
    assert "size" not in body and "quality" not in body
    assert all(name in body["usage"] for name in TOKEN_FIELDS)
    return body


def api_error(call: Callable[[], Any]) -> tuple[int, dict[str, Any]]:
    """Run an SDK call that must fail; its status and OpenAI error object."""
    with pytest.raises(openai.APIStatusError) as caught:
        call()
    return caught.value.status_code, caught.value.response.json()["error"]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


def in_thread(call: Callable[[], Any]) -> Callable[[], Any]:
    """Start ``call`` in a thread; returns a function that joins it and gives its result (or raises)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # handed to the joining test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()

    def join() -> Any:
        thread.join(30)
        if "error" in box:
            raise box["error"]
        return box["result"]

    return join


def usage_row(gateway: Gateway, request_id: str) -> dict[str, Any]:
    """The usage row the gateway wrote for a request (it writes in the background)."""
    path = gateway.data_dir / "imagegate.db"
    found: list[dict[str, Any]] = []

    def present() -> bool:
        with sqlite3.connect(path) as db:
            db.row_factory = sqlite3.Row
            found[:] = [dict(r) for r in db.execute("select * from usage where request_id = ?", (request_id,))]
        return bool(found)

    wait_until(present)
    return found[0]
