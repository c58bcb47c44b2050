"""xAI's error answers → imagegate errors, scrubbed.

xAI answers ``{"code": "<status text>", "error": "<message>"}``; an OpenAI-style ``{"error": {...}}``
envelope is read too. A wrong key is a 400 ("Incorrect API key provided") or a 401; a field xAI doesn't take
is a 400 "Argument not supported: <field>", blamed on the OpenAI field it came from.

    status / message                       error                      what the dispatcher does
    400 "Incorrect API key", 401, 403      upstream_auth_error        channel disabled until reload
    400/422 moderation, content policy     ContentPolicy (400)        answered, not retried
    400/422 others                         InvalidRequest             answered, not retried
    429                                    RateLimited                rests for Retry-After, retried
    5xx, others                            upstream_error             retried, counts a failure
"""

from __future__ import annotations

import re

import orjson

from ...errors import ApiError, ContentPolicy, InvalidRequest, UpstreamError
from ..http import Reply
from ..upstream import scrub_reply, status_error
from .params import TABLE

POLICY_WORDS = ("moderation", "content policy", "content_policy", "safety", "not allowed to generate")
UNSUPPORTED = re.compile(r"argument not supported:\s*([A-Za-z_]+)", re.I)


def _message(response: Reply) -> str:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.content.decode("utf-8", "replace").strip()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return error if isinstance(error, str) else ""


def failure(response: Reply) -> ApiError:
    """The error to raise for a non-200 answer from xAI."""
    raw = _message(response)
    message = scrub_reply(response, raw or f"status {response.status_code}")
    lowered = raw.lower()
    if response.status_code in (400, 401) and "api key" in lowered:
        return UpstreamError("The upstream rejected the gateway's credentials for this model.",
                             code="upstream_auth_error")
    if response.status_code in (400, 422):
        if any(word in lowered for word in POLICY_WORDS):
            return ContentPolicy(f"The upstream refused the request: {message}")
        field = UNSUPPORTED.search(raw)
        param = (TABLE.openai_name(field[1]) or field[1]) if field else None
        return InvalidRequest(f"The upstream refused the request: {message}", param=param, code="invalid_value")
    return status_error(response, message)
