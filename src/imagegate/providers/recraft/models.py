"""Recraft's image models as data: sizes per model family, styles, edit limits and list prices.

Sizes are Recraft's published lists (``WxH``; an ``aspect_ratio`` maps to the nearest listed size). Vector
(``*_vector``) models answer with SVG. Styles (``style``, refined by the Recraft-only ``substyle``) and
``negative_prompt`` are V2/V3 features; V4 and V4.1 take neither. Image-to-image serves edits on every model;
masked edits (inpainting) are served on the V3 models only.

List prices per image in USD (Recraft's pricing page; 1 USD = 1,000 API units): recraftv4_1 0.035, recraftv4 and
recraftv3 0.04, the vector models 0.08, recraftv4_1_pro 0.21, recraftv4_pro 0.25, recraftv4_pro_vector 0.30.
Edits cost what a generation of the same model costs.
"""

from __future__ import annotations

from dataclasses import replace

from ...catalog import MB, ModelSpec
from ...ledger.pricing import Price, per_image

V4_SIZES = ("1024x1024", "1536x768", "768x1536", "1280x832", "832x1280", "1216x896", "896x1216", "1152x896",
            "896x1152", "832x1344", "1280x896", "896x1280", "1344x768", "768x1344")
V4_PRO_SIZES = ("2048x2048", "3072x1536", "1536x3072", "2560x1664", "1664x2560", "2432x1792", "1792x2432",
                "2304x1792", "1792x2304", "1664x2688", "2560x1792", "1792x2560", "2688x1536", "1536x2688")
V3_SIZES = ("1024x1024", "2048x1024", "1024x2048", "1536x1024", "1024x1536", "1365x1024", "1024x1365",
            "1280x1024", "1024x1280", "1707x1024", "1024x1707", "1434x1024", "1024x1434", "1820x1024", "1024x1820")
RASTER_STYLES = ("any", "realistic_image", "digital_illustration")
VECTOR_STYLES = ("any", "vector_illustration", "icon")

V4_1 = ModelSpec(
    id="recraftv4_1",
    endpoints=frozenset({"generations", "edits"}),
    sizes=V4_SIZES,
    size_auto=False,
    default_size=None,
    prompt_max=10000,
    qualities=("auto",),
    default_response_format="url",
    n_max=10,
    upstream_n_max=6,
    edit_max_images=1,
    edit_max_bytes=5 * MB,
    mask=False,
    owned_by="recraft",
)
SVG = ("svg",)
V4_1_VECTOR = replace(V4_1, id="recraftv4_1_vector", output_formats=SVG)
V4_1_PRO = replace(V4_1, id="recraftv4_1_pro", sizes=V4_PRO_SIZES)
V4 = replace(V4_1, id="recraftv4")
V4_VECTOR = replace(V4_1, id="recraftv4_vector", output_formats=SVG)
V4_PRO = replace(V4_1, id="recraftv4_pro", sizes=V4_PRO_SIZES)
V4_PRO_VECTOR = replace(V4_1, id="recraftv4_pro_vector", sizes=V4_PRO_SIZES, output_formats=SVG)
V3 = replace(V4_1, id="recraftv3", sizes=V3_SIZES, prompt_max=1000, styles=RASTER_STYLES, mask=True,
             options=frozenset({"negative_prompt", "substyle"}))
V3_VECTOR = replace(V3, id="recraftv3_vector", styles=VECTOR_STYLES, output_formats=SVG)

MODELS = (V4_1, V4_1_VECTOR, V4_1_PRO, V4, V4_VECTOR, V4_PRO, V4_PRO_VECTOR, V3, V3_VECTOR)
SERVED = {model.id: model.id for model in MODELS}
VECTOR_MODELS = frozenset(model.id for model in MODELS if model.output_formats == ("svg",))

PRICES: dict[str, Price] = {
    "recraftv4_1": per_image("0.035"),
    "recraftv4_1_vector": per_image("0.08"),
    "recraftv4_1_pro": per_image("0.21"),
    "recraftv4": per_image("0.04"),
    "recraftv4_vector": per_image("0.08"),
    "recraftv4_pro": per_image("0.25"),
    "recraftv4_pro_vector": per_image("0.30"),
    "recraftv3": per_image("0.04"),
    "recraftv3_vector": per_image("0.08"),
}
