"""Alibaba Cloud Model Studio's Qwen-Image models on DashScope, as data: what each accepts, and list prices.

    model                   endpoint                  sizes                         n per call  input images
    qwen-image-2.0-pro      generations, edits        any W*H, 512²–2048² pixels    1–6         1–3
    qwen-image-2.0          generations, edits        any W*H, 512²–2048² pixels    1–6         1–3
    qwen-image-max          generations               five fixed sizes              1           -
    qwen-image-plus         generations (sync/async)  five fixed sizes              1           -
    qwen-image              generations (sync/async)  five fixed sizes              1           -
    qwen-image-edit-max     edits                     edges 512–2048                1–6         1–3
    qwen-image-edit-plus    edits                     edges 512–2048                1–6         1–3
    qwen-image-edit         edits                     follows the input image       1           1–3

Prices are the international (Singapore) list prices in USD per image (docs/dashscope-facts.md).
"""

from __future__ import annotations

from dataclasses import replace

from ...catalog import MB, ModelSpec, SizeRule
from ...ledger.pricing import Price, per_image

FIXED_SIZES = ("1328x1328", "1664x928", "928x1664", "1472x1104", "1104x1472")
FLEX_SIZES = ("1024x1024", "1328x1328", "2048x2048", "1664x928", "928x1664", "1472x1104", "1104x1472",
              "1536x1024", "1024x1536")
PIXELS = SizeRule(max_edge=2048, min_pixels=512 * 512, max_pixels=2048 * 2048, max_ratio=4,
                  default_pixels=2048 * 2048, multiple=16, min_edge=512)
EDIT_PIXELS = replace(PIXELS, default_pixels=1024 * 1024)
SHARED = frozenset({"seed", "negative_prompt", "watermark"})
EXTEND = "prompt_extend"
ASYNC_MODELS = frozenset({"qwen-image-plus", "qwen-image"})  # the only ones the text2image endpoint takes
PROMPT_MAX = 800
NEGATIVE_MAX = 500
SEED_LIMIT = 2**31  # seeds are 0 to 2147483647

QWEN_2_PRO = ModelSpec(
    id="qwen-image-2.0-pro",
    endpoints=frozenset({"generations", "edits"}),
    sizes=FLEX_SIZES,
    size_auto=True,
    default_size=None,
    prompt_max=PROMPT_MAX,
    qualities=("auto",),
    default_response_format="url",
    upstream_n_max=6,
    options=SHARED | {EXTEND},
    edit_max_images=3,
    edit_max_bytes=10 * MB,
    edit_formats=frozenset({"png", "jpeg", "webp"}),
    mask=False,
    size_rule=PIXELS,
    report_pixels=True,
    owned_by="alibaba",
)
QWEN_2 = replace(QWEN_2_PRO, id="qwen-image-2.0")
QWEN_MAX = replace(QWEN_2_PRO, id="qwen-image-max", endpoints=frozenset({"generations"}), sizes=FIXED_SIZES,
                   default_size="1328x1328", size_rule=None, upstream_n_max=1)
QWEN_PLUS = replace(QWEN_MAX, id="qwen-image-plus")
QWEN = replace(QWEN_MAX, id="qwen-image")
EDIT_MAX = replace(QWEN_2_PRO, id="qwen-image-edit-max", endpoints=frozenset({"edits"}), size_rule=EDIT_PIXELS)
EDIT_PLUS = replace(EDIT_MAX, id="qwen-image-edit-plus")
EDIT = replace(EDIT_MAX, id="qwen-image-edit", sizes=(), size_rule=None, upstream_n_max=1, options=SHARED)

MODELS = (QWEN_2_PRO, QWEN_2, QWEN_MAX, QWEN_PLUS, QWEN, EDIT_MAX, EDIT_PLUS, EDIT)
SERVED = {model.id: model.id for model in MODELS}

PRICES: dict[str, Price] = {
    "qwen-image-2.0-pro": per_image("0.075"),
    "qwen-image-2.0": per_image("0.035"),
    "qwen-image-max": per_image("0.075"),
    "qwen-image-plus": per_image("0.03"),
    "qwen-image": per_image("0.035"),
    "qwen-image-edit-max": per_image("0.075"),
    "qwen-image-edit-plus": per_image("0.03"),
    "qwen-image-edit": per_image("0.045"),
}
