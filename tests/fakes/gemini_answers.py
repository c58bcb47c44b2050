"""The bodies the fake Google upstreams answer with: images with usage, blocked and filtered answers, errors.

A success carries one candidate whose parts are an optional text part and real PNG (or JPEG) bytes of
the documented size in ``inlineData``; ``usageMetadata`` splits prompt and candidate tokens by modality
(``promptTokensDetails``/``candidatesTokensDetails``), the image-output count following the size tier.
Error messages imitate Google's; some carry a key-shaped string (``LEAKED_KEY``) or a project id
(``LEAKED_PROJECT``) so tests can check the gateway scrubs them before they reach a client or a log.
"""

from __future__ import annotations

import base64
import io
import math
import secrets
import time
from functools import lru_cache
from typing import Any

from PIL import Image

from tests.fakes.gemini_models import ImageModel
from tests.fakes.gemini_requests import Parsed, error_body

LEAKED_KEY = "AIzaSyLeakedKeyShape-0123456789abcdefgh"  # 39 characters, shaped like a Google API key
LEAKED_PROJECT = "imagegate-leak-4711"
LEAKED_PROJECT_NUMBER = "880011223344"
GEMINI, VERTEX = "generativelanguage.googleapis.com", "aiplatform.googleapis.com"
THINKING_TOKENS = 180  # thoughtsTokenCount a thinking model reports unless told otherwise
FINISH_MESSAGES = {
    "IMAGE_SAFETY": "The generated image was withheld by the image safety filter; blocked images are not billed.",
    "IMAGE_PROHIBITED_CONTENT": "The generated image was withheld for prohibited content.",
    "IMAGE_RECITATION": "The generated image was withheld as a possible recitation.",
    "IMAGE_OTHER": "The image could not be generated.",
    "NO_IMAGE": "The model did not generate an image.",
}


@lru_cache(maxsize=64)
def encode(width: int, height: int, mime: str = "image/png", quality: int | None = None) -> str:
    """Base64 of a solid-colour image of that size and format (encoded once per argument set)."""
    buf = io.BytesIO()
    img = Image.new("RGB", (width, height), (200, 160, 40))
    if mime == "image/jpeg":
        img.save(buf, "JPEG", quality=75 if quality is None else max(1, quality))
    else:
        img.save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def text_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def _details(modalities: dict[str, int]) -> list[dict[str, Any]]:
    return [{"modality": name, "tokenCount": count} for name, count in modalities.items() if count]


def usage(model: ImageModel, parsed: Parsed, *, images_out: int = 0, text_out: str | None = None,
          thoughts: int = 0, vertex: bool = False) -> dict[str, Any]:
    """``usageMetadata`` for an answer with ``images_out`` generated images and ``text_out``."""
    prompt = {"TEXT": sum(text_tokens(t) for t in parsed.texts) or 1,
              "IMAGE": len(parsed.images) * model.input_image_tokens}
    candidates = {"TEXT": text_tokens(text_out) if text_out else 0, "IMAGE": images_out * model.tokens(parsed.size)}
    meta: dict[str, Any] = {"promptTokenCount": sum(prompt.values()), "promptTokensDetails": _details(prompt)}
    if any(candidates.values()):
        meta["candidatesTokenCount"] = sum(candidates.values())
        meta["candidatesTokensDetails"] = _details(candidates)
    if thoughts:
        meta["thoughtsTokenCount"] = thoughts
    meta["totalTokenCount"] = sum(prompt.values()) + sum(candidates.values()) + thoughts
    if vertex:
        meta["trafficType"] = "ON_DEMAND"
    return meta


def envelope(model: ImageModel, *, vertex: bool, **fields_: Any) -> dict[str, Any]:
    """The common top level: ``candidates``/``promptFeedback``, ``usageMetadata``, ``modelVersion``, ids."""
    body = {**fields_, "modelVersion": model.id, "responseId": secrets.token_urlsafe(16)}
    if vertex:
        body["createTime"] = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    return body


def image_part(model: ImageModel, parsed: Parsed) -> dict[str, Any]:
    width, height = model.pixels(parsed.ratio or "1:1", parsed.size)
    part: dict[str, Any] = {"inlineData": {"mimeType": parsed.output_mime,
                                           "data": encode(width, height, parsed.output_mime, parsed.quality)}}
    if model.thinking:
        part["thoughtSignature"] = base64.b64encode(b"fake-thought-signature").decode("ascii")
    return part


def success(model: ImageModel, parsed: Parsed, *, vertex: bool, reply_text: str | None, images: int,
            thoughts: int) -> dict[str, Any]:
    """Generated image(s), with a text part first when ``reply_text`` is set and TEXT was asked for."""
    want_image = "IMAGE" in parsed.modalities
    text = reply_text if reply_text and "TEXT" in parsed.modalities else None
    if not want_image and text is None:
        text = "Here is a description instead of an image."
    candidates, total_images = [], 0
    for index in range(parsed.candidates):
        parts: list[dict[str, Any]] = [{"text": text}] if text else []
        if want_image:
            parts += [image_part(model, parsed) for _ in range(images)]
            total_images += images
        candidates.append({"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": index})
    meta = usage(model, parsed, images_out=total_images, text_out=text, thoughts=thoughts, vertex=vertex)
    return envelope(model, vertex=vertex, candidates=candidates, usageMetadata=meta)


def text_only(model: ImageModel, parsed: Parsed, *, vertex: bool, text: str | None, thoughts: int) -> dict[str, Any]:
    """A normal finish (``STOP``) with a text part and no image: the model chose not to draw."""
    text = text or "I can't make that image, but I can describe it: a quiet harbour at dawn."
    candidate = {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}
    meta = usage(model, parsed, text_out=text, thoughts=thoughts, vertex=vertex)
    return envelope(model, vertex=vertex, candidates=[candidate], usageMetadata=meta)


def finished(model: ImageModel, parsed: Parsed, reason: str, *, vertex: bool, thoughts: int) -> dict[str, Any]:
    """A candidate stopped by ``reason`` (``IMAGE_SAFETY``, ``SAFETY``, ``PROHIBITED_CONTENT``, ``NO_IMAGE`` ...)."""
    candidate: dict[str, Any] = {"content": {"role": "model"}, "finishReason": reason, "index": 0}
    if reason in FINISH_MESSAGES:
        candidate["finishMessage"] = FINISH_MESSAGES[reason]
    if reason in ("SAFETY", "IMAGE_SAFETY"):
        candidate["safetyRatings"] = [{"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "HIGH",
                                       "blocked": True}]
    meta = usage(model, parsed, thoughts=thoughts, vertex=vertex)
    return envelope(model, vertex=vertex, candidates=[candidate], usageMetadata=meta)


def blocked(model: ImageModel, parsed: Parsed, reason: str, *, vertex: bool) -> dict[str, Any]:
    """The prompt itself refused: ``promptFeedback.blockReason`` and no candidates at all (HTTP 200)."""
    feedback: dict[str, Any] = {"blockReason": reason}
    if vertex:
        feedback["blockReasonMessage"] = f"The prompt was blocked ({reason})."
    meta = usage(model, parsed, vertex=vertex)
    meta.pop("promptTokensDetails", None)
    return envelope(model, vertex=vertex, promptFeedback=feedback, usageMetadata=meta)


def rate_limited(model_id: str, *, vertex: bool, retry_delay: float) -> dict[str, Any]:
    """429 RESOURCE_EXHAUSTED. The Gemini API says when to retry only in the body (``RetryInfo``), never in a
    ``Retry-After`` header; Vertex sends a bare message pointing at its 429 page."""
    if vertex:
        return error_body(429, "Resource exhausted. Please try again later. Please refer to "
                               "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.")
    seconds = f"{retry_delay:g}s"
    message = ("You exceeded your current quota, please check your plan and billing details. For more information "
               "on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for "
               "metric: generativelanguage.googleapis.com/generate_content_paid_tier_requests, limit: 20, "
               f"model: {model_id}\nPlease retry in {retry_delay:.6f}s.")
    details: list[dict[str, Any]] = [
        {"@type": "type.googleapis.com/google.rpc.Help",
         "links": [{"description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
         "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_paid_tier_requests",
                         "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
                         "quotaDimensions": {"location": "global", "model": model_id}, "quotaValue": "20"}]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": seconds},
    ]
    return error_body(429, message, details)


def error_info(reason: str, service: str, **metadata: str) -> list[dict[str, Any]]:
    """``details`` holding one ``google.rpc.ErrorInfo``."""
    return [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com",
             "metadata": {"service": service, **metadata}}]


def status_error(kind: str, *, vertex: bool, model_id: str) -> dict[str, Any]:
    """The error body for a fault ``kind`` (``permission`` names a project and a key-shaped consumer)."""
    service = VERTEX if vertex else GEMINI
    if kind == "invalid":
        return error_body(400, "Request contains an invalid argument.")
    if kind == "unauthenticated":
        return error_body(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                               "login cookie or other valid authentication credential.",
                          error_info("ACCESS_TOKEN_TYPE_UNSUPPORTED", service))
    if kind == "permission" and vertex:
        resource = f"projects/{LEAKED_PROJECT}/locations/global/publishers/google/models/{model_id}"
        return error_body(403, f"Permission 'aiplatform.endpoints.predict' denied on resource '//{service}/"
                               f"{resource}' (or it may not exist).",
                          error_info("IAM_PERMISSION_DENIED", service, permission="aiplatform.endpoints.predict",
                                     resource=resource))
    if kind == "permission":
        return error_body(403, f"Permission denied: Consumer 'api_key:{LEAKED_KEY}' has been suspended.",
                          error_info("CONSUMER_SUSPENDED", service, consumer=f"projects/{LEAKED_PROJECT_NUMBER}"))
    if kind == "unavailable":
        return error_body(503, "The model is overloaded. Please try again later.")
    if kind == "deadline":
        return error_body(504, "Deadline expired before operation could complete.")
    return error_body(500, "An internal error has occurred. Please retry or report in "
                           "https://developers.generativeai.google/guide/troubleshooting")
