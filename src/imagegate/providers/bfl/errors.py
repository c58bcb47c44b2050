"""BFL's failures → imagegate errors: refused submits, and tasks that end without an image."""

from __future__ import annotations

from ...errors import ApiError, ContentPolicy, InvalidRequest, UpstreamError
from ..http import Reply
from ..upstream import status_error, validation_detail
from .params import TABLE

MODERATED = {
    "Request Moderated": "The upstream's safety system rejected the request (prompt or input images).",
    "Content Moderated": "The upstream's safety system rejected the generated image.",
}
FAILED = frozenset({"Error", "Failed"})


def submit_failure(response: Reply) -> ApiError:
    """A submit answered with anything but 200 (after 429/5xx retries ran out)."""
    message, field = validation_detail(response)
    if response.status_code in (400, 422):
        return InvalidRequest(f"The upstream refused the request: {message}", param=TABLE.openai_name(field),
                              code="invalid_value")
    return status_error(response, message)


def status_failure(status: str) -> ApiError | None:
    """The error for a task that ended without an image; ``None`` while it may still finish."""
    if status in MODERATED:
        return ContentPolicy(MODERATED[status])
    if status in FAILED:
        return UpstreamError(f"The upstream task failed ({status}).", code="upstream_error")
    return None
