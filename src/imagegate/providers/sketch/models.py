"""The ``demo`` model as data: any size from 64 to 2048 pixels a side (or an aspect ratio), generations, edits
(with a mask) and variations, 1–10 images, png/jpeg/webp, a seed; priced 0. Every answer is marked ``demo``."""

from __future__ import annotations

from ...catalog import ModelSpec, SizeRule
from ...ledger.pricing import Price, per_image

RULE = SizeRule(max_edge=2048, min_pixels=64 * 64, max_pixels=2048 * 2048, max_ratio=8.0,
                default_pixels=1024 * 1024, multiple=8, min_edge=64)

DEMO = ModelSpec(
    id="demo",
    endpoints=frozenset({"generations", "edits", "variations"}),
    sizes=("256x256", "512x512", "1024x1024", "1536x1024", "1024x1536"),
    size_auto=True,
    default_size="1024x1024",
    prompt_max=32000,
    qualities=("auto", "low", "medium", "high", "standard", "hd"),
    default_response_format="b64_json",
    n_max=10,
    upstream_n_max=10,
    output_formats=("png", "jpeg", "webp"),
    options=frozenset({"seed"}),
    size_rule=RULE,
    report_pixels=True,
    owned_by="imagegate",
    marks=("demo",),
)

MODELS = (DEMO,)
SERVED = {DEMO.id: DEMO.id}
PRICES: dict[str, Price] = {DEMO.id: per_image("0")}
