"""Recraft edits (image-to-image, inpainting) and faults through the official SDK: each fault is the right OpenAI
error, a failing channel fails over to the second one, a wrong key disables the channel."""

from __future__ import annotations

import io

import openai
import pytest
from PIL import Image

from tests.e2e.channels import only_channel
from tests.e2e.helpers import api_error, image_file, mask, raised
from tests.fakes.recraft_upstream import FakeRecraft
from tests.harness import Gateway, fresh_client


def test_an_edit_without_a_mask_is_image_to_image(client: openai.OpenAI, recraft: FakeRecraft) -> None:
    result = client.images.edit(model="recraftv4_1", image=image_file(), prompt="make it blue", n=2)
    assert len(result.data) == 2
    request = recraft.last
    assert request.path == "/v1/images/imageToImage" and [f.field for f in request.files] == ["image"]
    assert {k: v[-1] for k, v in request.form.items()} == {"model": "recraftv4_1", "n": "2", "prompt": "make it blue",
                                                          "response_format": "url", "strength": "0.5"}


def test_a_masked_edit_is_inpainting_with_recraft_s_mask(client: openai.OpenAI, recraft: FakeRecraft) -> None:
    client.images.edit(model="recraftv3", image=image_file(64, 64), mask=("m.png", mask(64, 64), "image/png"),
                       prompt="a hat", extra_body={"negative_prompt": "text"})
    request = recraft.last
    assert request.path == "/v1/images/inpaint" and "strength" not in request.form
    sent_mask = next(f for f in request.files if f.field == "mask")
    grey = Image.open(io.BytesIO(sent_mask.data))
    assert grey.mode == "L" and grey.getpixel((0, 0)) == 255 and grey.getpixel((63, 0)) == 0  # white = edit here


@pytest.mark.parametrize(("model", "extra", "param", "code"), [
    ("recraftv4_1", {"mask": True}, "mask", "unsupported_parameter"),
    ("recraftv4_1", {"size": "1024x1024"}, "size", "unsupported_parameter"),
    ("recraftv3", {"style": "icon"}, "style", "unknown_parameter"),
])
def test_edits_recraft_cannot_serve_are_400s(client: openai.OpenAI, recraft: FakeRecraft, model: str,
                                             extra: dict[str, object], param: str, code: str) -> None:
    body = {k: v for k, v in extra.items() if k != "mask"}
    masked = {"mask": ("m.png", mask(64, 64), "image/png")} if "mask" in extra else {}
    failure = raised(lambda: client.images.edit(model=model, image=image_file(), prompt="p", extra_body=body,
                                                **masked))  # type: ignore[arg-type]
    api_error(failure, 400, param=param, code=code)
    assert recraft.requests == []


@pytest.mark.parametrize(("kind", "status", "code"), [
    ("rate_limit", 429, "rate_limit_exceeded"), ("server", 502, "upstream_error"),
    ("unavailable", 502, "upstream_error"), ("hang", 504, "upstream_timeout"),
    ("bad_json", 502, "upstream_bad_response"), ("refusal", 400, "content_policy_violation"),
])
def test_faults_are_openai_errors(client: openai.OpenAI, recraft: FakeRecraft, kind: str, status: int,
                                  code: str) -> None:
    recraft.fail_next(kind)  # type: ignore[arg-type]
    failure = raised(lambda: client.images.generate(model="recraftv4_1", prompt="p"))
    api_error(failure, status, param=None, code=code, hidden=(recraft.api_key, recraft.origin))
    if kind == "rate_limit":
        assert failure.response.headers["retry-after"] == "3"


def test_recraft_s_own_400_is_answered_as_it_is(client: openai.OpenAI, recraft: FakeRecraft) -> None:
    failure = raised(lambda: client.images.generate(model="recraftv3", prompt="p", style="any",  # type: ignore[arg-type]
                                                    extra_body={"substyle": "not-a-substyle"}))
    error = api_error(failure, 400, param=None, code="invalid_value")  # Recraft's own check, not retried
    assert "invalid substyle" in error["message"] and len(recraft.requests) == 1


def test_a_wrong_key_disables_the_channel(client: openai.OpenAI, recraft: FakeRecraft,
                                          recraft_gateway: Gateway) -> None:
    recraft.fail_next("bad_key")
    failure = raised(lambda: client.images.generate(model="recraftv4_1", prompt="p"))
    api_error(failure, 502, param=None, code="upstream_auth_error", hidden=(recraft.api_key,))
    assert only_channel(recraft_gateway)["state"] == "disabled"


def test_a_failing_channel_fails_over_to_the_second(failover_gateway: Gateway, recraft: FakeRecraft,
                                                    backup: FakeRecraft) -> None:
    with fresh_client(failover_gateway, recraft, backup) as sdk:
        recraft.fail_next("server")
        raw = sdk.images.with_raw_response.generate(model="recraftv4_1", prompt="p")
    assert len(raw.parse().data) == 1 and len(recraft.requests) == 1 and len(backup.requests) == 1
    assert backup.last.headers["authorization"] == f"Bearer {backup.api_key}"
