"""Settings layering: built-in defaults < TOML file < environment < overrides, one test per edge; the loader
a reload calls; failover and polling defaults, and every bad value refused with its name."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from imagegate.config import ChannelConfig, PollConfig, PriceConfig, Settings, SettingsLoader, load_settings
from imagegate.policy import Policy
from imagegate.routing import channel_configs
from tests.factories import REGISTRY, channel_table, write

pytestmark = pytest.mark.usefixtures("clean_env")


def all_channels(settings: Settings) -> list[ChannelConfig]:
    return channel_configs(settings, REGISTRY, os.environ)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.url_ttl == 3600 and settings.data_dir == Path(".imagegate") and settings.master_key is None
    assert [(c.name, c.api_key, c.models) for c in all_channels(settings)] == [("sketch", "", {"demo": "demo"})]
    assert settings.demo is None and all_channels(settings.model_copy(update={"demo": False})) == []


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
    first, second = write(tmp_path, "url_ttl = 60\n", "first.toml"), write(tmp_path, "url_ttl = 70\n", "second.toml")
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


def test_failover_defaults() -> None:
    assert Policy.from_settings(load_settings()) == Policy(max_attempts=3, backoff=0.25, backoff_max=4.0,
                                                          retry_after_max=30.0, queue_wait=5.0, deadline=600.0)
    settings = load_settings()
    assert (settings.allowed_fails, settings.fail_window, settings.cooldown) == (3, 60.0, 30.0)
    assert settings.metrics_key is None and settings.log_prompts is False


def test_env_over_file_for_failover_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEGATE_MAX_ATTEMPTS", "5")
    assert load_settings(write(tmp_path, "max_attempts = 2\n")).max_attempts == 5


@pytest.mark.parametrize(("text", "field"), [
    (channel_table(extra="weight = 0"), "weight"),
    (channel_table(extra="timeout = 0"), "timeout"),
    (channel_table(extra="max_concurrency = 0"), "max_concurrency"),
    (channel_table(extra="allowed_fails = 0"), "allowed_fails"),
    (channel_table(extra="cooldown = -1"), "cooldown"),
    (channel_table(models="[]"), "serves no models"),
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
    ('usage_commit = "later"\n', "usage_commit"),
    ("webhook_retry_max = 0\n", "webhook_retry_max"),
])
def test_bad_values_are_refused_by_name(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        load_settings(write(tmp_path, text))


@pytest.mark.parametrize("url", ["s3://", "s3:///prefix", "file://", "/srv/results", "gs://bucket", "S3://b"])
def test_bad_storage_urls_are_refused_by_name(url: str) -> None:
    with pytest.raises(ValueError, match="IMAGEGATE_STORAGE_URL"):
        load_settings(storage_url=url)


def test_storage_urls() -> None:
    assert load_settings().storage_url is None and load_settings().links == "signed"
    assert load_settings(storage_url="s3://bucket").storage_url == "s3://bucket"
    assert load_settings(storage_url="file:///srv/imagegate").storage_url == "file:///srv/imagegate"
    assert load_settings(storage_url="s3://bucket/a/b", links="presigned").links == "presigned"


@pytest.mark.parametrize("storage", [{}, {"storage_url": "file:///srv/imagegate"}])
def test_presigned_links_need_an_s3_store(storage: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=r"IMAGEGATE_LINKS.*s3://.*IMAGEGATE_STORAGE_URL"):
        load_settings(links="presigned", **storage)


def test_poll_plan_defaults() -> None:
    assert PollConfig() == PollConfig(interval=0.5, max_interval=3.0, deadline=300.0)


@pytest.mark.parametrize("table", ["poll = { deadline = 0 }", "poll = { every = 1 }", "model_concurrency = 3"])
def test_bad_channel_settings_are_refused(tmp_path: Path, table: str) -> None:
    with pytest.raises(ValueError):
        load_settings(write(tmp_path, channel_table(extra=table)))


@pytest.mark.parametrize(("fields", "message"), [
    ({}, "give per_image, or all of"),
    ({"per_image": 1, "text_input": 1}, "not both"),
    ({"text_input": 1, "image_input": 1}, "give per_image, or all of"),
    ({"per_image": -1}, "greater than or equal to 0"),
    ({"per_image": "0.0000001"}, "decimal places"),
    ({"per_image": "nan"}, "finite"),
])
def test_bad_price_config_is_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PriceConfig.model_validate(fields)


def test_the_node_name_is_the_host_name_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().node_name == socket.gethostname()
    monkeypatch.setenv("IMAGEGATE_NODE_NAME", "eu-1")
    assert load_settings().node_name == "eu-1"
    monkeypatch.setenv("IMAGEGATE_NODE_NAME", "eu 1")
    with pytest.raises(ValueError, match="node_name"):
        load_settings()
