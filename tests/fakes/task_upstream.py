"""What the fake BFL and fal upstreams share: a real HTTP server that records requests, runs tasks
(Pending until due, then an outcome), enforces and measures concurrency, and serves real images.

A task is *active* from its submit until a poll reports it finished; ``max_active`` (and
``max_by_model``) is the peak the fake ever saw. ``caps`` makes the fake refuse a submit over a
cap with 429, as BFL does, counting it in ``rejected``. While ``held`` is true no task finishes.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

import orjson
from PIL import Image, UnidentifiedImageError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.openai_upstream import Recorded, encode_image
from tests.fakes.server import Served, ThreadedServer

RATIO_SIZES = {"21:9": (1568, 672), "16:9": (1392, 752), "4:3": (1184, 880), "3:2": (1248, 832),
               "1:1": (1024, 1024), "2:3": (832, 1248), "3:4": (880, 1184), "9:16": (752, 1392),
               "9:21": (672, 1568)}
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def decode_image(value: Any) -> Image.Image | None:
    """A base64 image (no data-URI prefix), or ``None`` when it isn't one."""
    try:
        img = Image.open(io.BytesIO(base64.b64decode(value, validate=True)))
        img.load()
        return img
    except (TypeError, ValueError, binascii.Error, UnidentifiedImageError):
        return None


def detail(field: str, message: str) -> dict[str, Any]:
    """A FastAPI-style 422 body, as BFL and fal send them."""
    return {"detail": [{"loc": ["body", field], "msg": message, "type": "value_error"}]}


@dataclass
class Task:
    id: str
    model: str
    body: dict[str, Any]
    outcome: str
    created: float
    polls: int = 0
    done: bool = False


class TaskUpstream(Served):
    def __init__(self, api_key: str, name: str) -> None:
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self.tasks: dict[str, Task] = {}
        self.pending_polls = 1  # polls answered "still running" before a task's outcome
        self.task_seconds = 0.0  # and the least time a task takes
        self.held = False
        self.caps: dict[str | None, int] = {}  # None: the whole account; else a model
        self.rejected = 0
        self.active = 0
        self.max_active = 0
        self.max_by_model: Counter[str] = Counter()
        self._by_model: Counter[str] = Counter()
        self._outcomes: deque[str] = deque()
        self._faults: deque[tuple[int, Any, dict[str, str]]] = deque()
        self._files: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        self.server = ThreadedServer(Starlette(routes=[*self.routes(), Route("/files/{name}", self._file)]), name)
        self.origin = ""

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.tasks.clear()
            self._outcomes.clear()
            self._faults.clear()
            self._by_model.clear()
            self.max_by_model.clear()
            self.caps.clear()
            self.active = self.max_active = self.rejected = 0
            self.pending_polls, self.task_seconds, self.held = 1, 0.0, False

    def next_outcomes(self, *outcomes: str) -> None:
        """Outcomes for the next tasks, in submit order; tasks beyond them succeed."""
        with self._lock:
            self._outcomes.extend(outcomes)

    def fail_submits(self, status: int, count: int = 1, body: Any = None,
                     headers: dict[str, str] | None = None) -> None:
        with self._lock:
            self._faults.extend((status, body, headers or {}) for _ in range(count))

    def submitted(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST"]

    async def record(self, request: Request) -> Recorded:
        record = Recorded(request.method, request.url.path, dict(request.headers.items()))
        if body := await request.body():
            with contextlib.suppress(orjson.JSONDecodeError):
                record.json = orjson.loads(body)
        with self._lock:
            self.requests.append(record)
        return record

    def fault(self) -> Response | None:
        with self._lock:
            if not self._faults:
                return None
            status, body, headers = self._faults.popleft()
        return json_response(body or {"detail": f"fake failure {status}"}, status, headers)

    def open_task(self, task_id: str, model: str, body: dict[str, Any]) -> Task | None:
        """A new active task, or ``None`` (counted in ``rejected``) when a cap is full."""
        with self._lock:
            if self.active >= self.caps.get(None, 10**6) or self._by_model[model] >= self.caps.get(model, 10**6):
                self.rejected += 1
                return None
            self.active += 1
            self._by_model[model] += 1
            self.max_active = max(self.max_active, self.active)
            self.max_by_model[model] = max(self.max_by_model[model], self._by_model[model])
            outcome = self._outcomes.popleft() if self._outcomes else "ok"
            task = self.tasks[task_id] = Task(task_id, model, body, outcome, time.monotonic())
            return task

    def advance(self, task: Task) -> str | None:
        """One poll of ``task``: its outcome once due (the task stops being active), else ``None``."""
        with self._lock:
            task.polls += 1
            if task.done:
                return task.outcome
            due = (not self.held and task.polls > self.pending_polls
                   and time.monotonic() - task.created >= self.task_seconds)
            if not due or task.outcome == "never":
                return None
            task.done = True
            self.active -= 1
            self._by_model[task.model] -= 1
            return task.outcome

    def image_link(self, width: int, height: int, fmt: str) -> str:
        data = encode_image(width, height, fmt)[0]
        with self._lock:
            name = f"img-{len(self._files) + 1}.{fmt}"
            self._files[name] = (data, CONTENT_TYPES[fmt])
        return f"{self.origin}/files/{name}"

    def expired_link(self) -> str:
        return f"{self.origin}/files/expired.png"

    async def _file(self, request: Request) -> Response:
        await self.record(request)
        found = self._files.get(request.path_params["name"])
        if found is None:
            return Response(b"<Error><Code>AuthenticationFailed</Code></Error>", 403, media_type="application/xml")
        return Response(found[0], media_type=found[1])
