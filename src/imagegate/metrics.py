"""Prometheus metrics, in a registry of the gateway's own.

Counters and histograms are bound to their label values once (per model, per channel) and
cached, so a request costs a few dictionary lookups and increments. Channel state and
in-flight counts are read from the live router at scrape time, so they never go stale
across a reload.

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

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from .router import Router

LATENCY = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600)
WAIT = (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
STATES = ("healthy", "cooling", "probing", "disabled")


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

    __slots__ = ("_errors", "_cooldowns", "_name", "_kinds", "_reasons", "latency")

    def __init__(self, m: Metrics, name: str) -> None:
        self._name = name
        self._errors, self._cooldowns = m.upstream_errors, m.cooldowns
        self._kinds: dict[str, Counter] = {}
        self._reasons: dict[str, Counter] = {}
        self.latency = m.upstream_latency.labels(name)

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
        in_flight = GaugeMetricFamily("imagegate_channel_in_flight", "Upstream calls running now.",
                                      labels=["channel"])
        state = GaugeMetricFamily("imagegate_channel_state", "1 for the channel's current state.",
                                  labels=["channel", "state"])
        router = self.router()
        if router is not None:
            now = router.clock()
            for channel in router.channels:
                in_flight.add_metric([channel.name], channel.health.in_flight)
                current = channel.health.status(now)
                for name in STATES:
                    state.add_metric([channel.name, name], 1.0 if name == current else 0.0)
        yield in_flight
        yield state


class Metrics:
    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series: nothing reads them
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
                                     "this node serves on its own state.", registry=r)
        self._router: Callable[[], Router | None] = lambda: None
        r.register(_ChannelCollector(lambda: self._router()))
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
        return generate_latest(self.registry)
