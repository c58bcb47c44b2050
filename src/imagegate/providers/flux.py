"""FLUX models and the request rules every FLUX upstream (BFL, fal) shares, in one place.

- ratio: the one asked for (or mapped from ``size`` by the normaliser); without one, an edit
  keeps its first input image's ratio (the nearest allowed) and a generation is 1:1.
- ``prompt_upsampling``: sent explicitly, or from ``quality`` (hd/high → on; standard, low,
  medium, auto → off). Both sent and disagreeing is a 400.
- seed: a fanned-out request spreads it, ``seed + i`` for its i-th image.
- output format: the one asked for, else png. Always sent.
- ``user``: FLUX upstreams have no end-user field; the gateway keeps it in its access log.

Prices (Black Forest Labs, 1 credit = $0.01) per image: Kontext [pro] 4 credits, Kontext [max] 8,
Fill [pro] 5 (served as ``flux-fill-pro``; ``flux-pro-1.0-fill`` is BFL's own name for it).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pybase64

from ..catalog import ModelSpec
from ..errors import InvalidRequest
from ..fields import SEED_MAX, FieldSpec
from ..imaging import white_on_black_mask
from ..job import ImageJob, Upload
from ..ledger.pricing import Price, per_image
from ..sizing import nearest_ratio
from .base import Call
from .spec import Param

GENERATION_RATIO = "1:1"
DEFAULT_FORMAT = "png"
UPSAMPLING = {"hd": True, "high": True, "standard": False, "low": False, "medium": False}
RATIOS = ("21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21")

FIELDS = (
    FieldSpec("safety_tolerance", "int", low=0, high=6, option=True,
              description="FLUX: 0 (strictest) to 6 (most permissive) moderation of inputs and outputs."),
    FieldSpec("prompt_upsampling", "bool", option=True,
              description="FLUX: let the upstream rewrite the prompt for more detail (quality hd/high means true)."),
)

KONTEXT_PRO = ModelSpec(
    id="flux-kontext-pro",
    endpoints=frozenset({"generations", "edits"}),
    sizes=(),
    size_auto=True,
    default_size=None,
    prompt_max=32000,
    qualities=("standard", "hd", "low", "medium", "high", "auto"),
    default_response_format="url",
    aspect_ratios=RATIOS,
    output_formats=("png", "jpeg", "webp"),
    options=frozenset({"seed", *(f.name for f in FIELDS)}),
    edit_max_images=4,
    mask=False,
    mask_model="flux-fill-pro",
    report_pixels=True,
    owned_by="black-forest-labs",
)
KONTEXT_MAX = replace(KONTEXT_PRO, id="flux-kontext-max")
FILL_PRO = replace(KONTEXT_PRO, id="flux-fill-pro", endpoints=frozenset({"edits"}), aspect_ratios=(),
                   edit_max_images=1, mask=True, mask_model=None, mask_or_alpha=True)

PRICES: dict[str, Price] = {
    "flux-kontext-pro": per_image("0.04"),
    "flux-kontext-max": per_image("0.08"),
    "flux-fill-pro": per_image("0.05"),
    "flux-pro-1.0-fill": per_image("0.05"),
}
# the OpenAI-side fields every FLUX translation reads itself (the tables add how each upstream spells the rest)
CONSUMED = (Param("quality", None), Param("user", None))


def aspect_ratio(job: ImageJob) -> str | None:
    """The ratio to ask for; ``None`` for models that follow their input image (Fill)."""
    if job.aspect_ratio is not None or not job.spec.aspect_ratios:
        return job.aspect_ratio
    if job.images:
        first = job.images[0].info
        return nearest_ratio(first.width, first.height, job.spec.aspect_ratios)
    return GENERATION_RATIO


def conflict(job: ImageJob) -> InvalidRequest | None:
    """The 400 for ``prompt_upsampling`` contradicting ``quality``, or ``None``."""
    sent: bool | None = job.options.get("prompt_upsampling")
    implied = UPSAMPLING.get(job.quality or "auto")
    if sent is not None and implied is not None and sent != implied:
        return InvalidRequest(
            f"'prompt_upsampling' {str(sent).lower()} contradicts quality '{job.quality}', which means "
            f"prompt_upsampling {str(implied).lower()} for '{job.spec.id}'. Send one of them.",
            param="prompt_upsampling", code="conflicting_parameters")
    return None


def prompt_upsampling(job: ImageJob) -> bool:
    sent: bool | None = job.options.get("prompt_upsampling")
    return bool(sent if sent is not None else UPSAMPLING.get(job.quality or "auto"))


def flux_values(call: Call) -> dict[str, Any]:
    """The call's values by OpenAI-side name, FLUX's rules applied (an upstream's table then spells them)."""
    job = call.job
    seed = job.options.get("seed")
    values: dict[str, Any] = {
        "prompt": job.prompt or "",
        "output_format": job.options.get("output_format", DEFAULT_FORMAT),
        "prompt_upsampling": prompt_upsampling(job),
        "aspect_ratio": aspect_ratio(job),
        "seed": None if seed is None else (seed + call.offset) % (SEED_MAX + 1),
        "safety_tolerance": job.options.get("safety_tolerance"),
    }
    return {name: value for name, value in values.items() if value is not None}


def _b64(upload: Upload) -> str:
    return pybase64.b64encode(upload.read()).decode("ascii")


def _inline(job: ImageJob, data_uri: bool) -> tuple[list[str], str | None]:
    images = [f"data:{i.info.mime};base64,{_b64(i.upload)}" if data_uri else _b64(i.upload)
              for i in job.images]
    mask = None
    if job.mask is not None:
        mask = pybase64.b64encode(white_on_black_mask(job.mask.upload.source)).decode("ascii")
    return images, mask


async def inline_inputs(job: ImageJob, *, data_uri: bool = False) -> tuple[list[str], str | None]:
    """The input images as sent (base64, or data URIs), unchanged, and the mask converted to white-on-black."""
    return await asyncio.to_thread(_inline, job, data_uri)
