"""OpenAI's image models as data: what each accepts, the ids the ``OPENAI_API_KEY`` channel serves, and
their list prices.

- GPT image models are priced per token (USD per 1M tokens): text input, image input, image
  output. gpt-image-1 and gpt-image-1-all: 5 / 10 / 40; gpt-image-1.5: 5 / 8 / 32;
  gpt-image-1-mini: 2 / 2.50 / 8; gpt-image-2: 5 / 8 / 30. Output tokens per image by size and
  quality, used only to estimate a budget hold, are OpenAI's published table for GPT image models
  (a gpt-image-2 size outside it: the square entry scaled by pixels).
- gpt-image-2 takes flexible sizes: edges multiples of 16, at most 3840 px, the long edge at most
  3× the short one, 655,360 to 8,294,400 pixels; an aspect ratio maps to the allowed size nearest
  it at about a megapixel. It has no transparent background (OpenAI refuses it).
- dall-e-2 and dall-e-3 are priced per image by size (and quality for dall-e-3).
"""

from __future__ import annotations

from dataclasses import replace

from ...catalog import MB, ModelSpec, SizeRule
from ...ledger.pricing import Price, per_image, per_token

GPT_SIZES = ("1024x1024", "1536x1024", "1024x1536")
GPT_OPTIONS = frozenset(
    {"background", "moderation", "output_compression", "input_fidelity", "stream", "partial_images",
     "safety_identifier"}
)
GPT_IMAGE_OUTPUT_TOKENS = {
    "1024x1024/low": 272, "1024x1536/low": 408, "1536x1024/low": 400,
    "1024x1024/medium": 1056, "1024x1536/medium": 1584, "1536x1024/medium": 1568,
    "1024x1024/high": 4160, "1024x1536/high": 6240, "1536x1024/high": 6208,
}
INPUT_IMAGE_TOKENS = 8000  # estimate per input image, high input fidelity included (holds only)

GPT_IMAGE_1 = ModelSpec(
    id="gpt-image-1",
    endpoints=frozenset({"generations", "edits"}),
    sizes=GPT_SIZES,
    size_auto=True,
    default_size=None,
    prompt_max=32000,
    qualities=("low", "medium", "high", "auto"),
    quality_aliases=(("standard", "medium"), ("hd", "high")),
    default_response_format="b64_json",
    output_formats=("png", "jpeg", "webp"),
    options=GPT_OPTIONS,
)

DALL_E_2 = ModelSpec(
    id="dall-e-2",
    endpoints=frozenset({"generations", "edits", "variations"}),
    sizes=("256x256", "512x512", "1024x1024"),
    size_auto=False,
    default_size="1024x1024",
    prompt_max=1000,
    qualities=("standard", "auto"),
    default_response_format="url",
    edit_max_images=1,
    edit_max_bytes=4 * MB,
    edit_formats=frozenset({"png"}),
    edit_square_png=True,
    upstream_response_format=True,
)

DALL_E_3 = ModelSpec(
    id="dall-e-3",
    endpoints=frozenset({"generations"}),
    sizes=("1024x1024", "1792x1024", "1024x1792"),
    size_auto=False,
    default_size="1024x1024",
    prompt_max=4000,
    qualities=("standard", "hd", "auto"),
    default_response_format="url",
    upstream_n_max=1,
    styles=("vivid", "natural"),
    upstream_response_format=True,
)

GPT_IMAGE_2 = replace(
    GPT_IMAGE_1,
    id="gpt-image-2",
    sizes=(*GPT_SIZES, "2048x2048", "2048x1152", "3840x2160", "2160x3840"),
    size_rule=SizeRule(max_edge=3840, min_pixels=655_360, max_pixels=8_294_400, max_ratio=3.0,
                       default_pixels=1024 * 1024, multiple=16, min_edge=16),
    option_values=(("background", ("opaque", "auto")),),
    report_pixels=True,
)

MODELS = (
    GPT_IMAGE_1,
    GPT_IMAGE_2,
    replace(GPT_IMAGE_1, id="gpt-image-1-all"),
    replace(GPT_IMAGE_1, id="gpt-image-1-mini", options=GPT_OPTIONS - {"input_fidelity"}),
    replace(GPT_IMAGE_1, id="gpt-image-1.5"),
    DALL_E_2,
    DALL_E_3,
)

SERVED = {"gpt-image-1": "gpt-image-1", "gpt-image-1-all": "gpt-image-1", "gpt-image-2": "gpt-image-2",
          "dall-e-2": "dall-e-2",
          "dall-e-3": "dall-e-3"}


def _tokens(text_input: str, image_input: str, image_output: str) -> Price:
    return per_token(text_input, image_input, image_output, GPT_IMAGE_OUTPUT_TOKENS, INPUT_IMAGE_TOKENS)


PRICES: dict[str, Price] = {
    "gpt-image-1": _tokens("5", "10", "40"),
    "gpt-image-1-all": _tokens("5", "10", "40"),
    "gpt-image-1.5": _tokens("5", "8", "32"),
    "gpt-image-2": _tokens("5", "8", "30"),
    "gpt-image-1-mini": _tokens("2", "2.50", "8"),
    "dall-e-2": per_image({"256x256": "0.016", "512x512": "0.018", "1024x1024": "0.020"}),
    "dall-e-3": per_image({
        "1024x1024": "0.040", "1024x1024/hd": "0.080",
        "1792x1024": "0.080", "1792x1024/hd": "0.120",
        "1024x1792": "0.080", "1024x1792/hd": "0.120",
    }),
}
