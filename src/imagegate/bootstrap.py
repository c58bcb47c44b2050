"""The composition root: every part of a running gateway, built once from settings and wired together.

Only the app factory (:mod:`imagegate.app`) and the route dependencies (:mod:`imagegate.api.deps`)
see :class:`Services`; every other part takes the few parts it needs as arguments.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from .admission import Admission
from .auth import Authenticator
from .billing import Billing
from .config import Settings
from .detach import Detached
from .dispatch import Dispatcher
from .fields import FieldTable
from .jobs import Jobs, JobStore
from .jobs.files import JobFiles
from .jobs.outbox import Outbox
from .jobs.queue import JobQueue, LocalQueue, RedisQueue
from .jobs.runner import JobRunner
from .jobs.webhook import ATTEMPTS, Notifier
from .jobs.worker import Worker
from .ledger import Database, Keys, UsageRecorder
from .ledger.budget import Budgets
from .ledger.db import default_url
from .ledger.idempotency import Idempotency
from .lifecycle import Lifecycle
from .maintenance import Loader, Reloader, sweep_forever
from .membudget import MemoryBudget
from .metrics import Metrics
from .pipeline import Pipeline
from .providers.registry import Registry
from .ratelimit import LocalWindow, RateLimiter, RedisWindow
from .readiness import OK, Verdict, probe
from .routing import CapsFor, Live, build_routing, field_table, local_caps
from .shared import SharedState
from .shared.caps import fleet_caps
from .shared.channels import HealthSync
from .store import ResultStore, Signer
from .store.choose import Stores, open_stores
from .store.signing import load_secret
from .tracing import Tracing

log = logging.getLogger("imagegate")


@dataclass(slots=True)
class Services:
    settings: Settings
    fields: FieldTable
    live: Live
    admission: Admission
    db: Database
    keys: Keys
    auth: Authenticator
    limiter: RateLimiter
    usage: UsageRecorder
    billing: Billing
    store: ResultStore
    signer: Signer
    metrics: Metrics
    pipeline: Pipeline
    jobs: Jobs
    detached: Detached
    reloader: Reloader
    shared: SharedState
    lifecycle: Lifecycle
    uploads: MemoryBudget
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def drain(self) -> None:
        """Stop taking requests and jobs (``/readyz`` says ``draining`` from now on); give what is in flight
        until ``deadline`` to finish. :meth:`close` then hands back the jobs still running."""
        self.lifecycle.readiness.draining = True
        log.warning("draining: no new requests or jobs; waiting up to %g s for those in flight",
                    self.settings.deadline)
        end = time.monotonic() + self.settings.deadline
        if self.jobs.worker is not None:
            self.jobs.worker.stop_taking()
        await self.lifecycle.inflight.idle(end - time.monotonic())
        await self.detached.drain(max(end - time.monotonic(), 0))
        if self.jobs.worker is not None:
            await self.jobs.worker.finish(end - time.monotonic())
        log.warning("drained; shutting down")

    async def close(self) -> None:
        """Stop taking work, let detached requests (streams included) finish within the deadline, close."""
        if self.jobs.worker is not None:
            await self.jobs.worker.close()
        else:
            await self.jobs.queue.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)  # none may still use the database it closes
        await self.detached.drain(self.settings.deadline)
        await self.usage.close()
        await self.limiter.window.aclose()
        await self.reloader.close()
        await self.shared.aclose()
        await self.db.close()
        self.metrics.close()


def _limiter(settings: Settings) -> RateLimiter:
    return RateLimiter(RedisWindow.from_url(settings.redis_url) if settings.redis_url else LocalWindow())


def _shared(settings: Settings, metrics: Metrics) -> tuple[SharedState, CapsFor]:
    """The fleet's shared state (``local`` without Redis) and where each upstream account's caps come from."""
    shared = SharedState.from_url(settings.redis_url, settings.redis_prefix, settings.expected_nodes,
                                  metrics.shared_degraded.set)
    if shared.redis is None:
        return shared, local_caps
    return shared, lambda account: fleet_caps(shared, settings.slot_lease, account)


async def job_queue(settings: Settings) -> JobQueue:
    """Redis when ``redis_url`` is set (jobs go to any node's workers), else in-process."""
    if not settings.redis_url:
        return LocalQueue()
    queue = RedisQueue(settings.redis_url, settings.redis_prefix, settings.job_lease)
    await queue.start()
    return queue


async def _jobs(settings: Settings, db: Database, stores: Stores) -> Jobs:
    store = JobStore(db, settings.job_ttl, settings.job_lease)
    notifier = Notifier(settings.webhook_secret, settings.webhook_allow_hosts, settings.webhook_timeout)
    outbox = Outbox(db, store, notifier, stores.job_links, poll=settings.job_poll,
                    retry_max=settings.webhook_retry_max,
                    lease=settings.webhook_timeout * ATTEMPTS + 10)  # longer than one delivery round can take
    return Jobs(store, stores.job_results, JobFiles(settings.data_dir / "jobs", stores.job_inputs),
                await job_queue(settings), notifier, stores.job_links, outbox)


def _shared_check(shared: SharedState) -> Callable[[], Awaitable[Verdict]]:
    """Redis as the fleet's shared state sees it: ``degraded`` (still ready) while it can't be reached."""
    async def check() -> Verdict:
        return Verdict("degraded", shared.reason or "Redis can't be reached") if shared.mode() == "degraded" \
            else OK
    return check


def _readiness_checks(services: Services) -> None:
    """The ``/readyz`` checks of the parts this node depends on (:mod:`imagegate.readiness`)."""
    readiness = services.lifecycle.readiness
    readiness.add("database", probe(services.db.ping))
    if services.settings.redis_url:
        readiness.add("redis", _shared_check(services.shared))
    readiness.add("storage", probe(services.store.probe))


async def start(settings: Settings, load: Loader | None = None, environ: Mapping[str, str] | None = None,
                lifecycle: Lifecycle | None = None, tracing: Tracing | None = None) -> Services:
    """Build and start every part. ``load`` re-reads the configuration on reload (by default the same file and
    environment); ``environ`` holds the providers' own key variables (default: this process's environment);
    ``lifecycle`` is the node's state the app's request gate shares (a new one by default); ``tracing`` makes
    the upstream attempts' spans (default: none)."""
    environ = dict(os.environ if environ is None else environ)
    registry = Registry.load(settings.provider_modules)
    metrics = Metrics(settings.node_name)
    shared, caps_for = _shared(settings, metrics)
    live = Live(build_routing(settings, registry, environ, caps_for))
    fields = field_table(registry)
    db = Database(settings.database_url or default_url(settings.data_dir))
    await db.migrate()
    metrics.watch(lambda: live.current.router)
    keys = Keys(db)
    usage = UsageRecorder(db, settings.usage_commit)
    usage.start()
    billing = Billing(db, lambda: live.current.prices, usage, Budgets(db),
                      Idempotency(db, settings.reservation_ttl))
    signer = Signer(load_secret(settings.data_dir, settings.secret), settings.url_ttl, settings.base_url)
    stores = open_stores(settings, signer, environ)
    store = stores.results
    auth = Authenticator(keys, settings.master_key, settings.key_cache_ttl)
    admission = Admission(live, fields, settings.default_model, settings.max_image_pixels)
    sync = HealthSync(shared, lambda: live.current.router, settings.shared_interval) if shared.redis else None
    pipeline = Pipeline(Dispatcher(live, metrics, events=sync, tracing=tracing), store, stores.links, billing)
    jobs = await _jobs(settings, db, stores)
    services = Services(settings, fields, live, admission, db, keys, auth, _limiter(settings), usage, billing, store,
                        signer, metrics, pipeline, jobs, Detached(),
                        Reloader(load or (lambda: settings), registry, environ, live, caps_for,
                                 sync.reset if sync is not None else lambda router: None),
                        shared=shared, lifecycle=lifecycle or Lifecycle(),
                        uploads=MemoryBudget(settings.upload_memory_mb * 1024 * 1024))
    _readiness_checks(services)
    if settings.job_workers:
        jobs.worker = Worker(jobs.store, jobs.queue, JobRunner(admission, auth, pipeline, jobs), jobs.finished,
                             settings.job_workers, settings.job_poll)
        jobs.worker.start()
    services.tasks.append(asyncio.create_task(sweep_forever(settings, store, billing, jobs, db), name="sweep"))
    if sync is not None:
        services.tasks.append(asyncio.create_task(sync.run(), name="shared-channel-health"))
    if jobs.outbox is not None and settings.webhook_secret:
        services.tasks.append(asyncio.create_task(jobs.outbox.run_forever(), name="webhook-outbox"))
    return services
