"""Upstream failure end to end: every way the fake OpenAI upstream can fail maps to OpenAI's error envelope.

Upstream 400 → 400 with the upstream's (scrubbed) message, param and code; moderation → 400
content_policy_violation; 401/403 → 502 (the client's key is fine); 429 → 429 with Retry-After;
5xx, bad JSON, dropped connections → 502; a hang past the upstream timeout (3 s in tests) → 504.
No answer ever carries a traceback, the upstream's address or its key, and the gateway keeps serving.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from tests.e2e.helpers import api_error, check_envelope, image_file, raised
from tests.fakes.openai_upstream import FakeOpenAI, error_body
from tests.harness import Gateway

HANG = 6.0  # seconds the fake sleeps; the gateway gives up after 3
# the SDK marks images.create_variation deprecated; the endpoint is still OpenAI's and ours
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


# --- helpers -----------------------------------------------------------------------------------------




def leaks(upstream: FakeOpenAI) -> tuple[str, ...]:
    """What the client must never see: anything about the upstream (address, port, key), or a traceback."""
    return ("Traceback", 'File "', "127.0.0.1", "localhost", f":{upstream.port}", str(upstream.port),
            upstream.api_key, upstream.base_url, "httpx", "httpcore")


def still_serving(gateway: Gateway, upstream: FakeOpenAI) -> None:
    """With no fault queued, the next request goes through as if nothing had happened."""
    def ours() -> int:  # a cancelled sibling of an earlier fan-out may still land upstream: count only ours
        return sum(1 for r in upstream.image_requests if (r.json or {}).get("prompt") == "still here")

    before = ours()
    with gateway.client() as client:
        result = client.images.generate(model="gpt-image-1", prompt="still here", size="1024x1024")
    assert len(result.data) == 1 and result.data[0].b64_json
    assert ours() == before + 1


Call = Callable[[openai.OpenAI], Any]
CALLS: dict[str, Call] = {
    "generate": lambda c: c.images.generate(model="gpt-image-1", prompt="a cat"),
    "generate-dall-e-2": lambda c: c.images.generate(model="dall-e-2", prompt="a cat", size="256x256"),
    "edit": lambda c: c.images.edit(model="gpt-image-1", image=[image_file(), image_file()], mask=image_file(),
                                    prompt="a hat"),
    "edit-dall-e-2": lambda c: c.images.edit(model="dall-e-2", image=image_file(), prompt="a hat", size="256x256"),
    "variation": lambda c: c.images.create_variation(model="dall-e-2", image=image_file(), size="256x256"),
}
PATHS = {"generate": "/v1/images/generations", "generate-dall-e-2": "/v1/images/generations",
         "edit": "/v1/images/edits", "edit-dall-e-2": "/v1/images/edits", "variation": "/v1/images/variations"}


def fail(client: openai.OpenAI, call: str, kind: type[openai.APIStatusError] = openai.APIStatusError,
         ) -> openai.APIStatusError:
    return raised(lambda: CALLS[call](client), kind)


# --- upstream 400: passed through, scrubbed ------------------------------------------------------------

SECRET_MESSAGE = ("Invalid value for 'size'. See https://internal.example.com/x?token=abc for details; "
                  "request made with key sk-abcdef123456 via gateway-node.internal.example.com.")


@pytest.mark.parametrize("call", list(CALLS))
def test_upstream_400_is_passed_through_scrubbed(client: openai.OpenAI, upstream: FakeOpenAI, call: str) -> None:
    upstream.fail_next("status", status=400,
                       body=error_body(SECRET_MESSAGE, code="invalid_size_for_model", param="size"))
    failure = fail(client, call, openai.BadRequestError)
    error = api_error(failure, 400, param="size", code="invalid_size_for_model",
                      type_="invalid_request_error", hidden=leaks(upstream))
    assert "Invalid value for 'size'" in error["message"]  # the upstream's words reach the client...
    for secret in ("https://internal.example.com/x", "internal.example.com", "token=abc", "sk-abcdef123456",
                   "abcdef123456", "gateway-node"):
        assert secret not in error["message"], error  # ...without its links, hosts or keys
    assert len(upstream.image_requests) == 1
    assert upstream.last.path == PATHS[call]


def test_upstream_400_naming_its_own_address(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    """An upstream that echoes its own address or key (with or without a scheme) must not reveal it."""
    message = (f"Could not load http://127.0.0.1:{upstream.port}/v1/files/a.png (upstream 127.0.0.1:{upstream.port}, "
               f"localhost:{upstream.port}) with key {upstream.api_key}.")
    upstream.fail_next("status", status=400, body=error_body(message, code="invalid_value", param="image"))
    failure = fail(client, "generate", openai.BadRequestError)
    api_error(failure, 400, param="image", code="invalid_value", hidden=leaks(upstream))


def test_upstream_400_without_envelope(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    upstream.fail_next("status", status=400, body="<html>Bad Request at https://internal.example.com/</html>")
    failure = fail(client, "generate", openai.BadRequestError)
    error = api_error(failure, 400, param=None, code="invalid_value", hidden=leaks(upstream))
    assert "internal.example.com" not in error["message"]


def test_upstream_400_with_odd_envelope(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    upstream.fail_next("status", status=400, body={"error": {"message": 42, "param": ["size"], "code": {"x": 1}}})
    failure = fail(client, "generate", openai.BadRequestError)
    api_error(failure, 400, param=None, code="invalid_value", hidden=leaks(upstream))


# --- moderation --------------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["generate", "edit", "generate-dall-e-2"])
def test_upstream_moderation(client: openai.OpenAI, upstream: FakeOpenAI, call: str) -> None:
    upstream.fail_next("moderation")
    failure = fail(client, call, openai.BadRequestError)
    error = api_error(failure, 400, param=None, code="content_policy_violation", hidden=leaks(upstream))
    assert "safety" in error["message"]


def test_upstream_moderation_blocked_code(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    upstream.fail_next("status", status=400, body=error_body("Your request was rejected by the safety system.",
                                                             type_="invalid_request_error",
                                                             code="moderation_blocked"))
    failure = fail(client, "generate", openai.BadRequestError)
    api_error(failure, 400, param=None, code="content_policy_violation", hidden=leaks(upstream))


# --- upstream auth: the gateway's credentials, not the client's ---------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("call", ["generate", "edit", "variation"])
def test_upstream_auth_failure_is_502(client: openai.OpenAI, gateway: Gateway, upstream: FakeOpenAI,
                                      status: int, call: str) -> None:
    body = error_body(f"Incorrect API key provided: {upstream.api_key}. You can find your API key at "
                      "https://platform.openai.com/account/api-keys.", code="invalid_api_key")
    upstream.fail_next("status", status=status, body=body)
    failure = fail(client, call, openai.InternalServerError)  # never a 401: the client's key is fine
    error = api_error(failure, 502, param=None, code="upstream_auth_error", hidden=leaks(upstream))
    assert "platform.openai.com" not in error["message"]
    assert "Incorrect API key" not in error["message"]
    with gateway.http() as http:  # the channel is off until the configuration is reloaded
        assert http.get("/admin/channels/openai").json()["state"] == "disabled"
        unavailable = http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": "p"})
    api_error(unavailable, 503, param=None, code="no_channel_available", hidden=leaks(upstream))
    gateway.reset_channels()
    still_serving(gateway, upstream)


# --- rate limits and quota ---------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["generate", "edit", "variation"])
def test_upstream_429_keeps_retry_after(client: openai.OpenAI, upstream: FakeOpenAI, call: str) -> None:
    upstream.fail_next("status", status=429, headers={"Retry-After": "7"})
    failure = fail(client, call, openai.RateLimitError)
    api_error(failure, 429, param=None, code="rate_limit_exceeded", type_="rate_limit_error", hidden=leaks(upstream))
    assert failure.response.headers["retry-after"] == "7"


def test_upstream_429_retry_after_raw(gateway: Gateway, upstream: FakeOpenAI) -> None:
    upstream.fail_next("status", status=429, headers={"Retry-After": "7"})
    with gateway.http() as http:
        response = http.post("/v1/images/generations", json={"model": "dall-e-3", "prompt": "a cat"})
    api_error(response, 429, param=None, code="rate_limit_exceeded", hidden=leaks(upstream))
    assert response.headers.get("Retry-After") == "7"


@pytest.mark.parametrize("given", [None, "soon", "Wed, 21 Oct 2015 07:28:00 GMT", "-3"])
def test_upstream_429_without_usable_retry_after(client: openai.OpenAI, upstream: FakeOpenAI,
                                                 given: str | None) -> None:
    upstream.fail_next("status", status=429, headers={"Retry-After": given} if given else None)
    failure = fail(client, "generate", openai.RateLimitError)
    api_error(failure, 429, param=None, code="rate_limit_exceeded", hidden=leaks(upstream))
    retry_after = failure.response.headers.get("retry-after")
    assert retry_after is not None and retry_after.replace(".", "", 1).isdigit(), retry_after


def test_upstream_insufficient_quota_is_502(client: openai.OpenAI, gateway: Gateway, upstream: FakeOpenAI) -> None:
    body = error_body("You exceeded your current quota, please check your plan and billing details. "
                      "https://platform.openai.com/docs/guides/error-codes", type_="insufficient_quota",
                      code="insufficient_quota")
    upstream.fail_next("status", status=429, body=body, headers={"Retry-After": "7"})
    failure = fail(client, "generate", openai.InternalServerError)
    error = api_error(failure, 502, param=None, code="upstream_insufficient_credit", hidden=leaks(upstream))
    assert "platform.openai.com" not in error["message"]
    still_serving(gateway, upstream)


def test_upstream_402_is_502(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    upstream.fail_next("status", status=402)
    failure = fail(client, "edit", openai.InternalServerError)
    api_error(failure, 502, param=None, code="upstream_insufficient_credit", hidden=leaks(upstream))


# --- 5xx, bad answers, broken connections, timeouts ----------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504, 404, 418])
def test_upstream_server_error_is_502(client: openai.OpenAI, upstream: FakeOpenAI, status: int) -> None:
    upstream.fail_next("status", status=status)
    failure = fail(client, "generate", openai.InternalServerError)
    api_error(failure, 502, param=None, code="upstream_error", type_="upstream_error", hidden=leaks(upstream))


@pytest.mark.parametrize("call", ["generate", "generate-dall-e-2", "edit", "variation"])
def test_upstream_bad_json_is_502(client: openai.OpenAI, upstream: FakeOpenAI, call: str) -> None:
    upstream.fail_next("bad_json")
    failure = fail(client, call, openai.InternalServerError)
    api_error(failure, 502, param=None, code="upstream_bad_response", hidden=leaks(upstream))


@pytest.mark.parametrize("call", ["generate", "edit", "variation"])
def test_upstream_drop_is_502(client: openai.OpenAI, gateway: Gateway, upstream: FakeOpenAI, call: str) -> None:
    upstream.fail_next("drop")
    failure = fail(client, call, openai.InternalServerError)
    api_error(failure, 502, param=None, code="upstream_unreachable", hidden=leaks(upstream))
    still_serving(gateway, upstream)


@pytest.mark.parametrize("call", ["generate", "edit"])
def test_upstream_hang_is_504(client: openai.OpenAI, gateway: Gateway, upstream: FakeOpenAI, call: str) -> None:
    upstream.fail_next("hang", delay=HANG)
    failure = fail(client, call)
    api_error(failure, 504, param=None, code="upstream_timeout", type_="upstream_error", hidden=leaks(upstream))
    still_serving(gateway, upstream)


@pytest.mark.parametrize(("body", "params"), [
    ({"created": 1, "data": []}, {}),
    ({"created": 1}, {}),
    ([1, 2, 3], {}),
    ({"created": 1, "data": [{"revised_prompt": "no image here"}]}, {}),
    ({"created": 1, "data": [{"b64_json": 12345}]}, {}),
    ({"created": 1, "data": [{"b64_json": "!!! not base64 !!!"}]}, {"response_format": "url"}),
])
def test_upstream_200_without_usable_images_is_502(client: openai.OpenAI, upstream: FakeOpenAI,
                                                   body: Any, params: dict[str, Any]) -> None:
    upstream.fail_next("status", status=200, body=body)
    with pytest.raises(openai.InternalServerError) as info:
        client.images.generate(model="dall-e-2", prompt="a cat", size="256x256", **params)
    api_error(info.value, 502, param=None, code="upstream_bad_response", hidden=leaks(upstream))


def test_upstream_returns_too_few_images_is_502(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    one = {"created": 1, "data": [{"b64_json": "iVBORw0KGgo="}]}
    upstream.fail_next("status", status=200, body=one)
    with pytest.raises(openai.InternalServerError) as info:
        client.images.generate(model="gpt-image-1", prompt="a cat", n=3)
    api_error(info.value, 502, param=None, code="upstream_bad_response", hidden=leaks(upstream))


def test_upstream_result_link_that_fails_to_download(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    gone = {"created": 1, "data": [{"url": f"{upstream.origin}/files/no-such-image.png"}]}
    upstream.fail_next("status", status=200, body=gone)
    with pytest.raises(openai.InternalServerError) as info:
        client.images.generate(model="dall-e-2", prompt="a cat", size="256x256")
    error = api_error(info.value, 502, param=None, code="upstream_download_failed", hidden=leaks(upstream))
    assert "no-such-image" not in error["message"]


def test_upstream_result_link_to_a_foreign_plain_http_host(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    foreign = {"created": 1, "data": [{"url": "http://169.254.169.254/latest/meta-data/iam"}]}
    upstream.fail_next("status", status=200, body=foreign)
    with pytest.raises(openai.InternalServerError) as info:
        client.images.generate(model="dall-e-3", prompt="a cat")
    error = api_error(info.value, 502, param=None, code="upstream_bad_response", hidden=leaks(upstream))
    assert "169.254" not in error["message"]
    assert [r.path for r in upstream.requests] == ["/v1/images/generations"]  # nothing was fetched


def test_one_failed_call_of_a_fan_out_fails_the_request(client: openai.OpenAI, gateway: Gateway,
                                                        upstream: FakeOpenAI) -> None:
    upstream.fail_next("status", status=503)  # dall-e-3 makes one image per call: n=3 is three calls
    with pytest.raises(openai.InternalServerError) as info:
        client.images.generate(model="dall-e-3", prompt="a cat", n=3, response_format="b64_json")
    api_error(info.value, 502, param=None, code="upstream_error", hidden=leaks(upstream))
    assert 1 <= len(upstream.image_requests) <= 3  # the siblings of the failed call may be cancelled
    assert all(r.json["n"] == 1 for r in upstream.image_requests)
    still_serving(gateway, upstream)


# --- the gateway keeps serving --------------------------------------------------------------------------


def test_keeps_serving_after_every_kind_of_failure(client: openai.OpenAI, gateway: Gateway,
                                                   upstream: FakeOpenAI) -> None:
    """Each failure in turn, each followed by a good request on every endpoint."""
    faults: list[tuple[str, dict[str, Any], int]] = [
        ("status", {"status": 400}, 400), ("moderation", {}, 400), ("status", {"status": 401}, 502),
        ("status", {"status": 403}, 502), ("status", {"status": 429, "headers": {"Retry-After": "7"}}, 429),
        ("status", {"status": 500}, 502), ("status", {"status": 503}, 502), ("bad_json", {}, 502),
        ("drop", {}, 502),
    ]
    for kind, options, status in faults:
        upstream.fail_next(kind, **options)  # type: ignore[arg-type]
        failure = fail(client, "generate-dall-e-2")
        assert failure.status_code == status, (kind, options, failure.body)
        check_envelope(failure.response.json())
        for leak in leaks(upstream):
            assert leak not in failure.response.text, (leak, failure.response.text)
        if status == 502 and options.get("status") in (401, 403):
            gateway.reset_channels()  # rejected credentials disable the channel until a reload
        assert client.images.generate(model="dall-e-2", prompt="ok", size="256x256").data[0].url
    assert len(client.images.edit(model="gpt-image-1", image=image_file(), prompt="ok").data) == 1
    assert len(client.images.create_variation(model="dall-e-2", image=image_file(), size="256x256").data) == 1
    assert {m.id for m in client.models.list()} >= {"dall-e-2", "dall-e-3", "gpt-image-1"}
    with httpx.Client(timeout=10) as http:
        assert http.get(f"{gateway.url}/healthz").status_code == 200
