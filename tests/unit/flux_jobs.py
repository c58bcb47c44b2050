"""Jobs and calls for FLUX unit tests, built the way the API layer builds them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from imagegate.api.uploads import Upload
from imagegate.catalog import BUILTIN
from imagegate.fields import coerce
from imagegate.imaging import inspect
from imagegate.inputs import InputImage
from imagegate.normalise import ImageJob, normalise
from imagegate.providers.base import Call
from imagegate.router import Channel


def upload(tmp_path: Path, width: int, height: int, fmt: str = "PNG", mode: str = "RGB",
           transparent_box: tuple[int, int, int, int] | None = None, name: str = "in") -> InputImage:
    img = Image.new(mode, (width, height), (10, 20, 30, 255) if mode == "RGBA" else (10, 20, 30))
    if transparent_box is not None:
        img.paste((0, 0, 0, 0), transparent_box)
    buf = io.BytesIO()
    img.save(buf, fmt)
    path = tmp_path / f"{name}.{fmt.lower()}"
    path.write_bytes(buf.getvalue())
    return InputImage(Upload("image", path.name, f"image/{fmt.lower()}", path, len(buf.getvalue())),
                      inspect(path, 10**8))


def job(endpoint: str = "generations", model: str = "flux-kontext-pro", images: list[InputImage] | None = None,
        mask: InputImage | None = None, **values: Any) -> ImageJob:
    fields = coerce(endpoint, {"prompt": "p", **values})
    built = normalise(endpoint, fields, BUILTIN[model])
    built.images = images or []
    built.mask = mask
    return built


def call(built: ImageJob, upstream_model: str = "flux-kontext-pro", n: int = 1, offset: int = 0) -> Call:
    channel = Channel("c", "bfl", "https://api.bfl.ai", "key", {built.spec.id: upstream_model})
    return Call(built, channel, upstream_model, n, offset)
