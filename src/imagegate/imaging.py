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


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# (bit depth, colour type) -> the mode Pillow opens the image in
PNG_MODES = {(1, 0): "1", (2, 0): "L", (4, 0): "L", (8, 0): "L", (16, 0): "I;16", (8, 2): "RGB", (16, 2): "RGB",
             (1, 3): "P", (2, 3): "P", (4, 3): "P", (8, 3): "P", (8, 4): "LA", (16, 4): "RGBA", (8, 6): "RGBA",
             (16, 6): "RGBA"}
_CORRUPT = "the image is corrupt or truncated"


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    """Pillow's decompression-bomb limit first (as its ``open`` applies it), then the gateway's own."""
    bomb = Image.MAX_IMAGE_PIXELS
    if bomb is not None and width * height > bomb:
        raise BadImage("the image has too many pixels to decode safely")
    if width * height > max_pixels:
        raise BadImage(f"image of {width}x{height} pixels is too large")


def _png_header(data: bytes, max_pixels: int) -> ImageInfo:
    """A PNG in memory read chunk by chunk, in place: the header (size, mode, transparency) as Pillow reads it,
    and every chunk whole and matching its checksum up to ``IEND``, as Pillow's ``verify()`` checks them.
    zlib-ng's CRC-32 runs at about ten times the standard library's speed: 1 MB in a few tens of µs."""
    view, offset, end = memoryview(data), 8, len(data)
    info: ImageInfo | None = None
    transparency = False
    while offset + 12 <= end:
        length = int.from_bytes(view[offset:offset + 4], "big")
        kind, stop = data[offset + 4:offset + 8], offset + 8 + length
        if stop + 4 > end or zlib_ng.crc32(view[offset + 4:stop]) != int.from_bytes(view[stop:stop + 4], "big"):
            raise BadImage(_CORRUPT)
        if info is None:
            if kind != b"IHDR" or length != 13:
                raise BadImage(_CORRUPT)
            info = _ihdr(data[offset + 8:stop], max_pixels)
        elif kind == b"tRNS":
            transparency = True
        elif kind == b"IEND":
            alpha = info.mode in ALPHA_MODES or (info.mode == "P" and transparency)
            return ImageInfo("png", info.width, info.height, info.mode, alpha)
        offset = stop + 4
    raise BadImage(_CORRUPT)


def _ihdr(header: bytes, max_pixels: int) -> ImageInfo:
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    mode = PNG_MODES.get((header[8], header[9]))
    if mode is None or not width or not height:
        raise BadImage(_CORRUPT)
    _check_pixels(width, height, max_pixels)
    return ImageInfo("png", width, height, mode, False)


def inspect(source: Path | bytes, max_pixels: int) -> ImageInfo:
    """Identify an image from its header and check it is complete, without decoding the pixels. A PNG in memory
    is read here; anything else by Pillow."""
    if isinstance(source, bytes) and source.startswith(PNG_SIGNATURE):
        return _png_header(source, max_pixels)
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as img:
                fmt = FORMATS.get(img.format or "")
                if fmt is None:
                    raise BadImage(f"unsupported image format {img.format or 'unknown'}")
                width, height = img.size
                _check_pixels(width, height, max_pixels)
                info = ImageInfo(fmt, width, height, img.mode, _has_alpha(img))
                img.verify()
    except UnidentifiedImageError:
        raise BadImage("not a recognisable image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage("the image has too many pixels to decode safely") from None
    except BadImage:
        raise
    except (OSError, SyntaxError, ValueError):
        raise BadImage(_CORRUPT) from None
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
