"""The DashScope translation without I/O: request bodies for both endpoints, answers, and task states."""

from __future__ import annotations

from typing import Any

import pytest

from imagegate.errors import UpstreamError
from imagegate.providers.dashscope.models import MODELS, PIXELS
from imagegate.providers.dashscope.params import (
    TABLE,
    Failure,
    answer_failure,
    async_body,
    sync_body,
    sync_links,
    task_id,
    task_state,
)
from tests.factories import call, job


def test_the_sync_body_puts_images_before_the_prompt() -> None:
    built = job(model="qwen-image-2.0-pro", size="1200x800", prompt="a kite", negative_prompt="rain", seed=3)
    body = sync_body(call(built, n=2, offset=4), ["data:image/png;base64,AAAA"])
    assert body == {"model": "qwen-image-2.0-pro",
                    "input": {"messages": [{"role": "user", "content": [{"image": "data:image/png;base64,AAAA"},
                                                                        {"text": "a kite"}]}]},
                    "parameters": {"size": "1200*800", "negative_prompt": "rain", "seed": 7, "watermark": False,
                                   "n": 2}}


def test_the_async_body_takes_the_prompt_in_input() -> None:
    built = job(model="qwen-image-plus", prompt="a kite", watermark=True, prompt_extend=False)
    assert async_body(call(built)) == {"model": "qwen-image-plus", "input": {"prompt": "a kite"},
                                       "parameters": {"size": "1328*1328", "watermark": True, "prompt_extend": False,
                                                      "n": 1}}


def test_auto_sends_no_size_and_a_seed_wraps_at_the_upstream_bound() -> None:
    built = job(model="qwen-image-2.0", size="auto", seed=2**31 - 1)
    assert sync_body(call(built, offset=1), [])["parameters"] == {"seed": 0, "watermark": False, "n": 1}


@pytest.mark.parametrize(("values", "param", "code"), [({"seed": 2**31}, "seed", "unsupported_value"),
                                                       ({"quality": "high"}, "quality", "unsupported_value"),
                                                       ({"style": "vivid"}, "style", "unsupported_parameter")])
def test_the_table_refuses_what_dashscope_cannot_take(values: dict[str, Any], param: str, code: str) -> None:
    refusal = TABLE.refusal(values)
    assert refusal is not None and (refusal.param, refusal.code) == (param, code)


def test_the_size_rule_keeps_the_documented_pixel_range() -> None:
    assert PIXELS.refusal(512, 512) is None and PIXELS.refusal(2048, 2048) is None and PIXELS.refusal(512, 2048) is None
    assert PIXELS.refusal(496, 512) is not None and PIXELS.refusal(2064, 2048) is not None
    assert PIXELS.for_ratio(1.0) == "2048x2048"
    assert all(PIXELS.refusal(*map(int, size.split("x"))) is None for size in MODELS[0].sizes)


def test_sync_links_come_from_every_choice() -> None:
    body = {"output": {"choices": [{"message": {"content": [{"image": "https://a/1.png"}, {"text": "x"}]}},
                                   {"message": {"content": [{"image": "https://a/2.png"}]}}]}}
    assert sync_links(body) == ["https://a/1.png", "https://a/2.png"]


@pytest.mark.parametrize("body", [{}, [], {"output": {"choices": []}}, {"output": {"choices": [{"message": {}}]}}])
def test_an_answer_without_an_image_is_a_bad_answer(body: Any) -> None:
    with pytest.raises(UpstreamError) as caught:
        sync_links(body)
    assert caught.value.code == "upstream_bad_response"


@pytest.mark.parametrize(("body", "found"), [
    ({"code": "DataInspectionFailed", "message": "m", "request_id": "r"}, Failure("DataInspectionFailed", "m")),
    ({"output": {"task_status": "FAILED", "code": "InternalError", "message": "x"}}, Failure("InternalError", "x")),
    ({"output": {"choices": []}, "code": ""}, None), ([], None)])
def test_errors_inside_an_answer(body: Any, found: Failure | None) -> None:
    assert answer_failure(body) == found


def test_task_ids_go_into_a_path_only_when_plain() -> None:
    assert task_id({"output": {"task_id": "0385dc79-5ff8", "task_status": "PENDING"}}) == "0385dc79-5ff8"
    for bad in ("../../v1/x", "a?b", "", 5):
        with pytest.raises(UpstreamError):
            task_id({"output": {"task_id": bad}})


def test_task_states() -> None:
    assert task_state({"output": {"task_status": "RUNNING"}}) == ("RUNNING", [], None)
    done = {"output": {"task_status": "SUCCEEDED", "results": [{"url": "https://a/1.png"}]}}
    assert task_state(done) == ("SUCCEEDED", ["https://a/1.png"], None)
    partly = {"output": {"task_status": "SUCCEEDED", "results": [{"code": "DataInspectionFailed", "message": "m"}]}}
    assert task_state(partly) == ("SUCCEEDED", [], Failure("DataInspectionFailed", "m"))
    with pytest.raises(UpstreamError):
        task_state({"output": {}})
