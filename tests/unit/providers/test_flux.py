from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from imagegate.errors import InvalidRequest
from imagegate.fields import SEED_MAX
from imagegate.providers.flux import aspect_ratio, conflict, flux_values, inline_inputs, prompt_upsampling
from tests.factories import call
from tests.factories import flux_job as job
from tests.factories import input_image as upload


def test_a_generation_without_a_ratio_is_square() -> None:
    assert aspect_ratio(job()) == "1:1"


@pytest.mark.parametrize(("size", "ratio"), [((1600, 900), "16:9"), ((900, 2100), "9:21"), ((500, 500), "1:1"),
                                             ((1100, 800), "4:3")])
def test_an_edit_without_a_ratio_keeps_its_first_image_s(tmp_path: Path, size: tuple[int, int], ratio: str) -> None:
    images = [upload(tmp_path, *size, name="a"), upload(tmp_path, 100, 900, name="b")]
    assert aspect_ratio(job("edits", images=images)) == ratio


def test_a_requested_ratio_wins_over_the_image(tmp_path: Path) -> None:
    assert aspect_ratio(job("edits", images=[upload(tmp_path, 1600, 900)], aspect_ratio="9:16")) == "9:16"


def test_fill_asks_for_no_ratio(tmp_path: Path) -> None:
    assert aspect_ratio(job("edits", model="flux-fill-pro", images=[upload(tmp_path, 1600, 900)])) is None


@pytest.mark.parametrize(("values", "expected"), [
    ({}, False), ({"quality": "hd"}, True), ({"quality": "high"}, True), ({"quality": "standard"}, False),
    ({"quality": "low"}, False), ({"quality": "medium"}, False), ({"quality": "auto"}, False),
    ({"prompt_upsampling": True}, True), ({"prompt_upsampling": False}, False),
    ({"quality": "auto", "prompt_upsampling": True}, True), ({"quality": "hd", "prompt_upsampling": True}, True),
])
def test_prompt_upsampling(values: dict[str, object], expected: bool) -> None:
    assert prompt_upsampling(job(**values)) is expected


@pytest.mark.parametrize("values", [{"quality": "hd", "prompt_upsampling": False},
                                    {"quality": "standard", "prompt_upsampling": True}])
def test_prompt_upsampling_contradicting_quality(values: dict[str, object]) -> None:
    refusal = conflict(job(**values))
    assert isinstance(refusal, InvalidRequest)
    assert (refusal.param, refusal.code) == ("prompt_upsampling", "conflicting_parameters")


@pytest.mark.parametrize(("seed", "offset", "expected"), [(None, 3, None), (7, 0, 7), (7, 9, 16), (SEED_MAX, 1, 0)])
def test_seeds_spread_over_a_fan_out(seed: int | None, offset: int, expected: int | None) -> None:
    values = {} if seed is None else {"seed": seed}
    assert flux_values(call(job(**values), offset=offset)).get("seed") == expected


def test_output_format_defaults_to_png() -> None:
    assert flux_values(call(job()))["output_format"] == "png"
    assert flux_values(call(job(output_format="webp")))["output_format"] == "webp"


async def test_inputs_go_unchanged_and_the_mask_white_on_black(tmp_path: Path) -> None:
    image = upload(tmp_path, 40, 30, "JPEG", name="a")
    mask = upload(tmp_path, 40, 30, mode="RGBA", transparent_box=(0, 0, 10, 30), name="m")
    built = job("edits", model="flux-fill-pro", images=[image], mask=mask)
    (encoded,), converted = await inline_inputs(built)
    assert base64.b64decode(encoded) == image.upload.path.read_bytes()
    assert converted is not None
    mask_img = Image.open(io.BytesIO(base64.b64decode(converted)))
    assert mask_img.mode == "L" and mask_img.getpixel((5, 5)) == 255 and mask_img.getpixel((20, 5)) == 0
    (uri,), _ = await inline_inputs(built, data_uri=True)
    assert uri == f"data:image/jpeg;base64,{encoded}"
