"""Pillow work: inspect uploaded images, read pixel sizes, convert masks. Callers run these in a thread."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from zlib_ng import zlib_ng

FORMATS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}
MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


class BadImage(ValueError):
    """The file is not a decodable png/jpeg/webp, or it is too large to decode safely."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str  # png | jpeg | webp
    width: int
    height: int
    mode: str
    has_alpha: bool

    @property
    def mime(self) -> str:
        return MIME[self.format]


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ALPHA_MODES or (img.mode == "P" and "transparency" in img.info)


def _png_chunks_ok(data: bytes) -> bool:
    """Whether every chunk of a PNG in memory is whole and matches its checksum, up to ``IEND``.

    What Pillow's ``verify()`` checks, read in place (no copy of each chunk), with zlib-ng's CRC-32 (about ten
    times the standard library's speed): 1 MB in a few tens of microseconds."""
    view, offset, end = memoryview(data), 8, len(data)
    while offset + 12 <= end:
        length = int.from_bytes(view[offset:offset + 4], "big")
        stop = offset + 8 + length
        if stop + 4 > end or zlib_ng.crc32(view[offset + 4:stop]) != int.from_bytes(view[stop:stop + 4], "big"):
            return False
        if data[offset + 4:offset + 8] == b"IEND":
            return True
        offset = stop + 4
    return False


def inspect(source: Path | bytes, max_pixels: int) -> ImageInfo:
    """Identify an image from its header and check it is complete, without decoding the pixels."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as img:
                fmt = FORMATS.get(img.format or "")
                if fmt is None:
                    raise BadImage(f"unsupported image format {img.format or 'unknown'}")
                width, height = img.size
                if width * height > max_pixels:
                    raise BadImage(f"image of {width}x{height} pixels is too large")
                info = ImageInfo(fmt, width, height, img.mode, _has_alpha(img))
                if fmt != "png" or not isinstance(source, bytes):
                    img.verify()
                elif not _png_chunks_ok(source):
                    raise BadImage("the image is corrupt or truncated")
    except UnidentifiedImageError:
        raise BadImage("not a recognisable image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage("the image has too many pixels to decode safely") from None
    except BadImage:
        raise
    except (OSError, SyntaxError, ValueError):
        raise BadImage("the image is corrupt or truncated") from None
    return info


def pixel_size(data: bytes) -> tuple[int, int] | None:
    """Width and height read from an image's header, or ``None`` when it can't be read."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except (UnidentifiedImageError, OSError):
        return None


def open_image(source: Path | bytes) -> Image.Image:
    """Pillow's image of a file, or of bytes in memory."""
    return Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)


def white_on_black_mask(source: Path | bytes) -> bytes:
    """OpenAI's mask (transparent = edit here) as a grayscale PNG where white marks the area to edit."""
    with open_image(source) as img:
        alpha = img.convert("RGBA").getchannel("A")
    mask = alpha.point(lambda a: 255 if a == 0 else 0)
    buf = io.BytesIO()
    mask.save(buf, "PNG")
    return buf.getvalue()
