"""The attempt loop: one job's upstream calls, each retried on another channel until one succeeds.

``n`` images become calls of at most ``upstream_n_max`` each (and no more than every channel of
the model can make in one call, so any channel can take over any call), run in parallel; a
failed call is retried on its own, finished ones are kept. Each call gets at most
``max_attempts`` attempts: a retry goes at once to a channel it has not tried, or after a
jittered backoff to one it has. Every attempt is bounded by its channel's ``timeout`` and by
the request's one deadline, which no wait or retry passes. Once the client has gone, calls in
flight finish (their result is paid for, and is stored and recorded) but nothing new starts.
A call that fails for good fails the request, unless the client asked for ``partial_results``.

Each attempt is a span when tracing is on (:mod:`imagegate.tracing`), and counts in its channel's
``imagegate_channel_in_flight`` while it holds the channel's slot.

Only channels that can honour every value of the job take part (:meth:`Router.capable`). A
streaming client gets the partial images of a call's first attempt that sends any; if that
attempt then fails over, the next attempt's partials are not sent (the client keeps the previews
it has), and the completed image comes from the attempt that succeeded.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from .context import RequestContext, current
from .errors import ApiError, ClientClosed, UpstreamTimeout
from .job import ImageJob
from .metrics import Metrics, ModelMetrics
from .policy import DeadlinePassed, Effect, Policy, Verdict, judge, retry_after
from .providers.base import Call, PartialSink, TaskLog, UpstreamResult
from .router import Channel, Lease, Router, Unavailable
from .routing import Live
from .tracing import Tracing

log = logging.getLogger("imagegate.dispatch")
Done = tuple[UpstreamResult, str]  # a call's result, and the channel that made it


def split(n: int, per_call: int) -> list[int]:
    """``n`` images as upstream calls of at most ``per_call`` each: 10 by 4 → [4, 4, 2]."""
    return [min(per_call, n - i) for i in range(0, n, per_call)]


@dataclass(slots=True)
class Outcome:
    """What one request's upstream calls gave: their results, the calls that failed for good (only
    ever non-empty with ``partial_results``), and the channel(s) that made the images."""

    results: list[UpstreamResult]
    failures: list[ApiError]
    channel: str


@dataclass(frozen=True, slots=True)
class Hooks:
    """What a request's caller gives its upstream calls: where partial images go (a stream), where submitted
    upstream tasks are remembered (an async job), and the event set once the client has left."""

    on_partial: PartialSink | None = None
    tasks: TaskLog | None = None
    gone: asyncio.Event = field(default_factory=asyncio.Event)


class _Partials:
    """One call's partial images, passed on from the first attempt that sends any, and only from it."""

    def __init__(self, sink: PartialSink | None) -> None:
        self.sink = sink
        self.sent = False

    def for_attempt(self) -> PartialSink | None:
        return self.forward if self.sink is not None and not self.sent else None

    def forward(self, kind: str, data: str) -> None:
        self.sent = True
        assert self.sink is not None
        self.sink(kind, data)


@dataclass(slots=True)
class _Run:
    """One request's dispatch: fixed at its start, so a reload mid-request changes nothing for it."""

    router: Router
    tiers: list[list[Channel]]
    policy: Policy
    job: ImageJob
    hooks: Hooks
    deadline: float
    ctx: RequestContext
    stats: ModelMetrics


class ChannelEvents(Protocol):
    """Where a channel's health changes go besides its own :class:`Health` (the fleet's, with Redis: see
    :mod:`imagegate.shared.channels`): ``fail``, ``cool`` (``reason``, ``seconds``), ``disable``, ``healthy``."""

    def record(self, channel: Channel, kind: str, reason: str = "", seconds: float = 0.0) -> None: ...


class NoEvents:
    """One process: its channels' health is all there is."""

    def record(self, channel: Channel, kind: str, reason: str = "", seconds: float = 0.0) -> None:
        return None


class Dispatcher:
    """Runs jobs on the routing in force when each starts (``live``: swapped whole by a reload)."""

    def __init__(self, live: Live, metrics: Metrics, rng: random.Random | None = None,
                 clock: Callable[[], float] = time.monotonic, events: ChannelEvents | None = None,
                 tracing: Tracing | None = None) -> None:
        self.live = live
        self.metrics = metrics
        self.events: ChannelEvents = events or NoEvents()
        self.tracing = tracing or Tracing()
        self.rng = rng or random.Random()
        self.clock = clock

    async def run(self, job: ImageJob, hooks: Hooks | None = None) -> Outcome:
        routing = self.live.current
        router, policy = routing.router, routing.policy
        deadline = self.clock() + (job.spec.deadline or policy.deadline)
        run = _Run(router, router.capable(job), policy, job, hooks or Hooks(), deadline, current(),
                   self.metrics.model(job.spec.id))
        run.ctx.prompt = job.prompt
        failures: list[ApiError] = []
        with run.router.in_use():
            per_call = min(job.spec.upstream_n_max, router.images_per_call(run.tiers))
            calls = [(i * per_call, n) for i, n in enumerate(split(job.n, per_call))]
            if len(calls) == 1:
                done = [await self._call(run, *calls[0])]
            elif job.partial_results:
                done, failures = await self._partial(run, calls)
            else:
                done = await self._fan_out(run, calls)
        run.ctx.channel = ",".join(dict.fromkeys(name for _, name in done))
        return Outcome([result for result, _ in done], failures, run.ctx.channel)

    async def _fan_out(self, run: _Run, calls: list[tuple[int, int]]) -> list[Done]:
        """Calls in parallel; a failure cancels the others, but a client leaving lets started ones finish."""
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._call_or_closed(run, *call)) for call in calls]
        except ExceptionGroup as failures:
            first = next((e for e in failures.exceptions if isinstance(e, ApiError)), failures.exceptions[0])
            raise first from None
        done = [task.result() for task in tasks]
        for item in done:
            if isinstance(item, ClientClosed):
                raise item
        return [item for item in done if not isinstance(item, ClientClosed)]

    async def _call_or_closed(self, run: _Run, offset: int, n: int) -> Done | ClientClosed:
        try:
            return await self._call(run, offset, n)
        except ClientClosed as closed:
            return closed

    async def _partial(self, run: _Run, calls: list[tuple[int, int]]) -> tuple[list[Done], list[ApiError]]:
        """Every call to its end; keep what succeeded. With nothing made, the first failure is the answer."""
        outcomes = await asyncio.gather(*(self._call(run, *call) for call in calls), return_exceptions=True)
        unexpected = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, ApiError)]
        if unexpected:
            raise unexpected[0]
        done = [o for o in outcomes if not isinstance(o, BaseException)]
        failures = [o for o in outcomes if isinstance(o, ApiError)]
        if not done:
            raise failures[0]
        return done, failures

    async def _call(self, run: _Run, offset: int, n: int) -> Done:
        """One upstream call of ``n`` images (the job's from ``offset`` on), with its retries."""
        tried: list[str] = []
        last: ApiError | None = None
        partials = _Partials(run.hooks.on_partial)
        while True:
            if tried:
                run.stats.retries.inc()
                await self._pause(run, tried, last)
            lease = await self._lease(run, tried, last)
            channel = lease.channel
            tried.append(channel.name)
            in_flight = self.metrics.channel(channel.name).in_flight
            in_flight.inc()
            try:
                call = Call(run.job, channel.name, channel.models[run.job.spec.id], n, offset,
                            partials.for_attempt(), run.hooks.tasks, run.hooks.gone)
                with self.tracing.attempt(channel.name, channel.provider, run.job.spec.id, len(tried) - 1):
                    return await self._attempt(run, lease, call), channel.name
            except ApiError as err:
                if not self._retry(run, lease, err, len(tried)):
                    raise
                last = err
            finally:
                in_flight.dec()
                lease.release()

    async def _pause(self, run: _Run, tried: list[str], last: ApiError | None) -> None:
        """Back off before going back to a channel already tried; a fresh channel is tried at once."""
        if run.router.has_fresh(run.tiers, tried):
            return
        delay = run.policy.delay(len(tried) + 1, self.rng)
        if self.clock() + delay >= run.deadline:
            raise last or DeadlinePassed("The request's deadline passed.")
        try:
            await asyncio.wait_for(run.hooks.gone.wait(), delay)
        except TimeoutError:
            return
        raise ClientClosed("The client closed the request.")

    async def _lease(self, run: _Run, tried: list[str], last: ApiError | None) -> Lease:
        if run.hooks.gone.is_set():
            raise ClientClosed("The client closed the request.")
        try:
            lease = await run.router.acquire(run.job.spec.id, run.tiers, tried, run.deadline, run.policy.queue_wait,
                                             run.hooks.gone)
        except Unavailable as exc:
            raise (last or exc) from None
        run.stats.queue_wait.observe(lease.waited)
        run.ctx.attempts += 1
        return lease

    async def _attempt(self, run: _Run, lease: Lease, call: Call) -> UpstreamResult:
        channel = lease.channel
        started = self.clock()
        budget = run.deadline - started
        if budget <= 0:
            raise DeadlinePassed("The request's deadline passed.")
        try:
            async with asyncio.timeout(min(channel.timeout, budget)):
                result = await channel.client.run(call)
        except TimeoutError:
            if budget <= channel.timeout:
                raise DeadlinePassed("The request's deadline passed before the upstream answered.") from None
            raise UpstreamTimeout("The upstream did not answer in time.") from None
        finally:
            elapsed = self.clock() - started
            self.metrics.channel(channel.name).latency.observe(elapsed)
        self._succeeded(channel, elapsed, lease.probe)
        return result

    def _succeeded(self, channel: Channel, latency: float | None, probe: bool) -> None:
        channel.health.succeeded(latency, probe)
        if probe:
            self.events.record(channel, "healthy")

    def _retry(self, run: _Run, lease: Lease, err: ApiError, attempts: int) -> bool:
        """Judge a failed attempt: update the channel's health, count it, and say whether to retry."""
        verdict = judge(err)
        channel = lease.channel
        self.metrics.channel(channel.name).error(verdict.kind)
        self._mark(channel, verdict, err, lease.probe, run.policy)
        retry = verdict.retry and attempts < run.policy.max_attempts and self.clock() < run.deadline
        level = logging.INFO if verdict.effect is Effect.ANSWERED else logging.WARNING
        log.log(level, "upstream attempt failed", extra={
            "channel": channel.name, "kind": verdict.kind, "code": err.code, "attempt": attempts, "retry": retry})
        if retry and run.hooks.gone.is_set():
            raise ClientClosed("The client closed the request.") from err
        return retry

    def _mark(self, channel: Channel, verdict: Verdict, err: ApiError, probe: bool, policy: Policy) -> None:
        now, name, health = self.clock(), channel.name, channel.health
        match verdict.effect:
            case Effect.ANSWERED:
                self._succeeded(channel, None, probe)
                return
            case Effect.DISABLE:
                self.events.record(channel, "disable", verdict.kind)
                if health.disable(verdict.kind):
                    log.error("CHANNEL DISABLED: the upstream rejected the credentials of channel %r; it gets no "
                              "traffic until the configuration is reloaded (fix its api_key, then SIGHUP or "
                              "POST /admin/reload)", name, extra={"channel": name})
                return
            case Effect.FAILURE:
                cooled = health.failed(now, probe)
            case Effect.REST:
                cooled = health.rest(now, min(retry_after(err), policy.retry_after_max))
            case Effect.EXHAUSTED:
                cooled = health.exhausted(now)
            case _:
                return
        if cooled is None:
            if verdict.effect is Effect.FAILURE:
                self.events.record(channel, "fail")
            return
        self.events.record(channel, "cool", cooled, health.until - now)
        self.metrics.channel(name).cooldown(cooled)
        log.warning("channel cooling down", extra={
            "channel": name, "reason": cooled, "seconds": round(health.until - now, 3)})
