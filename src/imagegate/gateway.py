"""The running gateway's parts, built once from settings and shared by every request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ValidationError

from .auth import Authenticator, Principal
from .billing import Billing
from .catalog import Catalog, ModelSpec
from .config import Settings
from .context import current
from .dispatch import Dispatcher
from .errors import InvalidRequest, NotFound
from .health import Health
from .jobs import Jobs, JobStore
from .jobs.queue import JobQueue, LocalQueue, RedisQueue
from .jobs.runner import runner
from .jobs.webhook import Notifier
from .jobs.worker import Worker
from .ledger import Database, Keys, UsageRecorder
from .ledger.budget import Budgets
from .ledger.db import default_url
from .ledger.idempotency import Idempotency
from .ledger.prices import PriceTable
from .metrics import Metrics
from .pipeline import Pipeline
from .policy import Policy
from .providers.registry import PROVIDERS
from .ratelimit import LocalWindow, RateLimiter, RedisWindow
from .router import Channel, Router
from .store import LocalStore, ResultStore, Signer
from .store.signing import load_secret

log = logging.getLogger("imagegate")
T = TypeVar("T")


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


def _check_reservation_ttl(settings: Settings) -> None:
    """A budget hold outlives the longest request, so only a dead process's holds are swept."""
    longest = max([settings.deadline] + [m.deadline for m in settings.models.values() if m.deadline])
    if longest >= settings.reservation_ttl:
        raise ConfigError(f"reservation_ttl ({settings.reservation_ttl:g} s) must be longer than the longest "
                          f"request deadline ({longest:g} s)")


@dataclass(frozen=True, slots=True)
class Routing:
    catalog: Catalog
    router: Router
    prices: PriceTable


def build_routing(settings: Settings) -> Routing:
    """Catalog, channels and prices from settings, checked: every served model must be known and priced."""
    channels = _channels(settings)
    _check_reservation_ttl(settings)
    aliases = {public: upstream for c in channels for public, upstream in c.models.items()}
    try:
        catalog = Catalog.build(settings.models, aliases)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    for public in aliases:
        if public not in catalog:
            raise ConfigError(f"model {public!r} is served by a channel but unknown: add [models.{public!r}] "
                              "with like = \"<a known model>\"")
    try:
        prices = PriceTable.build(settings.prices, catalog, aliases)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return Routing(catalog, Router(channels), prices)


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
    limiter: RateLimiter
    usage: UsageRecorder
    billing: Billing
    store: ResultStore
    signer: Signer
    metrics: Metrics
    dispatcher: Dispatcher
    pipeline: Pipeline
    jobs: Jobs
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    retired: list[Router] = field(default_factory=list)
    reloading: asyncio.Lock = field(default_factory=asyncio.Lock)
    inflight: set[asyncio.Task[Any]] = field(default_factory=set)
    loader: Callable[[], Settings] | None = None  # what a reload reads; without one, ``settings`` again

    @property
    def router(self) -> Router:
        return self.dispatcher.router

    def model(self, model_id: str, principal: Principal) -> ModelSpec:
        """The spec of a model a channel serves (else 404 ``model_not_found``) that the key may use (else 403)."""
        if model_id not in self.router.served():
            raise NotFound(f"The model '{model_id}' does not exist.", param="model", code="model_not_found")
        current().model = model_id
        principal.check_model(model_id)
        return self.catalog.get(model_id)

    def for_mask(self, spec: ModelSpec) -> ModelSpec:
        """The model a masked edit runs on: ``spec`` if it takes masks, else the served ``mask_model`` it names."""
        if spec.mask:
            return spec
        if spec.mask_model is not None and spec.mask_model in self.router.served():
            return self.catalog.get(spec.mask_model)
        hint = f" Serve '{spec.mask_model}' to have masked edits routed to it." if spec.mask_model else ""
        raise InvalidRequest(f"'{spec.id}' can't use a mask.{hint}", param="mask", code="unsupported_parameter")

    def detach(self, work: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
        """Run ``work`` to the end even if the request's task is cancelled: the upstream result is still
        stored and billed. Awaiting the returned future gives its result; cancelling it leaves ``work`` running."""
        task = asyncio.get_running_loop().create_task(work)
        self.inflight.add(task)
        task.add_done_callback(self._finished)
        return asyncio.shield(task)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("detached request ended with %r", task.exception())

    async def reload(self) -> dict[str, Any]:
        """Re-read channels, models, prices and the failover settings; requests already running finish on the
        old ones.

        The settings come from the loader the gateway was started with (the same file and overrides).
        Raises ``ConfigError``, ``ValueError`` or ``FileNotFoundError`` and changes nothing if the new
        configuration is invalid. Other settings (listen address, database, keys) need a restart.
        """
        async with self.reloading:
            settings = self.loader() if self.loader is not None else self.settings
            routing = build_routing(settings)
            old = self.dispatcher.swap(connect(routing.router), Policy.from_settings(settings))
            self.catalog = routing.catalog
            self.billing.prices = routing.prices
            self.retired.append(old)
            self.tasks = [t for t in self.tasks if not t.done()]
            self.tasks.append(asyncio.create_task(self._retire(old), name="retire-channels"))
        names = [c.name for c in routing.router.channels]
        log.warning("channels reloaded", extra={"channels": names})
        return {"channels": names, "models": routing.router.served()}

    async def _retire(self, router: Router) -> None:
        """Close a replaced router's clients once its last request is over."""
        await router.drained()
        await router.close()
        self.retired.remove(router)

    async def _sweep_forever(self) -> None:
        while True:
            try:
                removed = await self.store.sweep(self.settings.url_ttl)
                released = await self.billing.budgets.sweep(self.settings.reservation_ttl)
                forgotten = await self.billing.idempotency.sweep()
                if removed or released or forgotten:
                    log.info("swept %d result files, %d stale budget holds, %d idempotent answers",
                             removed, released, forgotten)
                expired = await self.jobs.sweep()
                if expired:
                    log.info("swept %d expired jobs", expired)
            except Exception:
                log.exception("sweep failed")
            await asyncio.sleep(self.settings.sweep_interval)

    async def close(self) -> None:
        if self.jobs.worker is not None:
            await self.jobs.worker.close()
        else:
            await self.jobs.queue.close()
        for delivery in self.jobs.deliveries:
            delivery.cancel()
        for task in self.tasks:
            task.cancel()
        if self.inflight:
            await asyncio.wait(self.inflight, timeout=self.settings.deadline)
        await self.usage.close()
        await self.limiter.window.aclose()
        for router in (self.router, *self.retired):
            await router.close()
        await self.db.close()


def _limiter(settings: Settings) -> RateLimiter:
    return RateLimiter(RedisWindow.from_url(settings.redis_url) if settings.redis_url else LocalWindow())


async def job_queue(settings: Settings) -> JobQueue:
    """Redis when ``redis_url`` is set (jobs go to any node's workers), else in-process."""
    if not settings.redis_url:
        return LocalQueue()
    queue = RedisQueue(settings.redis_url, settings.redis_prefix, settings.job_lease)
    await queue.start()
    return queue


async def start(settings: Settings, loader: Callable[[], Settings] | None = None) -> Gateway:
    """The gateway for ``settings``; ``loader`` gives the settings a reload reads."""
    routing = build_routing(settings)
    db = Database(settings.database_url or default_url(settings.data_dir))
    await db.migrate()
    metrics = Metrics()
    dispatcher = Dispatcher(connect(routing.router), Policy.from_settings(settings), metrics)
    metrics.watch(lambda: dispatcher.router)
    keys = Keys(db)
    usage = UsageRecorder(db)
    usage.start()
    billing = Billing(db, routing.prices, usage, Budgets(db), Idempotency(db, settings.reservation_ttl))
    store = LocalStore(settings.data_dir / "results")
    signer = Signer(load_secret(settings.data_dir, settings.secret), settings.url_ttl, settings.base_url)
    jobs = Jobs(JobStore(db, settings.job_ttl, settings.job_lease), LocalStore(settings.data_dir / "job-results"),
                settings.data_dir / "jobs", await job_queue(settings),
                Notifier(settings.webhook_secret, settings.webhook_allow_hosts, settings.webhook_timeout), signer)
    gateway = Gateway(
        settings, routing.catalog, db, keys, Authenticator(keys, settings.master_key, settings.key_cache_ttl),
        _limiter(settings), usage, billing, store, signer, metrics, dispatcher,
        Pipeline(dispatcher, store, signer, billing), jobs, loader=loader,
    )
    if settings.job_workers:
        jobs.worker = Worker(jobs.store, jobs.queue, runner(gateway), jobs.finished, settings.job_workers,
                             settings.job_poll)
        jobs.worker.start()
    gateway.tasks.append(asyncio.create_task(gateway._sweep_forever(), name="sweep"))
    return gateway
