"""The xAI translation without I/O: bodies (ratios, resolutions, edit images), answers, errors."""

from __future__ import annotations

import pytest

from imagegate.errors import ContentPolicy, InvalidRequest, RateLimited
from imagegate.providers.xai.errors import failure
from imagegate.providers.xai.params import TABLE, parse_answer, request_body
from tests.factories import call, job, reply


def test_a_generation_asks_for_base64_with_xai_s_fields() -> None:
    built = job(model="grok-imagine-image", size="1792x1024", user="u1", prompt="a kite")
    assert request_body(call(built, n=2), []) == {
        "model": "grok-imagine-image", "n": 2, "response_format": "b64_json", "prompt": "a kite",
        "aspect_ratio": "16:9", "resolution": "2k", "user": "u1"}


def test_edit_images_are_one_image_or_a_list() -> None:
    built = job("edits", model="grok-imagine-image")
    assert request_body(call(built), ["data:a"])["image"] == {"url": "data:a", "type": "image_url"}
    assert [i["url"] for i in request_body(call(built), ["data:a", "data:b"])["images"]] == ["data:a", "data:b"]


def test_the_table_refuses_what_xai_does_not_take() -> None:
    found = TABLE.refusal({"size": "1024x1024"})
    assert isinstance(found, InvalidRequest) and found.param == "size" and found.code == "unsupported_parameter"


def test_a_filtered_image_is_a_refusal() -> None:
    with pytest.raises(ContentPolicy):
        parse_answer({"data": [{"b64_json": "aGk=", "respect_moderation": False}]}, 1)
    assert parse_answer({"data": [{"b64_json": "aGk=", "respect_moderation": True}]}, 1).images[0].b64 == "aGk="


def test_errors() -> None:
    bad_key = failure(reply(400, json={"code": "Client specified an invalid argument",
                                       "error": "Incorrect API key provided: xa***90."}))
    assert bad_key.code == "upstream_auth_error"
    unsupported = failure(reply(400, json={"code": "Client specified an invalid argument",
                                           "error": "Argument not supported: resolution"}))
    assert isinstance(unsupported, InvalidRequest) and unsupported.param == "image_size"
    assert isinstance(failure(reply(400, json={"error": "Rejected by content moderation."})), ContentPolicy)
    assert isinstance(failure(reply(429, json={"error": "slow down"})), RateLimited)
    assert failure(reply(503, content=b"")).code == "upstream_error"
