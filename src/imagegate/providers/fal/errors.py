"""fal's failures → imagegate errors: refused submits, failed requests, flagged results."""

from __future__ import annotations

from ...errors import ApiError, ContentPolicy, InvalidRequest, UpstreamError
from ..http import Reply
from ..upstream import status_error, validation_detail
from .params import TABLE

FLAGGED = "The upstream's safety checker flagged the generated image."


def request_failure(response: Reply) -> ApiError:
    """A submit or a result fetch answered with anything but 200 (after 429/5xx retries ran out)."""
    message, field = validation_detail(response)
    if response.status_code in (400, 422):
        if "content_policy" in response.text:
            return ContentPolicy(f"The upstream's safety system rejected the request: {message}")
        return InvalidRequest(f"The upstream refused the request: {message}", param=TABLE.openai_name(field),
                              code="invalid_value")
    return status_error(response, message)


def status_failure(status: str) -> ApiError:
    """A request that ended in a state other than COMPLETED (FAILED, CANCELED, ...)."""
    return UpstreamError(f"The upstream request ended as {status}.", code="upstream_error")
