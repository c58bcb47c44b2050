"""xAI's Grok Imagine image models as data: ratios, resolution tiers, edit limits and list prices.

Both models take ``aspect_ratio`` (13 ratios) and ``resolution`` ``1k``/``2k`` (the gateway's ``image_size``
``1K``/``2K``), ``n`` 1–10, and edit with 1–3 source images (JSON, not multipart). They take no ``size``,
``quality`` or ``style``: a ``WxH`` size maps to the nearest ratio, anything else is a 400. List prices per
image (xAI's model pages, any resolution): grok-imagine-image 0.02 USD, grok-imagine-image-quality 0.045 USD.
An edit is billed the output image's price here (xAI also bills the input image; see docs/recraft-xai-facts.md).
"""

from __future__ import annotations

from dataclasses import replace

from ...catalog import MB, ModelSpec
from ...ledger.pricing import Price, per_image

RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9", "2:3", "3:2", "9:19.5", "19.5:9", "9:20", "20:9", "1:2", "2:1")

IMAGINE = ModelSpec(
    id="grok-imagine-image",
    endpoints=frozenset({"generations", "edits"}),
    sizes=(),
    size_auto=True,
    default_size=None,
    prompt_max=8000,
    qualities=("auto",),
    default_response_format="b64_json",
    n_max=10,
    upstream_n_max=10,
    edit_max_images=3,
    edit_max_bytes=10 * MB,
    edit_formats=frozenset({"png", "jpeg", "webp"}),
    mask=False,
    aspect_ratios=RATIOS,
    resolutions=("1K", "2K"),
    default_resolution="1K",
    owned_by="xai",
)
QUALITY = replace(IMAGINE, id="grok-imagine-image-quality")

MODELS = (IMAGINE, QUALITY)
SERVED = {model.id: model.id for model in MODELS}

PRICES: dict[str, Price] = {
    "grok-imagine-image": per_image("0.02"),
    "grok-imagine-image-quality": per_image("0.045"),
}
