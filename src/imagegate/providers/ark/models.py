"""ByteDance Seedream on Volcengine Ark / BytePlus ModelArk, as data: what each model accepts, and list prices.

Sizes are free ``WxH`` within each model's pixel budget and a ratio of at most 16:1 (a :class:`SizeRule`), or a
resolution tier sent as ``image_size``. The listed sizes are Ark's recommended 2K sizes (suggestions only).
Ark generates one image per call here (``sequential_image_generation`` only promises "up to" ``max_images``),
so ``n`` is fanned out. Prices are BytePlus ModelArk's USD list prices per output image (see
docs/ark-facts.md):

    model               upstream (Volcengine)          tiers        pixels              USD/image
    seedream-4.0        doubao-seedream-4-0-250828     1K, 2K, 4K   1,048,576–16.7M     0.03
    seedream-4.5        doubao-seedream-4-5-251128     2K, 4K       3,686,400–16.7M     0.04
    seedream-5.0-lite   doubao-seedream-5-0-260128     2K           3,686,400–9.4M      0.035
"""

from __future__ import annotations

from dataclasses import replace

from ...catalog import MB, ModelSpec, SizeRule
from ...ledger.pricing import Price, per_image

MAX_RATIO = 16.0
SQUARE_2K = 2048 * 2048
SIZES_2K = ("2048x2048", "2304x1728", "1728x2304", "2848x1600", "1600x2848", "2496x1664", "1664x2496", "3136x1344")
RULE_4_0 = SizeRule(max_edge=16384, min_pixels=1024 * 1024, max_pixels=4096 * 4096, max_ratio=MAX_RATIO,
                    default_pixels=SQUARE_2K, min_edge=256)
RULE_4_5 = SizeRule(max_edge=16384, min_pixels=2560 * 1440, max_pixels=4096 * 4096, max_ratio=MAX_RATIO,
                    default_pixels=SQUARE_2K, min_edge=480)
RULE_5_0 = SizeRule(max_edge=12288, min_pixels=2560 * 1440, max_pixels=3072 * 3072, max_ratio=MAX_RATIO,
                    default_pixels=SQUARE_2K, min_edge=480)
OPTIONS = frozenset({"watermark"})

SEEDREAM_4_0 = ModelSpec(
    id="seedream-4.0",
    endpoints=frozenset({"generations", "edits"}),
    sizes=("1024x1024", "1536x1024", "1024x1536", *SIZES_2K),
    size_auto=False,
    default_size=None,
    prompt_max=4000,
    qualities=("auto",),
    default_response_format="b64_json",
    upstream_n_max=1,
    options=OPTIONS,
    edit_max_images=10,
    edit_max_bytes=10 * MB,
    edit_formats=frozenset({"png", "jpeg"}),
    mask=False,
    size_rule=RULE_4_0,
    resolutions=("1K", "2K", "4K"),
    report_pixels=True,
    owned_by="bytedance",
)
SEEDREAM_4_5 = replace(SEEDREAM_4_0, id="seedream-4.5", sizes=SIZES_2K, edit_max_images=14,
                       edit_formats=frozenset({"png", "jpeg", "webp"}), size_rule=RULE_4_5, resolutions=("2K", "4K"))
SEEDREAM_5_0_LITE = replace(SEEDREAM_4_5, id="seedream-5.0-lite", output_formats=("jpeg", "png"), size_rule=RULE_5_0,
                            resolutions=("2K",))

MODELS = (SEEDREAM_4_0, SEEDREAM_4_5, SEEDREAM_5_0_LITE)
SERVED = {"seedream-4.0": "doubao-seedream-4-0-250828", "seedream-4.5": "doubao-seedream-4-5-251128",
          "seedream-5.0-lite": "doubao-seedream-5-0-260128"}

PRICES: dict[str, Price] = {
    "seedream-4.0": per_image("0.03"),
    "seedream-4.5": per_image("0.04"),
    "seedream-5.0-lite": per_image("0.035"),
}
