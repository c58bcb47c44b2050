"""Pure translation between an :class:`ImageJob` and OpenAI's images API wire format."""

from __future__ import annotations

from typing import Any

from ...errors import UpstreamError
from ..base import Call, TokenUsage, UpstreamImage, UpstreamResult
from ..spec import Param, ParamTable

META_FIELDS = ("size", "quality", "background", "output_format")
TABLE = ParamTable("OpenAI-compatible", *(Param(name) for name in (
    "prompt", "size", "quality", "user", "style", "output_format", "background", "moderation", "output_compression",
    "partial_images", "safety_identifier", "input_fidelity")), Param("image", ("image", "image[]")), Param("mask"))


def request_fields(call: Call) -> dict[str, Any]:
    """The model and image count, then the job's values by the table (OpenAI's own names)."""
    body: dict[str, Any] = {"model": call.upstream_model, "n": call.n, **TABLE.body(call.job.params())}
    if call.job.spec.upstream_response_format:
        body["response_format"] = "b64_json"
    return body


def as_form(fields: dict[str, Any]) -> dict[str, str]:
    """Request fields as multipart text."""
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in fields.items()}


def image_field(call: Call) -> str:
    """``image[]`` for models that take several input images, ``image`` for single-image models."""
    return "image[]" if call.job.spec.edit_max_images > 1 and call.job.endpoint == "edits" else "image"


def usage_of(raw: Any) -> TokenUsage | None:
    if not isinstance(raw, dict):
        return None
    details = raw.get("input_tokens_details") or {}
    return TokenUsage(
        input_tokens=int(raw.get("input_tokens") or 0),
        output_tokens=int(raw.get("output_tokens") or 0),
        text_tokens=int(details.get("text_tokens") or 0),
        image_tokens=int(details.get("image_tokens") or 0),
    )


def _image(item: Any) -> UpstreamImage:
    if not isinstance(item, dict) or not isinstance(item.get("b64_json") or item.get("url"), str):
        raise UpstreamError("The upstream answered without an image.", code="upstream_bad_response")
    revised = item.get("revised_prompt")
    return UpstreamImage(b64=item.get("b64_json"), url=item.get("url"),
                         revised_prompt=revised if isinstance(revised, str) else None)


def parse_response(body: Any, expected: int) -> UpstreamResult:
    """OpenAI's ``ImagesResponse`` → :class:`UpstreamResult`; a malformed answer is a 502."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not data:
        raise UpstreamError("The upstream answered without images.", code="upstream_bad_response")
    if len(data) != expected:
        raise UpstreamError(f"The upstream returned {len(data)} images instead of {expected}.",
                            code="upstream_bad_response")
    meta = {k: body[k] for k in META_FIELDS if isinstance(body.get(k), str)}
    return UpstreamResult(images=[_image(item) for item in data], usage=usage_of(body.get("usage")), meta=meta)
