"""``stream=true``: server-sent events in OpenAI's format for every model (framed by ``sse-starlette``).

GPT image models stream upstream: their ``*.partial_image`` events are passed through as they
arrive. Models that can't stream (FLUX, dall-e) get SSE keep-alive comments while the images are
made. Either way the stream ends with one ``completed`` event per image.

The first bytes (a comment) go out at once and a ``keep-alive`` comment every ``keepalive`` seconds,
so no proxy cuts the connection while a long generation runs. Each ``image_generation.completed``
(``image_edit.completed`` for edits) carries every field OpenAI's event schema requires; enum
fields hold OpenAI's values or ``auto`` when the real value is not one of them (FLUX sizes),
and ``width``/``height`` give the real pixel size. The request's ``usage`` is on the last event;
the ones before it carry zeros, so adding them up gives the request's usage. A failure after
the stream has begun is an ``error`` event with the OpenAI error envelope.

The pipeline runs detached (:class:`~imagegate.detach.Detached`): a client that leaves stops the
events, not the generation, whose images are stored and billed, and shutdown waits for it.
"""

from __future__ import annotations

import asyncio
import binascii
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import orjson
import pybase64
from sse_starlette import EventSourceResponse, ServerSentEvent

from .detach import Detached
from .dispatch import Hooks
from .errors import ApiError
from .imaging import pixel_size
from .job import ImageJob
from .pipeline import Answer
from .respond import ENUMS
from .store.images import sniff

PREFIX = {"generations": "image_generation", "edits": "image_edit"}
log = logging.getLogger("imagegate.stream")
INTERNAL = {"error": {"message": "The gateway failed to make the images.", "type": "server_error", "param": None,
                      "code": "internal_error"}}
Work = Callable[[Hooks], Coroutine[Any, Any, Answer]]  # the request's pipeline run, given its hooks


def sse(event: str, data: dict[str, Any]) -> ServerSentEvent:
    return ServerSentEvent(orjson.dumps(data).decode(), event=event)


def _enum(name: str, value: Any) -> str:
    return value if value in ENUMS[name] else "auto"


def completed_events(job: ImageJob, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    kind = f"{PREFIX[job.endpoint]}.completed"
    data = body["data"]
    events = []
    for index, image in enumerate(data):
        raw = _decode(image["b64_json"])
        dims = pixel_size(raw) if raw else None
        event: dict[str, Any] = {
            "type": kind, "b64_json": image["b64_json"], "created_at": body["created"],
            "size": _enum("size", body.get("size") or job.size), "quality": _enum("quality", body.get("quality")),
            "background": _enum("background", body.get("background") or job.options.get("background")),
            "output_format": body.get("output_format") or sniff(raw),
            "usage": body["usage"] if index == len(data) - 1 else _zeroed(body["usage"]),
            "image_index": index,
        }
        if dims is not None:
            event["width"], event["height"] = dims
        if "revised_prompt" in image:
            event["revised_prompt"] = image["revised_prompt"]
        events.append((kind, event))
    return events


def _zeroed(usage: dict[str, Any]) -> dict[str, Any]:
    """The same usage block with every number 0 (the images before the last carry no usage)."""
    return {k: _zeroed(v) if isinstance(v, dict) else 0 for k, v in usage.items()}


def _decode(b64: str) -> bytes:
    try:
        return pybase64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return b""


async def _until_done(task: asyncio.Task[Any], partials: asyncio.Queue[ServerSentEvent],
                      ) -> AsyncIterator[ServerSentEvent]:
    """Partial-image events as they arrive, until the pipeline is done and every one is sent."""
    while not task.done() or not partials.empty():
        getter = asyncio.ensure_future(partials.get())
        await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            yield getter.result()
        else:
            getter.cancel()


async def synthetic(job: ImageJob, work: Work, gone: asyncio.Event, detached: Detached,
                    ) -> AsyncIterator[ServerSentEvent]:
    """The stream's events: the pipeline runs detached with a sink for partial images; then its completed
    events, or an error event."""
    partials: asyncio.Queue[ServerSentEvent] = asyncio.Queue()

    def on_partial(kind: str, data: str) -> None:
        partials.put_nowait(ServerSentEvent(data, event=kind))

    task = detached.start(work(Hooks(on_partial=on_partial, gone=gone)))
    yield ServerSentEvent(comment="imagegate stream open")
    async for partial in _until_done(task, partials):
        yield partial
    try:
        body = orjson.loads(task.result().content)
    except ApiError as err:
        yield sse("error", err.body())
        return
    except Exception:
        log.exception("streamed request failed")
        yield sse("error", INTERNAL)
        return
    for kind, event in await asyncio.to_thread(completed_events, job, body):
        yield sse(kind, event)


def stream_response(job: ImageJob, work: Work, gone: asyncio.Event, detached: Detached, keepalive: float,
                    headers: dict[str, str]) -> EventSourceResponse:
    """The event stream; ``headers`` go on its answer (the request id, the model that serves it)."""
    headers = {**headers, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return EventSourceResponse(synthetic(job, work, gone, detached), headers=headers, ping=keepalive, sep="\n",
                               ping_message_factory=lambda: ServerSentEvent(comment="keep-alive"))
