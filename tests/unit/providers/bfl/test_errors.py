"""BFL's failures: task statuses that end a task, and refused submits mapped to OpenAI's errors."""

from __future__ import annotations

import pytest

from imagegate.errors import ContentPolicy, InvalidRequest, RateLimited, UpstreamError
from imagegate.providers.bfl.errors import status_failure, submit_failure
from tests.factories import reply


@pytest.mark.parametrize(("status", "kind", "code"), [
    ("Request Moderated", ContentPolicy, "content_policy_violation"),
    ("Content Moderated", ContentPolicy, "content_policy_violation"),
    ("Error", UpstreamError, "upstream_error"), ("Failed", UpstreamError, "upstream_error"),
])
def test_terminal_statuses(status: str, kind: type[Exception], code: str) -> None:
    failure = status_failure(status)
    assert isinstance(failure, kind) and failure.code == code


@pytest.mark.parametrize("status", ["Pending", "Ready", "Processing"])
def test_statuses_that_are_not_failures(status: str) -> None:
    assert status_failure(status) is None


@pytest.mark.parametrize(("status", "body", "kind", "code", "param"), [
    (422, {"detail": [{"loc": ["body", "input_image_3"], "msg": "bad image", "type": "x"}]}, InvalidRequest,
     "invalid_value", "image"),
    (422, {"detail": [{"loc": ["body", "webhook_url"], "msg": "bad", "type": "x"}]}, InvalidRequest,
     "invalid_value", None),
    (400, {"detail": "Prompt too long"}, InvalidRequest, "invalid_value", None),
    (402, {"detail": "Insufficient credits"}, UpstreamError, "upstream_insufficient_credit", None),
    (401, {"detail": "Not authenticated"}, UpstreamError, "upstream_auth_error", None),
    (429, {"detail": "slow down"}, RateLimited, "rate_limit_exceeded", None),
    (500, None, UpstreamError, "upstream_error", None),
])
def test_submit_failures(status: int, body: object, kind: type[Exception], code: str, param: str | None) -> None:
    response = reply(status, json=body) if body is not None else reply(status, content=b"oops")
    failure = submit_failure(response)
    assert isinstance(failure, kind) and (failure.code, failure.param) == (code, param)
