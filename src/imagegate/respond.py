"""The respond stage: OpenAI's ``ImagesResponse`` from the stored images, the upstream results and the charge.

Enum-typed response fields (``size``, ``quality``, ``background``, ``output_format``) carry
only OpenAI's values, so typed clients always parse the answer; ``usage`` always has the
four token fields, plus the ``images`` count and the request's ``cost_usd``. Everything else
goes in extension fields: ``data[].width``/``height`` (from the store stage) for models that
report pixels, ``aspect_ratio`` when the upstream was asked for one, ``errors`` for calls that
failed in a partial result.
"""

from __future__ import annotations

import time
from typing import Any

from .errors import ApiError
from .ledger.money import usd_number
from .providers.base import TokenUsage, UpstreamResult, total_usage

ENUMS = {
    "size": frozenset({"1024x1024", "1024x1536", "1536x1024"}),
    "quality": frozenset({"low", "medium", "high"}),
    "background": frozenset({"transparent", "opaque"}),
    "output_format": frozenset({"png", "webp", "jpeg"}),
}
EXTENSIONS = ("aspect_ratio",)


def usage_block(usage: TokenUsage | None, images: int, price_micros: int) -> dict[str, Any]:
    total = usage or TokenUsage()
    block: dict[str, Any] = {
        "input_tokens": total.input_tokens,
        "output_tokens": total.output_tokens,
        "total_tokens": total.total_tokens,
        "input_tokens_details": {"text_tokens": total.text_tokens, "image_tokens": total.image_tokens},
        "images": images,
        "cost_usd": usd_number(price_micros),
    }
    if total.output_text_tokens:
        block["output_tokens_details"] = {"image_tokens": total.output_tokens - total.output_text_tokens,
                                          "text_tokens": total.output_text_tokens}
    return block


def build(data: list[dict[str, Any]], results: list[UpstreamResult], price_micros: int,
          failures: list[ApiError] | None = None, marks: tuple[str, ...] = ()) -> dict[str, Any]:
    """The answer; each of the model's ``marks`` is an extension field set to true (``"demo": true``)."""
    body: dict[str, Any] = {"created": int(time.time()), "data": data}
    meta = results[0].meta
    for name, allowed in ENUMS.items():
        if meta.get(name) in allowed:
            body[name] = meta[name]
    body.update({name: meta[name] for name in EXTENSIONS if name in meta})
    body["usage"] = usage_block(total_usage(results), len(data), price_micros)
    body.update(dict.fromkeys(marks, True))
    if failures:
        body["errors"] = [failure.body()["error"] for failure in failures]
    return body
