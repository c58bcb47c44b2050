"""JSON log lines with the request id, and the access line's fields."""

from __future__ import annotations

import logging

import orjson
import pytest

from imagegate.context import begin
from imagegate.logs import JsonFormatter, access


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
