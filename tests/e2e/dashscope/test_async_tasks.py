"""qwen-image-plus on a channel with ``async_tasks = true``: a text2image task submitted with
``X-DashScope-Async: enable``, polled until it ends, its result links downloaded; failed tasks, a throttled submit
and a task that outlives the channel's poll deadline."""

from __future__ import annotations

import openai
import pytest

from tests.e2e.helpers import api_error, decode, raised
from tests.fakes.dashscope_upstream import FakeDashScope

SYNTHESIS = "/api/v1/services/aigc/text2image/image-synthesis"


def test_a_task_is_submitted_polled_and_its_image_downloaded(channels_client: openai.OpenAI,
                                                             dashscope: FakeDashScope) -> None:
    dashscope.task_polls = 2
    result = channels_client.images.generate(model="qwen-image-plus", prompt="a fox", size="1664x928",
                                             response_format="b64_json", extra_body={"negative_prompt": "blur",
                                                                                     "prompt_extend": False})
    assert decode(result.data[0].b64_json).size == (1664, 928)
    (submitted,) = dashscope.posts
    assert submitted.path == SYNTHESIS and submitted.headers["x-dashscope-async"] == "enable"
    assert submitted.json == {"model": "qwen-image-plus", "input": {"prompt": "a fox"},
                              "parameters": {"size": "1664*928", "negative_prompt": "blur", "prompt_extend": False,
                                             "watermark": False, "n": 1}}
    polls = [r for r in dashscope.requests if r.method == "GET"]
    assert len(polls) == 3 and all(r.headers["authorization"] == f"Bearer {dashscope.api_key}" for r in polls)


def test_n_is_one_task_per_image(channels_client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    result = channels_client.images.generate(model="qwen-image-plus", prompt="p", n=2, extra_body={"seed": 5})
    assert len(result.data) == 2
    assert sorted((r.json or {})["parameters"]["seed"] for r in dashscope.posts) == [5, 6]


def test_a_throttled_submit_is_sent_again(channels_client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    dashscope.fail_next("rate_limit", headers={"Retry-After": "0"})
    assert len(channels_client.images.generate(model="qwen-image-plus", prompt="p").data) == 1
    assert len(dashscope.posts) == 2


def test_a_task_failed_by_inspection_is_a_content_policy_400(channels_client: openai.OpenAI,
                                                             dashscope: FakeDashScope) -> None:
    dashscope.fail_next("task_failed", code="DataInspectionFailed", message="Output data may contain "
                                                                           "inappropriate content.")
    failure = raised(lambda: channels_client.images.generate(model="qwen-image-plus", prompt="p"))
    api_error(failure, 400, param=None, code="content_policy_violation")
    assert len(dashscope.posts) == 1


def test_a_task_failed_inside_is_retried(channels_client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    dashscope.fail_next("task_failed")
    assert len(channels_client.images.generate(model="qwen-image-plus", prompt="p").data) == 1
    assert len(dashscope.posts) == 2


@pytest.mark.parametrize(("kind", "code"), [("in_200", "InvalidParameter"), ("invalid", None)])
def test_a_refused_submit_is_a_400(channels_client: openai.OpenAI, dashscope: FakeDashScope, kind: str,
                                   code: str | None) -> None:
    dashscope.fail_next(kind, code=code, message="The size is not supported.")
    failure = raised(lambda: channels_client.images.generate(model="qwen-image-plus", prompt="p"))
    api_error(failure, 400, param="size", code="invalid_value")


def test_a_task_past_the_poll_deadline_is_a_504(channels_client: openai.OpenAI, dashscope: FakeDashScope) -> None:
    dashscope.task_polls = 10_000
    failure = raised(lambda: channels_client.images.generate(model="qwen-image-plus", prompt="p"))
    api_error(failure, 504, param=None, code="upstream_timeout")
