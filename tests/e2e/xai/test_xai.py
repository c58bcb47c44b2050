"""xAI through the official SDK: ratios and resolutions, sizes mapped to ratios, what xAI doesn't take refused,
JSON edits with data URLs, n, url and b64_json, faults, failover, the price and /v1/models."""

from __future__ import annotations

import openai
import pytest

from tests.e2e.channels import named_key, only_channel, usage_line
from tests.e2e.helpers import api_error, decode, fetch, image_file, mask, raised
from tests.fakes.xai_upstream import FakeXAI
from tests.harness import Gateway, fresh_client


def sent(fake: FakeXAI) -> dict[str, object]:
    return dict(fake.last.json or {})


@pytest.mark.parametrize(("extra", "ratio", "tier"), [
    ({}, None, "1k"),
    ({"size": "1024x576"}, "16:9", "1k"),
    ({"size": "1792x1024"}, "16:9", "2k"),
    ({"size": "1024x2048"}, "1:2", "2k"),
    ({"aspect_ratio": "19.5:9", "image_size": "2K"}, "19.5:9", "2k"),
    ({"aspect_ratio": "3:4"}, "3:4", "1k"),
])
def test_ratios_and_resolutions(client: openai.OpenAI, xai: FakeXAI, extra: dict[str, str], ratio: str | None,
                                tier: str) -> None:
    result = client.images.generate(model="grok-imagine-image", prompt="a fox", extra_body=extra)
    body = sent(xai)
    assert body.get("aspect_ratio") == ratio and body["resolution"] == tier and body["response_format"] == "b64_json"
    assert "size" not in body and decode(result.data[0].b64_json).format == "PNG"
    assert result.data[0].revised_prompt == "Revised: a fox"
    assert xai.last.headers["authorization"] == f"Bearer {xai.api_key}"


@pytest.mark.parametrize(("extra", "param", "code"), [
    ({"size": "big"}, "size", "invalid_size"),
    ({"aspect_ratio": "5:4"}, "aspect_ratio", "invalid_value"),
    ({"image_size": "4K"}, "image_size", "invalid_value"),
    ({"quality": "high"}, "quality", "invalid_value"),
    ({"style": "vivid"}, "style", "unsupported_parameter"),
    ({"output_format": "jpeg"}, "output_format", "unsupported_parameter"),
    ({"seed": 3}, "seed", "unsupported_parameter"),
    ({"negative_prompt": "x"}, "negative_prompt", "unsupported_parameter"),
    ({"background": "transparent"}, "background", "unsupported_parameter"),
    ({"substyle": "hdr"}, "substyle", "unsupported_parameter"),
])
def test_what_xai_does_not_take_is_a_400(client: openai.OpenAI, xai: FakeXAI, extra: dict[str, object], param: str,
                                         code: str) -> None:
    failure = raised(lambda: client.images.generate(model="grok-imagine-image", prompt="p", extra_body=extra))
    api_error(failure, 400, param=param, code=code)
    assert xai.requests == []


def test_n_url_answers_are_rehosted(client: openai.OpenAI, xai: FakeXAI) -> None:
    result = client.images.generate(model="grok-imagine-image-quality", prompt="p", n=4, response_format="url")
    assert len(result.data) == 4 and sent(xai)["n"] == 4
    assert fetch(result.data[0].url).format == "PNG" and xai.downloads == []  # asked for base64, nothing to fetch


def test_edits_are_json_with_data_urls(client: openai.OpenAI, xai: FakeXAI) -> None:
    client.images.edit(model="grok-imagine-image", image=image_file(), prompt="add a hat")
    body = sent(xai)
    assert xai.last.path == "/v1/images/edits" and xai.last.headers["content-type"].startswith("application/json")
    assert str(body["image"]["url"]).startswith("data:image/png;base64,")  # type: ignore[index]
    sources = [image_file(), image_file(mode="RGB", fmt="JPEG")]
    client.images.edit(model="grok-imagine-image", image=sources, prompt="merge", extra_body={"aspect_ratio": "16:9"})
    body = sent(xai)
    assert [str(i["url"])[:16] for i in body["images"]] == ["data:image/png;b", "data:image/jpeg;"]  # type: ignore
    assert body["aspect_ratio"] == "16:9"


def test_edit_limits(client: openai.OpenAI, xai: FakeXAI) -> None:
    failure = raised(lambda: client.images.edit(model="grok-imagine-image", image=image_file(), prompt="p",
                                                mask=("m.png", mask(64, 64), "image/png")))
    api_error(failure, 400, param="mask", code="unsupported_parameter")
    failure = raised(lambda: client.images.edit(model="grok-imagine-image", image=[image_file()] * 4, prompt="p"))
    assert failure.status_code == 400 and (failure.body or {})["param"] in ("image", "image[]")  # type: ignore
    assert xai.requests == []


@pytest.mark.parametrize(("kind", "status", "code"), [
    ("rate_limit", 429, "rate_limit_exceeded"), ("server", 502, "upstream_error"),
    ("unavailable", 502, "upstream_error"), ("hang", 504, "upstream_timeout"),
    ("bad_json", 502, "upstream_bad_response"), ("refusal", 400, "content_policy_violation"),
])
def test_faults_are_openai_errors(client: openai.OpenAI, xai: FakeXAI, kind: str, status: int, code: str) -> None:
    xai.fail_next(kind)  # type: ignore[arg-type]
    failure = raised(lambda: client.images.generate(model="grok-imagine-image", prompt="p"))
    api_error(failure, status, param=None, code=code, hidden=(xai.api_key, xai.origin))


def test_a_filtered_image_is_a_content_policy_refusal(client: openai.OpenAI, xai: FakeXAI) -> None:
    xai.filter_next = True
    failure = raised(lambda: client.images.generate(model="grok-imagine-image", prompt="p"))
    api_error(failure, 400, param=None, code="content_policy_violation")


def test_a_wrong_key_disables_the_channel(client: openai.OpenAI, xai: FakeXAI, xai_gateway: Gateway) -> None:
    xai.fail_next("bad_key")
    failure = raised(lambda: client.images.generate(model="grok-imagine-image", prompt="p"))
    api_error(failure, 502, param=None, code="upstream_auth_error", hidden=(xai.api_key, "console.x.ai"))
    assert only_channel(xai_gateway)["state"] == "disabled"


def test_a_failing_channel_fails_over_to_the_second(failover_gateway: Gateway, xai: FakeXAI, backup: FakeXAI) -> None:
    with fresh_client(failover_gateway, xai, backup) as sdk:
        xai.fail_next("unavailable")
        result = sdk.images.generate(model="grok-imagine-image", prompt="p")
    assert len(result.data) == 1 and len(xai.requests) == 1 and len(backup.requests) == 1


def test_price_in_the_answer_and_the_ledger(xai_gateway: Gateway, xai: FakeXAI) -> None:
    with fresh_client(xai_gateway, xai, key=named_key(xai_gateway, "xai-price")) as own:
        result = own.images.generate(model="grok-imagine-image-quality", prompt="p", n=3)
    assert result.usage is not None and (result.usage.model_extra or {})["cost_usd"] == pytest.approx(0.135)
    line = usage_line(xai_gateway, "xai-price", "grok-imagine-image-quality")
    assert line["cost_usd"] == pytest.approx(0.135) and line["images"] == 3


def test_models_lists_xai_with_its_capabilities(client: openai.OpenAI, xai_gateway: Gateway) -> None:
    ids = {m.id for m in client.models.list()}
    assert ids == {"grok-imagine-image", "grok-imagine-image-quality"}
    with xai_gateway.http() as http:
        capabilities = http.get("/v1/models/grok-imagine-image").json()["capabilities"]
    assert capabilities["resolutions"] == ["1K", "2K"] and "19.5:9" in capabilities["aspect_ratios"]
