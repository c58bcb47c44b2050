from __future__ import annotations

from typing import Any

import pytest

from imagegate.catalog import Catalog, apply_override
from imagegate.config import ModelOverride
from imagegate.errors import ApiError, InvalidRequest, NotFound
from tests.factories import BUILTIN, coerce, normalise


def job(endpoint: str = "generations", model: str = "gpt-image-1", **raw: Any) -> Any:
    raw.setdefault("prompt", "p")
    if endpoint == "variations":
        raw.pop("prompt")
    return normalise(endpoint, coerce(endpoint, raw), BUILTIN[model])


def error(endpoint: str = "generations", model: str = "gpt-image-1", **raw: Any) -> ApiError:
    with pytest.raises(ApiError) as err:
        job(endpoint, model, **raw)
    return err.value


def test_defaults_follow_openai() -> None:
    gpt = job()
    assert (gpt.n, gpt.size, gpt.quality, gpt.response_format) == (1, None, None, "b64_json")
    dalle = job(model="dall-e-2")
    assert (dalle.size, dalle.response_format) == ("1024x1024", "url")


def test_multipart_text_is_coerced() -> None:
    result = job("edits", n="3", output_compression="40", stream="false")
    assert result.n == 3 and result.options["output_compression"] == 40


@pytest.mark.parametrize(("raw", "param", "code"), [
    ({"n": 0}, "n", "integer_below_min_value"), ({"n": 11}, "n", "integer_above_max_value"),
    ({"n": "two"}, "n", "invalid_type"), ({"n": True}, "n", "invalid_type"), ({"n": 1.5}, "n", "invalid_type"),
    ({"prompt": ""}, "prompt", "missing_required_parameter"), ({"prompt": "x" * 32001}, "prompt",
                                                               "string_above_max_length"),
    ({"size": "512x512"}, "size", "invalid_size"), ({"size": 1024}, "size", "invalid_type"),
    ({"aspect_ratio": "wide"}, "aspect_ratio", "invalid_value"), ({"quality": "ultra"}, "quality", "invalid_value"),
    ({"style": "vivid"}, "style", "unsupported_parameter"), ({"response_format": "png"}, "response_format",
                                                             "invalid_value"),
    ({"background": "transparent", "output_format": "jpeg"}, "background", "invalid_value"),
    ({"output_compression": 101}, "output_compression", "integer_above_max_value"),
    ({"partial_images": 4}, "partial_images", "integer_above_max_value"),
    ({"stream": True, "response_format": "url"}, "response_format", "invalid_value"),
    ({"stream": "maybe"}, "stream", "invalid_type"),
    ({"frobnicate": 1}, "frobnicate", "unknown_parameter"),
])
def test_gpt_image_rejections(raw: dict[str, Any], param: str, code: str) -> None:
    err = error(**raw)
    assert (err.status, err.param, err.code) == (400, param, code)


@pytest.mark.parametrize(("model", "raw", "param"), [
    ("dall-e-3", {"background": "opaque"}, "background"), ("dall-e-3", {"moderation": "low"}, "moderation"),
    ("dall-e-3", {"output_format": "png"}, "output_format"), ("dall-e-2", {"style": "vivid"}, "style"),
    ("dall-e-2", {"quality": "hd"}, "quality"), ("dall-e-2", {"prompt": "x" * 1001}, "prompt"),
    ("dall-e-3", {"prompt": "x" * 4001}, "prompt"), ("dall-e-3", {"size": "256x256"}, "size"),
    ("dall-e-2", {"size": "auto"}, "size"), ("dall-e-3", {"stream": True, "response_format": "url"}, "response_format"),
])
def test_dall_e_rejections(model: str, raw: dict[str, Any], param: str) -> None:
    err = error(model=model, **raw)
    assert err.status == 400 and err.param == param


def test_stream_sends_base64() -> None:
    assert job(model="dall-e-3", stream=True).response_format == "b64_json"
    assert job(model="dall-e-3", stream=True).stream
    assert job(model="dall-e-3").response_format == "url"


def test_endpoint_support() -> None:
    assert error("edits", "dall-e-3").param == "model"
    assert error("variations", "gpt-image-1").param == "model"
    assert error("edits", style="vivid").code == "unknown_parameter"
    with pytest.raises(InvalidRequest) as err:
        coerce("variations", {"prompt": "p"})
    assert (err.value.param, err.value.code) == ("prompt", "unknown_parameter")


def test_mappings() -> None:
    assert job(aspect_ratio="16:9").size == "1536x1024"
    assert job(aspect_ratio="16:9", size="1024x1024").size == "1024x1024"
    assert job(quality="hd").quality == "high"
    assert job(model="dall-e-2", quality="auto").quality is None
    assert job(model="dall-e-3", n=4).n == 4


def test_catalog_overrides_and_aliases() -> None:
    catalog = Catalog.build(BUILTIN, {"tiny": ModelOverride(like="dall-e-2", sizes=["256x256"], n_max=2)},
                            {"alias": "dall-e-3"})
    assert catalog.get("tiny").sizes == ("256x256",) and catalog.get("tiny").n_max == 2
    assert catalog.get("alias").styles == ("vivid", "natural")
    with pytest.raises(NotFound):
        catalog.get("nope")
    with pytest.raises(ValueError, match="like"):
        Catalog.build(BUILTIN, {"x": ModelOverride(like="unknown")}, {})
    spec = apply_override("y", BUILTIN["gpt-image-1"], ModelOverride(options=["background"]))
    assert spec.options == frozenset({"background"}) and spec.id == "y"


def test_invalid_request_envelope() -> None:
    body = InvalidRequest("bad", param="n", code="x").body()
    assert body == {"error": {"message": "bad", "type": "invalid_request_error", "param": "n", "code": "x"}}
