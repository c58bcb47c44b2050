"""Settings: built-in defaults < TOML file (``--config`` / ``IMAGEGATE_CONFIG``) < environment.

Scalar settings come from the environment as ``IMAGEGATE_<NAME>``; channels and model
overrides live in the TOML file. ``OPENAI_API_KEY`` (and ``OPENAI_BASE_URL``) alone give a
default ``openai`` channel that serves the four OpenAI models.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

_CONFIG_FILE: ContextVar[Path | None] = ContextVar("imagegate_config_file", default=None)

OPENAI_MODELS = {"gpt-image-1": "gpt-image-1", "gpt-image-1-all": "gpt-image-1", "dall-e-2": "dall-e-2",
                 "dall-e-3": "dall-e-3"}
MB = 1024 * 1024


class ChannelConfig(BaseModel):
    """One upstream account: where to send requests for some public model ids."""

    model_config = ConfigDict(extra="forbid")

    name: str
    provider: str = "openai"
    base_url: str
    api_key: str = ""
    models: dict[str, str]
    priority: int = 0
    weight: int = Field(1, ge=1)
    timeout: float = Field(600.0, gt=0)
    max_concurrency: int | None = Field(None, ge=1)

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
    default_response_format: str | None = None


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
    max_body_mb: int = Field(420, ge=1)
    max_image_mb: int = Field(25, ge=1)
    max_image_pixels: int = Field(50_000_000, ge=1)
    upstream_timeout: float = Field(600.0, gt=0)
    key_cache_ttl: float = Field(2.0, ge=0)
    sweep_interval: float = Field(300.0, gt=0)
    openai_api_key: str | None = Field(None, validation_alias=AliasChoices("openai_api_key", "OPENAI_API_KEY"))
    openai_base_url: str = Field(
        "https://api.openai.com/v1", validation_alias=AliasChoices("openai_base_url", "OPENAI_BASE_URL")
    )
    channels: list[ChannelConfig] = []
    models: dict[str, ModelOverride] = {}

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

    def all_channels(self) -> list[ChannelConfig]:
        """Configured channels, plus the implicit ``openai`` one when OPENAI_API_KEY is set."""
        channels = list(self.channels)
        if self.openai_api_key and not any(c.name == "openai" for c in channels):
            channels.append(ChannelConfig(
                name="openai", provider="openai", base_url=self.openai_base_url,
                api_key=self.openai_api_key, models=dict(OPENAI_MODELS), timeout=self.upstream_timeout,
            ))
        return channels


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
