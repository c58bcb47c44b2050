"""Upstream results → OpenAI's ``ImagesResponse``: base64 as it came, or our own signed link.

Enum-typed response fields (``size``, ``quality``, ``background``, ``output_format``) carry
only OpenAI's values, so typed clients always parse the answer; ``usage`` always has the
four token fields, plus the ``images`` count. Everything else goes in extension fields:
``data[].width``/``height`` (read from the image itself) for models that report pixels,
``aspect_ratio`` when the upstream was asked for one, ``errors`` for calls that failed in a
partial result.
"""

from __future__ import annotations

import asyncio
import binascii
import time
from typing import Any

import pybase64

from .errors import ApiError, UpstreamError
from .imaging import pixel_size
from .normalise import ImageJob
from .providers.base import TokenUsage, UpstreamImage, UpstreamResult
from .store import ResultStore, Signer

ENUMS = {
    "size": frozenset({"1024x1024", "1024x1536", "1536x1024"}),
    "quality": frozenset({"low", "medium", "high"}),
    "background": frozenset({"transparent", "opaque"}),
    "output_format": frozenset({"png", "webp", "jpeg"}),
}
EXTENSIONS = ("aspect_ratio",)


def sniff(data: bytes) -> str:
    """The file extension for image bytes, from their magic number."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "png"


def image_bytes(image: UpstreamImage) -> bytes:
    if image.data is not None:
        return image.data
    try:
        return pybase64.b64decode(image.b64 or "", validate=True)
    except (binascii.Error, ValueError):
        raise UpstreamError("The upstream sent an image that isn't valid base64.",
                            code="upstream_bad_response") from None


def usage_block(results: list[UpstreamResult], images: int) -> dict[str, Any]:
    total = TokenUsage()
    for result in results:
        if result.usage is not None:
            total.add(result.usage)
    return {
        "input_tokens": total.input_tokens,
        "output_tokens": total.output_tokens,
        "total_tokens": total.total_tokens,
        "input_tokens_details": {"text_tokens": total.text_tokens, "image_tokens": total.image_tokens},
        "images": images,
    }


async def _links(images: list[UpstreamImage], store: ResultStore, signer: Signer) -> list[str]:
    blobs = [image_bytes(image) for image in images]
    names = await asyncio.gather(*(store.put(blob, sniff(blob)) for blob in blobs))
    now = time.time()
    return [signer.url(name, now) for name in names]


def _pixel_sizes(images: list[UpstreamImage]) -> list[tuple[int, int] | None]:
    return [pixel_size(image_bytes(image)) for image in images]


async def build(job: ImageJob, results: list[UpstreamResult], store: ResultStore, signer: Signer,
                failures: list[ApiError] | None = None) -> dict[str, Any]:
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
    body: dict[str, Any] = {"created": int(time.time()), "data": data}
    meta = results[0].meta
    for name, allowed in ENUMS.items():
        if meta.get(name) in allowed:
            body[name] = meta[name]
    body.update({name: meta[name] for name in EXTENSIONS if name in meta})
    body["usage"] = usage_block(results, len(images))
    if failures:
        body["errors"] = [failure.body()["error"] for failure in failures]
    return body
