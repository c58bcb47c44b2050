"""Settings layering: built-in defaults < TOML file < environment < overrides, one test per edge; the loader
a reload calls."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from imagegate.config import ChannelConfig, Settings, SettingsLoader, load_settings
from imagegate.routing import channel_configs
from tests.factories import REGISTRY, write

pytestmark = pytest.mark.usefixtures("clean_env")


def all_channels(settings: Settings) -> list[ChannelConfig]:
    return channel_configs(settings, REGISTRY, os.environ)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.url_ttl == 3600 and settings.data_dir == Path(".imagegate") and settings.master_key is None
    assert all_channels(settings) == []


def test_file_over_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "url_ttl = 60\n"))
    assert settings.url_ttl == 60


def test_env_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_URL_TTL", "90")
    assert load_settings(write(tmp_path, "url_ttl = 60\n")).url_ttl == 90


def test_override_over_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_URL_TTL", "90")
    assert load_settings(write(tmp_path, "url_ttl = 60\n"), url_ttl=30).url_ttl == 30


def test_config_path_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(write(tmp_path, 'master_key = "m"\n')))
    assert load_settings().master_key == "m"


def test_openai_key_alone_gives_the_four_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    (channel,) = all_channels(load_settings())
    assert channel.base_url == "http://127.0.0.1:9/v1" and channel.api_key == "sk-x"
    assert sorted(channel.models) == ["dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-all"]


def test_channel_key_from_env_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-from-env")
    path = write(tmp_path, '[[channels]]\nname="a"\nbase_url="http://h/v1/"\napi_key="env:MY_KEY"\nmodels=["x"]\n')
    (channel,) = all_channels(load_settings(path))
    assert channel.api_key == "sk-from-env" and channel.base_url == "http://h/v1" and channel.models == {"x": "x"}


def test_unknown_setting_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nonsense"):
        load_settings(write(tmp_path, "nonsense = 1\n"))


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_settings(tmp_path / "absent.toml")


def test_public_url_defaults_to_listen_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_PORT", "9123")
    assert load_settings().base_url == "http://127.0.0.1:9123"
    monkeypatch.setenv("IMAGEGATE_PUBLIC_URL", "https://img.example.org/")
    assert load_settings().base_url == "https://img.example.org"


def test_the_loader_keeps_the_file_chosen_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    first.write_text("url_ttl = 60\n")
    second.write_text("url_ttl = 70\n")
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(first))
    loader = SettingsLoader.at_start(port=9000)
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(second))
    assert (loader().url_ttl, loader().port) == (60, 9000)
    first.write_text("url_ttl = 61\n")
    assert loader().url_ttl == 61


def test_a_loader_without_a_file_never_reads_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loader = SettingsLoader.at_start()
    monkeypatch.setenv("IMAGEGATE_CONFIG", str(write(tmp_path, "url_ttl = 60\n")))
    assert loader.config_file is None and loader().url_ttl == 3600


def test_the_loader_s_environment_loads_the_same_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "url_ttl = 60\nport = 1\n")
    loader = SettingsLoader.at_start(path, host="0.0.0.0", port=9000, webhook_allow_hosts=["a"], log_prompts=True)
    base = {"PATH": "/bin", "IMAGEGATE_CONFIG": "/elsewhere.toml", "imagegate_port": "2", "IMAGEGATE_URL_TTL": "90"}
    env = loader.environment(base)
    assert env == {"PATH": "/bin", "IMAGEGATE_URL_TTL": "90", "IMAGEGATE_CONFIG": str(path),
                   "IMAGEGATE_HOST": "0.0.0.0", "IMAGEGATE_PORT": "9000", "IMAGEGATE_WEBHOOK_ALLOW_HOSTS": '["a"]',
                   "IMAGEGATE_LOG_PROMPTS": "true"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert SettingsLoader.at_start()() == loader()
