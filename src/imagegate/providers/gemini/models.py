"""Google's Gemini image models ("Nano Banana") as data: what each accepts, their aliases, and list prices.

Ratios, resolution tiers (``imageConfig.imageSize``) and input-image caps per model, and the Standard
tier list prices in USD per 1M tokens (text input, image input, text output, image output), with the
image-output tokens an image costs at each tier (Google's image pricing; see docs/gemini.md):

    model                    input   text out  image out  tokens per image
    gemini-2.5-flash-image   0.30    (image)   30         1290
    gemini-3-pro-image       2.00    12        120        1K, 2K: 1120; 4K: 2000
    gemini-3.1-flash-image   0.50    3         60         512: 747; 1K: 1120; 2K: 1680; 4K: 2520

An input image is 560 tokens on Gemini 3 models and 258 on 2.5 (holds only: the charge uses the
upstream's counts). ``nano-banana``, ``nano-banana-pro`` and ``nano-banana-2`` are aliases; the
preview ids Google retired are deprecated aliases of their GA successors.
"""

from __future__ import annotations

from dataclasses import replace

from ...catalog import ModelSpec
from ...ledger.pricing import Price, per_token

RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
EXTRA_RATIOS = ("1:4", "4:1", "1:8", "8:1")

FLASH_2_5 = ModelSpec(
    id="gemini-2.5-flash-image",
    endpoints=frozenset({"generations", "edits"}),
    sizes=(),
    size_auto=True,
    default_size=None,
    prompt_max=32000,
    qualities=("auto",),
    default_response_format="b64_json",
    upstream_n_max=1,
    output_formats=("png", "jpeg"),
    options=frozenset({"output_compression"}),
    edit_max_images=3,
    mask=False,
    aspect_ratios=RATIOS,
    size_wins=True,
    report_pixels=True,
    owned_by="google",
)
PRO_3 = replace(FLASH_2_5, id="gemini-3-pro-image", edit_max_images=14, resolutions=("1K", "2K", "4K"),
                default_resolution="1K")
FLASH_3_1 = replace(FLASH_2_5, id="gemini-3.1-flash-image", edit_max_images=14, aspect_ratios=RATIOS + EXTRA_RATIOS,
                    resolutions=("512", "1K", "2K", "4K"), default_resolution="1K")


def alias(model_id: str, target: ModelSpec, deprecated: str | None = None) -> ModelSpec:
    return replace(target, id=model_id, alias_of=target.id, deprecated=deprecated)


MODELS = (
    FLASH_2_5, PRO_3, FLASH_3_1,
    alias("nano-banana", FLASH_2_5), alias("nano-banana-pro", PRO_3), alias("nano-banana-2", FLASH_3_1),
    alias("gemini-3-pro-image-preview", PRO_3, deprecated="2026-06-25"),
    alias("gemini-3.1-flash-image-preview", FLASH_3_1, deprecated="2026-06-25"),
)
SERVED = {model.id: model.id for model in (FLASH_2_5, PRO_3, FLASH_3_1)}

PRICES: dict[str, Price] = {
    "gemini-2.5-flash-image": per_token("0.30", "0.30", "30", {"*": 1290}, 258),
    "gemini-3-pro-image": per_token("2", "2", "120", {"1K": 1120, "2K": 1120, "4K": 2000}, 560, text_output="12"),
    "gemini-3.1-flash-image": per_token("0.50", "0.50", "60", {"512": 747, "1K": 1120, "2K": 1680, "4K": 2520}, 560,
                                        text_output="3"),
}
