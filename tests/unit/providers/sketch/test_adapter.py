"""The demo model's provider: what each call draws (size, label, seeds spread by offset, inputs), and that it runs
off the event loop and answers in the asked format."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from imagegate.providers.base import Upstream
from imagegate.providers.http import Http
from imagegate.providers.sketch import SketchProvider
from imagegate.providers.sketch.adapter import pictures
from tests.factories import call, input_image, job


def test_pictures_follow_the_job() -> None:
    built = job(model="demo", prompt="a fox", size="320x200", seed=40)
    drawn = pictures(call(built, n=3, offset=2))
    assert [(p.label, p.width, p.height, p.seed) for p in drawn] == [("a fox", 320, 200, 42), ("a fox", 320, 200, 43),
                                                                     ("a fox", 320, 200, 44)]


def test_an_aspect_ratio_and_auto_size_give_a_size() -> None:
    wide = pictures(call(job(model="demo", aspect_ratio="16:9")))[0]
    assert abs(wide.width / wide.height - 16 / 9) < 0.01 and wide.width % 8 == 0 and wide.height % 8 == 0
    square = pictures(call(job(model="demo", size="auto")))[0]
    assert (square.width, square.height) == (1024, 1024)


def test_a_variation_is_labelled_and_draws_its_input(tmp_path: Path) -> None:
    source = input_image(tmp_path, 32, 32)
    drawn = pictures(call(job("variations", model="demo", images=[source])))
    assert drawn[0].label == "variation" and drawn[0].image == source.upload.source and drawn[0].mask is None


async def test_run_answers_in_the_asked_format() -> None:
    provider = SketchProvider(Upstream("sketch", "local://sketch", ""), Http(5, None))
    result = await provider.run(call(job(model="demo", size="64x64", output_format="webp"), n=2))
    assert result.meta == {"output_format": "webp"} and len(result.images) == 2
    assert {Image.open(io.BytesIO(image.data or b"")).format for image in result.images} == {"WEBP"}
    assert provider.refusal(job(model="demo"), "demo") is None
    await provider.aclose()
