"""The Gemini translation without I/O: request bodies, answers (images, words, tokens, refusals), errors."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from imagegate.errors import ContentPolicy, InvalidRequest, RateLimited, UpstreamError, UpstreamTimeout
from imagegate.providers.gemini.errors import TokenRejected, failure
from imagegate.providers.gemini.params import TABLE, parse_answer, request_body, usage_of
from imagegate.providers.http import Reply
from imagegate.providers.vertex.adapter import TABLE as VERTEX
from tests.factories import call, job

PNG = {"inlineData": {"mimeType": "image/png", "data": "aGk="}}


def answer(*parts: dict[str, Any], finish: str = "STOP", **more: Any) -> dict[str, Any]:
    return {"candidates": [{"content": {"parts": list(parts)}, "finishReason": finish}], **more}


def test_the_body_nests_the_image_config() -> None:
    built = job(model="gemini-3-pro-image", size="1536x1024", prompt="a kite")
    body = request_body(call(built), TABLE, [("image/png", "AAAA")])
    image = {"inlineData": {"mimeType": "image/png", "data": "AAAA"}}
    assert body == {"contents": [{"role": "user", "parts": [{"text": "a kite"}, image]}],
                    "generationConfig": {"responseModalities": ["TEXT", "IMAGE"],
                                         "imageConfig": {"aspectRatio": "3:2", "imageSize": "2K"}}}


def test_vertex_spells_the_output_options() -> None:
    built = job(model="gemini-3-pro-image", output_format="jpeg", output_compression=60)
    assert request_body(call(built), VERTEX, [])["generationConfig"]["imageConfig"] == {
        "imageSize": "1K", "imageOutputOptions": {"mimeType": "image/jpeg", "compressionQuality": 60}}
    refusal = TABLE.refusal(built.params())
    assert refusal is not None and refusal.param in ("output_format", "output_compression")


def test_words_beside_the_image_are_the_revised_prompt_and_thoughts_are_not() -> None:
    result = parse_answer(answer({"text": "thinking...", "thought": True}, {"text": "A kite."}, PNG), 1)
    assert [i.revised_prompt for i in result.images] == ["A kite."] and result.images[0].b64 == "aGk="


def test_more_images_than_asked_keep_the_first() -> None:
    assert len(parse_answer(answer(PNG, PNG), 1).images) == 1


@pytest.mark.parametrize("body", [answer({"text": "no"}), answer(), {"candidates": []}, [], answer(
    {"inlineData": {"mimeType": "text/plain", "data": "aGk="}})])
def test_no_image_is_a_failed_call(body: Any) -> None:
    with pytest.raises(UpstreamError) as caught:
        parse_answer(body, 1)
    assert caught.value.code == "upstream_bad_response"


@pytest.mark.parametrize("body", [{"promptFeedback": {"blockReason": "OTHER"}}, answer(finish="IMAGE_SAFETY"),
                                  answer(PNG, finish="PROHIBITED_CONTENT"), answer(finish="RECITATION")])
def test_safety_is_a_content_policy_refusal(body: Any) -> None:
    with pytest.raises(ContentPolicy):
        parse_answer(body, 1)


def test_usage_splits_modalities_and_counts_thoughts_as_output_text() -> None:
    usage = usage_of({"promptTokenCount": 600, "candidatesTokenCount": 1130, "thoughtsTokenCount": 200,
                      "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 40},
                                              {"modality": "IMAGE", "tokenCount": 560}],
                      "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1120},
                                                  {"modality": "TEXT", "tokenCount": 10}]})
    assert usage is not None
    assert (usage.input_tokens, usage.text_tokens, usage.image_tokens) == (600, 40, 560)
    assert (usage.output_tokens, usage.output_text_tokens) == (1330, 210)
    assert usage_of(None) is None


def reply(status: int, error: dict[str, Any]) -> Reply:
    return Reply(status, {}, orjson.dumps({"error": error}), "https://g.example/v1beta/models/m:generateContent",
                 credential="AIzaSyRealKeyOfTheChannel0123456789abc", key_patterns=(r"AIza[0-9A-Za-z_\-]{20,}",))


@pytest.mark.parametrize(("status", "error", "kind", "code"), [
    (400, {"status": "INVALID_ARGUMENT", "message": "bad"}, InvalidRequest, "invalid_value"),
    (400, {"status": "INVALID_ARGUMENT", "details": [{"reason": "API_KEY_INVALID"}]}, UpstreamError,
     "upstream_auth_error"),
    (401, {"status": "UNAUTHENTICATED"}, TokenRejected, "upstream_auth_error"),
    (403, {"status": "PERMISSION_DENIED"}, UpstreamError, "upstream_auth_error"),
    (429, {"status": "RESOURCE_EXHAUSTED", "details": [{"retryDelay": "38s"}]}, RateLimited, "rate_limit_exceeded"),
    (500, {"status": "INTERNAL"}, UpstreamError, "upstream_error"),
    (503, {"status": "UNAVAILABLE"}, UpstreamError, "upstream_error"),
    (504, {"status": "DEADLINE_EXCEEDED"}, UpstreamTimeout, "upstream_timeout"),
])
def test_google_errors(status: int, error: dict[str, Any], kind: type[Exception], code: str) -> None:
    err = failure(reply(status, error))
    assert type(err) is kind and err.code == code
    if status == 429:
        assert err.headers == {"Retry-After": "38"}


def test_messages_are_scrubbed_of_keys_and_the_given_secrets() -> None:
    err = failure(reply(400, {"status": "INVALID_ARGUMENT",
                              "message": "key AIzaSyOtherKeyShaped0123456789abcdef for projects/p-42 at g.example"}),
                  "p-42")
    assert "AIza" not in err.message and "p-42" not in err.message and "g.example" not in err.message
