"""Pure translation between an image call and Ark's ``POST /images/generations``: the request body, the answer.

One image per call: ``sequential_image_generation`` is always ``disabled`` (grouped output only promises "up
to" ``max_images``, so the gateway fans ``n`` out instead). ``size`` is written ``WxH`` as sent; without one,
the resolution tier (``image_size``: ``1K``/``2K``/``4K``) goes in Ark's ``size``; an ``aspect_ratio`` becomes the
``WxH`` nearest it at the tier's pixel budget (2K's without one); with neither, Ark's default (2048x2048).
``watermark`` is ``false`` unless the client sends ``true`` (Ark's own default is ``true``). Input images go in
``image`` as data URIs. Ark is asked for links (``response_format: url``), which the adapter downloads at once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ...errors import ContentPolicy, InvalidRequest, UpstreamError
from ...job import ImageJob
from ...normalise import TIER_EDGES
from ...sizing import parse_ratio, parse_size
from ..base import Call
from ..spec import Param, ParamTable
from ..upstream import bad_answer, scrub

TABLE = ParamTable(
    "Ark", Param("prompt"), Param("size"), Param("image_size", None), Param("quality", None, allowed=("auto",),
                                                                            takes="auto"),
    Param("user", None), Param("watermark"), Param("output_format"), Param("image"),
)
SENSITIVE = ("SensitiveContentDetected", "RiskDetection")


def is_sensitive(code: str) -> bool:
    """A code of Ark's content filter (``OutputImageSensitiveContentDetected``, ``InputTextRiskDetection``…)."""
    return any(marker in code for marker in SENSITIVE)


def tier_of(size: str, tiers: tuple[str, ...]) -> str | None:
    """The tier the gateway derives from a ``WxH`` size: the smallest whose edge reaches its long edge."""
    dims = parse_size(size)
    if dims is None or not tiers:
        return None
    ordered = sorted(tiers, key=lambda tier: TIER_EDGES.get(tier, 0))
    return next((tier for tier in ordered if TIER_EDGES.get(tier, 0) >= max(dims)), ordered[-1])


def _from_ratio(job: ImageJob) -> bool:
    """Whether the job's size is the one the gateway mapped its ``aspect_ratio`` to."""
    ratio = parse_ratio(job.aspect_ratio) if job.aspect_ratio else None
    rule = job.spec.size_rule
    return ratio is not None and rule is not None and job.size == rule.for_ratio(ratio)


def ark_size(job: ImageJob) -> str | None:
    """Ark's ``size``: an ``aspect_ratio`` at the pixel budget of the tier asked for (else the size it mapped to);
    a ``WxH`` size as sent; else the tier; ``None`` for Ark's default (2048x2048)."""
    rule, tier = job.spec.size_rule, job.resolution
    if tier is not None and rule is not None and job.aspect_ratio and _from_ratio(job):
        budget = TIER_EDGES[tier] ** 2
        pixels = min(max(budget, rule.min_pixels), rule.max_pixels)
        return replace(rule, default_pixels=pixels).for_ratio(parse_ratio(job.aspect_ratio) or 1.0)
    return job.size or tier


def conflict(job: ImageJob) -> InvalidRequest | None:
    """An ``image_size`` naming another tier than a ``WxH`` size's: Ark takes one or the other in its ``size``.
    (The gateway derives the tier of a ``WxH`` size itself, so only a tier the client sent can differ.)"""
    if job.size is None or job.resolution is None or _from_ratio(job):
        return None
    if job.resolution != tier_of(job.size, job.spec.resolutions):
        return InvalidRequest(f"'image_size' {job.resolution!r} contradicts size {job.size!r}: Ark takes either exact "
                              "pixels (size) or a resolution tier (image_size), not both.", param="image_size",
                              code="invalid_value")
    return None


def request_body(call: Call, images: list[str]) -> dict[str, Any]:
    """The JSON body; ``images`` are the input images as data URIs."""
    values = call.job.params()
    body = TABLE.body(values)
    body.pop("size", None)
    if (size := ark_size(call.job)) is not None:
        body["size"] = size
    body.update(model=call.upstream_model, watermark=bool(values.get("watermark", False)),
                sequential_image_generation="disabled", response_format="url")
    if images:
        body["image"] = images[0] if len(images) == 1 else images
    return body


def _item_error(error: dict[str, Any]) -> UpstreamError | ContentPolicy:
    code = str(error.get("code") or "")
    if is_sensitive(code):
        return ContentPolicy(f"The upstream's content filter refused the image ({code}).")
    message = scrub(str(error.get("message") or "no message"))
    return UpstreamError(f"The upstream failed to make the image ({code or 'no code'}: {message}).",
                         code="upstream_error")


def parse_answer(body: Any, expected: int) -> list[str]:
    """The answer's image links (at most ``expected``); an image the upstream reports failed raises its error."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise bad_answer("a data list")
    links: list[str] = []
    for item in data:
        if isinstance(item, dict) and isinstance(item.get("error"), dict):
            raise _item_error(item["error"])
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            links.append(item["url"])
    if not links:
        raise bad_answer("an image link")
    return links[:expected]
