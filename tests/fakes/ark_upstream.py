"""Fake Volcengine Ark / BytePlus ModelArk ``POST /api/v3/images/generations`` over real HTTP.

The key comes only as ``Authorization: Bearer …`` (else 401 ``AuthenticationError``); bodies are checked as Ark
documents them (``ark_requests``). A valid body gets ``{model, created, data: [{url | b64_json, size}], usage}``
with a real JPEG of the asked size; links point at ``/files/…`` on the fake's own origin (one download each, as
Ark's expire). Faults are queued with ``fail_next`` (one per generate request, FIFO):

    rate_limit   429 ``RateLimitExceeded.EndpointRPMExceeded`` (``headers`` may add a Retry-After)
    overloaded   429 ``ServerOverloaded``
    server       500 ``InternalServiceError``        unavailable  503 ``ServiceUnavailable``
    bad_key      401 ``AuthenticationError``          overdue      403 ``AccountOverdueError``
    refusal      400 content filter (``code``, default ``OutputImageSensitiveContentDetected``)
    invalid      400 ``InvalidParameter`` naming ``param`` (default ``size``), with ``message`` if given
    item_error   200 whose ``data`` item is an ``error`` (``code``, as for ``refusal``)
    bad_json     200 with a truncated body            expired      200 whose link answers 404
    hang         no answer for ``delay`` seconds (default 30, cut short when the fake stops), then a normal one
"""

from __future__ import annotations

import asyncio
import base64
import io
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import orjson
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.ark_requests import ArkError, check, error_body
from tests.fakes.openai_upstream import Recorded
from tests.fakes.server import ServedApi, ThreadedServer

FaultKind = Literal["rate_limit", "overloaded", "server", "unavailable", "bad_key", "overdue", "refusal", "invalid",
                    "item_error", "bad_json", "expired", "hang"]
ERRORS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (429, "RateLimitExceeded.EndpointRPMExceeded", "Your account has exceeded its RPM limit."),
    "overloaded": (429, "ServerOverloaded", "The service is experiencing high traffic. Please try again later."),
    "server": (500, "InternalServiceError", "The service encountered an unexpected internal error."),
    "unavailable": (503, "ServiceUnavailable", "The service is temporarily unavailable."),
    "bad_key": (401, "AuthenticationError", "The API key or AK/SK in the request is missing or invalid."),
    "overdue": (403, "AccountOverdueError", "The request failed because your account has an overdue balance."),
}
ARK_KEY = "3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f"
SENSITIVE = "OutputImageSensitiveContentDetected"


@dataclass
class Fault:
    kind: str
    code: str | None = None
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float | None = None
    message: str | None = None


def jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


class FakeArk(ServedApi):
    api_path = "/api/v3"

    def __init__(self, api_key: str = ARK_KEY, name: str = "fake-ark") -> None:
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self.answers: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self.downloads = 0
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        super().__init__(ThreadedServer(Starlette(routes=[
            Route("/api/v3/images/generations", self.generate, methods=["POST"]),
            Route("/files/{name}", self.file, methods=["GET"])]), name))

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [r.json for r in self.requests if isinstance(r.json, dict)]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.answers.clear()
            self._faults.clear()
            self.files.clear()
            self.downloads = 0

    def fail_next(self, kind: FaultKind, count: int = 1, *, code: str | None = None, param: str | None = None,
                  headers: dict[str, str] | None = None, delay: float | None = None,
                  message: str | None = None) -> None:
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._faults.extend([Fault(kind, code, param, dict(headers or {}), delay, message)] * count)

    async def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0 and not self._closing.is_set():
            await asyncio.sleep(min(left, 0.05))

    async def generate(self, request: Request) -> Response:
        raw = await request.body()
        record = Recorded(request.method, request.url.path, dict(request.headers.items()))
        try:
            record.json = orjson.loads(raw)
        except orjson.JSONDecodeError:
            record.json = None
        with self._lock:
            self.requests.append(record)
            fault = self._faults.popleft() if self._faults else None
        if fault is not None and fault.kind == "hang":
            await self._sleep(30.0 if fault.delay is None else fault.delay)
            fault = None
        if fault is not None and fault.kind in ERRORS:
            status, code, message = ERRORS[fault.kind]
            return answer(error_body(code, message, status=status), status, fault.headers)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            status, code, message = ERRORS["bad_key"]
            return answer(error_body(code, message, status=status), status)
        try:
            model, (width, height), _ = check(record.json)
            if fault is not None and fault.kind == "refusal":
                raise ArkError(400, fault.code or SENSITIVE, "The request failed because the output image may "
                                                             "contain sensitive information.")
            if fault is not None and fault.kind == "invalid":
                raise ArkError(400, "InvalidParameter", fault.message or "One or more parameters are not valid.",
                               fault.param or "size")
        except ArkError as exc:
            return answer(exc.body(), exc.status)
        return self._success(record.json, width, height, fault)

    def _success(self, body: dict[str, Any], width: int, height: int, fault: Fault | None) -> Response:
        if fault is not None and fault.kind == "bad_json":
            return Response(b'{"model": "x", "data": [{"url": "http://', 200, media_type="application/json")
        image = jpeg(width, height)
        if body.get("response_format") == "b64_json":
            item: dict[str, Any] = {"b64_json": base64.b64encode(image).decode(), "size": f"{width}x{height}"}
        else:
            name = f"{uuid.uuid4().hex}.jpeg"
            if fault is None or fault.kind != "expired":
                self.files[name] = image
            item = {"url": f"{self.origin}/files/{name}?X-Tos-Expires=86400", "size": f"{width}x{height}"}
        if fault is not None and fault.kind == "item_error":
            item = {"error": {"code": fault.code or SENSITIVE, "message": "The output image may contain sensitive "
                                                                          "information."}}
        reply = {"model": body["model"], "created": int(time.time()), "data": [item],
                 "usage": {"generated_images": 0 if "error" in item else 1, "output_tokens": width * height // 256,
                           "total_tokens": width * height // 256}}
        with self._lock:
            self.answers.append(reply)
        return answer(reply)

    async def file(self, request: Request) -> Response:
        with self._lock:
            data = self.files.pop(request.path_params["name"], None)
            self.downloads += data is not None
        if data is None:
            return Response(b'{"Code":"NoSuchKey","Message":"The specified key does not exist."}', 404,
                            media_type="application/json")
        return Response(data, media_type="image/jpeg")
