"""Traces: the gateway in-process (behind ``httpx.ASGITransport``) with the SDK's in-memory exporter, against
the real fake upstream. A client's ``traceparent`` is continued by the request's server span, each upstream
attempt is a client span under it, and the upstream receives the attempt's ``traceparent``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from imagegate.app import create_app
from imagegate.config import Settings
from imagegate.tracing import Tracing
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import openai_env

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
BODY = {"model": "dall-e-2", "prompt": "a lighthouse", "response_format": "b64_json"}


@dataclass
class Traced:
    client: httpx.AsyncClient
    spans: InMemorySpanExporter


async def _serve(tmp_path: Path, upstream: FakeOpenAI, tracing: Tracing | None) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(master_key="master", data_dir=tmp_path, secret="s", max_attempts=2, retry_backoff=0.01,
                        allowed_fails=100, upstream_timeout=5, job_workers=0)
    app = create_app(settings, environ=openai_env(upstream), tracing=tracing)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=transport, base_url="http://gateway", headers={"Authorization": "Bearer master"}) as client:
        yield client


@pytest.fixture
async def traced(tmp_path: Path, upstream: FakeOpenAI) -> AsyncIterator[Traced]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async for client in _serve(tmp_path, upstream, Tracing(provider)):
        yield Traced(client, exporter)


def by_kind(spans: tuple[ReadableSpan, ...], kind: SpanKind) -> list[ReadableSpan]:
    return [span for span in spans if span.kind is kind]


def hex_ids(span: ReadableSpan) -> tuple[str, str]:
    assert span.context is not None
    return f"{span.context.trace_id:032x}", f"{span.context.span_id:016x}"


async def test_a_request_continues_the_clients_trace_and_sends_it_upstream(traced: Traced,
                                                                           upstream: FakeOpenAI) -> None:
    response = await traced.client.post("/v1/images/generations", json=BODY, headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200, response.text
    spans = traced.spans.get_finished_spans()
    (server,) = by_kind(spans, SpanKind.SERVER)
    (attempt,) = by_kind(spans, SpanKind.CLIENT)
    assert server.parent is not None and f"{server.parent.span_id:016x}" == PARENT_ID
    assert hex_ids(server)[0] == TRACE_ID and server.attributes is not None
    assert server.name == "POST /v1/images/generations", server.name
    assert 200 in (server.attributes.get("http.status_code"), server.attributes.get("http.response.status_code"))
    assert attempt.name == "upstream attempt" and attempt.parent is not None
    assert attempt.parent.span_id == server.context.span_id  # type: ignore[union-attr]
    assert dict(attempt.attributes or {}) == {
        "imagegate.channel": "openai", "imagegate.provider": "openai", "imagegate.model": "dall-e-2",
        "imagegate.retry": 0, "http.response.status_code": 200}
    (sent,) = upstream.image_requests
    trace_id, attempt_id = hex_ids(attempt)
    assert trace_id == TRACE_ID and sent.headers["traceparent"] == f"00-{TRACE_ID}-{attempt_id}-01"  # sampled


async def test_each_retry_is_a_span_of_its_own(traced: Traced, upstream: FakeOpenAI) -> None:
    upstream.fail_next("status", status=500)
    response = await traced.client.post("/v1/images/generations", json=BODY)
    assert response.status_code == 200, response.text
    spans = traced.spans.get_finished_spans()
    (server,) = by_kind(spans, SpanKind.SERVER)
    failed, succeeded = sorted(by_kind(spans, SpanKind.CLIENT), key=lambda s: s.start_time or 0)
    assert (failed.attributes or {})["imagegate.retry"] == 0 and (succeeded.attributes or {})["imagegate.retry"] == 1
    assert (failed.attributes or {})["http.response.status_code"] == 500
    assert (failed.attributes or {})["error.type"] == "upstream_error" and failed.status.status_code is StatusCode.ERROR
    assert succeeded.status.status_code is not StatusCode.ERROR and "error.type" not in (succeeded.attributes or {})
    assert {hex_ids(s)[0] for s in spans} == {hex_ids(server)[0]}  # one trace, begun by the gateway
    sent = [tuple(r.headers["traceparent"].split("-")[1:3]) for r in upstream.image_requests]
    assert sent == [hex_ids(failed), hex_ids(succeeded)]


async def test_probes_and_scrapes_make_no_spans(traced: Traced) -> None:
    assert (await traced.client.get("/healthz")).status_code == 200
    assert (await traced.client.get("/metrics")).status_code == 200
    assert traced.spans.get_finished_spans() == ()


async def test_without_tracing_nothing_is_sent_upstream(tmp_path: Path, upstream: FakeOpenAI) -> None:
    async for client in _serve(tmp_path, upstream, None):
        response = await client.post("/v1/images/generations", json=BODY, headers={"traceparent": TRACEPARENT})
        assert response.status_code == 200, response.text
    (sent,) = upstream.image_requests
    assert "traceparent" not in sent.headers
