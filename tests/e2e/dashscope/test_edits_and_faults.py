"""Qwen-Image edits (input images as data URIs before the prompt, no masks) and DashScope's errors, whether they
come as error statuses or inside HTTP 200 answers, turned into OpenAI's."""

from __future__ import annotations

import base64

import openai
import pytest

from tests.e2e.channels import only_channel
from tests.e2e.helpers import api_error, decode, image_file, raised
from tests.factories import png_bytes
from tests.fakes.dashscope_upstream import FakeDashScope
from tests.harness import Gateway

LEAKED = "sk-leakedkey0123456789abcdef"


def pictures(count: int) -> list[tuple[str, bytes, str]]:
    return [image_file(32 + i, 32, name=f"in{i}.png") for i in range(count)]


@pytest.mark.parametrize(("model", "count"), [("qwen-image-edit-plus", 3), ("qwen-image-2.0-pro", 1),
                                              ("qwen-image-edit", 2)])
def test_edits_send_data_uris_then_the_prompt(client: openai.OpenAI, dashscope: FakeDashScope, model: str,
                                              count: int) -> None:
    images = pictures(count)
    result = client.images.edit(model=model, prompt="merge them", image=images, response_format="b64_json")
    assert decode(result.data[0].b64_json).size == (1024, 1024)
    (message,) = (dashscope.last.json or {})["input"]["messages"]
    content = message["content"]
    assert content[-1] == {"text": "merge them"} and len(content) == count + 1
    prefix = "data:image/png;base64,"
    assert all(item["image"].startswith(prefix) for item in content[:-1])
    assert [base64.b64decode(item["image"][len(prefix):]) for item in content[:-1]] == [d for _, d, _ in images]
    assert "size" not in (dashscope.last.json or {})["parameters"]  # the output follows the input


def test_edit_size_n_and_prompt_extend(client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    result = client.images.edit(model="qwen-image-edit-max", prompt="p", image=pictures(1), n=2, size="768x1024",
                                response_format="b64_json", extra_body={"prompt_extend": True})
    assert [decode(item.b64_json).size for item in result.data] == [(768, 1024)] * 2
    assert (dashscope.last.json or {})["parameters"] == {"size": "768*1024", "n": 2, "prompt_extend": True,
                                                         "watermark": False}


@pytest.mark.parametrize(("model", "count", "extra", "param", "code"), [
    ("qwen-image-edit-plus", 4, {}, "image", "too_many_images"),
    ("qwen-image-edit-plus", 1, {"size": "256x1024"}, "size", "invalid_size"),
    ("qwen-image-edit", 1, {"size": "1024x1024"}, "size", "invalid_size"),
    ("qwen-image-edit", 1, {"prompt_extend": "true"}, "prompt_extend", "unsupported_parameter"),
    ("qwen-image-edit", 1, {"aspect_ratio": "16:9"}, "aspect_ratio", "unsupported_parameter"),
    ("qwen-image-max", 1, {}, "model", "unsupported_model"),
])
def test_edits_the_model_cannot_honour_are_400s(client: openai.OpenAI, dashscope: FakeDashScope, model: str,
                                                count: int, extra: dict[str, str], param: str, code: str) -> None:
    failure = raised(lambda: client.images.edit(model=model, prompt="p", image=pictures(count), extra_body=extra))
    api_error(failure, 400, param=param, code=code)
    assert dashscope.requests == []


def test_a_mask_is_refused(client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    mask = ("mask.png", png_bytes(32, 32, transparent_box=(0, 0, 8, 8)), "image/png")
    failure = raised(lambda: client.images.edit(model="qwen-image-edit-plus", prompt="p", image=pictures(1),
                                                mask=mask))
    api_error(failure, 400, param="mask", code="unsupported_parameter")
    assert dashscope.requests == []


@pytest.mark.parametrize(("kind", "code"), [("refusal", None), ("in_200", "DataInspectionFailed"),
                                            ("in_200", "IPInfringementSuspect")])
def test_content_inspection_is_a_content_policy_400_not_retried(client: openai.OpenAI, dashscope: FakeDashScope,
                                                                kind: str, code: str | None) -> None:
    dashscope.fail_next(kind, code=code)
    failure = raised(lambda: client.images.with_raw_response.generate(model="qwen-image-max", prompt="p"))
    api_error(failure, 400, param=None, code="content_policy_violation")
    assert len(dashscope.posts) == 1 and failure.response.headers.get("x-imagegate-cost") is None


@pytest.mark.parametrize(("kind", "code"), [("internal", None), ("bad_json", None), ("expired", None),
                                            ("in_200", "InternalError.Algo"), ("rate_limit", None)])
def test_server_side_faults_are_retried(client: openai.OpenAI, dashscope: FakeDashScope, kind: str,
                                        code: str | None) -> None:
    dashscope.fail_next(kind, code=code)
    assert len(client.images.generate(model="qwen-image-max", prompt="p").data) == 1
    assert len(dashscope.posts) == 2


def test_a_hanging_call_times_out_and_is_retried(client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    dashscope.fail_next("hang", delay=5)  # longer than the channel's 2 s timeout
    assert len(client.images.generate(model="qwen-image-max", prompt="p").data) == 1
    assert len(dashscope.posts) == 2


@pytest.mark.parametrize(("kind", "status", "code"), [("rate_limit", 429, "rate_limit_exceeded"),
                                                      ("internal", 502, "upstream_error")])
def test_faults_that_last_end_in_openai_errors(client: openai.OpenAI, dashscope: FakeDashScope, kind: str,
                                               status: int, code: str) -> None:
    dashscope.fail_next(kind, count=3, headers={"Retry-After": "0.1"})
    failure = raised(lambda: client.images.generate(model="qwen-image-max", prompt="p"))
    api_error(failure, status, param=None, code=code)
    assert len(dashscope.posts) == 3


@pytest.mark.parametrize(("message", "param"), [
    ("The size '1024*1024' is not supported.", "size"), ("The parameter negative_prompt is too long.",
                                                         "negative_prompt"),
    ("The parameter seed must be in range.", "seed"), ("Download the input image failed.", "image"),
    ("Something is wrong.", None)])
def test_an_invalid_parameter_is_a_400_naming_the_field(client: openai.OpenAI, dashscope: FakeDashScope,
                                                        message: str, param: str | None) -> None:
    dashscope.fail_next("invalid", message=message)
    failure = raised(lambda: client.images.generate(model="qwen-image-max", prompt="p"))
    api_error(failure, 400, param=param, code="invalid_value")
    assert len(dashscope.posts) == 1


def test_an_overdue_account_is_not_retried(client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    dashscope.fail_next("arrearage")
    failure = raised(lambda: client.images.generate(model="qwen-image-max", prompt="p"))
    api_error(failure, 502, param=None, code="upstream_insufficient_credit")
    assert len(dashscope.posts) == 1


def test_a_refused_key_disables_the_channel(client: openai.OpenAI, dashscope: FakeDashScope,
                                            dashscope_gateway: Gateway) -> None:
    dashscope.fail_next("bad_key")
    failure = raised(lambda: client.images.generate(model="qwen-image-max", prompt="p"))
    api_error(failure, 502, param=None, code="upstream_auth_error", hidden=(dashscope.api_key,))
    channel = only_channel(dashscope_gateway)
    assert channel["state"] == "disabled" and len(dashscope.posts) == 1


def test_keys_and_hosts_in_an_upstream_message_are_scrubbed(client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    dashscope.fail_next("invalid", message=f"Key {LEAKED} may not fetch {dashscope.origin}/x.png")
    failure = raised(lambda: client.images.generate(model="qwen-image-max", prompt="p"))
    error = api_error(failure, 400, param=None, code="invalid_value",
                      hidden=(LEAKED, dashscope.origin, "127.0.0.1"))
    assert "[redacted]" in error["message"]


def test_a_failing_channel_fails_over_to_the_next(channels_client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    result = channels_client.images.generate(model="qwen-image-max", prompt="p", response_format="b64_json")
    assert decode(result.data[0].b64_json).size == (1328, 1328)
    keys = [r.headers["authorization"] for r in dashscope.posts]
    assert keys == ["Bearer sk-revokedkey0000000000", f"Bearer {dashscope.api_key}"]
