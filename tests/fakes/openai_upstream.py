"""Fake OpenAI Images API over real HTTP: records requests, returns real images, injects faults."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, get_args

import orjson
import pybase64
from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.fakes.server import ThreadedServer

FaultKind = Literal["status", "moderation", "hang", "bad_json", "drop"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
# queued fault: (kind, status, headers, body, delay)
Fault = tuple[FaultKind, int | None, dict[str, str] | None, Any, float | None]
ERRORS = {  # (message, type, code) of real OpenAI errors
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    429: ("Rate limit reached for images per minute.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request. Sorry about that!", "server_error", None),
    "moderation": ("Your request was rejected as a result of our safety system.",
                   "image_generation_user_error", "content_policy_violation"),
}


@dataclass
class RecordedFile:
    field: str  # exact multipart field name: "image", "image[]", "mask", ...
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lowercased keys
    json: Any = None  # parsed JSON body; None for multipart or empty bodies
    form: dict[str, list[str]] = field(default_factory=dict)  # multipart text fields, every value in order
    files: list[RecordedFile] = field(default_factory=list)


def error_body(message: str, type_: str = "invalid_request_error", code: str | None = None,
               param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def status_body(status: int | str) -> dict[str, Any]:  # realistic OpenAI error for a status or "moderation"
    if status in ERRORS or int(status) >= 500:
        return error_body(*ERRORS.get(status, ERRORS[500]))
    return error_body(f"Fake upstream error (HTTP {status}).")


class ApiError(Exception):
    """Answered as HTTP 400 with the OpenAI error body passed as its only argument."""


class _Dropped(Exception):
    """Raised after a partial body so uvicorn closes the connection mid-response (hidden from its logs)."""


class _DropResponse(Response):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"100000")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"created": 1, "data": [', "more_body": True})
        raise _Dropped("fake upstream dropped the connection on purpose")


def _hide_drops(record: logging.LogRecord) -> bool:
    return not (record.exc_info and isinstance(record.exc_info[1], _Dropped))


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


@lru_cache(maxsize=64)  # solid-colour image bytes + base64, encoded once per (size, format, transparency)
def encode_image(width: int, height: int, fmt: str = "png", transparent: bool = False) -> tuple[bytes, str]:
    mode = "RGBA" if transparent and fmt != "jpeg" else "RGB"
    buf = io.BytesIO()
    Image.new(mode, (width, height), (40, 120, 200, 0) if mode == "RGBA" else (40, 120, 200)).save(buf, fmt)
    return buf.getvalue(), pybase64.b64encode(buf.getvalue()).decode("ascii")


def check_gpt_image_2(params: dict[str, Any], width: int, height: int) -> None:
    """gpt-image-2 as OpenAI documents it: flexible sizes within bounds, no transparent background."""
    if params.get("size") not in (None, "auto") and (
            width % 16 or height % 16 or max(width, height) > 3840 or max(width, height) > 3 * min(width, height)
            or not 655_360 <= width * height <= 8_294_400):
        raise ApiError(error_body(f"Invalid size '{params['size']}'.", code="invalid_value", param="size"))
    if params.get("background") == "transparent":
        raise ApiError(error_body("Transparent background is not supported for this model.",
                                  code="invalid_value", param="background"))


def gpt_image_result(params: dict[str, Any], n: int, width: int, height: int) -> dict[str, Any]:
    if params.get("response_format") is not None:
        message = "Unknown parameter: 'response_format'."
        raise ApiError(error_body(message, code="unknown_parameter", param="response_format"))
    if params.get("model") == "gpt-image-2":
        check_gpt_image_2(params, width, height)
    fmt = params.get("output_format") if params.get("output_format") in ("jpeg", "webp") else "png"
    background = "transparent" if params.get("background") == "transparent" else "opaque"
    quality = params.get("quality") if params.get("quality") not in (None, "auto") else "medium"
    b64 = encode_image(width, height, fmt, background == "transparent")[1]
    per_image = 4160 * width * height // (1024 * 1024) if params.get("model") == "gpt-image-2" else 4160
    output = per_image * n  # gpt-image-2: high-quality tokens by pixels
    usage = {"input_tokens": 50, "input_tokens_details": {"text_tokens": 40, "image_tokens": 10},
             "output_tokens": output, "total_tokens": 50 + output}
    return {"created": int(time.time()), "data": [{"b64_json": b64} for _ in range(n)],
            "size": f"{width}x{height}", "quality": quality, "background": background,
            "output_format": fmt, "usage": usage}


class FakeOpenAI:
    """Real HTTP fake of POST /v1/images/{generations,edits,variations} plus GET /files/{name}."""

    def __init__(self, api_key: str = "sk-fake-upstream") -> None:
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self.delay = 0.0  # seconds added to every successful response
        self.failure_rate = 0.0  # share of image requests answered 500 (after `delay`, like a real failure)
        self.max_concurrent = 0  # peak number of image requests in flight
        self.stream_gap = 0.0  # seconds before each event of a streamed answer (stream=true)
        self.cut_streams = 0  # how many of the next streamed answers break off after their partial images
        self.random = random.Random(0)
        self.port, self.origin, self.base_url = 0, "", ""  # set by start(): http://127.0.0.1:PORT[/v1]
        self._inflight = 0
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()
        self._files: dict[str, bytes] = {}
        self._closing = threading.Event()
        routes = [Route(f"/v1/images/{op}", self._images, methods=["POST"])
                  for op in ("generations", "edits", "variations")]
        self.app = Starlette(routes=[*routes, Route("/files/{name}", self._file, methods=["GET"])])
        self.server = ThreadedServer(self.app, "fake-openai")

    def start(self) -> FakeOpenAI:
        """Serve on a free 127.0.0.1 port from a daemon thread; returns once connections are accepted."""
        if self.server.running:
            return self
        logging.getLogger("uvicorn.error").addFilter(_hide_drops)  # no-op if already added
        self._closing.clear()
        self.origin = self.server.start()
        self.port, self.base_url = self.server.port, f"{self.origin}/v1"
        return self

    def stop(self) -> None:
        if self.server.running:
            self._closing.set()  # cuts hangs/delays short so shutdown is quick
            self.server.stop()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    @property
    def image_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if "/images/" in r.path]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._faults.clear()
            self.max_concurrent = 0
            self.delay = self.failure_rate = self.stream_gap = 0.0
            self.cut_streams = 0

    def fail_next(self, kind: FaultKind, count: int = 1, *, status: int | None = None,
                  headers: dict[str, str] | None = None, body: Any = None, delay: float | None = None,
                  ) -> None:
        """Queue `count` faults, consumed one per image request (FIFO) before the auth check; `delay` (hang
        default 30s) is slept first, `status`/`body` apply to "status", `headers` to any fault response."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        with self._lock:
            self._faults.extend([(kind, status, headers, body, delay)] * count)

    async def _images(self, request: Request) -> Response:
        with self._lock:
            self._inflight += 1
            self.max_concurrent = max(self.max_concurrent, self._inflight)
        try:
            record, body_ok = await self._record(request)
            with self._lock:
                fault = self._faults.popleft() if self._faults else None
            if fault is not None and (response := await self._apply_fault(fault)) is not None:
                return response
            if self.failure_rate and self.random.random() < self.failure_rate:
                await self._sleep(self.delay)
                return json_response(status_body(500), 500)
            if not self._authorised(request):
                return json_response(status_body(401), 401)
            if not body_ok:
                raise ApiError(error_body("We could not parse the JSON body of your request."))
            payload = self._build(record)
            params = self._params(record)
            if str(params.get("stream")).lower() == "true":
                return StreamingResponse(self._events(request.url.path, params, payload),
                                         media_type="text/event-stream")
            await self._sleep(self.delay)
            return json_response(payload)
        except ApiError as exc:
            return json_response(exc.args[0], 400)
        finally:
            with self._lock:
                self._inflight -= 1

    async def _record(self, request: Request) -> tuple[Recorded, bool]:
        record, ok = Recorded(request.method, request.url.path, dict(request.headers.items())), True
        if request.headers.get("content-type", "").startswith(("multipart/", "application/x-www-form")):
            async with request.form() as form:
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        file = RecordedFile(key, value.filename, value.content_type, await value.read())
                        record.files.append(file)
                    else:
                        record.form.setdefault(key, []).append(value)
        elif body := await request.body():
            with contextlib.suppress(orjson.JSONDecodeError):
                record.json = orjson.loads(body)
            ok = isinstance(record.json, dict)
        with self._lock:
            self.requests.append(record)
        return record, ok

    async def _apply_fault(self, fault: Fault) -> Response | None:
        kind, status, headers, body, delay = fault
        await self._sleep(delay if delay is not None else 30.0 if kind == "hang" else 0.0)
        if kind == "hang":
            return None  # then answer normally
        if kind == "drop":
            return _DropResponse()
        if kind == "bad_json":
            response = Response(b'{"created": 1, "data": [', media_type="application/json")
        elif kind == "moderation":
            response = json_response(status_body("moderation"), 400)
        else:
            response = json_response(body or status_body(status or 500), status or 500)
        response.headers.update(headers or {})
        return response

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def _params(self, record: Recorded) -> dict[str, Any]:
        return dict(record.json) if record.json is not None else {k: v[-1] for k, v in record.form.items()}

    def _build(self, record: Recorded) -> dict[str, Any]:
        params = self._params(record)
        size = params.get("size") or "auto"  # "auto"/missing: 1024x1024; multipart sends n as a string
        try:
            n = int(1 if params.get("n") is None else params["n"])
            width, height = (1024, 1024) if size == "auto" else map(int, str(size).lower().split("x"))
            if not (1 <= n <= 10 and 0 < width <= 8192 and 0 < height <= 8192):
                raise ValueError
        except (TypeError, ValueError):
            message = f"Invalid 'n' or 'size' ({size!r})."
            raise ApiError(error_body(message, code="invalid_value", param="size")) from None
        model = str(params.get("model") or "dall-e-2")
        if model.startswith("gpt-image"):
            return gpt_image_result(params, n, width, height)
        data, b64 = encode_image(width, height)
        items: list[dict[str, str]] = []
        for _ in range(n):
            if params.get("response_format") == "b64_json":
                items.append({"b64_json": b64})
            else:
                name = f"img-{len(self._files) + 1}-{width}x{height}.png"
                self._files[name] = data
                items.append({"url": f"{self.origin}/files/{name}"})
            if model == "dall-e-3":
                items[-1]["revised_prompt"] = f"revised: {params.get('prompt', '')}"
        return {"created": int(time.time()), "data": items}

    async def _events(self, path: str, params: dict[str, Any], payload: dict[str, Any]) -> Any:
        """OpenAI's stream: ``partial_images`` partial events, then a completed event per image; ``stream_gap``
        seconds before each, so a client sees them arrive one by one."""
        prefix = "image_edit" if path.endswith("/edits") else "image_generation"
        common = {k: payload[k] for k in ("size", "quality", "background", "output_format")}
        partial = encode_image(64, 64)[1]
        for index in range(int(params.get("partial_images") or 0)):
            await self._sleep(self.stream_gap)
            event = {"type": f"{prefix}.partial_image", "b64_json": partial, "created_at": payload["created"],
                     **common, "partial_image_index": index}
            yield f"event: {event['type']}\ndata: {orjson.dumps(event).decode()}\n\n".encode()
        with self._lock:
            cut, self.cut_streams = self.cut_streams > 0, max(self.cut_streams - 1, 0)
        if cut:
            raise ConnectionAbortedError("the stream breaks off")  # the connection closes mid-answer
        for item in payload["data"]:
            await self._sleep(self.stream_gap)
            event = {"type": f"{prefix}.completed", "b64_json": item["b64_json"], "created_at": payload["created"],
                     **common, "usage": payload["usage"]}
            yield f"event: {event['type']}\ndata: {orjson.dumps(event).decode()}\n\n".encode()

    async def _file(self, request: Request) -> Response:
        await self._record(request)
        if (data := self._files.get(request.path_params["name"])) is None:
            return json_response(error_body("File not found.", code="not_found"), 404)
        return Response(data, media_type="image/png")

    async def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0 and not self._closing.is_set():
            await asyncio.sleep(min(left, 0.05))
