"""Seedream edits (input images as data URIs, capped per model; no masks), Ark's content filter, and Ark's
errors turned into OpenAI's: retried, rested, disabled, failed over to a second Ark channel, scrubbed."""

from __future__ import annotations

import base64

import openai
import pytest

from tests.e2e.channels import only_channel
from tests.e2e.helpers import api_error, decode, image_file, raised
from tests.factories import png_bytes
from tests.fakes.ark_upstream import FakeArk
from tests.harness import Gateway


def pictures(count: int, fmt: str = "PNG") -> list[tuple[str, bytes, str]]:
    return [image_file(32 + i, 32, mode="RGB", fmt=fmt, name=f"in{i}.{fmt.lower()}") for i in range(count)]


def uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def test_one_input_image_is_one_data_uri(client: openai.OpenAI, ark: FakeArk) -> None:
    (picture,) = pictures(1)
    result = client.images.edit(model="seedream-4.5", prompt="make it dusk", image=picture, size="2560x1440")
    body = ark.last.json or {}
    assert body["image"] == uri(picture[1]) and body["prompt"] == "make it dusk" and body["size"] == "2560x1440"
    assert decode(result.data[0].b64_json).size == (2560, 1440)


@pytest.mark.parametrize(("model", "count"), [("seedream-4.0", 10), ("seedream-4.5", 14)])
def test_several_input_images_are_a_list_up_to_the_model_s_limit(client: openai.OpenAI, ark: FakeArk, model: str,
                                                                   count: int) -> None:
    images = pictures(count)
    client.images.edit(model=model, prompt="merge them", image=images)
    assert (ark.last.json or {})["image"] == [uri(data) for _, data, _ in images]


def test_jpeg_inputs_keep_their_type(client: openai.OpenAI, ark: FakeArk) -> None:
    images = pictures(2, fmt="JPEG")
    client.images.edit(model="seedream-4.0", prompt="p", image=images)
    assert (ark.last.json or {})["image"] == [uri(data, "image/jpeg") for _, data, _ in images]


@pytest.mark.parametrize(("model", "count"), [("seedream-4.0", 11), ("seedream-4.5", 15)])
def test_more_images_than_ark_takes_is_a_400(client: openai.OpenAI, ark: FakeArk, model: str, count: int) -> None:
    failure = raised(lambda: client.images.edit(model=model, prompt="p", image=pictures(count)))
    api_error(failure, 400, param="image", code="too_many_images")
    assert ark.requests == []


def test_a_mask_is_refused(client: openai.OpenAI, ark: FakeArk) -> None:
    mask = ("mask.png", png_bytes(32, 32, transparent_box=(0, 0, 8, 8)), "image/png")
    failure = raised(lambda: client.images.edit(model="seedream-4.5", prompt="p", image=pictures(1), mask=mask))
    api_error(failure, 400, param="mask", code="unsupported_parameter")
    assert ark.requests == []


@pytest.mark.parametrize(("kind", "code"), [
    ("refusal", "OutputImageSensitiveContentDetected"), ("refusal", "InputTextSensitiveContentDetected"),
    ("refusal", "InputImageSensitiveContentDetected"), ("refusal", "SensitiveContentDetected.Violence"),
    ("refusal", "InputTextRiskDetection"), ("item_error", "OutputImageSensitiveContentDetected"),
])
def test_the_content_filter_is_a_content_policy_400_not_retried_nor_billed(client: openai.OpenAI, ark: FakeArk,
                                                                           kind: str, code: str) -> None:
    ark.fail_next(kind, code=code)  # type: ignore[arg-type]
    failure = raised(lambda: client.images.with_raw_response.generate(model="seedream-4.0", prompt="p"))
    api_error(failure, 400, param=None, code="content_policy_violation")
    assert len(ark.requests) == 1 and failure.response.headers.get("x-imagegate-cost") is None


@pytest.mark.parametrize("kind", ["server", "unavailable", "bad_json", "expired", "overloaded"])
def test_server_side_faults_are_retried(client: openai.OpenAI, ark: FakeArk, kind: str) -> None:
    ark.fail_next(kind)  # type: ignore[arg-type]
    assert len(client.images.generate(model="seedream-4.0", prompt="p").data) == 1
    assert len(ark.requests) == 2


def test_a_hanging_call_times_out_and_is_retried(client: openai.OpenAI, ark: FakeArk) -> None:
    ark.fail_next("hang", delay=10)  # longer than the channel's 2 s timeout
    assert len(client.images.generate(model="seedream-4.0", prompt="p").data) == 1
    assert len(ark.requests) == 2


def test_rate_limiting_rests_for_retry_after_then_retries(client: openai.OpenAI, ark: FakeArk) -> None:
    ark.fail_next("rate_limit", headers={"Retry-After": "0.3"})
    assert len(client.images.generate(model="seedream-4.0", prompt="p").data) == 1
    assert len(ark.requests) == 2


@pytest.mark.parametrize(("kind", "status", "code"), [
    ("rate_limit", 429, "rate_limit_exceeded"), ("server", 502, "upstream_error"),
    ("bad_json", 502, "upstream_bad_response"), ("expired", 502, "upstream_download_failed"),
])
def test_faults_that_last_end_in_openai_errors(client: openai.OpenAI, ark: FakeArk, kind: str, status: int,
                                               code: str) -> None:
    ark.fail_next(kind, count=3, headers={"Retry-After": "0.1"})  # type: ignore[arg-type]
    failure = raised(lambda: client.images.generate(model="seedream-4.0", prompt="p"))
    api_error(failure, status, param=None, code=code)
    assert len(ark.requests) == 3


def test_an_invalid_parameter_is_a_400_naming_the_field_and_not_retried(client: openai.OpenAI, ark: FakeArk) -> None:
    ark.fail_next("invalid", param="size")
    failure = raised(lambda: client.images.generate(model="seedream-4.0", prompt="p", size="1024x1024"))
    error = api_error(failure, 400, param="size", code="invalid_value")
    assert "not valid" in error["message"] and len(ark.requests) == 1


def test_keys_and_hosts_in_an_upstream_message_are_scrubbed(client: openai.OpenAI, ark: FakeArk) -> None:
    leaked = "5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
    ark.fail_next("invalid", param="prompt", message=f"key {leaked} and {ark.api_key} refused at {ark.origin}")
    failure = raised(lambda: client.images.generate(model="seedream-4.0", prompt="p"))
    error = api_error(failure, 400, param="prompt", code="invalid_value",
                      hidden=(leaked, ark.api_key, ark.origin, "127.0.0.1"))
    assert "[redacted]" in error["message"]


def test_an_overdue_account_is_not_retried(client: openai.OpenAI, ark: FakeArk) -> None:
    ark.fail_next("overdue")
    failure = raised(lambda: client.images.generate(model="seedream-4.0", prompt="p"))
    api_error(failure, 502, param=None, code="upstream_insufficient_credit")
    assert len(ark.requests) == 1


def test_a_refused_key_disables_the_channel(client: openai.OpenAI, ark: FakeArk, ark_gateway: Gateway) -> None:
    ark.fail_next("bad_key")
    failure = raised(lambda: client.images.generate(model="seedream-4.0", prompt="p"))
    api_error(failure, 502, param=None, code="upstream_auth_error", hidden=(ark.api_key,))
    channel = only_channel(ark_gateway)
    assert channel["name"] == "ark" and channel["state"] == "disabled" and len(ark.requests) == 1


def test_a_failing_channel_fails_over_to_the_other(pair_client: openai.OpenAI, ark: FakeArk,
                                                   backup: FakeArk) -> None:
    ark.fail_next("server", count=5)
    result = pair_client.images.generate(model="seedream-4.5", prompt="p", n=2)
    assert len(result.data) == 2 and len(backup.requests) == 2
    assert (ark.last.json or {})["model"] == "seedream-4-5-251128"  # BytePlus' id on the first channel
    assert {b["model"] for b in backup.bodies} == {"doubao-seedream-4-5-251128"}
    assert backup.last.headers["authorization"] == f"Bearer {backup.api_key}"


def test_a_bad_key_on_one_channel_fails_over_too(pair_client: openai.OpenAI, ark: FakeArk, backup: FakeArk) -> None:
    ark.fail_next("bad_key")
    assert len(pair_client.images.generate(model="seedream-4.5", prompt="p").data) == 1
    assert len(ark.requests) == 1 and len(backup.requests) == 1


def test_only_configured_models_are_listed(pair_client: openai.OpenAI) -> None:
    models = {m.id for m in pair_client.models.list()}
    assert "seedream-4.5" in models and not {"seedream-4.0", "seedream-5.0-lite"} & models
