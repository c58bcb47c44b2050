"""A fake DashScope (Alibaba Cloud Model Studio) over real HTTP, for the Qwen-Image models.

``POST /api/v1/services/aigc/multimodal-generation/generation`` answers at once with links to the images;
``POST /api/v1/services/aigc/text2image/image-synthesis`` (``X-DashScope-Async: enable`` required) answers a task id,
and ``GET /api/v1/tasks/{id}`` reports it ``RUNNING`` for ``task_polls`` polls, then ``SUCCEEDED`` with links (or
``FAILED``). The links are real PNGs of the size asked, served on the fake's own origin under ``/files/``. Requests
are checked as the vendor documents (``dashscope_requests``) and recorded; a bearer key is required.

``fail_next`` queues faults, one per POST (FIFO): ``rate_limit`` (429 ``Throttling.RateQuota``), ``internal`` (500
``InternalError``), ``bad_key`` (401 ``InvalidApiKey``), ``refusal`` (400 ``DataInspectionFailed``), ``invalid``
(400 ``InvalidParameter`` with ``message``), ``arrearage`` (400 ``Arrearage``), ``in_200`` (HTTP 200 carrying
``code`` and ``message``), ``bad_json`` (a truncated 200), ``expired`` (links that answer 404), ``task_failed``
(the task ends ``FAILED`` with ``code``), and ``hang`` (waits ``delay`` seconds, then answers normally).
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.dashscope_requests import Parsed, Refused, error_body, parse_async, parse_sync
from tests.fakes.openai_upstream import Recorded
from tests.fakes.server import Served, ThreadedServer

API_KEY = "sk-fakedashscope0123456789abcdef"
ERRORS = {"rate_limit": (429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later."),
          "internal": (500, "InternalError", "An internal error has occured, please try again later."),
          "bad_key": (401, "InvalidApiKey", "Invalid API-key provided."),
          "refusal": (400, "DataInspectionFailed", "Input data may contain inappropriate content."),
          "invalid": (400, "InvalidParameter", "Required parameter(s) missing or invalid."),
          "arrearage": (400, "Arrearage", "Access denied, please make sure your account is in good standing.")}
TRUNCATED = b'{"output": {"choices": [{"message": {"content": [{"image": "https://'


@dataclass
class Fault:
    kind: str
    code: str | None = None
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 30.0


@dataclass
class Task:
    parsed: Parsed
    fault: Fault | None
    polls: int = 0


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


class FakeDashScope(Served):
    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self.tasks: dict[str, Task] = {}
        self.files: dict[str, bytes] = {}
        self.task_polls = 1
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.server = ThreadedServer(Starlette(routes=[
            Route("/api/v1/services/aigc/multimodal-generation/generation", self.generate, methods=["POST"]),
            Route("/api/v1/services/aigc/text2image/image-synthesis", self.synthesis, methods=["POST"]),
            Route("/api/v1/tasks/{task_id}", self.task, methods=["GET"]),
            Route("/files/{name}", self.file, methods=["GET"])]), "fake-dashscope")

    @property
    def base_url(self) -> str:
        """A channel's ``base_url``: the origin (DashScope's paths start at ``/api/v1``)."""
        return self.origin

    @property
    def last(self) -> Recorded:
        return next(r for r in reversed(self.requests) if r.method == "POST")

    @property
    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._faults.clear()
            self.tasks.clear()
        self.task_polls = 1

    def fail_next(self, kind: str, count: int = 1, *, code: str | None = None, message: str | None = None,
                  headers: dict[str, str] | None = None, delay: float = 30.0) -> None:
        if kind not in {*ERRORS, "in_200", "bad_json", "expired", "task_failed", "hang"}:
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._faults.extend([Fault(kind, code, message, dict(headers or {}), delay)] * count)

    async def _enter(self, request: Request) -> tuple[Any, Fault | None]:
        raw = await request.body()
        record = Recorded(request.method, request.url.path, dict(request.headers.items()))
        try:
            record.json = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            record.json = None
        with self._lock:
            self.requests.append(record)
            fault = self._faults.popleft() if self._faults else None
        return record.json, fault

    def _refusal(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return answer(error_body("InvalidApiKey", "Invalid API-key provided."), 401)
        return None

    async def _early(self, fault: Fault | None) -> Response | None:
        if fault is None:
            return None
        if fault.kind == "hang":
            end = time.monotonic() + fault.delay
            while time.monotonic() < end and self.server.running:
                await asyncio.sleep(0.05)
        if fault.kind in ERRORS:
            status, code, message = ERRORS[fault.kind]
            return answer(error_body(fault.code or code, fault.message or message), status, fault.headers)
        if fault.kind == "in_200":
            return answer(error_body(fault.code or "DataInspectionFailed", fault.message or "Output data may "
                                     "contain inappropriate content."), 200, fault.headers)
        if fault.kind == "bad_json":
            return Response(TRUNCATED, 200, media_type="application/json")
        return None

    def links(self, parsed: Parsed, fault: Fault | None) -> list[str]:
        data = png(parsed.width, parsed.height)
        names = [f"{uuid.uuid4().hex}.png" for _ in range(parsed.n)]
        if fault is None or fault.kind != "expired":
            self.files.update(dict.fromkeys(names, data))
        return [f"{self.origin}/files/{name}?Expires=1700000000&Signature=fake" for name in names]

    async def generate(self, request: Request) -> Response:
        body, fault = await self._enter(request)
        if (early := await self._early(fault)) is not None:
            return early
        if (refused := self._refusal(request)) is not None:
            return refused
        try:
            parsed = parse_sync(body)
        except Refused as exc:
            return answer(exc.body(), exc.status)
        content = [{"image": link} for link in self.links(parsed, fault)]
        return answer({"output": {"choices": [{"finish_reason": "stop", "message": {"role": "assistant",
                                                                                    "content": content}}]},
                       "usage": {"width": parsed.width, "height": parsed.height, "image_count": parsed.n},
                       "request_id": str(uuid.uuid4())})

    async def synthesis(self, request: Request) -> Response:
        body, fault = await self._enter(request)
        if (early := await self._early(fault)) is not None:
            return early
        if (refused := self._refusal(request)) is not None:
            return refused
        if request.headers.get("x-dashscope-async") != "enable":
            return answer(error_body("AccessDenied", "Current user api does not support synchronous calls."), 403)
        try:
            parsed = parse_async(body)
        except Refused as exc:
            return answer(exc.body(), exc.status)
        task_id = str(uuid.uuid4())
        with self._lock:
            self.tasks[task_id] = Task(parsed, fault)
        return answer({"output": {"task_status": "PENDING", "task_id": task_id}, "request_id": str(uuid.uuid4())})

    async def task(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(Recorded(request.method, request.url.path, dict(request.headers.items())))
        if (refused := self._refusal(request)) is not None:
            return refused
        task_id = request.path_params["task_id"]
        task = self.tasks.get(task_id)
        if task is None:
            return answer({"request_id": str(uuid.uuid4()), "output": {"task_id": task_id, "task_status": "UNKNOWN"}})
        task.polls += 1
        output: dict[str, Any] = {"task_id": task_id, "task_status": "RUNNING"}
        if task.polls > self.task_polls and task.fault is not None and task.fault.kind == "task_failed":
            output.update(task_status="FAILED", code=task.fault.code or "InternalError.Algo",
                          message=task.fault.message or "An internal error has occured during execution.")
        elif task.polls > self.task_polls:
            output.update(task_status="SUCCEEDED", results=[{"url": link} for link in self.links(task.parsed, None)])
        return answer({"request_id": str(uuid.uuid4()), "output": output,
                       "usage": {"image_count": task.parsed.n if output["task_status"] == "SUCCEEDED" else 0}})

    async def file(self, request: Request) -> Response:
        data = self.files.get(request.path_params["name"])
        if data is None:
            return Response(b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", 403,
                            media_type="application/xml")
        return Response(data, media_type="image/png")
