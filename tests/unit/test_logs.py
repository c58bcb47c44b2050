"""JSON log lines with the request id, the access line's fields, request ids, and the metrics text."""

from __future__ import annotations

import logging

import orjson
import pytest

from imagegate.context import begin, valid_id
from imagegate.health import Health
from imagegate.logs import JsonFormatter, access
from imagegate.metrics import Metrics
from imagegate.router import Channel, Router


def record(message: str, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("imagegate.dispatch", logging.WARNING, __file__, 1, message, None, None)
    rec.__dict__.update(extra)
    return rec


async def test_log_line_is_json_with_the_request_id() -> None:  # async: its context ends with the test
    begin("req-7")
    line = orjson.loads(JsonFormatter().format(record("upstream attempt failed", channel="a", attempt=2)))
    assert line["request_id"] == "req-7" and line["channel"] == "a" and line["attempt"] == 2
    assert (line["level"], line["logger"], line["msg"]) == ("warning", "imagegate.dispatch", "upstream attempt failed")
    assert "args" not in line and "exc_info" not in line


def test_log_line_outside_a_request_has_no_request_id() -> None:
    assert "request_id" not in orjson.loads(JsonFormatter().format(record("started")))


async def test_access_line_has_no_prompt_unless_asked(caplog: pytest.LogCaptureFixture) -> None:
    ctx = begin("req-8")
    ctx.key, ctx.model, ctx.channel, ctx.attempts, ctx.prompt = "team-a", "gpt-image-1", "b", 2, "a secret cat"
    ctx.finished({"data": [{}, {}], "usage": {"cost_usd": 0.08}})
    with caplog.at_level(logging.INFO, "imagegate.access"):
        access(ctx, "POST", "/v1/images/generations", 200, 1.5, log_prompts=False)
        access(ctx, "POST", "/v1/images/generations", 200, 1.5, log_prompts=True)
    quiet, loud = caplog.records
    assert (quiet.key, quiet.model, quiet.channel, quiet.attempts, quiet.status) == (  # type: ignore[attr-defined]
        "team-a", "gpt-image-1", "b", 2, 200)
    assert quiet.images == 2 and quiet.cost_usd == 0.08 and quiet.latency_ms == 1500.0  # type: ignore[attr-defined]
    assert not hasattr(quiet, "prompt") and loud.prompt == "a secret cat"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("given", "kept"), [
    ("abc-123", True), ("x" * 64, True), ("x" * 65, False), ("a\r\nb", False), ("", False), (None, False),
    ("naïve", False),
])
async def test_client_request_ids(given: str | None, kept: bool) -> None:
    assert valid_id(given) == (given if kept else None)
    ctx = begin(given)
    assert (ctx.request_id == given) is kept and len(ctx.request_id) <= 64


def test_metrics_text() -> None:
    metrics = Metrics()
    sick = Health(allowed_fails=1)
    channels = [Channel("a", "openai", "http://u", "k", {"m": "m"}), Channel("b", "openai", "http://u", "k",
                                                                             {"m": "m"}, health=sick)]
    router = Router(channels)
    sick.failed(router.clock(), probe=False)
    metrics.watch(lambda: router)
    metrics.request_done("m", 200, 0.3, 2, 0.04)
    metrics.request_done("m", 502, 0.1, None, None)
    metrics.model("m").retries.inc()
    metrics.channel("b").error("server_error")
    metrics.channel("b").cooldown("failures")
    channels[0].health.begin()
    text = metrics.render().decode()
    for line in ('imagegate_requests_total{model="m",status="200"} 1.0',
                 'imagegate_requests_total{model="m",status="502"} 1.0',
                 'imagegate_request_duration_seconds_count{model="m"} 2.0',
                 'imagegate_images_total{model="m"} 2.0', 'imagegate_cost_usd_total{model="m"} 0.04',
                 'imagegate_retries_total{model="m"} 1.0',
                 'imagegate_upstream_errors_total{channel="b",kind="server_error"} 1.0',
                 'imagegate_channel_cooldowns_total{channel="b",reason="failures"} 1.0',
                 'imagegate_channel_in_flight{channel="a"} 1.0',
                 'imagegate_channel_state{channel="b",state="cooling"} 1.0',
                 'imagegate_channel_state{channel="a",state="healthy"} 1.0'):
        assert line in text
    assert "_created" not in text
