"""The normaliser: OpenAI's defaults and refusals per model, its mappings, and the ratio-driven models (FLUX)
with the extra fields only some models declare."""

from __future__ import annotations

from typing import Any

import pytest

from imagegate.errors import ApiError, InvalidRequest
from tests.factories import coerce, job


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


# --- ratio-driven models ---------------------------------------------------------------------------------


def run(model: str, endpoint: str = "generations", **values: object) -> tuple[str | None, str | None]:
    built = job(endpoint, model, **values)
    return built.size, built.aspect_ratio


def refused(model: str, endpoint: str = "generations", **values: object) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        run(model, endpoint, **values)
    return caught.value


def test_ratio_rules() -> None:
    assert run("flux-kontext-pro", aspect_ratio="9:21") == (None, "9:21")
    assert run("flux-kontext-pro", size="1920x1080") == (None, "16:9")
    assert run("flux-kontext-pro", size="1920x1080", aspect_ratio="1:1") == (None, "1:1")
    assert run("flux-kontext-max", size="auto") == (None, None)
    assert run("flux-kontext-max") == (None, None)


@pytest.mark.parametrize(("values", "param", "code"), [
    ({"aspect_ratio": "5:4"}, "aspect_ratio", "invalid_value"),
    ({"aspect_ratio": "16:9", "size": "wide"}, "size", "invalid_size"),
    ({"size": "1024X1024"}, "size", "invalid_size"),
])
def test_bad_ratio_inputs(values: dict[str, object], param: str, code: str) -> None:
    error = refused("flux-kontext-pro", **values)
    assert (error.param, error.code) == (param, code)


def test_fill_follows_its_image() -> None:
    assert run("flux-fill-pro", "edits", size="auto") == ("auto", None)
    assert refused("flux-fill-pro", "edits", aspect_ratio="1:1").param == "aspect_ratio"
    assert refused("flux-fill-pro", "edits", size="1024x1024").param == "size"
    assert refused("flux-fill-pro", "generations").param == "model"


@pytest.mark.parametrize("field", ["seed", "safety_tolerance", "prompt_upsampling"])
def test_flux_extras_only_for_models_that_declare_them(field: str) -> None:
    value = True if field == "prompt_upsampling" else 1
    assert field in job(model="flux-kontext-pro", **{field: value}).options
    error = refused("gpt-image-1", **{field: value})
    assert (error.param, error.code) == (field, "unsupported_parameter")


def test_partial_results_is_for_every_model() -> None:
    assert job(model="dall-e-3", partial_results=True).partial_results is True


@pytest.mark.parametrize(("raw", "size"), [
    ({"size": "1920x1088"}, "1920x1088"), ({"size": "2048x1152"}, "2048x1152"), ({"size": "auto"}, "auto"),
    ({"aspect_ratio": "16:9"}, "1280x720"), ({"aspect_ratio": "4:3"}, "1152x864"),
    ({"aspect_ratio": "16:9", "size": "1024x1536"}, "1024x1536"),  # size wins
])
def test_flexible_sizes_take_any_size_the_rule_allows(raw: dict[str, Any], size: str) -> None:
    assert job(model="gpt-image-2", **raw).size == size


@pytest.mark.parametrize(("size", "reason"), [
    ("1000x1000", "multiples of 16"), ("4096x2048", "16 to 3840"), ("512x512", "pixels"),
    ("2400x768", "3 times"), ("big", "Use 'WxH'"),
])
def test_a_flexible_size_outside_the_rule_is_refused_with_the_reason(size: str, reason: str) -> None:
    failure = error(model="gpt-image-2", size=size)
    assert (failure.status, failure.param, failure.code) == (400, "size", "invalid_size")
    assert reason in failure.message


def test_a_model_narrows_an_option_s_choices() -> None:
    assert job(model="gpt-image-2", background="opaque").options["background"] == "opaque"
    failure = error(model="gpt-image-2", background="transparent")
    assert (failure.status, failure.param, failure.code) == (400, "background", "invalid_value")
    assert job(background="transparent").options["background"] == "transparent"  # gpt-image-1 takes it
