"""Shipped prices, from the providers' public price lists. ``[prices."<model>"]`` in the config overrides any.

- OpenAI GPT image models are priced per token (USD per 1M tokens): text input, image input,
  image output. gpt-image-1 and gpt-image-1-all: 5 / 10 / 40; gpt-image-1.5: 5 / 8 / 32;
  gpt-image-1-mini: 2 / 2.50 / 8. Output tokens per image by size and quality, used only to
  estimate a budget hold, are OpenAI's published table for GPT image models.
- dall-e-2 and dall-e-3 are priced per image by size (and quality for dall-e-3).
- FLUX (Black Forest Labs, 1 credit = $0.01) per image: Kontext [pro] 4 credits, Kontext [max] 8,
  Fill [pro] 5 (served as ``flux-fill-pro``; ``flux-pro-1.0-fill`` is BFL's own name for it).
"""

from __future__ import annotations

from .money import to_micros
from .pricing import PerImage, PerToken, Price

GPT_IMAGE_OUTPUT_TOKENS = {
    "1024x1024/low": 272, "1024x1536/low": 408, "1536x1024/low": 400,
    "1024x1024/medium": 1056, "1024x1536/medium": 1584, "1536x1024/medium": 1568,
    "1024x1024/high": 4160, "1024x1536/high": 6240, "1536x1024/high": 6208,
}
INPUT_IMAGE_TOKENS = 8000  # estimate per input image, high input fidelity included (holds only)


def per_image(table: dict[str, str] | str) -> PerImage:
    prices = {"*": table} if isinstance(table, str) else table
    return PerImage({key: to_micros(value) for key, value in prices.items()})


def per_token(text_input: str, image_input: str, image_output: str) -> PerToken:
    return PerToken(to_micros(text_input), to_micros(image_input), to_micros(image_output),
                    GPT_IMAGE_OUTPUT_TOKENS, INPUT_IMAGE_TOKENS)


DEFAULT_PRICES: dict[str, Price] = {
    "gpt-image-1": per_token("5", "10", "40"),
    "gpt-image-1-all": per_token("5", "10", "40"),
    "gpt-image-1.5": per_token("5", "8", "32"),
    "gpt-image-1-mini": per_token("2", "2.50", "8"),
    "dall-e-2": per_image({"256x256": "0.016", "512x512": "0.018", "1024x1024": "0.020"}),
    "dall-e-3": per_image({
        "1024x1024": "0.040", "1024x1024/hd": "0.080",
        "1792x1024": "0.080", "1792x1024/hd": "0.120",
        "1024x1792": "0.080", "1024x1792/hd": "0.120",
    }),
    "flux-kontext-pro": per_image("0.04"),
    "flux-kontext-max": per_image("0.08"),
    "flux-fill-pro": per_image("0.05"),
    "flux-pro-1.0-fill": per_image("0.05"),
}
