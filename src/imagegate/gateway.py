"""The running gateway's parts, built once from settings and shared by every request."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .auth import Authenticator
from .catalog import Catalog, ModelSpec
from .config import Settings, load_settings
from .context import current
from .dispatch import Dispatcher
from .errors import InvalidRequest, NotFound
from .health import Health
from .ledger import Database, Keys, UsageRecorder
from .ledger.db import default_url
from .metrics import Metrics
from .pipeline import Pipeline
from .policy import Policy
from .providers.registry import PROVIDERS
from .router import Channel, Router
from .store import LocalStore, ResultStore, Signer
from .store.signing import load_secret

log = logging.getLogger("imagegate")


class ConfigError(ValueError):
    """The configuration can't be served; the message says what to change."""


def config_problem(exc: Exception) -> str:
    """One line saying what is wrong with a configuration (a ``ConfigError``, pydantic's or TOML's error)."""
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {error['msg']}" if where else str(error["msg"])
    return str(exc).splitlines()[0]


def _channels(settings: Settings) -> list[Channel]:
    channels: list[Channel] = []
    for config in settings.all_channels():
        if config.provider not in PROVIDERS:
            known = ", ".join(sorted(PROVIDERS))
            raise ConfigError(f"channel {config.name!r}: unknown provider {config.provider!r} (known: {known})")
        if any(c.name == config.name for c in channels):
            raise ConfigError(f"channel name {config.name!r} is used twice; channel names must be unique")
        health = Health(config.allowed_fails or settings.allowed_fails, settings.fail_window,
                        settings.cooldown if config.cooldown is None else config.cooldown)
        channels.append(Channel.from_config(config, health))
    return channels


def build_routing(settings: Settings) -> tuple[Catalog, Router]:
    """Catalog and channels from settings, checked: every served model must be known."""
    channels = _channels(settings)
    aliases = {public: upstream for c in channels for public, upstream in c.models.items()}
    try:
        catalog = Catalog.build(settings.models, aliases)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    for public in aliases:
        if public not in catalog:
            raise ConfigError(f"model {public!r} is served by a channel but unknown: add [models.{public!r}] "
                              "with like = \"<a known model>\"")
    return catalog, Router(channels)


def connect(router: Router) -> Router:
    """Give each channel its provider client (one pooled HTTP client per channel)."""
    for channel in router.channels:
        channel.client = PROVIDERS[channel.provider](channel)
    return router


@dataclass(slots=True)
class Gateway:
    settings: Settings
    catalog: Catalog
    db: Database
    keys: Keys
    auth: Authenticator
    usage: UsageRecorder
    store: ResultStore
    signer: Signer
    metrics: Metrics
    dispatcher: Dispatcher
    pipeline: Pipeline
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    retired: list[Router] = field(default_factory=list)
    reloading: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def router(self) -> Router:
        return self.dispatcher.router

    def model(self, model_id: str) -> ModelSpec:
        """The spec of a model that a channel serves, or 404 ``model_not_found``."""
        if model_id not in self.router.served():
            raise NotFound(f"The model '{model_id}' does not exist.", param="model", code="model_not_found")
        current().model = model_id
        return self.catalog.get(model_id)

    def for_mask(self, spec: ModelSpec) -> ModelSpec:
        """The model a masked edit runs on: ``spec`` if it takes masks, else the served ``mask_model`` it names."""
        if spec.mask:
            return spec
        if spec.mask_model is not None and spec.mask_model in self.router.served():
            return self.catalog.get(spec.mask_model)
        hint = f" Serve '{spec.mask_model}' to have masked edits routed to it." if spec.mask_model else ""
        raise InvalidRequest(f"'{spec.id}' can't use a mask.{hint}", param="mask", code="unsupported_parameter")

    async def reload(self) -> dict[str, Any]:
        """Re-read channels, models and the failover settings; requests already running finish on the old ones.

        Raises ``ConfigError``, ``ValueError`` or ``FileNotFoundError`` and changes nothing if the new
        configuration is invalid. Other settings (listen address, database, keys) need a restart.
        """
        async with self.reloading:
            settings = load_settings()
            catalog, router = build_routing(settings)
            old = self.dispatcher.swap(connect(router), Policy.from_settings(settings))
            self.catalog = catalog
            self.retired.append(old)
            self.tasks = [t for t in self.tasks if not t.done()]
            self.tasks.append(asyncio.create_task(self._retire(old), name="retire-channels"))
        names = [c.name for c in router.channels]
        log.warning("channels reloaded", extra={"channels": names})
        return {"channels": names, "models": router.served()}

    async def _retire(self, router: Router) -> None:
        """Close a replaced router's clients once its last request is over."""
        await router.drained()
        await router.close()
        self.retired.remove(router)

    async def _sweep_forever(self) -> None:
        while True:
            try:
                removed = await self.store.sweep(self.settings.url_ttl)
                if removed:
                    log.info("swept %d expired result files", removed)
            except Exception:
                log.exception("result sweep failed")
            await asyncio.sleep(self.settings.sweep_interval)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.usage.close()
        for router in (self.router, *self.retired):
            await router.close()
        await self.db.close()


async def start(settings: Settings) -> Gateway:
    catalog, router = build_routing(settings)
    db = Database(settings.database_url or default_url(settings.data_dir))
    await db.create_schema()
    metrics = Metrics()
    dispatcher = Dispatcher(connect(router), Policy.from_settings(settings), metrics)
    metrics.watch(lambda: dispatcher.router)
    keys = Keys(db)
    usage = UsageRecorder(db)
    usage.start()
    store = LocalStore(settings.data_dir / "results")
    signer = Signer(load_secret(settings.data_dir, settings.secret), settings.url_ttl, settings.base_url)
    gateway = Gateway(
        settings, catalog, db, keys, Authenticator(keys, settings.master_key, settings.key_cache_ttl),
        usage, store, signer, metrics, dispatcher, Pipeline(dispatcher, store, signer, usage),
    )
    gateway.tasks.append(asyncio.create_task(gateway._sweep_forever(), name="result-sweep"))
    return gateway
