"""Reading an upload's header: a PNG in memory is read by the gateway itself, and must agree with Pillow."""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imagegate.imaging import BadImage, ImageInfo, inspect


def png(mode: str, size: tuple[int, int] = (33, 17), **options: Any) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, "PNG", **options)
    return buffer.getvalue()


def by_pillow(data: bytes, tmp_path: Path) -> ImageInfo:
    """The same check through Pillow (a file on disk takes Pillow's path)."""
    path = tmp_path / "image.png"
    path.write_bytes(data)
    return inspect(path, 10**9)


@pytest.mark.parametrize(("mode", "options"), [
    ("1", {}), ("L", {}), ("LA", {}), ("RGB", {}), ("RGBA", {}), ("P", {}), ("I;16", {}),
    ("P", {"transparency": 0}), ("RGB", {"transparency": (0, 0, 0)}), ("L", {"transparency": 0}),
])
def test_png_header_agrees_with_pillow(mode: str, options: dict[str, Any], tmp_path: Path) -> None:
    data = png(mode, **options)
    assert inspect(data, 10**9) == by_pillow(data, tmp_path)


def test_transparency_in_a_palette_is_alpha() -> None:
    assert inspect(png("P", transparency=0), 10**9).has_alpha
    assert not inspect(png("RGB", transparency=(0, 0, 0)), 10**9).has_alpha


@pytest.mark.parametrize("cut", [8, 20, 40, -1, -12])
def test_a_truncated_png_is_refused(cut: int) -> None:
    data = png("RGB", (64, 64))
    with pytest.raises(BadImage, match="corrupt or truncated"):
        inspect(data[:cut], 10**9)


def test_a_checksum_that_does_not_match_is_refused() -> None:
    data = bytearray(png("RGB", (64, 64)))
    idat = data.index(b"IDAT") + 4
    data[idat] ^= 0xFF
    with pytest.raises(BadImage, match="corrupt or truncated"):
        inspect(bytes(data), 10**9)


def test_pixel_limits_apply_before_anything_is_read() -> None:
    with pytest.raises(BadImage, match="64x64 pixels is too large"):
        inspect(png("RGB", (64, 64)), 4095)
    bomb = bytearray(png("RGB", (1, 1)))
    bomb[16:24] = (100_000).to_bytes(4, "big") * 2  # IHDR claims 100,000 x 100,000 pixels
    bomb[29:33] = zlib.crc32(bomb[12:29]).to_bytes(4, "big")
    with pytest.raises(BadImage, match="too many pixels to decode safely"):
        inspect(bytes(bomb), 10**12)
