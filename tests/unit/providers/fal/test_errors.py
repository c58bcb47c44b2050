"""fal's failures: refused requests and queue statuses mapped to OpenAI's errors."""

from __future__ import annotations

from imagegate.errors import ContentPolicy, InvalidRequest
from imagegate.providers.fal.errors import request_failure, status_failure
from tests.factories import reply


def test_request_failures() -> None:
    invalid = request_failure(reply(422, json={"detail": [{"loc": ["body", "image_urls", 1], "msg": "m"}]}))
    assert isinstance(invalid, InvalidRequest) and invalid.param == "image"
    named = request_failure(reply(422, json={"detail": [{"loc": ["body", "image_url"], "msg": "m"}]}))
    assert named.param == "image"
    policy = request_failure(reply(422, json={"detail": [{"loc": ["body", "prompt"], "msg": "flagged",
                                                                   "type": "content_policy_violation"}]}))
    assert isinstance(policy, ContentPolicy)
    assert request_failure(reply(401, json={"detail": "Unauthorized"})).code == "upstream_auth_error"
    assert status_failure("CANCELED").code == "upstream_error"
