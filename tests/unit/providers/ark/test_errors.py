"""Ark's error answers → imagegate errors."""

from __future__ import annotations

import orjson
import pytest

from imagegate.errors import ApiError, ContentPolicy, InvalidRequest, RateLimited, UpstreamError
from imagegate.providers.ark.errors import failure
from imagegate.providers.http import Reply

KEY = "3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f"


def reply(status: int, code: str = "", message: str = "m", param: str | None = None,
          headers: dict[str, str] | None = None) -> Reply:
    body = {"error": {"code": code, "message": message, "param": param, "type": "BadRequest"}}
    return Reply(status, headers or {}, orjson.dumps(body), "https://ark.cn-beijing.volces.com/api/v3/x",
                 credential=KEY, key_patterns=(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",))


@pytest.mark.parametrize("code", ["OutputImageSensitiveContentDetected", "InputTextSensitiveContentDetected",
                                  "InputImageSensitiveContentDetected.PrivacyInformation", "SensitiveContentDetected",
                                  "InputTextRiskDetection", "OutputImageRiskDetection"])
def test_the_content_filter_is_a_content_policy_refusal(code: str) -> None:
    assert isinstance(failure(reply(400, code)), ContentPolicy)


@pytest.mark.parametrize(("code", "param", "blamed"), [
    ("InvalidParameter", "size", "size"), ("InvalidParameter.image", None, "image"),
    ("MissingParameter", "prompt", "prompt"), ("InvalidParameter", "guidance_scale", None), ("", None, None),
])
def test_invalid_parameters_name_the_openai_field(code: str, param: str | None, blamed: str | None) -> None:
    error = failure(reply(400, code, param=param))
    assert isinstance(error, InvalidRequest) and not isinstance(error, ContentPolicy)
    assert error.param == blamed and error.code == "invalid_value"


@pytest.mark.parametrize(("response", "kind", "code"), [
    (reply(400, "InvalidEndpoint.ClosedEndpoint"), UpstreamError, "upstream_error"),
    (reply(400, "ContentSecurityDetectionError"), UpstreamError, "upstream_error"),
    (reply(401, "AuthenticationError"), UpstreamError, "upstream_auth_error"),
    (reply(403, "AccessDenied"), UpstreamError, "upstream_auth_error"),
    (reply(403, "AccountOverdueError"), UpstreamError, "upstream_insufficient_credit"),
    (reply(404, "ModelNotOpen"), UpstreamError, "upstream_error"),
    (reply(429, "RateLimitExceeded.EndpointRPMExceeded", headers={"retry-after": "4"}), RateLimited,
     "rate_limit_exceeded"),
    (reply(429, "QuotaExceeded"), RateLimited, "rate_limit_exceeded"),
    (reply(500, "InternalServiceError"), UpstreamError, "upstream_error"),
    (Reply(502, {}, b"<html>bad gateway</html>", "https://ark/x"), UpstreamError, "upstream_error"),
])
def test_statuses(response: Reply, kind: type[ApiError], code: str) -> None:
    error = failure(response)
    assert type(error) is kind and error.code == code


def test_rate_limits_carry_retry_after_and_messages_are_scrubbed() -> None:
    error = failure(reply(429, "ServerOverloaded", headers={"retry-after": "4"}))
    assert error.headers == {"Retry-After": "4"}
    error = failure(reply(400, "InvalidParameter", message=f"key {KEY} on ark.cn-beijing.volces.com", param="size"))
    assert KEY not in error.message and "volces" not in error.message
