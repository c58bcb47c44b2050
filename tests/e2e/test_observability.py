"""Request ids, JSON logs, /metrics, /admin/channels and ``imagegate channels`` on a running gateway."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, Gateway, free_port, running

from .channels import access_line, channel, log_lines, metric, write_config

METRICS_KEY = "scrape-me-please"


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeOpenAI, FakeOpenAI]]:
    with FakeOpenAI("sk-obs-primary") as primary, FakeOpenAI("sk-obs-backup") as backup:
        yield primary, backup


@pytest.fixture(scope="module")
def gateway(fakes: tuple[FakeOpenAI, FakeOpenAI], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    primary, backup = fakes
    data_dir = Path(tmp_path_factory.mktemp("observe"))
    config = write_config(data_dir / "imagegate.toml", channel("primary", primary, priority=1, max_concurrency=4),
                          channel("backup", backup), retry_backoff=0.01)
    with running(data_dir, {"IMAGEGATE_METRICS_KEY": METRICS_KEY}, config) as gw:
        yield gw


@pytest.fixture(scope="module")
def client_key(gateway: Gateway) -> str:
    created = gateway.cli("keys", "create", "--name", "team-obs")
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[-1]


def get(gateway: Gateway, path: str, key: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(gateway.url + path, headers=headers, timeout=10)


def test_request_id_is_echoed_on_success_and_errors(gateway: Gateway) -> None:
    with gateway.client() as client:
        raw = client.images.with_raw_response.generate(model="gpt-image-1", prompt="p",
                                                       extra_headers={"x-request-id": "ok-1"})
    assert raw.headers["x-request-id"] == "ok-1"
    with gateway.http() as http:
        bad = http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": "p", "n": 99},
                        headers={"x-request-id": "bad-1"})
        unknown = http.post("/v1/images/generations", json={"model": "nope", "prompt": "p"},
                            headers={"x-request-id": "404-1"})
    with gateway.http(key="ig-wrong") as http:
        denied = http.post("/v1/images/generations", json={"prompt": "p"}, headers={"x-request-id": "401-1"})
    assert (bad.status_code, bad.headers["x-request-id"]) == (400, "bad-1")
    assert (unknown.status_code, unknown.headers["x-request-id"]) == (404, "404-1")
    assert (denied.status_code, denied.headers["x-request-id"]) == (401, "401-1")


@pytest.mark.parametrize("given", [None, "x" * 65, "tab\there"])
def test_request_id_is_generated_when_missing_or_unusable(gateway: Gateway, given: str | None) -> None:
    headers = {"x-request-id": given} if given else {}
    with gateway.http() as http:
        response = http.get("/v1/models", headers=headers)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


def test_every_log_line_of_a_request_carries_its_id(gateway: Gateway, fakes: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    primary, _ = fakes
    primary.fail_next("status", status=500)
    with gateway.http() as http:
        response = http.post("/v1/images/generations", headers={"x-request-id": "log-1"},
                             json={"model": "gpt-image-1", "prompt": "a very secret prompt"})
    assert response.status_code == 200
    line = access_line(gateway, "log-1")
    assert {k: line[k] for k in ("key", "model", "channel", "attempts", "status", "images", "cost_usd")} == {
        "key": "master", "model": "gpt-image-1", "channel": "backup", "attempts": 2, "status": 200, "images": 1,
        "cost_usd": 0.1667}
    assert line["latency_ms"] > 0
    retry = [x for x in log_lines(gateway, "log-1") if x["msg"] == "upstream attempt failed"]
    assert retry and retry[0]["channel"] == "primary" and retry[0]["kind"] == "server_error"
    text = gateway.log.read_text()
    for secret in ("a very secret prompt", MASTER, primary.api_key, "b64_json"):
        assert secret not in text


def test_metrics_need_the_metrics_or_master_key(gateway: Gateway, client_key: str) -> None:
    assert get(gateway, "/metrics", None).status_code == 401
    forbidden = get(gateway, "/metrics", client_key)
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "master_key_required"
    assert get(gateway, "/metrics", "wrong").status_code == 401
    for key in (METRICS_KEY, MASTER):
        response = get(gateway, "/metrics", key)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")


def test_metrics_count_requests_images_and_latency(gateway: Gateway, client_key: str) -> None:
    before = metric(gateway, "imagegate_images_total", model="dall-e-3")
    cost_before = metric(gateway, "imagegate_cost_usd_total", model="dall-e-3")
    with gateway.client(client_key) as client:
        client.images.generate(model="dall-e-3", prompt="p", n=2)
    assert metric(gateway, "imagegate_images_total", model="dall-e-3") == before + 2
    assert metric(gateway, "imagegate_requests_total", model="dall-e-3", status="200") >= 1
    assert metric(gateway, "imagegate_request_duration_seconds_count", model="dall-e-3") >= 1
    assert metric(gateway, "imagegate_queue_wait_seconds_count", model="dall-e-3") >= 2  # one per upstream call
    assert metric(gateway, "imagegate_upstream_duration_seconds_count", channel="primary") >= 2
    assert metric(gateway, "imagegate_channel_in_flight", channel="primary") == 0
    assert metric(gateway, "imagegate_channel_state", channel="primary", state="healthy") == 1
    assert metric(gateway, "imagegate_cost_usd_total", model="dall-e-3") == pytest.approx(cost_before + 0.08)


def test_admin_channels(gateway: Gateway, client_key: str) -> None:
    response = get(gateway, "/admin/channels", MASTER)
    assert response.status_code == 200
    primary = next(c for c in response.json()["data"] if c["name"] == "primary")
    assert primary["provider"] == "openai" and primary["max_concurrency"] == 4 and primary["state"] == "healthy"
    assert {"in_flight", "recent", "reason", "cooldown_remaining", "models", "priority", "weight"} <= set(primary)
    assert set(primary["recent"]) == {"requests", "error_rate", "latency_ms"}
    assert "api_key" not in response.text and "sk-obs-primary" not in response.text
    assert get(gateway, "/admin/channels/primary", MASTER).json()["name"] == "primary"


@pytest.mark.parametrize(("path", "key", "status", "code"), [
    ("/admin/channels", None, 401, "invalid_api_key"),
    ("/admin/channels", "ig-wrong", 401, "invalid_api_key"),
    ("/admin/channels", "client", 403, "master_key_required"),
    ("/admin/channels/nope", "master", 404, "channel_not_found"),
])
def test_admin_channels_refusals(gateway: Gateway, client_key: str, path: str, key: str | None, status: int,
                                 code: str) -> None:
    key = {"client": client_key, "master": MASTER}.get(key or "", key)
    response = get(gateway, path, key)
    assert response.status_code == status and response.json()["error"]["code"] == code


def test_cli_shows_the_running_gateways_channels(gateway: Gateway) -> None:
    shown = gateway.cli("channels")
    assert shown.returncode == 0, shown.stderr
    header, *rows = shown.stdout.splitlines()
    assert header.split()[:5] == ["NAME", "PROVIDER", "PRIO", "WEIGHT", "STATE"]
    assert {row.split()[0]: row.split()[4] for row in rows} == {"primary": "healthy", "backup": "healthy"}
    as_json = gateway.cli("channels", "--json")
    assert {c["name"] for c in json.loads(as_json.stdout)} == {"primary", "backup"}


def test_cli_with_a_wrong_key_fails(gateway: Gateway) -> None:
    shown = gateway.cli("channels", "--key", "ig-wrong")
    assert shown.returncode == 1 and "401" in shown.stderr


def test_cli_without_a_gateway_shows_the_configuration(gateway: Gateway) -> None:
    offline = gateway.cli("channels", "--offline")
    assert offline.returncode == 0 and "offline" in offline.stdout
    unreachable = gateway.cli("channels", "--url", f"http://127.0.0.1:{free_port()}")
    assert unreachable.returncode == 0 and "no gateway answers" in unreachable.stderr
    assert "primary" in unreachable.stdout


def test_cli_with_a_bad_configuration_exits_2(gateway: Gateway, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[channels]]\nname = "x"\nbase_url = "http://h"\nmodels = ["gpt-image-1"]\nweight = 0\n')
    shown = gateway.cli("channels", "--config", str(bad))
    assert shown.returncode == 2 and "weight" in shown.stderr
