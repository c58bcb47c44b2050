"""The Recraft translation without I/O: bodies per operation, the table's refusals, answers and costs, errors."""

from __future__ import annotations

import pytest

from imagegate.errors import ContentPolicy, InvalidRequest, RateLimited, UpstreamError
from imagegate.providers.recraft.errors import failure
from imagegate.providers.recraft.params import form, operation, parse_answer, refusal, request_fields
from tests.factories import call, job, reply


def test_a_generation_body_carries_recraft_s_fields() -> None:
    built = job(model="recraftv3", size="1820x1024", style="digital_illustration",
                substyle="hdr", negative_prompt="text", prompt="a kite", user="u1")
    assert request_fields(call(built, n=3)) == {
        "model": "recraftv3", "n": 3, "response_format": "url", "prompt": "a kite", "size": "1820x1024",
        "style": "digital_illustration", "substyle": "hdr", "negative_prompt": "text"}
    assert operation(built) == "generations"


def test_an_aspect_ratio_is_the_nearest_listed_size() -> None:
    assert request_fields(call(job(model="recraftv4_1", aspect_ratio="16:9")))["size"] == "1344x768"


def test_image_to_image_is_multipart_text_with_a_strength() -> None:
    built = job("edits", model="recraftv4_1", prompt="blue")
    assert operation(built) == "image_to_image"
    assert form(call(built, n=2)) == {"model": "recraftv4_1", "n": "2", "response_format": "url", "prompt": "blue",
                                      "strength": "0.5"}


@pytest.mark.parametrize(("endpoint", "values", "param"), [
    ("generations", {"model": "recraftv3", "substyle": "hdr"}, "substyle"),
    ("edits", {"model": "recraftv4_1", "size": "1024x1024"}, "size"),
])
def test_recraft_s_own_rules(endpoint: str, values: dict[str, str], param: str) -> None:
    found = refusal(job(endpoint, **values))
    assert isinstance(found, InvalidRequest) and found.param == param


def test_credits_are_the_upstream_s_cost() -> None:
    result = parse_answer({"created": 1, "credits": 80, "data": [{"url": "https://x/a.png"},
                                                                 {"b64_json": "aGk="}]}, 2)
    assert result.cost == pytest.approx(0.08) and result.images[0].url == "https://x/a.png"
    with pytest.raises(UpstreamError):
        parse_answer({"credits": "lots", "data": [{"url": "https://x/a.png"}]}, 1)


def test_errors_in_text_and_json() -> None:
    assert failure(reply(401, content=b"request unauthorized")).code == "upstream_auth_error"
    policy = failure(reply(400, json={"code": "inappropriate_content", "message": "no"}))
    assert isinstance(policy, ContentPolicy)
    invalid = failure(reply(400, json={"code": "invalid_size", "message": "size 1x1 is not supported"}))
    assert isinstance(invalid, InvalidRequest) and "size 1x1" in invalid.message
    assert isinstance(failure(reply(429, content=b"slow down")), RateLimited)
    assert failure(reply(500, content=b"oops")).code == "upstream_error"
