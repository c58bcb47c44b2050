"""What a running gateway does besides serving requests: reloading its routing, and sweeping what expired.

A reload re-reads the configuration through the loader the app factory handed over, builds a
new routing (channels, models, prices, failover policy) and swaps it in whole; requests already
running finish on the old one, whose clients are closed once its last request is over. The
sweep deletes expired results (from the local folder or the bucket) and jobs and releases stale budget
holds, on one node of a fleet at a time (:func:`one_node`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text

from .billing import Billing
from .config import Settings
from .jobs import Jobs
from .ledger import Database
from .providers.registry import Registry
from .router import Router
from .routing import CapsFor, Live, build_routing, local_caps
from .store import ResultStore

log = logging.getLogger("imagegate")
Loader = Callable[[], Settings]
SWEEP_LOCK = 0x696D_6167_6573_7770  # the PostgreSQL advisory lock key of the sweep ("imageswp")


class Reloader:
    def __init__(self, load: Loader, registry: Registry, environ: Mapping[str, str], live: Live,
                 caps_for: CapsFor = local_caps, on_reload: Callable[[Router], None] = lambda router: None) -> None:
        self.load, self.registry, self.environ, self.live = load, registry, environ, live
        self.caps_for, self.on_reload = caps_for, on_reload
        self.lock = asyncio.Lock()
        self.retired: list[Router] = []
        self.tasks: set[asyncio.Task[None]] = set()

    async def reload(self) -> dict[str, Any]:
        """Re-read channels, models, prices and the failover settings; requests already running finish on the
        old ones.

        Raises ``ConfigError``, ``ValueError`` or ``FileNotFoundError`` and changes nothing if the new
        configuration is invalid. Other settings (listen address, database, keys) need a restart.
        """
        async with self.lock:
            routing = build_routing(self.load(), self.registry, self.environ, self.caps_for)
            old = self.live.swap(routing)
            self.on_reload(routing.router)
            self.retired.append(old.router)
            task = asyncio.create_task(self._retire(old.router), name="retire-channels")
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        names = [c.name for c in routing.router.channels]
        log.warning("channels reloaded", extra={"channels": names})
        return {"channels": names, "models": routing.router.served()}

    async def _retire(self, router: Router) -> None:
        """Close a replaced router's clients once its last request is over."""
        await router.drained()
        await router.close()
        self.retired.remove(router)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for router in (self.live.current.router, *self.retired):
            await router.close()


@asynccontextmanager
async def one_node(db: Database) -> AsyncIterator[bool]:
    """Whether this node is the one that sweeps now: a PostgreSQL advisory lock, held until the block ends, lets
    one node of a fleet at a time through (the others skip this round); SQLite serves one node."""
    if db.is_sqlite:
        yield True
        return
    async with db.connect() as conn:  # the transaction's end (rollback) releases the lock
        yield bool(await conn.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK}))


async def sweep_forever(settings: Settings, store: ResultStore, billing: Billing, jobs: Jobs, db: Database) -> None:
    while True:
        try:
            async with one_node(db) as sweeper:
                if sweeper:
                    await _sweep(settings, store, billing, jobs)
        except Exception:
            log.exception("sweep failed")
        await asyncio.sleep(settings.sweep_interval)


async def _sweep(settings: Settings, store: ResultStore, billing: Billing, jobs: Jobs) -> None:
    """Expired results (in the store: local folder or bucket) and jobs, stale budget holds, old idempotent
    answers."""
    removed = await store.sweep(settings.url_ttl)
    released = await billing.budgets.sweep(settings.reservation_ttl)
    forgotten = await billing.idempotency.sweep()
    if removed or released or forgotten:
        log.info("swept %d result files, %d stale budget holds, %d idempotent answers",
                 removed, released, forgotten)
    expired = await jobs.sweep()
    if expired:
        log.info("swept %d expired jobs", expired)
