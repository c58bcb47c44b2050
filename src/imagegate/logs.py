"""Structured logs: one JSON object per line, carrying the id of the request being served.

``imagegate serve`` routes uvicorn's loggers and imagegate's through :class:`JsonFormatter`.
Each HTTP request ends with one ``imagegate.access`` line: request id, key name, model,
channel, attempts, status, latency, images and price. Keys and image data are never
logged; prompts only when ``log_prompts`` is on.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

from .context import RequestContext, peek

ACCESS = logging.getLogger("imagegate.access")
LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "imagegate")
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        ctx = peek()
        if ctx is not None:
            out["request_id"] = ctx.request_id
        out.update((k, v) for k, v in vars(record).items() if k not in _STANDARD)
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def logging_config(level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` (uvicorn's ``log_config``): everything as JSON on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False} for name in LOGGERS},
    }


def access(ctx: RequestContext, method: str, path: str, status: int, seconds: float, log_prompts: bool) -> None:
    """The one line that describes a finished request."""
    fields: dict[str, Any] = {
        "method": method, "path": path, "status": status, "latency_ms": round(seconds * 1000, 1),
        "key": ctx.key, "model": ctx.model, "user": ctx.user, "channel": ctx.channel, "attempts": ctx.attempts,
        "images": ctx.images, "cost_usd": ctx.cost,
    }
    if log_prompts and ctx.prompt is not None:
        fields["prompt"] = ctx.prompt
    ACCESS.info("request", extra=fields)
