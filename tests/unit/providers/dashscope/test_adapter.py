"""The DashScope adapter with a recording HTTP client: which endpoint a call goes to, its headers, the download of
result links, the polling of a task, and its own refusals."""

from __future__ import annotations

import asyncio

import orjson

from imagegate.config import PollConfig
from imagegate.providers.base import Upstream
from imagegate.providers.dashscope.adapter import DashScopeOptions, DashScopeProvider
from imagegate.providers.http import Reply
from tests.factories import RecordingHttp, call, job

BASE = "https://dashscope-intl.aliyuncs.com"
LINK = "https://dashscope-result-sg.oss-ap-southeast-1.aliyuncs.com/1.png?Expires=1"


def answer(url: str) -> Reply:
    if url == LINK:
        return Reply(200, {}, b"PNG", url)
    if url.endswith("/image-synthesis"):
        return Reply(200, {}, orjson.dumps({"output": {"task_id": "t-1", "task_status": "PENDING"}}), url)
    if url.endswith("/tasks/t-1"):
        return Reply(200, {}, orjson.dumps({"output": {"task_status": "SUCCEEDED", "results": [{"url": LINK}]}}), url)
    body = {"output": {"choices": [{"message": {"content": [{"image": LINK}]}}]}}
    return Reply(200, {}, orjson.dumps(body), url)


def provider(async_tasks: bool) -> tuple[DashScopeProvider, RecordingHttp]:
    http = RecordingHttp(answer=answer)
    upstream = Upstream("ds", BASE, "sk-key", poll=PollConfig(interval=0.01, max_interval=0.01, deadline=5),
                        options=DashScopeOptions(async_tasks=async_tasks))
    return DashScopeProvider(upstream, http), http


def test_a_synchronous_call_downloads_its_links() -> None:
    client, http = provider(async_tasks=False)
    result = asyncio.run(client.run(call(job(model="qwen-image-plus"))))
    assert [image.data for image in result.images] == [b"PNG"]
    assert [(s.method, s.url) for s in http.sent] == [
        ("POST", BASE + "/api/v1/services/aigc/multimodal-generation/generation"), ("GET", LINK)]
    assert http.sent[0].headers == {"Authorization": "Bearer sk-key"} and http.sent[1].headers == {}


def test_an_async_channel_submits_a_task_and_polls_it() -> None:
    client, http = provider(async_tasks=True)
    result = asyncio.run(client.run(call(job(model="qwen-image-plus"))))
    assert [image.data for image in result.images] == [b"PNG"]
    assert [s.url for s in http.sent] == [BASE + "/api/v1/services/aigc/text2image/image-synthesis",
                                          BASE + "/api/v1/tasks/t-1", LINK]
    assert http.sent[0].headers["X-DashScope-Async"] == "enable"


def test_models_the_task_endpoint_does_not_take_stay_synchronous() -> None:
    client, http = provider(async_tasks=True)
    asyncio.run(client.run(call(job(model="qwen-image-max"))))
    assert http.sent[0].url.endswith("/multimodal-generation/generation")


def test_a_long_negative_prompt_is_refused_before_any_call() -> None:
    client, http = provider(async_tasks=False)
    refusal = client.refusal(job(model="qwen-image-2.0", negative_prompt="x" * 501), "qwen-image-2.0")
    assert refusal is not None and (refusal.param, refusal.code) == ("negative_prompt", "string_above_max_length")
    assert client.refusal(job(model="qwen-image-2.0", negative_prompt="x" * 500), "qwen-image-2.0") is None
