"""The demo model's pictures: size, mode, format, determinism, the input image behind the label, the mask tint."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from imagegate.providers.sketch.draw import TINT, Picture, colours, encode, render


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize(("width", "height"), [(64, 64), (1024, 1024), (2048, 256), (200, 1600)])
def test_the_picture_has_the_asked_size_and_mode(width: int, height: int) -> None:
    image = render(Picture("a red fox in the snow " * 20, width, height, 0))
    assert (image.size, image.mode) == ((width, height), "RGB")


@pytest.mark.parametrize(("fmt", "pil"), [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
def test_encoding_gives_the_asked_format(fmt: str, pil: str) -> None:
    assert opened(encode(render(Picture("fox", 96, 64, 0)), fmt)).format == pil


def test_the_same_request_draws_the_same_bytes_and_another_seed_other_colours() -> None:
    first = encode(render(Picture("fox", 128, 96, 7)), "png")
    assert encode(render(Picture("fox", 128, 96, 7)), "png") == first
    assert encode(render(Picture("fox", 128, 96, 8)), "png") != first
    assert colours(Picture("fox", 128, 96, 7)) != colours(Picture("cat", 128, 96, 7))


def test_the_label_is_drawn_over_the_gradient() -> None:
    bare = Picture("", 256, 256, 3)
    labelled = render(Picture("a long prompt that wraps", 256, 256, 3))
    assert labelled.tobytes() != render(bare).tobytes()
    whites = [count for count, colour in labelled.getcolors(256 * 256) or [] if colour == (255, 255, 255)]
    assert whites and whites[0] > 200  # the text is white


def test_an_input_image_is_drawn_behind_the_label(tmp_path: Path) -> None:
    source = tmp_path / "in.png"
    Image.new("RGB", (50, 50), (0, 255, 0)).save(source)
    image = render(Picture("edit", 200, 100, 0, image=source))
    assert image.getpixel((60, 5)) == (0, 255, 0)  # scaled to 100×100, centred
    assert image.getpixel((5, 5)) != (0, 255, 0)  # the gradient beside it


def test_a_mask_tints_its_transparent_area(tmp_path: Path) -> None:
    source, mask = tmp_path / "in.png", tmp_path / "mask.png"
    Image.new("RGB", (64, 64), (0, 0, 0)).save(source)
    painted = Image.new("RGBA", (64, 64), (0, 0, 0, 255))
    painted.paste((0, 0, 0, 0), (0, 0, 32, 64))  # the left half is to be repainted
    painted.save(mask)
    image = render(Picture("", 128, 128, 0, image=source, mask=mask))
    left, right = image.getpixel((10, 10)), image.getpixel((118, 10))
    assert right == (0, 0, 0)
    assert isinstance(left, tuple) and left[0] > 50 and left[2] > 50 and left[1] == 0  # toward the tint
    assert TINT == (255, 0, 200)
