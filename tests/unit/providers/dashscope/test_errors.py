"""DashScope's error codes → the gateway's errors, wherever they arrive."""

from __future__ import annotations

import orjson
import pytest

from imagegate.errors import ContentPolicy, InvalidRequest, RateLimited, UpstreamError, UpstreamTimeout
from imagegate.providers.dashscope.errors import blamed, failure, reported
from imagegate.providers.dashscope.params import Failure
from imagegate.providers.http import Reply


def reply(status: int, body: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, headers or {}, orjson.dumps(body), "https://dashscope-intl.aliyuncs.com/api/v1/x", "sk-abc")


@pytest.mark.parametrize(("status", "code", "kind", "error_code"), [
    (400, "DataInspectionFailed", ContentPolicy, "content_policy_violation"),
    (400, "IPInfringementSuspect", ContentPolicy, "content_policy_violation"),
    (400, "InvalidParameter", InvalidRequest, "invalid_value"),
    (400, "InvalidParameter.DataInspection", InvalidRequest, "invalid_value"),
    (400, "BadRequest.TooLarge", InvalidRequest, "invalid_value"),
    (400, "Arrearage", UpstreamError, "upstream_insufficient_credit"),
    (401, "InvalidApiKey", UpstreamError, "upstream_auth_error"),
    (403, "AccessDenied.Unpurchased", UpstreamError, "upstream_auth_error"),
    (429, "Throttling.RateQuota", RateLimited, "rate_limit_exceeded"),
    (408, "RequestTimeOut", UpstreamTimeout, "upstream_timeout"),
    (500, "InternalError.Algo", UpstreamError, "upstream_error"),
])
def test_codes_map_to_errors(status: int, code: str, kind: type, error_code: str) -> None:
    error = failure(reply(status, {"code": code, "message": "m", "request_id": "r"}))
    assert type(error) is kind and error.code == error_code


def test_a_200_with_a_code_is_judged_by_it_and_throttling_keeps_retry_after() -> None:
    error = reported(Failure("Throttling", "slow down"), reply(200, {}, {"retry-after": "7"}))
    assert isinstance(error, RateLimited) and error.headers == {"Retry-After": "7"}


@pytest.mark.parametrize(("status", "code"), [(401, "upstream_auth_error"), (503, "upstream_error"),
                                              (400, "invalid_value")])
def test_an_answer_without_a_code_is_judged_by_its_status(status: int, code: str) -> None:
    assert failure(Reply(status, {}, b"<html>", "https://x/y")).code == code


@pytest.mark.parametrize(("message", "param"), [("size 10*10 is not supported", "size"), ("n must be 1", "n"),
                                                ("The parameter prompt_extend must be bool", "prompt_extend"),
                                                ("Download the input image failed", "image"),
                                                ("The text is too long", "prompt"), ("no idea", None)])
def test_the_field_a_message_blames(message: str, param: str | None) -> None:
    assert blamed(message) == param


def test_messages_are_scrubbed() -> None:
    error = failure(reply(400, {"code": "InvalidParameter", "message": "key sk-abc at dashscope-intl.aliyuncs.com"}))
    assert "sk-abc" not in error.message and "aliyuncs" not in error.message
