"""Implicit upstream channels and the polling plan: defaults < TOML < environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from imagegate.config import ChannelConfig, PollConfig, Settings, load_settings
from imagegate.routing import channel_configs
from tests.factories import REGISTRY, write

BFL_MODELS = dict(REGISTRY["bfl"].env.models)  # type: ignore[union-attr]
FAL_MODELS = dict(REGISTRY["fal"].env.models)  # type: ignore[union-attr]


def all_channels(settings: Settings) -> list[ChannelConfig]:
    return channel_configs(settings, REGISTRY, os.environ)

KEYS = ("OPENAI_API_KEY", "BFL_API_KEY", "BFL_BASE_URL", "FAL_KEY", "FAL_BASE_URL", "IMAGEGATE_CONFIG",
        "IMAGEGATE_POLL_INTERVAL", "IMAGEGATE_POLL_MAX_INTERVAL", "IMAGEGATE_POLL_DEADLINE")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)


def test_keys_give_implicit_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BFL_API_KEY", "bfl-key")
    monkeypatch.setenv("FAL_KEY", "fal-key")
    channels = {c.name: c for c in all_channels(load_settings())}
    assert set(channels) == {"bfl", "fal"}
    bfl, fal = channels["bfl"], channels["fal"]
    assert (bfl.provider, bfl.base_url, bfl.api_key, bfl.models) == ("bfl", "https://api.bfl.ai", "bfl-key", BFL_MODELS)
    assert (fal.provider, fal.base_url, fal.models) == ("fal", "https://queue.fal.run", FAL_MODELS)
    assert bfl.priority > fal.priority
    assert bfl.poll == fal.poll == PollConfig()


def test_base_urls_and_empty_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BFL_API_KEY", "k")
    monkeypatch.setenv("BFL_BASE_URL", "https://api.eu.bfl.ai/")
    monkeypatch.setenv("FAL_KEY", "")
    (channel,) = all_channels(load_settings())
    assert channel.base_url == "https://api.eu.bfl.ai"


CHANNEL = '''
[[channels]]
name = "bfl"
provider = "bfl"
base_url = "https://api.us.bfl.ai"
api_key = "configured"
models = ["flux-kontext-pro"]
max_concurrency = 12
model_concurrency = { "flux-kontext-max" = 2 }
'''


def test_a_configured_channel_replaces_the_implicit_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BFL_API_KEY", "implicit")
    (channel,) = all_channels(load_settings(write(tmp_path, CHANNEL)))
    assert (channel.api_key, channel.max_concurrency, channel.model_concurrency) == ("configured", 12,
                                                                                    {"flux-kontext-max": 2})


def test_poll_plan_defaults() -> None:
    assert PollConfig() == PollConfig(interval=0.5, max_interval=3.0, deadline=300.0)


def test_poll_plan_toml_over_defaults(tmp_path: Path) -> None:
    (channel,) = all_channels(load_settings(write(tmp_path, "poll_deadline = 60\n" + CHANNEL)))
    assert channel.poll == PollConfig(deadline=60)


def test_poll_plan_env_over_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IMAGEGATE_POLL_DEADLINE", "9")
    monkeypatch.setenv("IMAGEGATE_POLL_INTERVAL", "0.1")
    (channel,) = all_channels(load_settings(write(tmp_path, "poll_deadline = 60\n" + CHANNEL)))
    assert channel.poll == PollConfig(interval=0.1, deadline=9)


def test_a_channel_s_own_poll_table_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IMAGEGATE_POLL_DEADLINE", "9")
    (channel,) = all_channels(load_settings(write(tmp_path, CHANNEL + "poll = { deadline = 30 }\n")))
    assert channel.poll == PollConfig(deadline=30)


@pytest.mark.parametrize("table", ["poll = { deadline = 0 }", "poll = { every = 1 }", "model_concurrency = 3"])
def test_bad_channel_settings_are_refused(tmp_path: Path, table: str) -> None:
    with pytest.raises(ValueError):
        load_settings(write(tmp_path, CHANNEL + table + "\n"))
