"""Settings: built-in defaults < TOML file (``--config`` / ``IMAGEGATE_CONFIG``) < environment.

Scalar settings come from the environment as ``IMAGEGATE_<NAME>``; channels and model
overrides live in the TOML file. A provider's own key variable (``OPENAI_API_KEY`` and the
like, declared by each provider) gives an implicit channel named after the provider; a
configured channel with the same name replaces it (see :mod:`imagegate.wiring.channels`).

Failover settings (``max_attempts``, ``allowed_fails``, ``cooldown``, ...) are global; a
channel may override ``allowed_fails`` and ``cooldown``, a model its ``deadline``.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

_CONFIG_FILE: ContextVar[Path | None] = ContextVar("imagegate_config_file", default=None)

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
    base_url: str
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
    max_image_pixels: int = Field(50_000_000, ge=1)
    upstream_timeout: float = Field(600.0, gt=0)
    key_cache_ttl: float = Field(2.0, ge=0)
    redis_url: str | None = None
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
    log_prompts: bool = False
    poll_interval: float = Field(default=0.5, gt=0)
    poll_max_interval: float = Field(default=3.0, gt=0)
    poll_deadline: float = Field(default=300.0, gt=0)
    channels: list[ChannelConfig] = []
    models: dict[str, ModelOverride] = {}
    prices: dict[str, PriceConfig] = {}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _CONFIG_FILE.get()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

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


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, the TOML file and the environment (highest wins)."""
    path = config_file or os.environ.get("IMAGEGATE_CONFIG") or None
    token = _CONFIG_FILE.set(Path(path) if path else None)
    try:
        if path and not Path(path).is_file():
            raise FileNotFoundError(f"config file not found: {path}")
        return Settings(**overrides)
    finally:
        _CONFIG_FILE.reset(token)
