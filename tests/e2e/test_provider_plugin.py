"""A provider defined only under ``tests/`` (its folder and its ``SPEC``) serves generations and edits end to end,
with its prices, its extension field, its errors and its key scrubbed — loaded by a setting, nothing in ``src/``."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import httpx
import openai
import pytest
from PIL import Image

from tests.factories import png_bytes
from tests.fakes.acme_upstream import FakeAcme
from tests.harness import SINGLE_CHANNEL_ENV, Gateway, fresh_client, running


@pytest.fixture(scope="module")
def acme() -> Iterator[FakeAcme]:
    with FakeAcme() as fake:
        yield fake


@pytest.fixture(scope="module")
def acme_gateway(acme: FakeAcme, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {"ACME_API_KEY": acme.api_key, "ACME_BASE_URL": acme.origin, **SINGLE_CHANNEL_ENV,
           "IMAGEGATE_PROVIDER_MODULES": '["tests.providers.acme"]'}
    with running(tmp_path_factory.mktemp("acme"), env) as gateway:
        yield gateway


@pytest.fixture
def client(acme_gateway: Gateway, acme: FakeAcme) -> Iterator[openai.OpenAI]:
    with fresh_client(acme_gateway, acme) as sdk:
        yield sdk


def test_generations_fan_out_by_the_provider_s_batch_and_are_priced(client: openai.OpenAI, acme: FakeAcme,
                                                                    acme_gateway: Gateway) -> None:
    raw = client.images.with_raw_response.generate(model="acme-1", prompt="a kite", n=3, size="1024x1024",
                                                   extra_body={"finish": "gloss"})
    result = raw.parse()
    assert [b["count"] for b in acme.bodies] == [2, 1]
    assert all(b["text"] == "a kite" and b["dimensions"] == [1024, 1024] and b["finish"] == "gloss"
               and b["model"] == "acme-render-1" for b in acme.bodies)
    assert raw.headers["x-imagegate-cost"] == "0.06"
    assert result.usage is not None and result.usage.model_extra == {"images": 3, "cost_usd": 0.06}
    with httpx.Client() as http:
        image = http.get(result.data[0].url or "")
    assert image.status_code == 200 and Image.open(io.BytesIO(image.content)).size == (1024, 1024)


def test_edits_send_the_images_as_the_provider_takes_them(client: openai.OpenAI, acme: FakeAcme) -> None:
    picture = png_bytes(32, 32)
    result = client.images.edit(model="acme-1", prompt="recolour", image=[("a.png", picture, "image/png")],
                                response_format="b64_json")
    (body,) = acme.bodies
    assert base64.b64decode(body["sources"][0]) == picture and body["dimensions"] == [512, 512]
    assert Image.open(io.BytesIO(base64.b64decode(result.data[0].b64_json or ""))).size == (512, 512)


def test_the_models_list_shows_it_with_its_capabilities(client: openai.OpenAI) -> None:
    model = client.models.retrieve("acme-1")
    capabilities = (model.model_extra or {})["capabilities"]
    assert model.owned_by == "acme" and capabilities["sizes"] == ["512x512", "1024x1024"]
    assert capabilities["options"] == ["finish"] and capabilities["n_max"] == 4
    assert capabilities["option_fields"]["finish"] == {
        "type": "string", "endpoints": ["edits", "generations"], "enum": ["matte", "gloss"],
        "description": "Acme: the surface finish of the rendered image."}


@pytest.mark.parametrize(("extra", "param", "code"), [
    ({"finish": "chrome"}, "finish", "invalid_value"),
    ({"quality": "high"}, "quality", "invalid_value"),
    ({"seed": 3}, "seed", "unsupported_parameter"),
    ({"size": "256x256"}, "size", "invalid_size"),
])
def test_bad_values_are_400s_naming_them(client: openai.OpenAI, acme: FakeAcme, extra: dict[str, object],
                                         param: str, code: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="acme-1", prompt="p", extra_body=extra)
    error = caught.value.body
    assert isinstance(error, dict) and (error["param"], error["code"]) == (param, code)
    assert acme.bodies == []


def test_the_upstream_s_field_error_names_the_openai_field_and_hides_keys(client: openai.OpenAI,
                                                                          acme: FakeAcme) -> None:
    acme.fail_next(400, {"field": "text", "reason": "text is too spicy for key acme_live_abcdef123456"})
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="acme-1", prompt="p")
    error = caught.value.body
    assert isinstance(error, dict) and error["param"] == "prompt"
    assert "acme_live" not in error["message"] and "[redacted]" in error["message"]


def test_an_upstream_failure_is_a_502_and_costs_nothing(client: openai.OpenAI, acme: FakeAcme,
                                                        acme_gateway: Gateway) -> None:
    for _ in range(3):
        acme.fail_next(500, {"reason": "boom"})
    with pytest.raises(openai.APIStatusError) as caught:
        client.images.with_raw_response.generate(model="acme-1", prompt="p")
    assert caught.value.status_code == 502
    assert caught.value.response.headers.get("x-imagegate-cost") is None
