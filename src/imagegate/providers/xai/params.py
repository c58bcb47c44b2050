"""Pure translation between an image call and xAI's images API (OpenAI-shaped, JSON only).

Generations and edits are JSON bodies: ``aspect_ratio`` and ``resolution`` (lowercase ``1k``/``2k``) are
xAI's own fields; edits carry their source images as data URLs in ``image`` (one) or ``images`` (two or
three). Results are asked for as ``b64_json``; an image whose ``respect_moderation`` is false was filtered
by xAI's moderation and is a content-policy refusal.
"""

from __future__ import annotations

from typing import Any

from ...errors import ContentPolicy
from ..base import Call, UpstreamResult
from ..openai.params import parse_response
from ..spec import Param, ParamTable

TABLE = ParamTable(
    "xAI",
    Param("prompt"),
    Param("aspect_ratio"),
    Param("image_size", "resolution", transform=str.lower),
    Param("quality", None, allowed=("auto",), takes="auto (xAI has no quality setting)"),
    Param("user"),
    Param("image", ("image", "images")),
)


def request_body(call: Call, images: list[str]) -> dict[str, Any]:
    """The JSON body; ``images`` are the edit's source images as data URLs."""
    body: dict[str, Any] = {"model": call.upstream_model, "n": call.n, "response_format": "b64_json",
                            **TABLE.body(call.job.params())}
    if len(images) == 1:
        body["image"] = {"url": images[0], "type": "image_url"}
    elif images:
        body["images"] = [{"url": url, "type": "image_url"} for url in images]
    return body


def parse_answer(body: Any, expected: int) -> UpstreamResult:
    """OpenAI's ``ImagesResponse`` shape; a filtered image (``respect_moderation: false``) is a refusal."""
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, list) and any(isinstance(item, dict) and item.get("respect_moderation") is False
                                      for item in data):
        raise ContentPolicy("The upstream's moderation filtered the image.")
    return parse_response(body, expected)
