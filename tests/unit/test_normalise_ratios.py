"""The normaliser for ratio-driven models (FLUX), and the extra fields only some models declare."""

from __future__ import annotations

import pytest

from imagegate.errors import InvalidRequest
from imagegate.sizing import nearest_ratio
from tests.factories import BUILTIN, coerce, normalise

RATIOS = BUILTIN["flux-kontext-pro"].aspect_ratios


def run(model: str, endpoint: str = "generations", **values: object) -> tuple[str | None, str | None]:
    job = normalise(endpoint, coerce(endpoint, {"prompt": "p", **values}), BUILTIN[model])
    return job.size, job.aspect_ratio


def refused(model: str, endpoint: str = "generations", **values: object) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        run(model, endpoint, **values)
    return caught.value


@pytest.mark.parametrize(("width", "height", "ratio"), [
    (1024, 1024, "1:1"), (1920, 1080, "16:9"), (1080, 1920, "9:16"), (1536, 1024, "3:2"), (1024, 1536, "2:3"),
    (1400, 1050, "4:3"), (1050, 1400, "3:4"), (2520, 1080, "21:9"), (1080, 2520, "9:21"), (5000, 1000, "21:9"),
    (1300, 1000, "4:3"), (1420, 1000, "3:2"), (1100, 1000, "1:1"), (1200, 1000, "4:3"),
])
def test_nearest_ratio_on_a_log_scale(width: int, height: int, ratio: str) -> None:
    assert nearest_ratio(width, height, RATIOS) == ratio


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
    assert field in normalise("generations", coerce("generations", {"prompt": "p", field: value}),
                              BUILTIN["flux-kontext-pro"]).options
    error = refused("gpt-image-1", **{field: value})
    assert (error.param, error.code) == (field, "unsupported_parameter")


def test_multipart_text_is_coerced() -> None:
    values = coerce("edits", {"seed": "12", "safety_tolerance": "6", "prompt_upsampling": "true",
                              "partial_results": "1"})
    assert values == {"seed": 12, "safety_tolerance": 6, "prompt_upsampling": True, "partial_results": True}


def test_partial_results_is_for_every_model() -> None:
    job = normalise("generations", coerce("generations", {"prompt": "p", "partial_results": True}),
                    BUILTIN["dall-e-3"])
    assert job.partial_results is True
