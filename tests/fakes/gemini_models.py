"""The Gemini image models the fake Google upstreams serve, with the limits Google documents for each.

Every number here is sourced in ``docs/gemini-facts.md``; values marked there as unverified are
marked ``# U`` here too. Pixel sizes are the documented output sizes per aspect ratio × ``imageSize``:
the Gemini 3 family shares one 1K table that doubles at 2K, quadruples at 4K and halves at ``512``;
Gemini 2.5 Flash Image has its own single-size table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

RATIOS_10 = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
RATIOS_14 = (*RATIOS_10, "1:4", "4:1", "1:8", "8:1")
INPUT_MIME_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"})

# Gemini 3 image models at 1K (Pro and 3.1 Flash tables agree on the ten shared ratios)
G3_1K: Mapping[str, tuple[int, int]] = {
    "1:1": (1024, 1024), "2:3": (848, 1264), "3:2": (1264, 848), "3:4": (896, 1200), "4:3": (1200, 896),
    "4:5": (928, 1152), "5:4": (1152, 928), "9:16": (768, 1376), "16:9": (1376, 768), "21:9": (1584, 672),
    "1:4": (512, 2048), "4:1": (2048, 512), "1:8": (384, 3072), "8:1": (3072, 384),
}
G3_SCALE: Mapping[str, float] = {"512": 0.5, "1K": 1, "2K": 2, "4K": 4}
# Gemini 2.5 Flash Image: one size per ratio, about one megapixel
G25_SIZES: Mapping[str, tuple[int, int]] = {
    "1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832), "3:4": (864, 1184), "4:3": (1184, 864),
    "4:5": (896, 1152), "5:4": (1152, 896), "9:16": (768, 1344), "16:9": (1344, 768), "21:9": (1536, 672),
}
# Vertex AI regions listed on the model pages (``global`` for all)
G25_LOCATIONS = ("global", "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west4",
                 "europe-central2", "europe-north1", "europe-southwest1", "europe-west1", "europe-west4",
                 "europe-west8")


@dataclass(frozen=True)
class ImageModel:
    """One Gemini image model as the fakes see it."""

    id: str
    ratios: tuple[str, ...]
    sizes: tuple[str, ...]  # accepted ``imageConfig.imageSize`` values; empty: the field is refused
    output_tokens: Mapping[str, int]  # image-output tokens per generated image, by size tier
    max_input_images: int
    input_image_tokens: int  # prompt tokens one input image costs
    thinking: bool  # reports ``thoughtsTokenCount`` and a ``thoughtSignature`` on parts
    locations: tuple[str, ...] = ("global",)
    default_size: str = "1K"
    max_candidates: int = 1  # ``candidateCount`` allowed (Vertex model pages)
    table: Mapping[str, tuple[int, int]] = field(default_factory=lambda: G3_1K)

    def pixels(self, ratio: str, size: str | None) -> tuple[int, int]:
        """Width and height of the image generated for ``ratio`` × ``size``."""
        width, height = self.table[ratio]
        if self.table is G25_SIZES:
            return width, height
        scale = G3_SCALE[size or self.default_size]
        return int(width * scale), int(height * scale)

    def tokens(self, size: str | None) -> int:
        """Image-output tokens billed for one generated image at ``size``."""
        return self.output_tokens[size or self.default_size]


def _g3(model_id: str, *, ratios: tuple[str, ...], sizes: tuple[str, ...], tokens: Mapping[str, int],
        locations: tuple[str, ...] = ("global",), max_inputs: int = 14) -> ImageModel:
    return ImageModel(model_id, ratios, sizes, tokens, max_inputs, 560, True, locations)


PRO_TOKENS = {"1K": 1120, "2K": 1120, "4K": 2000}
FLASH_TOKENS = {"512": 747, "1K": 1120, "2K": 1680, "4K": 2520}
MODELS: dict[str, ImageModel] = {
    "gemini-2.5-flash-image": ImageModel("gemini-2.5-flash-image", RATIOS_10, (), {"1K": 1290}, 3, 258, False,
                                         G25_LOCATIONS, max_candidates=8, table=G25_SIZES),
    "gemini-3-pro-image-preview": _g3("gemini-3-pro-image-preview", ratios=RATIOS_10, sizes=("1K", "2K", "4K"),
                                      tokens=PRO_TOKENS),
    "gemini-3-pro-image": _g3("gemini-3-pro-image", ratios=RATIOS_10, sizes=("1K", "2K", "4K"), tokens=PRO_TOKENS,
                              locations=("global", "us-central1", "us-east1")),  # U: the list seen was cut short
    "gemini-3.1-flash-image-preview": _g3("gemini-3.1-flash-image-preview", ratios=RATIOS_14,
                                          sizes=("512", "1K", "2K", "4K"), tokens=FLASH_TOKENS),
    "gemini-3.1-flash-image": _g3("gemini-3.1-flash-image", ratios=RATIOS_14, sizes=("512", "1K", "2K", "4K"),
                                  tokens=FLASH_TOKENS),
    "gemini-3.1-flash-lite-image": _g3("gemini-3.1-flash-lite-image", ratios=RATIOS_14, sizes=("1K",),
                                       tokens={"1K": 1120}),  # U: output tokens
    "gemini-nano-banana-2.1": _g3("gemini-nano-banana-2.1", ratios=RATIOS_14, sizes=("1K", "2K", "4K"),
                                  tokens={"1K": 1120, "2K": 1680, "4K": 2520}),  # U: 2K/4K tokens, input cap
}
RETIRED = frozenset({"gemini-3-pro-image-preview", "gemini-3.1-flash-image-preview"})  # shut down 2026-06-25


def nearest_ratio(model: ImageModel, width: int, height: int) -> str:
    """The model's supported ratio closest to ``width``:``height`` (what an edit without a ratio gets)."""
    def distance(ratio: str) -> float:
        w, h = (int(part) for part in ratio.split(":"))
        return abs(w / h - width / height)
    return min(model.ratios, key=distance)
