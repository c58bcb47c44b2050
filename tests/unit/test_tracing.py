"""When tracing is on, which exporters the ``OTEL_*`` variables give, and what a bad one or a missing extra does."""

from __future__ import annotations

import logging
import sys

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from imagegate.app import create_app
from imagegate.config import Settings
from imagegate.tracing import Tracing, exporters, wanted


@pytest.mark.parametrize(("environ", "on"), [
    ({}, False),
    ({"OTEL_SERVICE_NAME": "gw"}, False),
    ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
    ({"OTEL_TRACES_EXPORTER": "none"}, False),
    ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
    ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}, False),
    ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "TRUE"}, False),
    ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "false"}, True),
])
def test_tracing_is_on_when_an_exporter_or_endpoint_is_named_and_the_sdk_is_not_disabled(
        environ: dict[str, str], on: bool) -> None:
    assert wanted(environ) is on
    tracing = Tracing.from_env({**environ, "OTEL_TRACES_EXPORTER": "console"} if on else environ, "n1")
    assert tracing.on is on
    tracing.shutdown()


def test_exporters_by_name() -> None:
    assert [type(e) for e in exporters({})] == [OTLPSpanExporter]
    assert [type(e) for e in exporters({"OTEL_TRACES_EXPORTER": "otlp, console"})] == [OTLPSpanExporter,
                                                                                       ConsoleSpanExporter]
    assert exporters({"OTEL_TRACES_EXPORTER": "none"}) == []


@pytest.mark.parametrize(("environ", "named"), [
    ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER=zipkin"),
    ({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"),
])
def test_an_exporter_imagegate_cannot_make_stops_the_start_naming_the_variable(
        environ: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        exporters(environ)
    with pytest.raises(SystemExit, match=f"invalid configuration: {named}"):
        create_app(Settings(), environ={**environ, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})


def test_the_service_is_named_imagegate_and_the_instance_after_the_node() -> None:
    tracing = Tracing.from_env({"OTEL_TRACES_EXPORTER": "console"}, "node-7")
    assert tracing.provider is not None
    attributes = tracing.provider.resource.attributes
    assert (attributes["service.name"], attributes["service.instance.id"]) == ("imagegate", "node-7")
    named = Tracing.from_env({"OTEL_TRACES_EXPORTER": "console", "OTEL_SERVICE_NAME": "edge-gw"}, "node-7")
    assert named.provider is not None and named.provider.resource.attributes["service.name"] == "edge-gw"
    tracing.shutdown()
    named.shutdown()


def test_without_the_extra_tracing_is_off_with_a_warning(monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)  # as if not installed
    with caplog.at_level(logging.WARNING, "imagegate.tracing"):
        tracing = Tracing.from_env({"OTEL_TRACES_EXPORTER": "otlp"}, "n1")
    assert not tracing.on
    assert "pip install 'imagegate[otel]'" in caplog.text
