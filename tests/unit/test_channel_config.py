"""Channel and failover configuration: defaults, overrides, and every bad value refused with its name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from imagegate.config import Settings, load_settings
from imagegate.policy import Policy
from imagegate.routing import ConfigError, Routing
from imagegate.routing import build_routing as build
from tests.factories import REGISTRY, write

pytestmark = pytest.mark.usefixtures("clean_env")


def build_routing(settings: Settings) -> Routing:
    return build(settings, REGISTRY, os.environ)


def channel(name: str = "a", extra: str = "", models: str = '["gpt-image-1"]') -> str:
    return f'[[channels]]\nname = "{name}"\nbase_url = "http://h/v1"\nmodels = {models}\n{extra}\n'


def test_failover_defaults() -> None:
    assert Policy.from_settings(load_settings()) == Policy(max_attempts=3, backoff=0.25, backoff_max=4.0,
                                                          retry_after_max=30.0, queue_wait=5.0, deadline=600.0)
    settings = load_settings()
    assert (settings.allowed_fails, settings.fail_window, settings.cooldown) == (3, 60.0, 30.0)
    assert settings.metrics_key is None and settings.log_prompts is False


def test_env_over_file_for_failover_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_MAX_ATTEMPTS", "5")
    assert load_settings(write(tmp_path, "max_attempts = 2\n")).max_attempts == 5


def test_channel_overrides_reach_its_health(tmp_path: Path) -> None:
    text = "allowed_fails = 4\ncooldown = 20\n" + channel("a", "allowed_fails = 1\ncooldown = 2.5") + channel("b")
    router = build_routing(load_settings(write(tmp_path, text))).router
    a, b = router.channels
    assert (a.health.allowed_fails, a.health.cooldown) == (1, 2.5)
    assert (b.health.allowed_fails, b.health.cooldown, b.health.window) == (4, 20.0, 60.0)


def test_per_model_deadline(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, channel() + '[models."gpt-image-1"]\ndeadline = 120\n'))
    catalog = build_routing(settings).catalog
    assert catalog.get("gpt-image-1").deadline == 120.0 and catalog.get("dall-e-3").deadline is None


def test_azure_channel(tmp_path: Path) -> None:
    text = channel("az", 'provider = "azure-openai"\napi_version = "2024-10-21"', '{"dall-e-3" = "my-deployment"}')
    router = build_routing(load_settings(write(tmp_path, text))).router
    (az,) = router.channels
    assert (az.provider, az.client.api_version, az.models) == (  # type: ignore[attr-defined]
        "azure-openai", "2024-10-21", {"dall-e-3": "my-deployment"})


@pytest.mark.parametrize(("text", "field"), [
    (channel(extra="weight = 0"), "weight"),
    (channel(extra="timeout = 0"), "timeout"),
    (channel(extra="max_concurrency = 0"), "max_concurrency"),
    (channel(extra="allowed_fails = 0"), "allowed_fails"),
    (channel(extra="cooldown = -1"), "cooldown"),
    (channel(models="[]"), "serves no models"),
    ("max_attempts = 0\n", "max_attempts"),
    ("max_attempts = 11\n", "max_attempts"),
    ("allowed_fails = 0\n", "allowed_fails"),
    ("fail_window = 0\n", "fail_window"),
    ("cooldown = -1\n", "cooldown"),
    ("retry_after_max = -1\n", "retry_after_max"),
    ("retry_backoff = -1\n", "retry_backoff"),
    ("queue_wait = -0.5\n", "queue_wait"),
    ("deadline = 0\n", "deadline"),
    ('[models."gpt-image-1"]\ndeadline = 0\n', "deadline"),
])
def test_bad_values_are_refused_by_name(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        load_settings(write(tmp_path, text))


@pytest.mark.parametrize(("text", "message"), [
    (channel(extra='provider = "carrier-pigeon"'), "unknown provider 'carrier-pigeon'"),
    (channel("a") + channel("a"), "channel name 'a' is used twice"),
    (channel(extra="retries = 2"), "unknown key 'retries' for provider 'openai'"),
    (channel(extra='api_version = "2024-10-21"'), "unknown key 'api_version' for provider 'openai'"),
    (channel(extra='provider = "azure-openai"\napi_version = ""'), "api_version"),
])
def test_unservable_channels_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_routing(load_settings(write(tmp_path, text)))
