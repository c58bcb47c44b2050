"""Small helpers for end-to-end tests: images to upload, decoding results."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
from PIL import Image


def png(width: int, height: int, mode: str = "RGBA", color: tuple[int, ...] = (200, 30, 30, 255)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), color[: len(mode)]).save(out, "PNG")
    return out.getvalue()


def encoded(fmt: str, width: int = 64, height: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, fmt.upper())
    return out.getvalue()


def mask(width: int, height: int) -> bytes:
    """Transparent on the left half: the area to edit."""
    img = Image.new("RGBA", (width, height), (0, 0, 0, 255))
    img.paste((0, 0, 0, 0), (0, 0, width // 2, height))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def decode(b64: str | None) -> Image.Image:
    assert b64, "expected b64_json"
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def fetch(url: str | None) -> Image.Image:
    assert url, "expected a url"
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return Image.open(io.BytesIO(response.content))


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
