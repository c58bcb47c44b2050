"""BFL requests (paths, bodies, the multi-reference image fields) and its submit and result answers."""

from __future__ import annotations

import pytest

from imagegate.errors import UpstreamError
from imagegate.providers.bfl.params import Task, image_fields, parse_result, parse_submit, path, request_body
from tests.factories import call
from tests.factories import flux_job as job


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
