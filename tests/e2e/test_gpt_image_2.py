"""gpt-image-2 through the official SDK: flexible sizes checked by OpenAI's rules, aspect ratios mapped to a size,
mask edits passed through unchanged, token prices, and the same model on an Azure deployment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.factories import png_bytes
from tests.fakes.azure_upstream import FakeAzureOpenAI
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway, running

from .channels import channel, write_config
from .helpers import api_error, decode, fetch, mask, raised
from .ledger_tools import new_key

MODEL = "gpt-image-2"


def sent_size(upstream: FakeOpenAI) -> Any:
    return upstream.last.json.get("size")


@pytest.mark.parametrize(("extra", "size"), [
    ({"size": "1920x1088"}, "1920x1088"),
    ({"size": "3840x2160"}, "3840x2160"),
    ({"extra_body": {"aspect_ratio": "16:9"}}, "1280x720"),
    ({"extra_body": {"aspect_ratio": "4:5"}}, "896x1120"),
    ({"size": "1024x1536", "extra_body": {"aspect_ratio": "16:9"}}, "1024x1536"),
])
def test_flexible_sizes_and_aspect_ratios_reach_openai_as_a_valid_size(client: openai.OpenAI, upstream: FakeOpenAI,
                                                                       extra: dict[str, Any], size: str) -> None:
    result = client.images.generate(model=MODEL, prompt="a lighthouse", **extra)
    assert sent_size(upstream) == size
    width, height = map(int, size.split("x"))
    assert decode(result.data[0].b64_json).size == (width, height)
    item = result.data[0].model_extra or {}
    assert (item["width"], item["height"]) == (width, height)  # the real pixel size, in extension fields
    assert result.size == (size if size in ("1024x1024", "1024x1536", "1536x1024") else None)  # OpenAI's enum only


def test_size_auto_is_left_to_openai(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    result = client.images.generate(model=MODEL, prompt="a lighthouse", size="auto")
    assert sent_size(upstream) == "auto" and result.size == "1024x1024"


@pytest.mark.parametrize(("size", "reason"), [
    ("1000x1000", "multiples of 16"), ("4096x2304", "16 to 3840"), ("640x640", "655,360"),
    ("2400x768", "3 times"), ("wide", "WxH"),
])
def test_a_size_outside_openai_s_rules_is_a_400_before_any_call(client: openai.OpenAI, upstream: FakeOpenAI,
                                                                 size: str, reason: str) -> None:
    failure = raised(lambda: client.images.generate(model=MODEL, prompt="p", size=size))  # type: ignore[arg-type]
    error = api_error(failure, 400, param="size", code="invalid_size")
    assert reason in error["message"]
    assert upstream.image_requests == []


def test_a_transparent_background_is_refused_opaque_goes_through(client: openai.OpenAI,
                                                                 upstream: FakeOpenAI) -> None:
    failure = raised(lambda: client.images.generate(model=MODEL, prompt="p", background="transparent"))
    api_error(failure, 400, param="background", code="invalid_value")
    assert upstream.image_requests == []
    client.images.generate(model=MODEL, prompt="p", background="opaque", output_format="webp",
                           output_compression=70, quality="low")
    assert {k: upstream.last.json[k] for k in ("background", "output_format", "output_compression", "quality")} == \
        {"background": "opaque", "output_format": "webp", "output_compression": 70, "quality": "low"}


def test_a_mask_edit_reaches_openai_byte_for_byte(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    image, the_mask = png_bytes(64, 64), mask(64, 64)
    result = client.images.edit(model=MODEL, prompt="add a boat", image=[("a.png", image, "image/png")],
                                mask=("m.png", the_mask, "image/png"), size="1536x1024", response_format="url")
    sent = upstream.last
    assert sent.path == "/v1/images/edits" and sent.form["model"] == [MODEL] and sent.form["size"] == ["1536x1024"]
    assert [(f.field, f.data) for f in sent.files] == [("image[]", image), ("mask", the_mask)]
    assert fetch(result.data[0].url).size == (1536, 1024)


def test_n_images_in_one_call(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    result = client.images.generate(model=MODEL, prompt="p", n=3, size="2048x1152")
    assert len(result.data) == 3 and len(upstream.image_requests) == 1 and upstream.last.json["n"] == 3


def test_an_openai_refusal_is_a_content_policy_400(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    upstream.fail_next("moderation")
    failure = raised(lambda: client.images.generate(model=MODEL, prompt="p"))
    api_error(failure, 400, param=None, code="content_policy_violation")


def test_the_model_describes_its_size_rule(client: openai.OpenAI) -> None:
    capabilities = (client.models.retrieve(MODEL).model_extra or {})["capabilities"]
    assert capabilities["size_rule"] == {"multiple_of": 16, "min_edge": 16, "max_edge": 3840, "min_pixels": 655_360,
                                         "max_pixels": 8_294_400, "max_aspect_ratio": 3.0,
                                         "default_pixels": 1_048_576}
    assert "3840x2160" in capabilities["sizes"] and "auto" in capabilities["sizes"]
    assert capabilities["option_fields"]["background"]["enum"] == ["opaque", "auto"]


def test_the_price_follows_the_token_counts_at_gpt_image_2_rates(gateway: Gateway) -> None:
    key, record = new_key(gateway)
    with gateway.client(key) as own:
        result = own.images.generate(model=MODEL, prompt="a cat", size="2048x1152", quality="high")
    assert result.usage is not None
    # 40 text tokens × $5/M + 10 image tokens × $8/M + 9360 output tokens (2.25 megapixels) × $30/M
    assert result.usage.output_tokens == 9360
    expected = (40 * 5 + 10 * 8 + 9360 * 30) / 1_000_000
    assert (result.usage.model_extra or {})["cost_usd"] == pytest.approx(expected, abs=1e-6)
    with gateway.http() as http:
        report = http.get("/admin/usage", params={"by": "model", "key": record["name"]}).json()
    (line,) = [row for row in report["data"] if row["group"] == MODEL]
    assert line["cost_usd"] == pytest.approx(expected, abs=1e-6) and line["images"] == 1


@pytest.fixture(scope="module")
def azure() -> Iterator[FakeAzureOpenAI]:
    with FakeAzureOpenAI({"image2-eu": MODEL}) as fake:
        yield fake


@pytest.fixture(scope="module")
def azure_gateway(azure: FakeAzureOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data_dir = Path(tmp_path_factory.mktemp("azure-image2"))
    config = write_config(data_dir / "imagegate.toml",
                          channel("azure", azure, {MODEL: "image2-eu"}, provider="azure-openai",
                                  api_key="env:AZURE_TEST_KEY"))
    with running(data_dir, {"AZURE_TEST_KEY": azure.api_key}, config) as gw:
        yield gw


def test_gpt_image_2_on_an_azure_deployment(azure_gateway: Gateway, azure: FakeAzureOpenAI) -> None:
    with azure_gateway.client() as client:
        result = client.images.generate(model=MODEL, prompt="p", extra_body={"aspect_ratio": "3:1"})
        assert decode(result.data[0].b64_json).size == (1776, 592)
        assert azure.last.path == "/openai/deployments/image2-eu/images/generations"
        assert azure.last.json["size"] == "1776x592" and "model" not in azure.last.json
        failure = raised(lambda: client.images.generate(model=MODEL, prompt="p", size="1024x1000"))  # type: ignore[arg-type]
    api_error(failure, 400, param="size", code="invalid_size")
