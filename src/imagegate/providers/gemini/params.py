"""Pure translation between an image call and Gemini's ``generateContent``: the request body, the answer.

The prompt is a text part and each input image an ``inlineData`` part; ``responseModalities`` asks
for text and image; ``aspect_ratio`` and ``image_size`` go to ``generationConfig.imageConfig``.
An answer's images are its ``inlineData`` image parts, its text parts the ``revised_prompt``; a
blocked prompt or a candidate stopped for safety is a content-policy refusal (not retried, not
billed), and an answer without an image is a failed call (retried).
"""

from __future__ import annotations

from typing import Any

from ...errors import ContentPolicy, UpstreamError
from ..base import Call, TokenUsage, UpstreamImage, UpstreamResult
from ..spec import Param, ParamTable

IMAGE_CONFIG = "generationConfig.imageConfig"
COMMON = (Param("prompt", None), Param("aspect_ratio", f"{IMAGE_CONFIG}.aspectRatio"),
          Param("image_size", f"{IMAGE_CONFIG}.imageSize"), Param("quality", None, allowed=("auto",), takes="auto"),
          Param("user", None), Param("image", ("contents",)))
TABLE = ParamTable("Gemini API", *COMMON)
SAFETY = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY",
                    "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"})


def request_body(call: Call, table: ParamTable, images: list[tuple[str, str]]) -> dict[str, Any]:
    """The ``generateContent`` body; ``images`` are (mime type, base64) pairs of the input images."""
    parts: list[dict[str, Any]] = [{"text": call.job.prompt or ""}]
    parts += [{"inlineData": {"mimeType": mime, "data": data}} for mime, data in images]
    body = table.body(call.job.params())
    body.setdefault("generationConfig", {})["responseModalities"] = ["TEXT", "IMAGE"]
    return {"contents": [{"role": "user", "parts": parts}], **body}


def _tokens(details: Any, modality: str) -> int:
    return sum(int(d.get("tokenCount") or 0) for d in details or () if isinstance(d, dict)
               and d.get("modality") == modality)


def usage_of(meta: Any) -> TokenUsage | None:
    """``usageMetadata`` → token counts; thinking tokens are output text, as Google bills them."""
    if not isinstance(meta, dict):
        return None
    thoughts = int(meta.get("thoughtsTokenCount") or 0)
    candidates = meta.get("candidatesTokensDetails")
    return TokenUsage(
        input_tokens=int(meta.get("promptTokenCount") or 0),
        output_tokens=int(meta.get("candidatesTokenCount") or 0) + thoughts,
        text_tokens=_tokens(meta.get("promptTokensDetails"), "TEXT"),
        image_tokens=_tokens(meta.get("promptTokensDetails"), "IMAGE"),
        output_text_tokens=_tokens(candidates, "TEXT") + thoughts,
    )


def _refusal(body: dict[str, Any], candidate: dict[str, Any]) -> ContentPolicy | None:
    blocked = (body.get("promptFeedback") or {}).get("blockReason") if isinstance(body.get("promptFeedback"),
                                                                                 dict) else None
    if blocked:
        return ContentPolicy(f"The upstream's safety system blocked the prompt ({blocked}).")
    reason = candidate.get("finishReason")
    if reason in SAFETY:
        return ContentPolicy(f"The upstream's safety system stopped the image ({reason}).")
    return None


def _is_image(item: Any) -> bool:
    return isinstance(item, dict) and str(item.get("mimeType", "")).startswith("image/") \
        and isinstance(item.get("data"), str)


def parse_answer(body: Any, expected: int) -> UpstreamResult:
    """The answer's images (at most ``expected``), its words as ``revised_prompt``, and its token counts."""
    if not isinstance(body, dict):
        raise UpstreamError("The upstream answered without a JSON object.", code="upstream_bad_response")
    candidates = body.get("candidates")
    first = candidates[0] if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict) else {}
    if (refusal := _refusal(body, first)) is not None:
        raise refusal
    parts = (first.get("content") or {}).get("parts") if isinstance(first.get("content"), dict) else None
    parts = [p for p in parts or () if isinstance(p, dict)]
    data = [item for p in parts if _is_image(item := p.get("inlineData"))]
    if not data:
        raise UpstreamError(f"The upstream answered without an image ({first.get('finishReason') or 'no reason'}).",
                            code="upstream_bad_response")
    words = " ".join(str(p["text"]).strip() for p in parts if isinstance(p.get("text"), str) and not p.get("thought"))
    images = [UpstreamImage(b64=item["data"], revised_prompt=words or None) for item in data[:expected]]
    return UpstreamResult(images, usage=usage_of(body.get("usageMetadata")))
