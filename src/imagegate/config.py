"""Settings: built-in defaults < TOML file (``--config`` / ``IMAGEGATE_CONFIG``) < environment < overrides.

Scalar settings come from the environment as ``IMAGEGATE_<NAME>``; channels and model
overrides live in the TOML file. A provider's own key variable (``OPENAI_API_KEY`` and the
like, declared by each provider) gives an implicit channel named after the provider; a
configured channel with the same name replaces it (see :mod:`imagegate.routing`).

Failover settings (``max_attempts``, ``allowed_fails``, ``cooldown``, ...) are global; a
channel may override ``allowed_fails`` and ``cooldown``, a model its ``deadline``.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .settings_check import CONFIG_ENV, UnknownSetting, env_names, unknown_keys, unknown_variables

MB = 1024 * 1024


class PollConfig(BaseModel):
    """How an async-task upstream is polled: backoff from ``interval`` to ``max_interval``
    seconds, and at most ``deadline`` seconds from submit to result before the request fails with 504."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interval: float = Field(default=0.5, gt=0)
    max_interval: float = Field(default=3.0, gt=0)
    deadline: float = Field(default=300.0, gt=0)


class ChannelConfig(BaseModel):
    """One upstream account: where to send requests for some public model ids. Keys beyond these are the
    provider's own channel settings, checked against its ``channel_options`` when the channels are built."""

    model_config = ConfigDict(extra="allow")

    name: str
    provider: str = "openai"
    base_url: str = ""
    api_key: str = ""
    models: dict[str, str]
    priority: int = 0
    weight: int = Field(default=1, ge=1)
    timeout: float = Field(600.0, gt=0)
    max_concurrency: int | None = Field(default=None, ge=1)
    model_concurrency: dict[str, int] = {}
    poll: PollConfig | None = None
    allowed_fails: int | None = Field(default=None, ge=1)
    cooldown: float | None = Field(default=None, ge=0)

    @field_validator("models", mode="before")
    @classmethod
    def _models_list(cls, value: Any) -> Any:
        """``models = ["a", "b"]`` serves each under its own name upstream."""
        if isinstance(value, list):
            return {str(m): str(m) for m in value}
        return value

    @field_validator("api_key")
    @classmethod
    def _env_reference(cls, value: str) -> str:
        """``api_key = "env:VAR"`` reads the key from the environment at load time."""
        if value.startswith("env:"):
            return os.environ.get(value[4:], "")
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _coherent(self) -> ChannelConfig:
        if not self.models:
            raise ValueError(f"channel {self.name!r} serves no models")
        return self

    @property
    def options(self) -> dict[str, Any]:
        """The keys this model doesn't know: the provider's own settings."""
        return dict(self.model_extra or {})


class ModelOverride(BaseModel):
    """A public model id's capabilities: a built-in (``like``) with fields replaced."""

    model_config = ConfigDict(extra="forbid")

    like: str | None = None
    sizes: list[str] | None = None
    size_auto: bool | None = None
    default_size: str | None = None
    n_max: int | None = Field(None, ge=1, le=10)
    upstream_n_max: int | None = Field(None, ge=1, le=10)
    prompt_max: int | None = Field(None, ge=1)
    qualities: list[str] | None = None
    styles: list[str] | None = None
    output_formats: list[str] | None = None
    options: list[str] | None = None
    endpoints: list[str] | None = None
    edit_max_images: int | None = Field(None, ge=1, le=16)
    mask: bool | None = None
    mask_model: str | None = None
    aspect_ratios: list[str] | None = None
    size_wins: bool | None = None
    resolutions: list[str] | None = None
    default_resolution: str | None = None
    alias_of: str | None = None
    deprecated: date | None = None
    default_response_format: str | None = None
    deadline: float | None = Field(default=None, gt=0)


Usd = Annotated[Decimal, Field(ge=0, le=1_000_000, decimal_places=6)]


class PriceConfig(BaseModel):
    """``[prices."<model>"]``: per image (``per_image``, a flat amount or a size/quality table) or per
    token (``text_input``, ``image_input``, ``image_output``: USD per 1M tokens)."""

    model_config = ConfigDict(extra="forbid")

    per_image: Usd | dict[str, Usd] | None = None
    text_input: Usd | None = None
    image_input: Usd | None = None
    image_output: Usd | None = None
    text_output: Usd | None = None
    output_tokens: dict[str, Annotated[int, Field(ge=0)]] | None = None
    input_image_tokens: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_kind(self) -> PriceConfig:
        rates = (self.text_input, self.image_input, self.image_output)
        if self.per_image is not None:
            if any(r is not None for r in rates) or self.output_tokens or self.input_image_tokens is not None:
                raise ValueError("give either per_image or token prices, not both")
        elif any(r is None for r in rates):
            raise ValueError("give per_image, or all of text_input, image_input and image_output")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMAGEGATE_", extra="forbid", populate_by_name=True)

    master_key: str | None = None
    data_dir: Path = Path(".imagegate")
    public_url: str | None = None
    url_ttl: int = Field(3600, ge=1)
    database_url: str | None = None
    secret: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    default_model: str = "dall-e-2"
    provider_modules: list[str] = []
    max_body_mb: int = Field(420, ge=1)
    max_image_mb: int = Field(25, ge=1)
    upload_memory_mb: int = Field(512, ge=0)
    max_image_pixels: int = Field(50_000_000, ge=1)
    upstream_timeout: float = Field(600.0, gt=0)
    key_cache_ttl: float = Field(2.0, ge=0)
    redis_url: str | None = None
    storage_url: str | None = None
    links: Literal["signed", "presigned"] = "signed"
    reservation_ttl: float = Field(3600.0, gt=0)
    sweep_interval: float = Field(300.0, gt=0)
    max_attempts: int = Field(3, ge=1, le=10)
    allowed_fails: int = Field(3, ge=1)
    fail_window: float = Field(60.0, gt=0)
    cooldown: float = Field(30.0, ge=0)
    retry_after_max: float = Field(30.0, ge=0)
    retry_backoff: float = Field(0.25, ge=0)
    retry_backoff_max: float = Field(4.0, ge=0)
    queue_wait: float = Field(5.0, ge=0)
    deadline: float = Field(600.0, gt=0)
    metrics_key: str | None = None
    node_name: str = Field(default_factory=socket.gethostname, min_length=1, pattern=r"^[\x21-\x7e]+$")
    respond_async: bool = False
    job_ttl: int = Field(86400, ge=1)
    job_workers: int = Field(8, ge=0)
    job_lease: float = Field(30.0, gt=0)
    job_poll: float = Field(1.0, gt=0)
    stream_keepalive: float = Field(15.0, gt=0)
    webhook_secret: str | None = None
    webhook_allow_hosts: list[str] = []
    webhook_timeout: float = Field(10.0, gt=0)
    redis_prefix: str = Field("imagegate", min_length=1)
    expected_nodes: int = Field(1, ge=1)
    shared_interval: float = Field(0.25, gt=0, le=1.0)
    slot_lease: float = Field(30.0, ge=1.0)
    usage_commit: Literal["sync", "batch"] = "sync"
    webhook_retry_max: float = Field(600.0, gt=0)
    log_prompts: bool = False
    demo: bool | None = None
    console: bool = True
    console_session_ttl: int = Field(43200, ge=60)
    console_signin_per_minute: int = Field(10, ge=1)
    poll_interval: float = Field(default=0.5, gt=0)
    poll_max_interval: float = Field(default=3.0, gt=0)
    poll_deadline: float = Field(default=300.0, gt=0)
    channels: list[ChannelConfig] = []
    models: dict[str, ModelOverride] = {}
    prices: dict[str, PriceConfig] = {}

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str | None) -> str | None:
        """``file://<dir>`` or ``s3://<bucket>[/<prefix>]`` (see :mod:`imagegate.store.choose`)."""
        if value is None:
            return None
        if value.startswith("file://") and len(value) > len("file://"):
            return value
        if value.startswith("s3://") and value[len("s3://"):].split("/", 1)[0]:
            return value
        raise ValueError("storage_url (IMAGEGATE_STORAGE_URL) must be file://<dir> or s3://<bucket>[/<prefix>]")

    @model_validator(mode="after")
    def _presigned_needs_s3(self) -> Settings:
        if self.links == "presigned" and not (self.storage_url or "").startswith("s3://"):
            raise ValueError("links = 'presigned' (IMAGEGATE_LINKS) needs an s3:// storage_url "
                             "(IMAGEGATE_STORAGE_URL): a local results folder has no presigned links")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Overrides (keyword arguments) over the environment; no ``.env`` or secrets files. Settings read
        from a TOML file are built by the class :func:`_from_file` makes, which adds the file below both."""
        return init_settings, env_settings

    @property
    def base_url(self) -> str:
        """Where clients reach this gateway: the base of hosted result links."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    def poll(self) -> PollConfig:
        """The polling plan of channels that don't set their own."""
        return PollConfig(interval=self.poll_interval, max_interval=self.poll_max_interval,
                          deadline=self.poll_deadline)


@lru_cache(maxsize=16)
def _from_file(path: Path) -> type[Settings]:
    """A :class:`Settings` whose sources are overrides < environment < the TOML file at ``path``."""

    class SettingsFromFile(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=path)

    return SettingsFromFile


@dataclass(frozen=True, slots=True)
class SettingsLoader:
    """Loads settings the same way every time it is called: the same TOML file (or none) and the same
    overrides, over the environment.

    Made once at start, when the file is chosen (``config_file``, else ``IMAGEGATE_CONFIG`` as it is then);
    a reload calls it again, so it re-reads that file and never looks for another.
    """

    config_file: Path | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def at_start(cls, config_file: Path | str | None = None, **overrides: Any) -> SettingsLoader:
        path = config_file or os.environ.get(CONFIG_ENV) or None
        return cls(Path(path) if path else None, dict(overrides))

    def __call__(self) -> Settings:
        """Settings from defaults < the TOML file < the environment < the overrides.

        Raises :class:`UnknownSetting` for an ``IMAGEGATE_*`` variable or a key that is no setting,
        ``FileNotFoundError`` for a missing file, ``ValueError`` (pydantic's, TOML's) for bad values.
        """
        problems = unknown_variables(Settings, os.environ)
        if problems:
            raise UnknownSetting(problems)
        if self.config_file is not None and not self.config_file.is_file():
            raise FileNotFoundError(f"config file not found: {self.config_file}")
        settings_cls = Settings if self.config_file is None else _from_file(self.config_file)
        try:
            return settings_cls(**self.overrides)
        except ValidationError as exc:
            problems = unknown_keys(Settings, exc)
            if problems:
                raise UnknownSetting(problems) from None
            raise

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` with the variables that make ``SettingsLoader.at_start()``, in a process given this
        environment, load what this loader loads: ``IMAGEGATE_CONFIG`` (or none) and one variable per
        override (overrides are named by field name)."""
        given = {CONFIG_ENV: str(self.config_file)} if self.config_file is not None else {}
        for name, value in self.overrides.items():
            if name not in Settings.model_fields:
                raise ValueError(f"no setting is named {name!r}")
            variable = env_names(Settings, name, Settings.model_fields[name])[0]
            given[variable] = str(value) if isinstance(value, str | Path) else json.dumps(value)
        dropped = {CONFIG_ENV, *given}
        return {**{k: v for k, v in base.items() if k.upper() not in dropped}, **given}


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, the TOML file (``config_file``, else ``IMAGEGATE_CONFIG``), the environment
    and ``overrides`` (highest wins)."""
    return SettingsLoader.at_start(config_file, **overrides)()
