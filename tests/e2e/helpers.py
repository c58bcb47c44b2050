"""Small helpers for end-to-end tests: images to upload, decoding results."""

from __future__ import annotations

import base64
import io

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
