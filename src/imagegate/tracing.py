"""OpenTelemetry traces (the ``imagegate[otel]`` extra): a server span per HTTP request, a client span per
upstream attempt, the client's W3C ``traceparent`` continued and sent on to the upstream.

Configured by the standard variables, which the SDK reads itself: ``OTEL_TRACES_EXPORTER`` (``otlp``, over
HTTP/protobuf; ``console``; ``none``), ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``),
``OTEL_SERVICE_NAME`` (default ``imagegate``), ``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER``,
``OTEL_BSP_*``, ``OTEL_PROPAGATORS``. Tracing is on when the extra is installed, ``OTEL_SDK_DISABLED`` is not
``true`` and an exporter is named (``OTEL_TRACES_EXPORTER``) or an OTLP endpoint is set; otherwise it is off
and costs nothing: no middleware, no span objects, ``attempt()`` hands back one shared null context and
``outgoing()`` returns at once.

    <METHOD> <route>       SERVER  the request (OpenTelemetry's ASGI middleware: http.* attributes, status)
    upstream attempt       CLIENT  one attempt on one channel: imagegate.channel, imagegate.provider,
                                   imagegate.model, imagegate.retry (0 for the first attempt),
                                   http.response.status_code (the upstream's last answer), and on failure
                                   error.type (the error code) and imagegate.status (the client's status)

Every upstream request made inside an attempt carries ``traceparent`` (and ``tracestate``) of that attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from .errors import ApiError

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span

log = logging.getLogger("imagegate.tracing")
QUIET = "/healthz,/readyz,/metrics"  # no spans for probes and scrapes
ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_OFF: AbstractContextManager[None] = nullcontext()
_outgoing: Callable[[MutableMapping[str, str]], None] | None = None  # set once tracing is on in this process
_answered: Callable[[int], None] | None = None


def wanted(environ: Mapping[str, str]) -> bool:
    """Whether the environment asks for traces: not disabled, and an exporter or an endpoint named."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters:
        return exporters != "none"
    return any(environ.get(name) for name in ENDPOINTS)


def exporter_names(environ: Mapping[str, str]) -> list[str]:
    """The exporters ``OTEL_TRACES_EXPORTER`` names (``otlp`` by default); ``ValueError`` naming one imagegate
    can't make (checked by ``serve`` before any worker starts)."""
    names = [n for n in (n.strip().lower() for n in environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")) if n]
    for name in names:
        if name not in ("otlp", "console", "none"):
            raise ValueError(f"OTEL_TRACES_EXPORTER={name}: imagegate knows otlp, console and none")
    protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
    if "otlp" in names and protocol not in (None, "", "http/protobuf"):
        raise ValueError(f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol}: imagegate exports over http/protobuf")
    return [name for name in names if name != "none"]


def check(environ: Mapping[str, str]) -> None:
    """``ValueError`` if the ``OTEL_*`` variables ask for traces imagegate can't send."""
    if wanted(environ):
        exporter_names(environ)


def exporters(environ: Mapping[str, str]) -> list[SpanExporter]:
    """The span exporters :func:`exporter_names` names, made (they read their own ``OTEL_EXPORTER_*``)."""
    found: list[SpanExporter] = []
    for name in exporter_names(environ):
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            found.append(OTLPSpanExporter())
        else:
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter
            found.append(ConsoleSpanExporter())
    return found


class Tracing:
    """Spans for one gateway process, or none (``Tracing()``): see the module docstring."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer("imagegate") if provider is not None else None
        if provider is not None:
            _install_propagation()

    @classmethod
    def from_env(cls, environ: Mapping[str, str], node: str) -> Tracing:
        """Tracing as the ``OTEL_*`` variables ask (off without the extra, with a warning if they asked)."""
        if not wanted(environ):
            return cls()
        try:
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError:
            log.warning("OTEL_* variables ask for traces, but the 'opentelemetry' packages are not installed: "
                        "no traces (pip install 'imagegate[otel]')")
            return cls()
        resource = Resource.create({"service.name": environ.get("OTEL_SERVICE_NAME") or "imagegate",
                                    "service.instance.id": node})
        provider = TracerProvider(resource=resource)
        for exporter in exporters(environ):
            provider.add_span_processor(BatchSpanProcessor(exporter))
        return cls(provider)

    @property
    def on(self) -> bool:
        return self._tracer is not None

    def install(self, app: FastAPI) -> None:
        """Put OpenTelemetry's ASGI middleware outside ``app``'s others (a server span per request); off: nothing."""
        if self.provider is None:
            return
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        app.add_middleware(OpenTelemetryMiddleware, excluded_urls=QUIET, tracer_provider=self.provider,
                           exclude_spans=["receive", "send"])

    def attempt(self, channel: str, provider: str, model: str, retry: int) -> AbstractContextManager[Any]:
        """The span of one upstream attempt (current while it runs), or a null context when off."""
        if self._tracer is None:
            return _OFF
        return self._attempt(channel, provider, model, retry)

    @contextmanager
    def _attempt(self, channel: str, provider: str, model: str, retry: int) -> Iterator[Span]:
        from opentelemetry.trace import SpanKind, Status, StatusCode
        assert self._tracer is not None
        attributes: dict[str, str | int] = {"imagegate.channel": channel, "imagegate.provider": provider,
                                            "imagegate.model": model, "imagegate.retry": retry}
        with self._tracer.start_as_current_span("upstream attempt", kind=SpanKind.CLIENT, attributes=attributes,
                                                record_exception=False, set_status_on_exception=False) as span:
            try:
                yield span
            except ApiError as err:
                span.set_attributes({"error.type": err.code or type(err).__name__, "imagegate.status": err.status})
                span.set_status(Status(StatusCode.ERROR, err.code or type(err).__name__))
                raise
            except BaseException as exc:  # cancelled (the client left), or a bug
                span.set_attribute("error.type", type(exc).__name__)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise

    def shutdown(self) -> None:
        """Export what is left, then stop."""
        if self.provider is not None:
            self.provider.shutdown()


def outgoing(headers: MutableMapping[str, str]) -> None:
    """Add the current attempt's ``traceparent`` to an upstream request's headers (nothing when off)."""
    if _outgoing is not None:
        _outgoing(headers)


def answered(status: int) -> None:
    """Note the upstream's HTTP status on the current attempt's span (nothing when off)."""
    if _answered is not None:
        _answered(status)


def _install_propagation() -> None:
    """Turn on :func:`outgoing` and :func:`answered` in this process; both act only inside a recording span."""
    global _outgoing, _answered
    from opentelemetry import propagate, trace

    def inject(headers: MutableMapping[str, str]) -> None:
        if trace.get_current_span().is_recording():
            propagate.inject(headers)

    def note(status: int) -> None:
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute("http.response.status_code", status)

    _outgoing, _answered = inject, note
