"""Ark's error answers (``{"error": {"code", "message", "param", "type"}}``) → imagegate errors, scrubbed.

    status / code                                   error                         what the dispatcher does
    400 *SensitiveContentDetected*, *RiskDetection  ContentPolicy (400)           answered, not retried, not billed
    400 InvalidParameter(.x), MissingParameter      InvalidRequest naming param   answered, not retried
    400 InvalidEndpoint.*, ContentSecurity…Error    upstream_error                retried, counts a failure
    401 AuthenticationError, 403 AccessDenied       upstream_auth_error           channel disabled until reload
    403 AccountOverdueError                         upstream_insufficient_credit  channel cools down, not retried
    404 (model not activated, no such endpoint)     upstream_error                retried elsewhere
    429 (rate limits, ServerOverloaded, quotas)     RateLimited                   rests for Retry-After (else 1 s)
    5xx                                             upstream_error                retried, counts a failure
"""

from __future__ import annotations

from typing import Any

from ...errors import ApiError, ContentPolicy, InvalidRequest, UpstreamError
from ..http import Reply
from ..upstream import error_object, scrub_reply, status_error
from .params import TABLE, is_sensitive

INVALID = ("InvalidParameter", "MissingParameter")


def _blamed(error: dict[str, Any], code: str) -> str | None:
    """The OpenAI field an invalid-parameter answer blames: its ``param``, else the code's suffix."""
    field = error.get("param") if isinstance(error.get("param"), str) else code.partition(".")[2]
    return TABLE.openai_name(field or None)


def failure(response: Reply) -> ApiError:
    """The error for a non-200 answer."""
    error = error_object(response)
    code = str(error.get("code") or "")
    message = scrub_reply(response, str(error.get("message") or f"status {response.status_code}"))
    status = response.status_code
    if is_sensitive(code):
        return ContentPolicy(f"The upstream's content filter refused the request ({code}).")
    if code.startswith(INVALID) or (status == 400 and not code.startswith(("InvalidEndpoint", "ContentSecurity"))):
        return InvalidRequest(f"The upstream refused the request: {message}", param=_blamed(error, code),
                              code="invalid_value")
    if status == 400:
        return UpstreamError(f"The upstream could not serve the request ({code}).", code="upstream_error")
    if code == "AccountOverdueError":
        return UpstreamError("The upstream account has an overdue balance.", code="upstream_insufficient_credit")
    if status == 404:
        return UpstreamError(f"The upstream does not serve this model on this account ({code or 'not found'}).",
                             code="upstream_error")
    return status_error(response, message)
