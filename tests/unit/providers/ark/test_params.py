"""The Ark translation without I/O: request bodies for every size path, conflicts, and answers."""

from __future__ import annotations

from typing import Any

import pytest

from imagegate.errors import ContentPolicy, UpstreamError
from imagegate.providers.ark.params import TABLE, ark_size, conflict, parse_answer, request_body, tier_of
from tests.factories import call, job

UP = "doubao-seedream-4-5-251128"


def body(model: str = "seedream-4.5", images: list[str] | None = None, **raw: Any) -> dict[str, Any]:
    return request_body(call(job(model=model, **raw), UP), images or [])


def test_the_plain_body_leaves_the_size_to_ark_and_turns_the_watermark_off() -> None:
    assert body(prompt="a kite", user="u") == {"model": UP, "prompt": "a kite", "watermark": False,
                                               "sequential_image_generation": "disabled", "response_format": "url"}


@pytest.mark.parametrize(("model", "raw", "size"), [
    ("seedream-4.0", {"size": "1024x1536"}, "1024x1536"),
    ("seedream-4.5", {"size": "2560x1440"}, "2560x1440"),
    ("seedream-4.0", {"image_size": "1K"}, "1K"),
    ("seedream-4.5", {"image_size": "4K"}, "4K"),
    ("seedream-4.0", {"aspect_ratio": "16:9"}, "2731x1536"),
    ("seedream-4.0", {"aspect_ratio": "1:1", "image_size": "1K"}, "1024x1024"),
    ("seedream-4.0", {"aspect_ratio": "1:1", "image_size": "4K"}, "4096x4096"),
    ("seedream-4.5", {"aspect_ratio": "1:1", "image_size": "2K"}, "2048x2048"),
    ("seedream-4.0", {"size": "2048x2048", "aspect_ratio": "9:16"}, "2048x2048"),
])
def test_ark_s_size(model: str, raw: dict[str, Any], size: str) -> None:
    built = job(model=model, **raw)
    assert ark_size(built) == size and body(model, **raw)["size"] == size and conflict(built) is None


def test_a_tier_contradicting_the_size_is_refused() -> None:
    refusal = conflict(job(model="seedream-4.0", size="1024x1024", image_size="2K"))
    assert refusal is not None and refusal.param == "image_size" and refusal.code == "invalid_value"
    assert conflict(job(model="seedream-4.0", size="1024x1024", image_size="1K")) is None


def test_the_tier_of_a_size_is_the_smallest_reaching_its_long_edge() -> None:
    assert tier_of("1024x1024", ("1K", "2K", "4K")) == "1K"
    assert tier_of("2560x1440", ("2K", "4K")) == "4K"
    assert tier_of("8000x800", ("2K",)) == "2K"
    assert tier_of("big", ("2K",)) is None


def test_extensions_and_input_images() -> None:
    sent = body("seedream-5.0-lite", images=["data:image/png;base64,AA=="], watermark=True, output_format="png")
    assert sent["watermark"] is True and sent["output_format"] == "png"
    assert sent["image"] == "data:image/png;base64,AA=="
    assert body(images=["a", "b"])["image"] == ["a", "b"]


def test_the_table_refuses_what_ark_has_no_place_for() -> None:
    refusal = TABLE.refusal({"prompt": "p", "seed": 3})
    assert refusal is not None and refusal.param == "seed" and refusal.code == "unsupported_parameter"
    refusal = TABLE.refusal({"quality": "high"})
    assert refusal is not None and refusal.code == "unsupported_value"
    assert TABLE.openai_name("size") == "size" and TABLE.openai_name("image") == "image"


def test_the_answer_s_links_keep_the_first_asked_for() -> None:
    answer = {"data": [{"url": "https://a/1.jpeg", "size": "2048x2048"}, {"url": "https://a/2.jpeg"}]}
    assert parse_answer(answer, 1) == ["https://a/1.jpeg"]


@pytest.mark.parametrize("answer", [{}, {"data": []}, {"data": [{"b64_json": "AA=="}]}, [], {"data": "x"}])
def test_an_answer_without_a_link_is_a_bad_answer(answer: Any) -> None:
    with pytest.raises(UpstreamError) as caught:
        parse_answer(answer, 1)
    assert caught.value.code == "upstream_bad_response"


def test_a_failed_image_in_the_answer_raises_its_error() -> None:
    with pytest.raises(ContentPolicy):
        parse_answer({"data": [{"error": {"code": "OutputImageSensitiveContentDetected", "message": "no"}}]}, 1)
    with pytest.raises(UpstreamError) as caught:
        parse_answer({"data": [{"error": {"code": "InternalServiceError", "message": "at https://x.example"}}]}, 1)
    assert caught.value.code == "upstream_error" and "x.example" not in str(caught.value.message)
