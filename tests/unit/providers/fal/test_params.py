"""fal requests (endpoints, bodies, one image or a list) and its queue and result answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagegate.errors import InvalidRequest, UpstreamError
from imagegate.providers.fal.params import (
    Request,
    endpoint,
    image_fields,
    parse_images,
    parse_status,
    parse_submit,
    request_body,
)
from tests.factories import call
from tests.factories import flux_job as job
from tests.factories import input_image as upload

APP = "fal-ai/flux-pro/kontext/max"


def test_endpoints(tmp_path: Path) -> None:
    one, two = upload(tmp_path, 8, 8, name="a"), upload(tmp_path, 8, 8, name="b")
    assert endpoint(call(job(), APP)) == f"{APP}/text-to-image"
    assert endpoint(call(job("edits", images=[one]), APP)) == APP
    assert endpoint(call(job("edits", images=[one, two]), APP)) == f"{APP}/multi"


def test_body_spellings() -> None:
    body = request_body(call(job(quality="high", seed=10, safety_tolerance=6, output_format="jpeg"), APP, n=4,
                             offset=4))
    assert body == {"prompt": "p", "num_images": 4, "output_format": "jpeg", "enhance_prompt": True,
                    "aspect_ratio": "1:1", "seed": 14, "safety_tolerance": "6"}


def test_images_as_one_url_or_a_list() -> None:
    assert image_fields([]) == {}
    assert image_fields(["data:a"]) == {"image_url": "data:a"}
    assert image_fields(["data:a", "data:b"]) == {"image_urls": ["data:a", "data:b"]}


@pytest.mark.parametrize(("values", "param"), [({"output_format": "webp"}, "output_format"),
                                               ({"safety_tolerance": 0}, "safety_tolerance")])
def test_values_fal_cannot_take(values: dict[str, object], param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        request_body(call(job(**values), APP))
    assert (caught.value.param, caught.value.code) == (param, "unsupported_value")


def test_queue_answers() -> None:
    assert parse_submit({"request_id": "r", "status_url": "s", "response_url": "u"}) == Request("s", "u")
    assert parse_status({"status": "IN_QUEUE", "queue_position": 3}) == "IN_QUEUE"
    for bad in ({"request_id": "r"}, None):
        with pytest.raises(UpstreamError):
            parse_submit(bad)
    with pytest.raises(UpstreamError):
        parse_status({"queue_position": 3})


def test_result_images() -> None:
    body = {"images": [{"url": "https://v3.fal.media/a.png"}, {"url": "https://v3.fal.media/b.png"}],
            "has_nsfw_concepts": [False, False]}
    assert parse_images(body, 2) == (["https://v3.fal.media/a.png", "https://v3.fal.media/b.png"], False)
    assert parse_images({**body, "has_nsfw_concepts": [False, True]}, 2)[1] is True


@pytest.mark.parametrize("body", [{"images": [{"url": "a"}]}, {"images": [{"url": "a"}, {"nope": 1}]}, {}, None])
def test_malformed_results(body: object) -> None:
    with pytest.raises(UpstreamError):
        parse_images(body, 2)
