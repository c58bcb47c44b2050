"""Small helpers for end-to-end tests: images to upload, decoding results, waiting for what a gateway does, and
checking error answers."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import openai
import pytest
from PIL import Image

from tests.factories import png_bytes

BLANK = (0, 0, 0, 0)  # black, and fully transparent where the image has alpha
RED = (200, 30, 30, 255)


def image_file(width: int = 64, height: int = 64, mode: str = "RGBA", fmt: str = "PNG", *, name: str | None = None,
               color: tuple[int, ...] = BLANK,
               transparent_box: tuple[int, int, int, int] | None = None) -> tuple[str, bytes, str]:
    """An image to upload (SDK or httpx): (filename, bytes, content type); blank unless ``color`` says otherwise."""
    extension = "jpg" if fmt.upper() == "JPEG" else fmt.lower()
    data = png_bytes(width, height, mode, fmt, color, transparent_box)
    return name or f"image.{extension}", data, f"image/{fmt.lower()}"


def mask(width: int, height: int) -> bytes:
    """Transparent on the left half: the area to edit."""
    return png_bytes(width, height, color=(0, 0, 0, 255), transparent_box=(0, 0, width // 2, height))


def decode(b64: str | None) -> Image.Image:
    assert b64, "expected b64_json"
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def fetch(url: str | None) -> Image.Image:
    assert url, "expected a url"
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return Image.open(io.BytesIO(response.content))


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll ``check`` until it returns something truthy; a generous bound, never a timing assertion."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"gave up waiting for {what}")


ENVELOPE_KEYS = {"message", "type", "param", "code"}


def check_envelope(payload: Any) -> dict[str, Any]:
    """``payload`` is exactly ``{"error": {"message", "type", "param", "code"}}``; returns the inner dict."""
    assert isinstance(payload, dict) and set(payload) == {"error"}, payload
    error = payload["error"]
    assert isinstance(error, dict) and set(error) == ENVELOPE_KEYS, error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["type"], str) and error["type"], error
    assert error["param"] is None or isinstance(error["param"], str), error
    assert error["code"] is None or isinstance(error["code"], str), error
    assert "Traceback" not in error["message"], error
    return error


def raised(call: Callable[[], object],
           kind: type[openai.APIStatusError] = openai.APIStatusError) -> openai.APIStatusError:
    """The error (of ``kind``) raised by an SDK call that must fail."""
    with pytest.raises(kind) as caught:
        call()
    return caught.value


def api_error(failure: openai.APIStatusError | httpx.Response, status: int, *, param: str | None, code: str | None,
              type_: str | None = None, hidden: Iterable[str] = ()) -> dict[str, Any]:
    """Assert that an SDK error or a raw response is ``status`` in OpenAI's error envelope with this ``param`` and
    ``code`` (and ``type_`` when given), and that its body shows no traceback and none of ``hidden``; returns the
    inner error object."""
    response = failure.response if isinstance(failure, openai.APIStatusError) else failure
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    error = check_envelope(response.json())
    if isinstance(failure, openai.APIStatusError):
        assert failure.status_code == status
        assert failure.body == error  # the SDK exposes the inner ``error`` object
    assert error["param"] == param, error
    assert error["code"] == code, error
    if type_ is not None:
        assert error["type"] == type_, error
    for secret in ("Traceback", *hidden):
        assert secret not in response.text, (secret, response.text)
    return error
