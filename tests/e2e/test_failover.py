"""Fault injection across two channels for the same models: the client gets its images from the healthy one.

``primary`` (priority 10) is always tried first, so a fault queued on it forces a failover to
``backup``. Between tests, ``POST /admin/reload`` resets every channel's health.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.factories import png_bytes
from tests.fakes.openai_upstream import FakeOpenAI, error_body
from tests.harness import Gateway, running

from .channels import (
    access_line,
    channel,
    channel_state,
    charges,
    metric,
    reload,
    usage_rows,
    wait_for,
    write_config,
)
from .helpers import decode, mask

Fakes = tuple[FakeOpenAI, FakeOpenAI]  # primary, backup


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    with FakeOpenAI("sk-primary") as primary, FakeOpenAI("sk-backup") as backup:
        yield primary, backup


@pytest.fixture(scope="module")
def gateway(fakes: Fakes, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    primary, backup = fakes
    data_dir = tmp_path_factory.mktemp("failover")
    config = write_config(
        Path(data_dir) / "imagegate.toml",
        channel("primary", primary, priority=10, timeout=1.5, allowed_fails=100),
        channel("backup", backup, timeout=1.5, allowed_fails=100),
        retry_backoff=0.01, retry_after_max=5, max_attempts=3, models={'"dall-e-2"': {"deadline": 2}},
    )
    with running(data_dir, {}, config) as gw:
        yield gw


@pytest.fixture(autouse=True)
def fresh(gateway: Gateway, fakes: Fakes) -> None:
    for fake in fakes:
        fake.reset()
    reload(gateway)


@pytest.fixture
def sdk(gateway: Gateway) -> Iterator[openai.OpenAI]:
    with gateway.client() as client:
        yield client


def generate(gateway: Gateway, request_id: str, model: str = "gpt-image-1", **fields: object) -> httpx.Response:
    with gateway.http() as http:
        return http.post("/v1/images/generations", json={"model": model, "prompt": "a fox", **fields},
                         headers={"x-request-id": request_id})


@pytest.mark.parametrize(("fault", "options", "kind"), [
    ("status", {"status": 500}, "server_error"),
    ("status", {"status": 503, "headers": {"Retry-After": "1"}}, "server_error"),
    ("hang", {"delay": 3.0}, "timeout"),
    ("drop", {}, "unreachable"),
    ("bad_json", {}, "bad_response"),
])
def test_failing_channel_is_hidden_from_the_client(gateway: Gateway, sdk: openai.OpenAI, fakes: Fakes,
                                                   fault: str, options: dict[str, object], kind: str) -> None:
    primary, backup = fakes
    errors_before = metric(gateway, "imagegate_upstream_errors_total", channel="primary", kind=kind)
    retries_before = metric(gateway, "imagegate_retries_total", model="gpt-image-1")
    primary.fail_next(fault, **options)  # type: ignore[arg-type]
    result = sdk.images.generate(model="gpt-image-1", prompt="a fox")
    assert decode(result.data[0].b64_json).size == (1024, 1024)
    assert len(primary.image_requests) == 1 and len(backup.image_requests) == 1
    assert metric(gateway, "imagegate_upstream_errors_total", channel="primary", kind=kind) == errors_before + 1
    assert metric(gateway, "imagegate_retries_total", model="gpt-image-1") == retries_before + 1


def test_rate_limited_channel_rests_for_its_retry_after(gateway: Gateway,
                                                        fakes: Fakes) -> None:
    primary, backup = fakes
    primary.fail_next("status", status=429, headers={"Retry-After": "30"})
    assert generate(gateway, "rl-1").status_code == 200
    state = channel_state(gateway, "primary")
    assert state["state"] == "cooling" and state["reason"] == "rate_limited"
    assert 0 < state["cooldown_remaining"] <= 5  # Retry-After 30, capped by retry_after_max
    assert generate(gateway, "rl-2").status_code == 200
    assert len(primary.image_requests) == 1 and len(backup.image_requests) == 2
    assert metric(gateway, "imagegate_channel_cooldowns_total", channel="primary", reason="rate_limited") >= 1


def test_rejected_credentials_disable_the_channel_until_reload(gateway: Gateway,
                                                               fakes: Fakes) -> None:
    primary, backup = fakes
    primary.fail_next("status", status=401)
    assert generate(gateway, "auth-1").status_code == 200
    assert channel_state(gateway, "primary")["state"] == "disabled"
    assert generate(gateway, "auth-2").status_code == 200
    assert len(primary.image_requests) == 1 and len(backup.image_requests) == 2
    loud = [line for line in gateway.log.read_text().splitlines() if "CHANNEL DISABLED" in line]
    assert loud and '"channel":"primary"' in loud[-1] and '"level":"error"' in loud[-1]
    reload(gateway)
    assert channel_state(gateway, "primary")["state"] == "healthy"
    assert generate(gateway, "auth-3").status_code == 200 and len(primary.image_requests) == 2


@pytest.mark.parametrize(("fault", "options", "status", "code"), [
    ("status", {"status": 400, "body": error_body("Invalid size.", param="size", code="invalid_value")}, 400,
     "invalid_value"),
    ("moderation", {}, 400, "content_policy_violation"),
])
def test_refusals_are_not_retried(gateway: Gateway, fakes: Fakes, fault: str,
                                  options: dict[str, object], status: int, code: str) -> None:
    primary, backup = fakes
    retries_before = metric(gateway, "imagegate_retries_total", model="gpt-image-1")
    primary.fail_next(fault, **options)  # type: ignore[arg-type]
    response = generate(gateway, f"refused-{code}")
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert len(primary.image_requests) == 1 and len(backup.image_requests) == 0
    assert metric(gateway, "imagegate_retries_total", model="gpt-image-1") == retries_before
    assert channel_state(gateway, "primary")["state"] == "healthy"


def test_empty_account_is_not_retried_but_cools_down(gateway: Gateway, fakes: Fakes) -> None:
    primary, backup = fakes
    primary.fail_next("status", status=402)
    response = generate(gateway, "credit-1")
    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_insufficient_credit"
    assert len(backup.image_requests) == 0
    state = channel_state(gateway, "primary")
    assert state["state"] == "cooling" and state["reason"] == "insufficient_credit"
    assert generate(gateway, "credit-2").status_code == 200 and len(backup.image_requests) == 1


def test_every_attempt_failing_is_a_502_that_costs_nothing(gateway: Gateway,
                                                            fakes: Fakes) -> None:
    primary, backup = fakes
    primary.fail_next("status", count=2, status=500)
    backup.fail_next("status", status=500)
    response = generate(gateway, "all-fail-1")
    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_error"
    assert response.headers["x-request-id"] == "all-fail-1"
    assert len(primary.image_requests) + len(backup.image_requests) == 3  # max_attempts
    assert access_line(gateway, "all-fail-1")["attempts"] == 3
    assert generate(gateway, "all-fail-2").status_code == 200
    wait_for(lambda: usage_rows(gateway, "all-fail-2"), "the usage row of the next request")  # written in order
    assert charges(gateway, "all-fail-1") == [(502, 0)]


def test_deadline_is_never_exceeded(gateway: Gateway, fakes: Fakes) -> None:
    primary, backup = fakes
    primary.fail_next("hang", delay=5.0)
    backup.fail_next("hang", delay=5.0)
    response = generate(gateway, "deadline-1", model="dall-e-2")  # deadline 2 s, channel timeout 1.5 s
    assert response.status_code == 504 and response.json()["error"]["code"] == "deadline_exceeded"
    assert len(primary.image_requests) + len(backup.image_requests) == 2  # the deadline cut the third attempt
    assert usage_rows(gateway, "deadline-1") == 0


def test_fan_out_retries_only_the_failed_call(gateway: Gateway, sdk: openai.OpenAI, fakes: Fakes) -> None:
    primary, backup = fakes
    primary.fail_next("status", status=500)
    result = sdk.images.generate(model="dall-e-3", prompt="a fox", n=3, response_format="b64_json")
    assert len(result.data) == 3
    assert len(primary.image_requests) == 3 and len(backup.image_requests) == 1


def test_edit_retry_resends_the_uploaded_files(gateway: Gateway, sdk: openai.OpenAI, fakes: Fakes) -> None:
    primary, backup = fakes
    primary.fail_next("status", status=500)
    cat, dog, hole = png_bytes(64, 64), png_bytes(64, 64, color=(1, 2, 3, 255)), mask(64, 64)
    result = sdk.images.edit(model="gpt-image-1", prompt="merge", image=[("cat.png", cat),
                                          ("dog.png", dog)], mask=("mask.png", hole))
    assert len(result.data) == 1
    sent = {f.filename: f.data for f in backup.last.files}
    assert sent == {"cat.png": cat, "dog.png": dog, "mask.png": hole}
    assert {f.filename: f.data for f in primary.last.files} == sent


def test_gone_client_gets_no_retry(gateway: Gateway, fakes: Fakes) -> None:
    primary, backup = fakes
    primary.fail_next("status", status=500, delay=1.0)
    with pytest.raises(httpx.ReadTimeout), gateway.http() as http:
        http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": "a fox"},
                  headers={"x-request-id": "gone-1"}, timeout=0.3)
    assert access_line(gateway, "gone-1")["status"] == 499
    assert len(primary.image_requests) == 1 and len(backup.image_requests) == 0
    assert usage_rows(gateway, "gone-1") == 0


def test_gone_client_still_gets_its_paid_result_stored_and_recorded(gateway: Gateway,
                                                                    fakes: Fakes) -> None:
    primary, _ = fakes
    stored_before = len(list((gateway.data_dir / "results").rglob("*.*")))
    primary.fail_next("hang", delay=1.0)  # then answers normally
    with pytest.raises(httpx.ReadTimeout), gateway.http() as http:
        http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": "a fox", "response_format": "url"},
                  headers={"x-request-id": "gone-2"}, timeout=0.3)
    assert access_line(gateway, "gone-2")["status"] == 200
    wait_for(lambda: usage_rows(gateway, "gone-2"), "the usage row of a request whose client left")
    assert len(list((gateway.data_dir / "results").rglob("*.*"))) == stored_before + 1


def test_sdk_sees_a_504_as_an_api_error(gateway: Gateway, sdk: openai.OpenAI, fakes: Fakes) -> None:
    primary, backup = fakes
    primary.fail_next("hang", delay=5.0)
    backup.fail_next("hang", delay=5.0)
    with pytest.raises(openai.InternalServerError) as err:
        sdk.images.generate(model="dall-e-2", prompt="a fox")
    assert err.value.status_code == 504
