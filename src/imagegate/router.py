"""Channel choice: which upstream account serves the next call for a job.

Only channels whose provider can honour every value of the job are considered
(:meth:`Router.capable`); if none can, admission answers 400 naming the value before any
upstream call, so an answer never depends on which channels are healthy.

The highest priority tier that has a usable channel wins; inside it, a channel is drawn at
random in proportion to its ``weight``. A retry prefers channels the call has not tried yet.
Channels at their ``max_concurrency`` are skipped: the call queues for ``queue_wait``
seconds for a slot in its tier before it spills to a lower tier. Cooling and disabled
channels are skipped (see :mod:`imagegate.health`); when every enabled channel is cooling,
the one that recovers first serves anyway (a cooldown is a preference, never an outage of
its own making), after waiting out an upstream's Retry-After if that is what it rests for.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .errors import ClientClosed, InvalidRequest, NotFound, ServiceUnavailable
from .health import DISABLED, Health
from .job import ImageJob
from .policy import DeadlinePassed
from .providers.base import Provider

MAX_PER_CALL = 10  # OpenAI's own limit on n


class Unavailable(ServiceUnavailable):
    code = "no_channel_available"


@dataclass(slots=True)
class Channel:
    """One upstream account as the router sees it: its provider client, what it serves, its live health."""

    name: str
    provider: str
    client: Provider = field(repr=False)
    base_url: str
    models: dict[str, str]
    priority: int = 0
    weight: int = 1
    timeout: float = 600.0
    max_concurrency: int | None = None
    health: Health = field(default_factory=Health, repr=False)
    account: str = ""  # the upstream account's digest (see providers.limits.account_id): keys its shared state

    def refusal(self, job: ImageJob) -> InvalidRequest | None:
        return self.client.refusal(job, self.models[job.spec.id])

    def has_room(self) -> bool:
        return self.max_concurrency is None or self.health.in_flight < self.max_concurrency

    def describe(self, now: float) -> dict[str, Any]:
        return {"name": self.name, "provider": self.provider, "base_url": self.base_url,
                "models": sorted(self.models), "priority": self.priority, "weight": self.weight,
                "max_concurrency": self.max_concurrency, "timeout": self.timeout, **self.health.snapshot(now)}


@dataclass(slots=True)
class Lease:
    """One call's hold on a channel slot; ``release()`` when the call is over."""

    router: Router
    channel: Channel
    probe: bool
    waited: float

    def release(self) -> None:
        self.channel.health.end(self.probe)
        self.router.wake()


class Router:
    def __init__(self, channels: list[Channel], rng: random.Random | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.channels = channels
        self.rng = rng or random.Random()
        self.clock = clock
        by_model: dict[str, list[Channel]] = {}
        for channel in channels:
            for model in channel.models:
                by_model.setdefault(model, []).append(channel)
        self._tiers = {model: _tiers(group) for model, group in by_model.items()}
        self._freed = asyncio.Event()
        self._waiting = 0
        self._users = 0
        self._idle: asyncio.Event | None = None

    def served(self) -> list[str]:
        """Public model ids that at least one channel serves."""
        return sorted(self._tiers)

    def serves(self, model: str) -> bool:
        return model in self._tiers

    def tiers(self, model: str) -> list[list[Channel]]:
        tiers = self._tiers.get(model)
        if tiers is None:
            raise NotFound(f"The model '{model}' does not exist.", param="model", code="model_not_found")
        return tiers

    def capable(self, job: ImageJob) -> list[list[Channel]]:
        """The tiers of ``job``'s model, keeping only channels whose provider can honour every value of ``job``;
        with none, the 400 of the first channel (by priority) that refused."""
        refusals: list[InvalidRequest] = []
        tiers = []
        for tier in self.tiers(job.spec.id):
            kept = []
            for channel in tier:
                refusal = channel.refusal(job)
                if refusal is None:
                    kept.append(channel)
                else:
                    refusals.append(refusal)
            if kept:
                tiers.append(kept)
        if not tiers:
            raise refusals[0]
        return tiers

    @staticmethod
    def images_per_call(tiers: list[list[Channel]]) -> int:
        """The most images one call may ask for, so that every one of these channels can take it."""
        return min((c.client.images_per_call for tier in tiers for c in tier), default=MAX_PER_CALL)

    @staticmethod
    def usable(tiers: list[list[Channel]], avoid: Collection[str], now: float) -> list[list[Channel]]:
        """Usable channels by tier; only those not in ``avoid`` if there are any."""
        usable = [kept for tier in tiers if (kept := [c for c in tier if c.health.usable(now)])]
        if avoid:
            fresh = [kept for tier in usable if (kept := [c for c in tier if c.name not in avoid])]
            return fresh or usable
        return usable

    def has_fresh(self, tiers: list[list[Channel]], tried: Collection[str]) -> bool:
        """Whether a usable channel exists that the call has not tried."""
        now = self.clock()
        return any(c.name not in tried for tier in self.usable(tiers, (), now) for c in tier)

    def pick(self, tiers: list[list[Channel]], spill: bool) -> Channel | None:
        """A channel with room: in the first tier, or (``spill``) the first tier that has one."""
        for tier in tiers:
            ready = [c for c in tier if c.has_room()]
            if ready:
                return ready[0] if len(ready) == 1 else self._weighted(ready)
            if not spill:
                return None
        return None

    def _weighted(self, ready: list[Channel]) -> Channel:
        point = self.rng.random() * sum(c.weight for c in ready)
        for channel in ready:
            point -= channel.weight
            if point < 0:
                return channel
        return ready[-1]

    async def acquire(self, model: str, tiers: list[list[Channel]], avoid: Collection[str], deadline: float,
                      queue_wait: float, gone: asyncio.Event | None = None) -> Lease:
        """A slot on the best of ``tiers`` (the channels of ``model`` that can take the job), waiting for one until
        ``deadline`` at most."""
        started = self.clock()
        spill_at = started + queue_wait
        while True:
            now = self.clock()
            usable = self.usable(tiers, avoid, now) or _last_resort(model, tiers, now, deadline)
            channel = self.pick(usable, spill=now >= spill_at)
            if channel is not None:
                return Lease(self, channel, channel.health.begin(), now - started)
            if now >= deadline:
                raise DeadlinePassed("No upstream channel was free before the request's deadline.")
            wake = min(deadline, spill_at if now < spill_at else deadline, _next_recovery(tiers, now))
            await self._nap(wake - now, gone)

    async def _nap(self, seconds: float, gone: asyncio.Event | None) -> None:
        """Sleep until a slot frees, ``seconds`` pass, or the client leaves (then raise)."""
        self._waiting += 1
        waits = [asyncio.ensure_future(self._freed.wait())]
        if gone is not None:
            waits.append(asyncio.ensure_future(gone.wait()))
        try:
            await asyncio.wait(waits, timeout=max(seconds, 0.0), return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._waiting -= 1
            for wait in waits:
                wait.cancel()
        if gone is not None and gone.is_set():
            raise ClientClosed("The client closed the request.")

    def wake(self) -> None:
        """A slot was freed: let queued calls look again."""
        if self._waiting:
            self._freed.set()
            self._freed = asyncio.Event()

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """Held by each request for its whole run, so a retired router knows when it is idle."""
        self._users += 1
        try:
            yield
        finally:
            self._users -= 1
            if not self._users and self._idle is not None:
                self._idle.set()

    async def drained(self) -> None:
        if self._users:
            self._idle = asyncio.Event()
            await self._idle.wait()

    async def close(self) -> None:
        for channel in self.channels:
            with contextlib.suppress(Exception):
                await channel.client.aclose()

    def describe(self) -> list[dict[str, Any]]:
        now = self.clock()
        return [channel.describe(now) for channel in self.channels]


def _last_resort(model: str, tiers: list[list[Channel]], now: float, deadline: float) -> list[list[Channel]]:
    """Nothing usable: the enabled channel that recovers first, once any Retry-After rest is over."""
    enabled = [c for tier in tiers for c in tier if c.health.state is not DISABLED]
    if not enabled:
        raise Unavailable(f"No upstream channel is available for the model '{model}'.")
    soonest = min(enabled, key=lambda c: c.health.until)
    if soonest.health.resting(now):
        if soonest.health.until > deadline:
            wait = f"{soonest.health.until - now:.0f}"
            raise Unavailable(f"Every upstream for '{model}' is rate limited.", headers={"Retry-After": wait})
        return []
    return [[soonest]]


def _next_recovery(tiers: list[list[Channel]], now: float) -> float:
    ends = [c.health.until for tier in tiers for c in tier if c.health.until > now]
    return min(ends, default=float("inf"))


def _tiers(channels: list[Channel]) -> list[list[Channel]]:
    priorities = sorted({c.priority for c in channels}, reverse=True)
    return [[c for c in channels if c.priority == p] for p in priorities]
