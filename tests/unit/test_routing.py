"""How settings become routing: the configured channels and the implicit ones that provider keys give, each with
its polling plan (defaults < TOML < environment < its own table), its health and its provider; a channel that
can't be served is refused by name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from imagegate.config import ChannelConfig, PollConfig, Settings, load_settings
from imagegate.routing import ConfigError, Routing, channel_configs
from imagegate.routing import build_routing as build
from tests.factories import REGISTRY, channel_table, write

pytestmark = pytest.mark.usefixtures("clean_env")

BFL_MODELS = dict(REGISTRY["bfl"].env.models)  # type: ignore[union-attr]
FAL_MODELS = dict(REGISTRY["fal"].env.models)  # type: ignore[union-attr]
DALL_E_2 = '["dall-e-2"]'


def all_channels(settings: Settings) -> list[ChannelConfig]:
    return channel_configs(settings, REGISTRY, os.environ)


def build_routing(settings: Settings) -> Routing:
    return build(settings, REGISTRY, os.environ)


# --- channels: configured and implicit ---------------------------------------------------------------------


def test_openai_key_alone_gives_the_openai_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    (channel,) = all_channels(load_settings())
    assert channel.base_url == "http://127.0.0.1:9/v1" and channel.api_key == "sk-x"
    assert sorted(channel.models) == ["dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-all", "gpt-image-2"]


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


BFL_CHANNEL = '''
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
    (channel,) = all_channels(load_settings(write(tmp_path, BFL_CHANNEL)))
    assert (channel.api_key, channel.max_concurrency, channel.model_concurrency) == ("configured", 12,
                                                                                    {"flux-kontext-max": 2})


# --- polling plans ----------------------------------------------------------------------------------------


def test_poll_plan_toml_over_defaults(tmp_path: Path) -> None:
    (channel,) = all_channels(load_settings(write(tmp_path, "poll_deadline = 60\n" + BFL_CHANNEL)))
    assert channel.poll == PollConfig(deadline=60)


def test_poll_plan_env_over_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IMAGEGATE_POLL_DEADLINE", "9")
    monkeypatch.setenv("IMAGEGATE_POLL_INTERVAL", "0.1")
    (channel,) = all_channels(load_settings(write(tmp_path, "poll_deadline = 60\n" + BFL_CHANNEL)))
    assert channel.poll == PollConfig(interval=0.1, deadline=9)


def test_a_channel_s_own_poll_table_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IMAGEGATE_POLL_DEADLINE", "9")
    (channel,) = all_channels(load_settings(write(tmp_path, BFL_CHANNEL + "poll = { deadline = 30 }\n")))
    assert channel.poll == PollConfig(deadline=30)


# --- channels built -----------------------------------------------------------------------------------------


def test_channel_overrides_reach_its_health(tmp_path: Path) -> None:
    text = ("allowed_fails = 4\ncooldown = 20\n" + channel_table("a", "allowed_fails = 1\ncooldown = 2.5")
            + channel_table("b"))
    router = build_routing(load_settings(write(tmp_path, text))).router
    a, b = router.channels
    assert (a.health.allowed_fails, a.health.cooldown) == (1, 2.5)
    assert (b.health.allowed_fails, b.health.cooldown, b.health.window) == (4, 20.0, 60.0)


def test_per_model_deadline(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, channel_table() + '[models."gpt-image-1"]\ndeadline = 120\n'))
    catalog = build_routing(settings).catalog
    assert catalog.get("gpt-image-1").deadline == 120.0 and catalog.get("dall-e-3").deadline is None


def test_azure_channel(tmp_path: Path) -> None:
    text = channel_table("az", 'provider = "azure-openai"\napi_version = "2024-10-21"',
                         '{"dall-e-3" = "my-deployment"}')
    router = build_routing(load_settings(write(tmp_path, text))).router
    (az,) = router.channels
    assert (az.provider, az.client.api_version, az.models) == (  # type: ignore[attr-defined]
        "azure-openai", "2024-10-21", {"dall-e-3": "my-deployment"})


@pytest.mark.parametrize(("text", "message"), [
    (channel_table(extra='provider = "carrier-pigeon"'), "unknown provider 'carrier-pigeon'"),
    (channel_table("a") + channel_table("a"), "channel name 'a' is used twice"),
    (channel_table(extra="retries = 2"), "unknown key 'retries' for provider 'openai'"),
    (channel_table(extra='api_version = "2024-10-21"'), "unknown key 'api_version' for provider 'openai'"),
    (channel_table(extra='provider = "azure-openai"\napi_version = ""'), "api_version"),
])
def test_unservable_channels_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_routing(load_settings(write(tmp_path, text)))


@pytest.mark.parametrize(("text", "message"), [
    (channel_table(extra='base_ur = "http://x"', models=DALL_E_2),
     "channel 'a': unknown key 'base_ur' for provider 'openai'; did you mean 'base_url'?"),
    (channel_table(models=DALL_E_2) + channel_table("b", "wieght = 2", DALL_E_2),
     "channel 'b': unknown key 'wieght' for provider 'openai'; did you mean 'weight'?"),
    (channel_table(extra='api_versoin = "1"\nprovider = "azure-openai"', models=DALL_E_2),
     "channel 'a': unknown key 'api_versoin' for provider 'azure-openai'; did you mean 'api_version'?"),
])
def test_an_unknown_channel_key_is_refused_when_the_channels_are_built(tmp_path: Path, text: str,
                                                                       message: str) -> None:
    """A channel's keys depend on its provider (the registry knows them), so they are checked with the routing."""
    settings = load_settings(write(tmp_path, text))
    with pytest.raises(ConfigError) as caught:
        build(settings, REGISTRY, {})
    assert str(caught.value) == message


# --- the keyless demo channel ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("demo", "environ", "expected"), [
    (None, {}, ["sketch"]),
    (None, {"OPENAI_API_KEY": "sk-x"}, ["openai"]),
    (True, {"OPENAI_API_KEY": "sk-x"}, ["openai", "sketch"]),
    (False, {}, []),
])
def test_the_keyless_channel_is_added_as_the_demo_setting_says(demo: bool | None, environ: dict[str, str],
                                                                expected: list[str]) -> None:
    settings = Settings(demo=demo)
    assert [c.name for c in channel_configs(settings, REGISTRY, environ)] == expected


def test_a_configured_channel_turns_the_keyless_one_off() -> None:
    settings = Settings(channels=[ChannelConfig(name="mine", provider="openai", api_key="k",
                                                base_url="http://127.0.0.1:9", models={"dall-e-2": "dall-e-2"})])
    assert [c.name for c in channel_configs(settings, REGISTRY, {})] == ["mine"]
