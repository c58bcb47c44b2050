"""OpenAI's error answers → imagegate errors, with the upstream's message scrubbed."""

from __future__ import annotations

from ...errors import ApiError, ContentPolicy, InvalidRequest, UpstreamError
from ..http import Reply
from ..upstream import error_object, scrub_reply, status_error

POLICY_CODES = frozenset({"content_policy_violation", "moderation_blocked", "image_generation_user_error"})


def _envelope(response: Reply) -> dict[str, str | None]:
    error = error_object(response)
    return {k: error.get(k) if isinstance(error.get(k), str) else None for k in ("message", "param", "code", "type")}


def failure(response: Reply) -> ApiError:
    """The error to raise for a non-200 answer from an OpenAI-compatible upstream."""
    error = _envelope(response)
    message = scrub_reply(response, error.get("message") or f"status {response.status_code}")
    if response.status_code == 429 and error.get("code") == "insufficient_quota":
        return UpstreamError("The upstream account has run out of quota.", code="upstream_insufficient_credit")
    if response.status_code in (400, 422):
        if error.get("code") in POLICY_CODES or error.get("type") in POLICY_CODES:
            return ContentPolicy(message)
        return InvalidRequest(message, param=error.get("param"), code=error.get("code") or "invalid_value")
    return status_error(response, message)
