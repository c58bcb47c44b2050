"""FLUX request rules that every FLUX upstream (BFL, fal) shares, in one place.

- ratio: the one asked for (or mapped from ``size`` by the normaliser); without one, an edit
  keeps its first input image's ratio (the nearest allowed) and a generation is 1:1.
- ``prompt_upsampling``: sent explicitly, or from ``quality`` (hd/high → on; standard, low,
  medium, auto → off). Both sent and disagreeing is a 400.
- seed: a fanned-out request spreads it, ``seed + i`` for its i-th image.
- output format: the one asked for, else png. Always sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pybase64

from ..errors import InvalidRequest
from ..fields import SEED_MAX
from ..imaging import white_on_black_mask
from ..normalise import ImageJob
from ..sizing import nearest_ratio
from .base import Call

GENERATION_RATIO = "1:1"
DEFAULT_FORMAT = "png"
UPSAMPLING = {"hd": True, "high": True, "standard": False, "low": False, "medium": False}


@dataclass(frozen=True, slots=True)
class FluxParams:
    prompt: str
    aspect_ratio: str | None
    seed: int | None
    output_format: str
    prompt_upsampling: bool
    safety_tolerance: int | None


def aspect_ratio(job: ImageJob) -> str | None:
    """The ratio to ask for; ``None`` for models that follow their input image (Fill)."""
    if job.aspect_ratio is not None or not job.spec.aspect_ratios:
        return job.aspect_ratio
    if job.images:
        first = job.images[0].info
        return nearest_ratio(first.width, first.height, job.spec.aspect_ratios)
    return GENERATION_RATIO


def prompt_upsampling(job: ImageJob) -> bool:
    sent: bool | None = job.options.get("prompt_upsampling")
    implied = UPSAMPLING.get(job.quality or "auto")
    if sent is not None and implied is not None and sent != implied:
        raise InvalidRequest(
            f"'prompt_upsampling' {str(sent).lower()} contradicts quality '{job.quality}', which means "
            f"prompt_upsampling {str(implied).lower()} for '{job.spec.id}'. Send one of them.",
            param="prompt_upsampling", code="conflicting_parameters")
    return bool(sent if sent is not None else implied)


def flux_params(call: Call) -> FluxParams:
    job = call.job
    seed = job.options.get("seed")
    return FluxParams(
        prompt=job.prompt or "",
        aspect_ratio=aspect_ratio(job),
        seed=None if seed is None else (seed + call.offset) % (SEED_MAX + 1),
        output_format=job.options.get("output_format", DEFAULT_FORMAT),
        prompt_upsampling=prompt_upsampling(job),
        safety_tolerance=job.options.get("safety_tolerance"),
    )


def _b64(path: Path) -> str:
    return pybase64.b64encode(path.read_bytes()).decode("ascii")


def _inline(job: ImageJob, data_uri: bool) -> tuple[list[str], str | None]:
    images = [f"data:{i.info.mime};base64,{_b64(i.upload.path)}" if data_uri else _b64(i.upload.path)
              for i in job.images]
    mask = None
    if job.mask is not None:
        mask = pybase64.b64encode(white_on_black_mask(job.mask.upload.path)).decode("ascii")
    return images, mask


async def inline_inputs(job: ImageJob, *, data_uri: bool = False) -> tuple[list[str], str | None]:
    """The input images as sent (base64, or data URIs), unchanged, and the mask converted to white-on-black."""
    return await asyncio.to_thread(_inline, job, data_uri)
