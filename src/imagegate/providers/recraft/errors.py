"""Recraft's error answers → imagegate errors, scrubbed.

Recraft's bodies vary: plain text (a 401 is ``request unauthorized``, a 404 ``404 page not found``) or JSON
(``{"code": …, "message": …}``, or an OpenAI-style ``{"error": {…}}``). The message is read either way;
a refusal on content grounds (``code`` or message naming moderation, NSFW or inappropriate content) is a
content-policy answer, other 400/422 answers blame the field they name.

    status                      error                       what the dispatcher does
    400/422 content refusal     ContentPolicy (400)         answered, not retried
    400/422 others              InvalidRequest              answered, not retried
    401, 403                    upstream_auth_error         channel disabled until reload
    402                         upstream_insufficient_credit
    429                         RateLimited                 rests for Retry-After, retried
    5xx, others                 upstream_error              retried, counts a failure
"""

from __future__ import annotations

from typing import Any

import orjson

from ...errors import ApiError, ContentPolicy, InvalidRequest
from ..http import Reply
from ..upstream import scrub_reply, status_error
from .params import TABLE

POLICY_WORDS = ("moderation", "nsfw", "inappropriate", "content policy", "content_policy", "prohibited")


def _fields(response: Reply) -> tuple[str, str, str | None]:
    """(message, code, field) from either body shape."""
    try:
        body: Any = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.content.decode("utf-8", "replace").strip(), "", None
    error = body.get("error") if isinstance(body, dict) else None
    source = error if isinstance(error, dict) else body if isinstance(body, dict) else {}
    message = source.get("message") or (error if isinstance(error, str) else "")
    code, field = source.get("code"), source.get("param") or source.get("field")
    return (str(message), str(code) if isinstance(code, str) else "",
            field if isinstance(field, str) else None)


def failure(response: Reply) -> ApiError:
    """The error to raise for a non-200 answer from Recraft."""
    raw, code, field = _fields(response)
    message = scrub_reply(response, raw or f"status {response.status_code}")
    if response.status_code in (400, 422):
        if any(word in f"{code} {raw}".lower() for word in POLICY_WORDS):
            return ContentPolicy(f"The upstream refused the request: {message}")
        param = TABLE.openai_name(field) or field
        return InvalidRequest(f"The upstream refused the request: {message}", param=param, code="invalid_value")
    return status_error(response, message)
