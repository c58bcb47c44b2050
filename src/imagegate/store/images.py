"""The store stage: a request's upstream images become the answer's ``data`` entries.

``url``: the bytes are saved in the result store and the entry carries our own signed, expiring
link. ``b64_json``: base64 as the upstream sent it (or encoded once from the bytes it sent).
Models that report pixels get ``width``/``height`` read from each image's header; an upstream's
``revised_prompt`` is kept.
"""

from __future__ import annotations

import asyncio
import binascii
import time
from typing import Any

import pybase64

from ..errors import UpstreamError
from ..imaging import pixel_size
from ..job import ImageJob
from ..providers.base import UpstreamImage, UpstreamResult
from .base import ResultStore
from .signing import Signer


def sniff(data: bytes) -> str:
    """The file extension for image bytes, from their magic number."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if is_svg(data):
        return "svg"
    return "png"


def is_svg(data: bytes) -> bool:
    """SVG text (an XML prolog, comments or whitespace, then an ``<svg`` element): vector output, which no image
    library here decodes."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<svg", b"<?xml", b"<!--", b"<!doctype svg")) and b"<svg" in head


def image_bytes(image: UpstreamImage) -> bytes:
    if image.data is not None:
        return image.data
    try:
        return pybase64.b64decode(image.b64 or "", validate=True)
    except (binascii.Error, ValueError):
        raise UpstreamError("The upstream sent an image that isn't valid base64.",
                            code="upstream_bad_response") from None


async def _links(images: list[UpstreamImage], store: ResultStore, signer: Signer) -> list[str]:
    blobs = [image_bytes(image) for image in images]
    names = await asyncio.gather(*(store.put(blob, sniff(blob)) for blob in blobs))
    now = time.time()
    return [signer.url(name, now) for name in names]


def _pixel_sizes(images: list[UpstreamImage]) -> list[tuple[int, int] | None]:
    return [pixel_size(image_bytes(image)) for image in images]


async def store_images(job: ImageJob, results: list[UpstreamResult], store: ResultStore,
                       signer: Signer) -> list[dict[str, Any]]:
    """The ``data`` entries of the answer, in the order the upstream calls made the images."""
    images = [image for result in results for image in result.images]
    if job.response_format == "url":
        data: list[dict[str, Any]] = [{"url": link} for link in await _links(images, store, signer)]
    else:
        data = [{"b64_json": image.b64 if image.b64 is not None else pybase64.b64encode(image_bytes(image)).decode()}
                for image in images]
    for entry, image in zip(data, images, strict=True):
        if image.revised_prompt is not None:
            entry["revised_prompt"] = image.revised_prompt
    if job.spec.report_pixels:
        for entry, dims in zip(data, await asyncio.to_thread(_pixel_sizes, images), strict=True):
            if dims is not None:
                entry["width"], entry["height"] = dims
    return data
