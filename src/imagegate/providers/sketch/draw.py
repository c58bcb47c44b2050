"""The placeholder picture, drawn locally with Pillow: a two-colour gradient picked from the request, the prompt
wrapped across it and the size beneath. Pure and deterministic: the same label, size, seed and inputs give the
same bytes.

An edit or a variation draws its first input image scaled to fit behind the label; a mask tints the area it
leaves transparent (the part an edit would repaint) magenta, so a caller can see the mask arrived.
"""

from __future__ import annotations

import hashlib
import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from ...imaging import open_image

TINT = (255, 0, 200)
TINT_ALPHA = 110  # of 255: how strongly the masked area is tinted
PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


@dataclass(frozen=True, slots=True)
class Picture:
    """What one placeholder shows: ``label`` (the prompt, or what was asked for), its size, the seed that picks
    the colours, and the optional first input image and mask."""

    label: str
    width: int
    height: int
    seed: int
    image: Path | bytes | None = None  # a file, or its bytes
    mask: Path | bytes | None = None


def colours(picture: Picture) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    digest = hashlib.sha256(f"{picture.label}|{picture.width}x{picture.height}|{picture.seed}".encode()).digest()
    return (digest[0], digest[1], digest[2]), (digest[3], digest[4], digest[5])


def gradient(picture: Picture) -> Image.Image:
    top, bottom = colours(picture)
    ramp = Image.linear_gradient("L").resize((picture.width, picture.height))
    return Image.composite(Image.new("RGB", ramp.size, bottom), Image.new("RGB", ramp.size, top), ramp)


def with_input(canvas: Image.Image, image: Path | bytes) -> Image.Image:
    """The input image scaled to fit, centred on the gradient."""
    with open_image(image) as source:
        fitted = ImageOps.contain(source.convert("RGBA"), canvas.size)
    x, y = (canvas.width - fitted.width) // 2, (canvas.height - fitted.height) // 2
    canvas.paste(fitted, (x, y), fitted)
    return canvas


def tinted(canvas: Image.Image, source: Path | bytes) -> Image.Image:
    """``canvas`` with the mask's transparent area (stretched to the canvas) tinted."""
    with open_image(source) as mask:
        alpha = mask.convert("RGBA").getchannel("A").resize(canvas.size)
    area = alpha.point(lambda value: TINT_ALPHA if value < 128 else 0)
    return Image.composite(Image.new("RGB", canvas.size, TINT), canvas, area)


def labelled(canvas: Image.Image, picture: Picture) -> Image.Image:
    """The label wrapped to the width, and ``WxH`` under it, in white with a dark outline so any gradient reads."""
    size = max(8, min(picture.width, picture.height) // 16)
    font = ImageFont.load_default(size=size)
    columns = max(8, int(picture.width / (size * 0.6)) - 2)
    lines = textwrap.wrap(picture.label, columns, max_lines=max(1, picture.height // (size * 2) - 1),
                          placeholder=" ...") or [""]
    text = "\n".join([*lines, f"{picture.width}x{picture.height}"])
    draw = ImageDraw.Draw(canvas)
    draw.multiline_text((picture.width / 2, picture.height / 2), text, fill="white", font=font, anchor="mm",
                        align="center", stroke_width=max(1, size // 12), stroke_fill="black")
    return canvas


def render(picture: Picture) -> Image.Image:
    canvas = gradient(picture)
    if picture.image is not None:
        canvas = with_input(canvas, picture.image)
    if picture.mask is not None:
        canvas = tinted(canvas, picture.mask)
    return labelled(canvas, picture)


def encode(image: Image.Image, output_format: str) -> bytes:
    out = io.BytesIO()
    image.save(out, PIL_FORMATS[output_format])
    return out.getvalue()
