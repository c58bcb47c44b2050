"""What requests are routed by, built from settings and the provider registry, and swapped whole on reload:
the catalog, the channels (each with its provider client), the prices and the failover policy.

Channels are the configured ``[[channels]]`` plus the implicit ones a provider's own key variable
gives (``OPENAI_API_KEY`` and the like, as each provider declares), unless a configured channel
takes the name. Every served model must be known and priced, every channel's provider registered,
and its provider-specific keys valid, or the configuration is refused with a message saying what
to change.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from .catalog import Catalog
from .config import ChannelConfig, Settings
from .extras import MissingExtra
from .fields import FieldTable
from .health import Health
from .ledger.prices import PriceTable
from .policy import Policy
from .providers.base import Upstream
from .providers.http import Http
from .providers.limits import Caps, account_id, local_cap
from .providers.registry import Registry
from .providers.spec import ProviderSpec
from .router import Channel, Router

CapsFor = Callable[[str], Caps]  # an upstream account's digest → where its task caps' slots come from


def local_caps(account: str) -> Caps:
    return local_cap


class ConfigError(ValueError):
    """The configuration can't be served; the message says what to change."""


def config_problem(exc: Exception) -> str:
    """One line saying what is wrong with a configuration (a ``ConfigError``, pydantic's or TOML's error)."""
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {error['msg']}" if where else str(error["msg"])
    return str(exc).splitlines()[0]


@dataclass(frozen=True, slots=True)
class Routing:
    catalog: Catalog
    router: Router
    prices: PriceTable
    policy: Policy


class Live:
    """The routing in force; :meth:`swap` puts a reloaded one in place (requests already running keep theirs)."""

    def __init__(self, routing: Routing) -> None:
        self.current = routing

    def swap(self, routing: Routing) -> Routing:
        old, self.current = self.current, routing
        return old


def _env_channel(spec: ProviderSpec, settings: Settings, key: str, base_url: str | None) -> ChannelConfig:
    assert spec.env is not None
    return ChannelConfig(name=spec.name, provider=spec.name, api_key=key, base_url=base_url or spec.env.base_url,
                         models=dict(spec.env.models), priority=spec.env.priority, timeout=settings.upstream_timeout)


def keyless_on(settings: Settings, others: list[ChannelConfig]) -> bool:
    """Whether keyless providers' channels are served: as the ``demo`` setting says, else when nothing else is."""
    return settings.demo if settings.demo is not None else not others


def channel_configs(settings: Settings, registry: Registry, environ: Mapping[str, str]) -> list[ChannelConfig]:
    """Configured channels, then the implicit ones whose name no configured channel takes (a keyless provider's
    when :func:`keyless_on`); each with its polling plan filled in from the ``poll_*`` settings unless it sets its
    own."""
    channels = list(settings.channels)
    names = {c.name for c in channels}
    implicit = [spec for spec in registry.specs.values() if spec.env is not None and spec.name not in names]
    for spec in implicit:
        assert spec.env is not None
        if not spec.keyless and environ.get(spec.env.key_var):
            channels.append(_env_channel(spec, settings, environ[spec.env.key_var], environ.get(spec.env.base_var)))
    if keyless_on(settings, channels):
        channels += [_env_channel(spec, settings, "", None) for spec in implicit if spec.keyless]
    return [c if c.poll is not None else c.model_copy(update={"poll": settings.poll()}) for c in channels]


def _check_keys(config: ChannelConfig, known: set[str]) -> None:
    """Keys neither every channel nor this channel's provider takes: refused, with the closest known key."""
    for key in sorted(config.options):
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known | set(ChannelConfig.model_fields)), 1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"channel {config.name!r}: unknown key {key!r} for provider {config.provider!r}{hint}")


def _upstream(config: ChannelConfig, registry: Registry, caps_for: CapsFor) -> Upstream:
    spec = registry[config.provider]
    _check_keys(config, set(spec.channel_options.model_fields) if spec.channel_options is not None else set())
    options = None
    if spec.channel_options is not None:
        try:
            options = spec.channel_options.model_validate(config.options)
        except ValidationError as exc:
            raise ConfigError(f"channel {config.name!r}: {config_problem(exc)}") from None
    assert config.poll is not None
    base_url = config.base_url or (spec.default_base_url(options) if spec.default_base_url is not None else "") \
        or (spec.env.base_url if spec.env is not None else "")
    if not base_url:
        raise ConfigError(f"channel {config.name!r}: base_url is required for provider {config.provider!r}")
    caps = caps_for(account_id(base_url, config.api_key))
    return Upstream(config.name, base_url, config.api_key, config.timeout, config.max_concurrency,
                    dict(config.model_concurrency), config.poll, options, caps)


def _channel(config: ChannelConfig, settings: Settings, registry: Registry, caps_for: CapsFor) -> Channel:
    spec = registry[config.provider]
    http = Http(config.timeout, config.max_concurrency, secret_header=spec.credential_header,
                key_prefixes=registry.key_prefixes(), key_patterns=registry.key_patterns())
    health = Health(config.allowed_fails or settings.allowed_fails, settings.fail_window,
                    settings.cooldown if config.cooldown is None else config.cooldown)
    upstream = _upstream(config, registry, caps_for)
    try:
        client = spec.build(upstream, http)
    except (ValueError, OSError, MissingExtra) as exc:
        raise ConfigError(f"channel {config.name!r}: {str(exc).splitlines()[0]}") from None
    return Channel(config.name, config.provider, client, upstream.base_url, dict(config.models), config.priority,
                   config.weight, config.timeout, config.max_concurrency, health,
                   account_id(upstream.base_url, upstream.api_key))


def _channels(settings: Settings, registry: Registry, environ: Mapping[str, str], caps_for: CapsFor) -> list[Channel]:
    channels: list[Channel] = []
    for config in channel_configs(settings, registry, environ):
        if config.provider not in registry:
            known = ", ".join(sorted(registry.specs))
            raise ConfigError(f"channel {config.name!r}: unknown provider {config.provider!r} (known: {known})")
        if any(c.name == config.name for c in channels):
            raise ConfigError(f"channel name {config.name!r} is used twice; channel names must be unique")
        channels.append(_channel(config, settings, registry, caps_for))
    return channels


def check_reservation_ttl(settings: Settings) -> None:
    """A budget hold outlives the longest request, so only a dead process's holds are swept."""
    longest = max([settings.deadline] + [m.deadline for m in settings.models.values() if m.deadline])
    if longest >= settings.reservation_ttl:
        raise ConfigError(f"reservation_ttl ({settings.reservation_ttl:g} s) must be longer than the longest "
                          f"request deadline ({longest:g} s)")


def _catalog(settings: Settings, registry: Registry, aliases: dict[str, str]) -> Catalog:
    try:
        catalog = Catalog.build(registry.models(), settings.models, aliases)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    for public in aliases:
        if public not in catalog:
            raise ConfigError(f"model {public!r} is served by a channel but unknown: add [models.{public!r}] "
                              "with like = \"<a known model>\"")
    return catalog


def build_routing(settings: Settings, registry: Registry, environ: Mapping[str, str],
                  caps_for: CapsFor = local_caps) -> Routing:
    """Catalog, channels, prices and policy from settings, checked. The channels' HTTP clients open lazily,
    so a routing that is refused (or only inspected, as the CLI does) leaves nothing to close. ``caps_for``
    gives each upstream account's task caps (this process's by default; the fleet's with Redis)."""
    check_reservation_ttl(settings)
    channels = _channels(settings, registry, environ, caps_for)
    aliases = {public: upstream for c in channels for public, upstream in c.models.items()}
    catalog = _catalog(settings, registry, aliases)
    try:
        prices = PriceTable.build(settings.prices, catalog, aliases, registry.prices())
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return Routing(catalog, Router(channels), prices, Policy.from_settings(settings))


def field_table(registry: Registry) -> FieldTable:
    try:
        return FieldTable.build(registry.fields())
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
