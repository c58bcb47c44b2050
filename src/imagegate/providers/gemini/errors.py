"""Google's error answers (``{error: {code, message, status, details}}``) → imagegate errors, scrubbed.

    status                              error                     what the dispatcher does
    API_KEY_INVALID (400 ErrorInfo)     upstream_auth_error       channel disabled until reload
    INVALID_ARGUMENT (400)              InvalidRequest            answered, not retried
    UNAUTHENTICATED, PERMISSION_DENIED  upstream_auth_error       channel disabled until reload (Vertex
                                                                  refreshes its token once on a 401 first)
    RESOURCE_EXHAUSTED (429)            RateLimited               rests for RetryInfo's delay, retried
    UNAVAILABLE, INTERNAL, others       upstream_error            retried, counts a failure
    DEADLINE_EXCEEDED                   UpstreamTimeout (504)     retried, counts a failure
"""

from __future__ import annotations

from typing import Any

from ...errors import ApiError, InvalidRequest, RateLimited, UpstreamError, UpstreamTimeout
from ..http import Reply
from ..upstream import error_object, scrub

AUTH = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED"})


class TokenRejected(UpstreamError):
    """401 ``UNAUTHENTICATED``: the credential was not taken (a Vertex channel refreshes its token once)."""

    code = "upstream_auth_error"


def _retry_delay(details: Any) -> str:
    """Seconds from a ``RetryInfo`` detail (``"38s"``), else 1."""
    for detail in details if isinstance(details, list) else ():
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return str(max(1, round(float(delay[:-1]))))
            except ValueError:
                continue
    return "1"


def _reason(details: Any) -> str | None:
    """The ``reason`` of an ``ErrorInfo`` detail (``API_KEY_INVALID``), if there is one."""
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, dict) and isinstance(detail.get("reason"), str):
            return str(detail["reason"])
    return None


def failure(response: Reply, *secrets: str) -> ApiError:
    """The error for a non-200 answer; ``secrets`` (a project id) are scrubbed with the request's own."""
    error = error_object(response)
    status = str(error.get("status") or "")
    message = scrub(str(error.get("message") or f"status {response.status_code}"), response.netloc, response.host,
                    response.credential, *secrets, prefixes=response.key_prefixes, patterns=response.key_patterns)
    code = response.status_code
    if _reason(error.get("details")) == "API_KEY_INVALID":
        return UpstreamError("The upstream rejected the gateway's credentials for this model.",
                             code="upstream_auth_error")
    if code == 400 and status != "FAILED_PRECONDITION" or status == "INVALID_ARGUMENT":
        return InvalidRequest(f"The upstream refused the request: {message}", code="invalid_value")
    if code == 401 or status == "UNAUTHENTICATED":
        return TokenRejected("The upstream rejected the gateway's credentials for this model.")
    if code == 403 or status in AUTH:
        return UpstreamError("The upstream rejected the gateway's credentials for this model.",
                             code="upstream_auth_error")
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        return RateLimited(f"The upstream is rate limiting requests: {message}",
                           headers={"Retry-After": _retry_delay(error.get("details"))})
    if code == 504 or status == "DEADLINE_EXCEEDED":
        return UpstreamTimeout("The upstream did not finish in time.")
    return UpstreamError(f"The upstream failed with status {code}.", code="upstream_error")
