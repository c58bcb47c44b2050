"""The running gateway's parts, built once from settings and shared by every request."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from .auth import Authenticator
from .catalog import Catalog, ModelSpec
from .config import Settings
from .errors import InvalidRequest, NotFound
from .ledger import Database, Keys, UsageRecorder
from .ledger.db import default_url
from .pipeline import Pipeline
from .providers.registry import PROVIDERS
from .router import Channel, Router
from .store import LocalStore, ResultStore, Signer
from .store.signing import load_secret

log = logging.getLogger("imagegate")


class ConfigError(ValueError):
    """The configuration can't be served; the message says what to change."""


def build_routing(settings: Settings) -> tuple[Catalog, Router]:
    """Catalog and channels from settings, checked: every served model must be known."""
    channels = [Channel.from_config(c) for c in settings.all_channels()]
    for channel in channels:
        if channel.provider not in PROVIDERS:
            known = ", ".join(sorted(PROVIDERS))
            raise ConfigError(f"channel {channel.name!r}: unknown provider {channel.provider!r} (known: {known})")
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


@dataclass(slots=True)
class Gateway:
    settings: Settings
    catalog: Catalog
    router: Router
    db: Database
    keys: Keys
    auth: Authenticator
    usage: UsageRecorder
    store: ResultStore
    signer: Signer
    pipeline: Pipeline
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def model(self, model_id: str) -> ModelSpec:
        """The spec of a model that a channel serves, or 404 ``model_not_found``."""
        if model_id not in self.router.served():
            raise NotFound(f"The model '{model_id}' does not exist.", param="model", code="model_not_found")
        return self.catalog.get(model_id)

    def for_mask(self, spec: ModelSpec) -> ModelSpec:
        """The model a masked edit runs on: ``spec`` if it takes masks, else the served ``mask_model`` it names."""
        if spec.mask:
            return spec
        if spec.mask_model is not None and spec.mask_model in self.router.served():
            return self.catalog.get(spec.mask_model)
        hint = f" Serve '{spec.mask_model}' to have masked edits routed to it." if spec.mask_model else ""
        raise InvalidRequest(f"'{spec.id}' can't use a mask.{hint}", param="mask", code="unsupported_parameter")

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
        for channel in self.router.channels:
            if channel.client is not None:
                with contextlib.suppress(Exception):
                    await channel.client.aclose()
        await self.db.close()


async def start(settings: Settings) -> Gateway:
    catalog, router = build_routing(settings)
    db = Database(settings.database_url or default_url(settings.data_dir))
    await db.create_schema()
    for channel in router.channels:
        channel.client = PROVIDERS[channel.provider](channel)
    keys = Keys(db)
    usage = UsageRecorder(db)
    usage.start()
    store = LocalStore(settings.data_dir / "results")
    signer = Signer(load_secret(settings.data_dir, settings.secret), settings.url_ttl, settings.base_url)
    gateway = Gateway(
        settings, catalog, router, db, keys, Authenticator(keys, settings.master_key, settings.key_cache_ttl),
        usage, store, signer, Pipeline(router, store, signer, usage),
    )
    gateway.tasks.append(asyncio.create_task(gateway._sweep_forever(), name="result-sweep"))
    return gateway
