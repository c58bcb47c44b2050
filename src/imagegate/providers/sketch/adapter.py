"""The sketch provider's I/O half: no network call; each image is drawn with Pillow in a worker thread."""

from __future__ import annotations

import asyncio

from ...errors import InvalidRequest
from ...job import ImageJob
from ...sizing import parse_size
from ..base import Call, Upstream, UpstreamImage, UpstreamResult
from ..http import Http
from .draw import Picture, encode, render
from .models import DEMO

LABELS = {"variations": "variation", "edits": "edit"}


def pictures(call: Call) -> list[Picture]:
    """The call's pictures; image ``i`` of the job gets seed ``seed + i`` (the seed 0 without one)."""
    job = call.job
    width, height = parse_size(job.size or "") or parse_size(DEMO.default_size or "") or (1024, 1024)
    label = job.prompt or LABELS.get(job.endpoint, "")
    seed = int(job.options.get("seed", 0))
    image = job.images[0].upload.source if job.images else None
    mask = job.mask.upload.source if job.mask is not None else None
    return [Picture(label, width, height, seed + call.offset + index, image, mask) for index in range(call.n)]


def draw_all(batch: list[Picture], output_format: str) -> list[bytes]:
    return [encode(render(picture), output_format) for picture in batch]


class SketchProvider:
    """Draws placeholders locally; ``upstream`` and ``http`` are taken like any provider's and left unused."""

    images_per_call = 10

    def __init__(self, upstream: Upstream, http: Http) -> None:
        self.upstream = upstream

    def refusal(self, job: ImageJob, upstream_model: str) -> InvalidRequest | None:
        return None

    async def run(self, call: Call) -> UpstreamResult:
        output_format = str(call.job.options.get("output_format", "png"))
        images = await asyncio.to_thread(draw_all, pictures(call), output_format)
        return UpstreamResult([UpstreamImage(data=data) for data in images],
                              meta={"output_format": output_format})

    async def aclose(self) -> None:
        return None
