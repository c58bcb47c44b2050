from __future__ import annotations

import orjson
import pytest

from imagegate.errors import ContentPolicy, InvalidRequest, RateLimited, UpstreamError
from imagegate.providers.bfl.errors import status_failure, submit_failure
from imagegate.providers.bfl.params import Task, image_fields, parse_result, parse_submit, path, request_body
from imagegate.providers.http import Reply
from tests.factories import call
from tests.factories import flux_job as job


def answer(status: int, *, json: object = None, content: bytes = b"") -> Reply:
    """An upstream answer to a request that carried the channel's key."""
    body = orjson.dumps(json) if json is not None else content
    return Reply(status, {}, body, "https://api.bfl.ai/v1/flux-kontext-pro", credential="k3yMaterial99")


def test_path() -> None:
    assert path("flux-kontext-max") == "/v1/flux-kontext-max"


def test_generation_body() -> None:
    body = request_body(call(job(aspect_ratio="21:9", quality="hd", seed=3, safety_tolerance=0), offset=2))
    assert body == {"prompt": "p", "aspect_ratio": "21:9", "output_format": "png", "prompt_upsampling": True,
                    "seed": 5, "safety_tolerance": 0}


def test_edit_images_are_the_multi_reference_fields() -> None:
    assert image_fields("flux-kontext-pro", ["A", "B", "C"], None) == {"input_image": "A", "input_image_2": "B",
                                                                       "input_image_3": "C"}


def test_fill_takes_image_and_mask_and_no_ratio() -> None:
    assert request_body(call(job(), upstream_model="flux-pro-1.0-fill")) == {
        "prompt": "p", "output_format": "png", "prompt_upsampling": False}
    assert image_fields("flux-pro-1.0-fill", ["IMG"], "MASK") == {"image": "IMG", "mask": "MASK"}
    assert image_fields("flux-pro-1.0-fill", ["IMG"], None) == {"image": "IMG"}


def test_submit_answer() -> None:
    assert parse_submit({"id": "t1", "polling_url": "https://api.us1.bfl.ai/v1/get_result?id=t1", "cost": 4}) == \
        Task("t1", "https://api.us1.bfl.ai/v1/get_result?id=t1", 0.04)
    assert parse_submit({"id": "t1", "polling_url": "u"}).cost_usd is None


@pytest.mark.parametrize("body", [None, [], {"id": "t1"}, {"polling_url": "u"}, {"id": 1, "polling_url": "u"}])
def test_malformed_submit_answers(body: object) -> None:
    with pytest.raises(UpstreamError) as caught:
        parse_submit(body)
    assert caught.value.code == "upstream_bad_response"


def test_result_answers() -> None:
    assert parse_result({"status": "Ready", "result": {"sample": "https://delivery.bfl.ai/x"}}) == \
        ("Ready", "https://delivery.bfl.ai/x")
    assert parse_result({"status": "Pending", "result": None}) == ("Pending", None)
    with pytest.raises(UpstreamError):
        parse_result({"result": {}})


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
    response = answer(status, json=body) if body is not None else answer(status, content=b"oops")
    failure = submit_failure(response)
    assert isinstance(failure, kind) and (failure.code, failure.param) == (code, param)
