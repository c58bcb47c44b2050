"""OpenAI request fields (JSON or multipart form) and answers parsed into images, token usage and metadata."""

from __future__ import annotations

from typing import Any

import pytest

from imagegate.errors import UpstreamError
from imagegate.providers.base import Call
from imagegate.providers.openai.params import as_form, image_field, parse_response, request_fields
from tests import factories


def call(endpoint: str, model: str, n: int = 1, **raw: Any) -> Call:
    return factories.call(factories.job(endpoint, model, **raw), n=n)


def test_generation_body() -> None:
    body = request_fields(call("generations", "gpt-image-1", 2, size="1536x1024", background="opaque", user="u"))
    assert body == {"model": "gpt-image-1", "n": 2, "prompt": "p", "size": "1536x1024", "user": "u",
                    "background": "opaque"}


def test_dall_e_asks_for_base64() -> None:
    body = request_fields(call("generations", "dall-e-3", style="vivid"))
    assert body["response_format"] == "b64_json" and body["style"] == "vivid" and body["size"] == "1024x1024"


def test_form_fields_are_text() -> None:
    fields = as_form(request_fields(call("edits", "gpt-image-1", 3, output_compression=5)))
    assert fields["n"] == "3" and fields["output_compression"] == "5"


def test_image_field_name() -> None:
    assert image_field(call("edits", "gpt-image-1")) == "image[]"
    assert image_field(call("edits", "dall-e-2")) == "image"


def test_parse_response() -> None:
    result = parse_response({"data": [{"b64_json": "aGk="}], "size": "1024x1024", "quality": "high",
                             "usage": {"input_tokens": 3, "output_tokens": 4,
                                       "input_tokens_details": {"text_tokens": 2, "image_tokens": 1}}}, 1)
    assert result.images[0].b64 == "aGk=" and result.meta == {"size": "1024x1024", "quality": "high"}
    assert result.usage is not None and result.usage.total_tokens == 7 and result.usage.image_tokens == 1


@pytest.mark.parametrize("body", [{}, {"data": []}, {"data": [{}]}, {"data": [{"b64_json": 5}]}, [],
                                  {"data": [{"b64_json": "a"}, {"b64_json": "b"}]}])
def test_parse_response_rejects_malformed(body: Any) -> None:
    with pytest.raises(UpstreamError):
        parse_response(body, 1)
