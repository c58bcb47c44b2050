"""Job webhooks: the job's final state POSTed to the client's URL with an HMAC-SHA256 signature; URLs that
are not https or lead to internal addresses are refused (a test allow-list admits the local receiver)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.helpers import api_error, image_file
from tests.e2e.jobs.helpers import ASYNC, submit, wait
from tests.fakes.openai_upstream import FakeOpenAI
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.harness import SINGLE_CHANNEL_ENV, Gateway, openai_env, running

SECRET = "whsec-test"


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as fake:
        yield fake


@pytest.fixture(scope="module")
def hooked(upstream: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {**openai_env(upstream), "IMAGEGATE_WEBHOOK_SECRET": SECRET, "IMAGEGATE_WEBHOOK_ALLOW_HOSTS": '["127.0.0.1"]',
           **SINGLE_CHANNEL_ENV}
    with running(tmp_path_factory.mktemp("webhook-gateway"), env) as gw:
        yield gw


def verified(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    stamp, _, digest = headers["x-imagegate-signature"].partition(",v1=")
    timestamp = stamp.removeprefix("t=")
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(digest, expected)
    payload: dict[str, Any] = json.loads(body)
    return payload


def test_webhook_is_signed_and_carries_the_result(hooked: Gateway, receiver: WebhookReceiver) -> None:
    receiver.calls.clear()
    receiver.arrived.clear()
    with hooked.http() as http:
        job = submit(http, {"model": "dall-e-2", "prompt": "p", "size": "256x256", "webhook_url": receiver.url})
        assert wait(http, job["id"])["status"] == "succeeded"
    assert receiver.arrived.wait(30)
    (headers, body), = receiver.calls
    payload = verified(headers, body)
    assert (payload["id"], payload["status"]) == (job["id"], "succeeded")
    assert payload["result"]["data"][0]["url"].startswith(hooked.url)
    tampered = body.replace(b"succeeded", b"failed")
    with pytest.raises(AssertionError):
        verified(headers, tampered)


def test_webhook_with_multipart_edit(hooked: Gateway, receiver: WebhookReceiver) -> None:
    receiver.calls.clear()
    receiver.arrived.clear()
    with hooked.http() as http:
        response = http.post("/v1/images/edits", headers=ASYNC, files=[("image", image_file(64, 64, name="a.png"))],
                             data={"model": "gpt-image-1", "prompt": "p", "webhook_url": receiver.url})
        assert response.status_code == 202, response.text
        wait(http, response.json()["id"])
    assert receiver.arrived.wait(30)
    assert verified(*receiver.calls[0])["id"] == response.json()["id"]


@pytest.mark.parametrize(("url", "code"), [
    ("ftp://hooks.example/x", "invalid_value"), ("http://hooks.example/x", "invalid_value"),
    ("https://127.0.0.1/x", "invalid_value"), ("https://10.1.2.3/x", "invalid_value"),
    ("https://192.168.0.7/x", "invalid_value"), ("https://169.254.169.254/latest", "invalid_value"),
    ("https://[::1]/x", "invalid_value"), ("https://[fd00::1]/x", "invalid_value"),
    ("https://0.0.0.0/x", "invalid_value"),
    ("https://user:pw@hooks.example/x", "invalid_value"), ("not a url", "invalid_value"), (42, "invalid_type"),
])
def test_bad_webhook_urls(gateway: Gateway, upstream: FakeOpenAI, url: object, code: str) -> None:
    with gateway.http() as http:
        response = http.post("/v1/images/generations", headers=ASYNC,
                             json={"model": "dall-e-2", "prompt": "p", "webhook_url": url})
    api_error(response, 400, param="webhook_url", code=code)
    assert upstream.image_requests == []


def test_webhook_needs_async_and_a_secret(gateway: Gateway, hooked: Gateway, receiver: WebhookReceiver) -> None:
    with hooked.http() as http:
        sync = http.post("/v1/images/generations", json={"model": "dall-e-2", "prompt": "p",
                                                         "webhook_url": receiver.url})
        api_error(sync, 400, param="webhook_url", code="unsupported_parameter")
    with gateway.http() as http:  # no webhook_secret configured: public https URLs are still refused
        response = http.post("/v1/images/generations", headers=ASYNC,
                             json={"model": "dall-e-2", "prompt": "p", "webhook_url": "https://93.184.216.34/h"})
        api_error(response, 400, param="webhook_url", code="unsupported_parameter")
