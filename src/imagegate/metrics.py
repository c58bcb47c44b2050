"""Prometheus metrics, in a registry of the gateway's own.

Counters, histograms and the in-flight gauge are bound to their label values once (per model, per
channel) and cached, so a request costs a few dictionary lookups and increments. Channel state is read
from the live router at scrape time, so it never goes stale across a reload.

With several workers (``serve --workers N``) every worker writes its values to files in the directory
``PROMETHEUS_MULTIPROC_DIR`` names (prometheus-client's multiprocess mode, chosen by that variable when the
library is imported; :mod:`imagegate.metrics_dir` sets it up), and whichever worker answers a scrape adds
up every worker's: counters and histograms summed over every worker that ever ran since the start,
``imagegate_channel_in_flight`` summed over the live ones. Channel state is the answering worker's view.
Every series carries ``node`` (``IMAGEGATE_NODE_NAME``, default the host name), so a fleet's series can
be told apart and summed.

    imagegate_requests_total{model,status}            image requests answered
    imagegate_request_duration_seconds{model}         whole request, as the client saw it
    imagegate_queue_wait_seconds{model}               waiting for a free channel slot, per attempt
    imagegate_retries_total{model}                    attempts after the first
    imagegate_images_total{model}                     images returned
    imagegate_cost_usd_total{model}                   price charged (when the ledger prices it)
    imagegate_upstream_duration_seconds{channel}      one upstream call
    imagegate_upstream_errors_total{channel,kind}     failed upstream calls (kinds: imagegate.policy)
    imagegate_channel_cooldowns_total{channel,reason} cooldowns started
    imagegate_channel_in_flight{channel}              upstream calls running now
    imagegate_channel_state{channel,state}            1 for the channel's current state
    imagegate_shared_state_degraded                   1 while Redis is unreachable (see imagegate.shared)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from .router import Router

LATENCY = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600)
WAIT = (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
STATES = ("healthy", "cooling", "probing", "disabled")
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> Path | None:
    """Where the workers' values are, when prometheus-client runs in multiprocess mode (it reads the variable
    itself, when first imported, so this reads the same one)."""
    path = os.environ.get(MULTIPROC_ENV)
    return Path(path) if path else None


class ModelMetrics:
    """One model's children, bound once."""

    __slots__ = ("_model", "_requests", "_statuses", "latency", "queue_wait", "retries", "images", "cost")

    def __init__(self, m: Metrics, model: str) -> None:
        self._model = model
        self._requests = m.requests
        self._statuses: dict[int, Counter] = {}
        self.latency = m.latency.labels(model)
        self.queue_wait = m.queue_wait.labels(model)
        self.retries = m.retries.labels(model)
        self.images = m.images.labels(model)
        self.cost = m.cost.labels(model)

    def requests(self, status: int) -> Counter:
        child = self._statuses.get(status)
        if child is None:
            child = self._statuses[status] = self._requests.labels(self._model, str(status))
        return child


class ChannelMetrics:
    """One channel's children, bound once."""

    __slots__ = ("_errors", "_cooldowns", "_name", "_kinds", "_reasons", "latency", "in_flight")

    def __init__(self, m: Metrics, name: str) -> None:
        self._name = name
        self._errors, self._cooldowns = m.upstream_errors, m.cooldowns
        self._kinds: dict[str, Counter] = {}
        self._reasons: dict[str, Counter] = {}
        self.latency = m.upstream_latency.labels(name)
        self.in_flight = m.in_flight.labels(name)

    def error(self, kind: str) -> None:
        child = self._kinds.get(kind)
        if child is None:
            child = self._kinds[kind] = self._errors.labels(self._name, kind)
        child.inc()

    def cooldown(self, reason: str) -> None:
        child = self._reasons.get(reason)
        if child is None:
            child = self._reasons[reason] = self._cooldowns.labels(self._name, reason)
        child.inc()


class _ChannelCollector(Collector):
    def __init__(self, router: Callable[[], Router | None]) -> None:
        self.router = router

    def collect(self) -> Iterator[Metric]:
        state = GaugeMetricFamily("imagegate_channel_state", "1 for the channel's current state.",
                                  labels=["channel", "state"])
        router = self.router()
        if router is not None:
            now = router.clock()
            for channel in router.channels:
                current = channel.health.status(now)
                for name in STATES:
                    state.add_metric([channel.name, name], 1.0 if name == current else 0.0)
        yield state


class _Scrape(Collector):
    """What ``/metrics`` shows: ``sources`` collected in order, each sample labelled with the node's name."""

    def __init__(self, sources: Iterable[Collector], node: str) -> None:
        self.sources = sources
        self.node = node

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            for metric in source.collect():
                metric.samples = [s._replace(labels={**s.labels, "node": self.node}) for s in metric.samples]
                yield metric


def forget_dead_workers(path: Path) -> None:
    """Drop the live gauges of worker processes that are gone (a killed worker never says so itself)."""
    pids = {name.rpartition("_")[2].removesuffix(".db") for name in os.listdir(path) if name.startswith("gauge_live")}
    for pid in filter(str.isdigit, pids):
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with suppress(FileNotFoundError):  # another worker's scrape removed it first
                mark_process_dead(int(pid), str(path))  # type: ignore[no-untyped-call]
        except PermissionError:
            pass  # alive, as another user


class Metrics:
    """The gateway's metrics; ``node`` labels every series, ``multiprocess`` is the directory of every worker's
    values (default: :func:`multiprocess_dir`, none with one worker)."""

    def __init__(self, node: str = "", multiprocess: Path | None = None) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series: nothing reads them
        self.node = node
        self.multiprocess = multiprocess if multiprocess is not None else multiprocess_dir()
        self.registry = r = CollectorRegistry()
        self.requests = Counter("imagegate_requests", "Image requests answered.", ["model", "status"], registry=r)
        self.latency = Histogram("imagegate_request_duration_seconds", "Whole image requests.", ["model"],
                                 buckets=LATENCY, registry=r)
        self.queue_wait = Histogram("imagegate_queue_wait_seconds", "Waiting for a channel slot.", ["model"],
                                    buckets=WAIT, registry=r)
        self.retries = Counter("imagegate_retries", "Upstream attempts after the first.", ["model"], registry=r)
        self.images = Counter("imagegate_images", "Images returned.", ["model"], registry=r)
        self.cost = Counter("imagegate_cost_usd", "Price charged, in USD.", ["model"], registry=r)
        self.upstream_latency = Histogram("imagegate_upstream_duration_seconds", "One upstream call.", ["channel"],
                                          buckets=LATENCY, registry=r)
        self.upstream_errors = Counter("imagegate_upstream_errors", "Failed upstream calls.", ["channel", "kind"],
                                       registry=r)
        self.cooldowns = Counter("imagegate_channel_cooldowns", "Cooldowns started.", ["channel", "reason"],
                                 registry=r)
        self.shared_degraded = Gauge("imagegate_shared_state_degraded", "1 while Redis can't be reached and "
                                     "this node serves on its own state.", multiprocess_mode="livemax", registry=r)
        self.in_flight = Gauge("imagegate_channel_in_flight", "Upstream calls running now.", ["channel"],
                               multiprocess_mode="livesum", registry=r)
        self._router: Callable[[], Router | None] = lambda: None
        self._channel_state = _ChannelCollector(lambda: self._router())
        r.register(self._channel_state)
        self._models: dict[str, ModelMetrics] = {}
        self._channels: dict[str, ChannelMetrics] = {}

    def watch(self, router: Callable[[], Router]) -> None:
        """Where the channel gauges read the current router from."""
        self._router = router

    def model(self, model: str) -> ModelMetrics:
        found = self._models.get(model)
        if found is None:
            found = self._models[model] = ModelMetrics(self, model)
        return found

    def channel(self, name: str) -> ChannelMetrics:
        found = self._channels.get(name)
        if found is None:
            found = self._channels[name] = ChannelMetrics(self, name)
        return found

    def request_done(self, model: str, status: int, seconds: float, images: int | None, cost: float | None) -> None:
        bound = self.model(model)
        bound.requests(status).inc()
        bound.latency.observe(seconds)
        if images:
            bound.images.inc(images)
        if cost:
            bound.cost.inc(cost)

    def render(self) -> bytes:
        """The text of ``/metrics``: this process's metrics, or with several workers every worker's."""
        if self.multiprocess is None:
            return generate_latest(_Scrape([self.registry], self.node))
        forget_dead_workers(self.multiprocess)
        workers = CollectorRegistry()
        MultiProcessCollector(workers, str(self.multiprocess))  # type: ignore[no-untyped-call]
        return generate_latest(_Scrape([workers, self._channel_state], self.node))

    def close(self) -> None:
        """This worker is stopping: its live gauges no longer count (its counters still do)."""
        if self.multiprocess is not None:
            mark_process_dead(os.getpid(), str(self.multiprocess))  # type: ignore[no-untyped-call]
