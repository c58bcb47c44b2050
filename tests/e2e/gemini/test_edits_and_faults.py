"""Gemini edits (input images as inline parts, capped per model; no masks), safety refusals, and Google's
errors turned into OpenAI's, scrubbed of keys and project ids."""

from __future__ import annotations

import base64

import openai
import pytest

from tests.e2e.channels import only_channel
from tests.e2e.helpers import api_error, decode, image_file, raised
from tests.factories import png_bytes
from tests.fakes.gemini_answers import LEAKED_KEY
from tests.fakes.gemini_requests import error_body
from tests.fakes.gemini_upstream import FakeGemini
from tests.harness import Gateway


def pictures(count: int) -> list[tuple[str, bytes, str]]:
    return [image_file(32 + i, 32, name=f"in{i}.png") for i in range(count)]


@pytest.mark.parametrize("count", [1, 3, 14])
def test_edits_send_every_image_as_an_inline_part(client: openai.OpenAI, gemini: FakeGemini, count: int) -> None:
    images = pictures(count)
    result = client.images.edit(model="gemini-3-pro-image", prompt="merge them", image=images)
    assert decode(result.data[0].b64_json).size == (1024, 1024)
    (content,) = (gemini.last.json or {})["contents"]
    parts = content["parts"]
    assert parts[0] == {"text": "merge them"} and len(parts) == count + 1
    assert [base64.b64decode(p["inlineData"]["data"]) for p in parts[1:]] == [data for _, data, _ in images]
    assert all(p["inlineData"]["mimeType"] == "image/png" for p in parts[1:])


@pytest.mark.parametrize(("model", "count"), [("gemini-3-pro-image", 15), ("gemini-2.5-flash-image", 4)])
def test_more_images_than_the_model_takes_is_a_400(client: openai.OpenAI, gemini: FakeGemini, model: str,
                                                    count: int) -> None:
    failure = raised(lambda: client.images.edit(model=model, prompt="p", image=pictures(count)))
    api_error(failure, 400, param="image", code="too_many_images")
    assert gemini.requests == []


def test_a_mask_is_refused(client: openai.OpenAI, gemini: FakeGemini) -> None:
    mask = ("mask.png", png_bytes(32, 32, transparent_box=(0, 0, 8, 8)), "image/png")
    failure = raised(lambda: client.images.edit(model="gemini-3-pro-image", prompt="p", image=pictures(1),
                                                mask=mask))
    api_error(failure, 400, param="mask", code="unsupported_parameter")
    assert gemini.requests == []


@pytest.mark.parametrize(("kind", "reason"), [("blocked", "PROHIBITED_CONTENT"), ("blocked", "SAFETY"),
                                              ("finish", "IMAGE_SAFETY"), ("finish", "SAFETY"),
                                              ("finish", "PROHIBITED_CONTENT")])
def test_safety_is_a_content_policy_400_not_retried_nor_billed(client: openai.OpenAI, gemini: FakeGemini,
                                                                kind: str, reason: str) -> None:
    gemini.fail_next(kind, reason=reason)  # type: ignore[arg-type]
    failure = raised(lambda: client.images.with_raw_response.generate(model="gemini-3-pro-image", prompt="p"))
    api_error(failure, 400, param=None, code="content_policy_violation")
    assert len(gemini.requests) == 1 and failure.response.headers.get("x-imagegate-cost") is None


@pytest.mark.parametrize("kind", ["internal", "unavailable", "deadline", "bad_json", "text_only"])
def test_server_side_faults_are_retried(client: openai.OpenAI, gemini: FakeGemini, kind: str) -> None:
    gemini.fail_next(kind)  # type: ignore[arg-type]
    assert len(client.images.generate(model="gemini-2.5-flash-image", prompt="p").data) == 1
    assert len(gemini.requests) == 2


def test_a_hanging_call_times_out_and_is_retried(client: openai.OpenAI, gemini: FakeGemini) -> None:
    gemini.fail_next("hang", delay=10)  # longer than the channel's 2 s timeout
    assert len(client.images.generate(model="gemini-2.5-flash-image", prompt="p").data) == 1
    assert len(gemini.requests) == 2


def test_rate_limiting_rests_for_the_retry_delay_then_retries(client: openai.OpenAI, gemini: FakeGemini) -> None:
    gemini.fail_next("rate_limit", retry_delay=0.4)
    assert len(client.images.generate(model="gemini-2.5-flash-image", prompt="p").data) == 1
    assert len(gemini.requests) == 2


@pytest.mark.parametrize(("kind", "status", "code"), [
    ("rate_limit", 429, "rate_limit_exceeded"), ("internal", 502, "upstream_error"),
    ("deadline", 504, "upstream_timeout"),
])
def test_faults_that_last_end_in_openai_errors(client: openai.OpenAI, gemini: FakeGemini, kind: str, status: int,
                                               code: str) -> None:
    gemini.fail_next(kind, count=3, retry_delay=0.1)  # type: ignore[arg-type]
    failure = raised(lambda: client.images.generate(model="gemini-2.5-flash-image", prompt="p"))
    api_error(failure, status, param=None, code=code)
    assert len(gemini.requests) == 3


def test_an_invalid_argument_is_a_400_and_not_retried(client: openai.OpenAI, gemini: FakeGemini) -> None:
    gemini.fail_next("invalid")
    failure = raised(lambda: client.images.generate(model="gemini-2.5-flash-image", prompt="p"))
    api_error(failure, 400, param=None, code="invalid_value")
    assert len(gemini.requests) == 1


def test_a_refused_key_disables_the_channel(client: openai.OpenAI, gemini: FakeGemini,
                                            gemini_gateway: Gateway) -> None:
    gemini.fail_next("permission")
    failure = raised(lambda: client.images.generate(model="gemini-2.5-flash-image", prompt="p"))
    api_error(failure, 502, param=None, code="upstream_auth_error", hidden=(gemini.api_key, LEAKED_KEY))
    channel = only_channel(gemini_gateway)
    assert channel["state"] == "disabled" and len(gemini.requests) == 1


def test_keys_and_hosts_in_an_upstream_message_are_scrubbed(client: openai.OpenAI, gemini: FakeGemini) -> None:
    message = f"API key {LEAKED_KEY} of project imagegate-secret-project is not valid at {gemini.origin}"
    gemini.fail_next("status", status=400, body=error_body(400, message))
    failure = raised(lambda: client.images.generate(model="gemini-2.5-flash-image", prompt="p"))
    error = api_error(failure, 400, param=None, code="invalid_value", hidden=(LEAKED_KEY, gemini.origin, "127.0.0.1"))
    assert "[redacted]" in error["message"]
