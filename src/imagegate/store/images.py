"""The store stage: a request's upstream images become the answer's ``data`` entries.

``url``: the bytes are saved in the result store (all of them or none: :func:`save_all`) and the entry
carries a signed, expiring link. ``b64_json``: base64 as the upstream sent it (or encoded once from the bytes
it sent).
Models that report pixels get ``width``/``height`` read from each image's header; an upstream's
``revised_prompt`` is kept.
"""

from __future__ import annotations

import asyncio
import binascii
import logging
import time
from typing import Any

import pybase64

from ..errors import UpstreamError
from ..imaging import pixel_size
from ..job import ImageJob
from ..providers.base import UpstreamImage, UpstreamResult
from .base import ResultStore, StorageUnavailable, unavailable
from .links import Links

log = logging.getLogger("imagegate")


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


async def save_all(store: ResultStore, blobs: list[bytes]) -> list[str]:
    """Every blob saved, or none: if one can't be, those that were are removed and the request fails with
    :class:`StorageUnavailable`."""
    saved = await asyncio.gather(*(store.put(blob, sniff(blob)) for blob in blobs), return_exceptions=True)
    names = [name for name in saved if isinstance(name, str)]
    failed = [err for err in saved if isinstance(err, BaseException)]
    if failed:
        await discard(store, names)
        if isinstance(failed[0], StorageUnavailable) or not isinstance(failed[0], Exception):
            raise failed[0]
        raise unavailable() from failed[0]
    return names


async def discard(store: ResultStore, names: list[str]) -> None:
    """Remove what a failed request stored; a store that fails here too leaves them to the sweep."""
    try:
        await store.delete(names)
    except Exception:
        log.warning("could not remove %d stored results of a failed request; the sweep will", len(names))


def _pixel_sizes(images: list[UpstreamImage]) -> list[tuple[int, int] | None]:
    return [pixel_size(image_bytes(image)) for image in images]


async def store_images(job: ImageJob, results: list[UpstreamResult], store: ResultStore,
                       links: Links) -> tuple[list[dict[str, Any]], list[str]]:
    """The ``data`` entries of the answer, in the order the upstream calls made the images, and the names of
    the objects stored for them (to remove if the request fails after all)."""
    images = [image for result in results for image in result.images]
    names: list[str] = []
    if job.response_format == "url":
        names = await save_all(store, [image_bytes(image) for image in images])
        now = time.time()
        data: list[dict[str, Any]] = [{"url": links.url(name, now)} for name in names]
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
    return data, names
