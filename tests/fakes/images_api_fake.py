"""What the Recraft and xAI fakes share: an OpenAI-shaped images API over real HTTP that records requests,
answers with real images (inline or as links on its own origin, as the vendors do), and injects faults.

Faults (``fail_next``) are answered before the request is checked: ``rate_limit`` (429 with Retry-After),
``server`` (500), ``unavailable`` (503), ``hang`` (no answer until the client gives up or the fake stops),
``bad_json`` (a truncated 200), ``refusal`` (the vendor's content refusal) and ``bad_key`` (the vendor's answer
to a wrong key). A subclass says how the vendor checks a request and words its errors.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections import deque
from typing import Any, Literal, get_args

import orjson
import pybase64
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.openai_upstream import Recorded, RecordedFile, encode_image
from tests.fakes.server import ServedApi, ThreadedServer

FaultKind = Literal["rate_limit", "server", "unavailable", "hang", "bad_json", "refusal", "bad_key"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
       b'<script>alert(document.domain)</script><rect width="64" height="64" fill="#2878c8"/></svg>')


class Rejected(Exception):
    """A request the vendor refuses: answered with ``status`` and ``body`` (bytes or JSON)."""

    def __init__(self, status: int, body: Any, media_type: str = "application/json") -> None:
        super().__init__(status)
        self.status, self.body, self.media_type = status, body, media_type


def answer(status: int, body: Any, media_type: str = "application/json", headers: dict[str, str] | None = None
           ) -> Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(content, status, headers, media_type=media_type)


class ImagesApiFake(ServedApi):
    name = "fake-images-api"
    api_path = "/v1"
    retry_after = "3"

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self.answers: list[dict[str, Any]] = []
        self.downloads: list[str] = []
        self.files: dict[str, tuple[bytes, str]] = {}
        self._faults: deque[FaultKind] = deque()
        self._lock = threading.Lock()
        super().__init__(ThreadedServer(Starlette(routes=[*self.routes(), Route("/files/{name}", self._file)]),
                                        self.name))

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.answers.clear()
            self.downloads.clear()
            self._faults.clear()

    def fail_next(self, kind: FaultKind, count: int = 1) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        with self._lock:
            self._faults.extend([kind] * count)

    # --- what a vendor says -------------------------------------------------------------------------------

    def error(self, status: int, message: str, code: str = "") -> Rejected:
        raise NotImplementedError

    def refusal(self) -> Rejected:
        raise NotImplementedError

    def bad_key(self) -> Rejected:
        raise NotImplementedError

    # --- serving ------------------------------------------------------------------------------------------

    async def _record(self, request: Request) -> Recorded:
        record = Recorded(request.method, request.url.path, dict(request.headers.items()))
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            async with request.form() as form:
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        record.files.append(RecordedFile(key, value.filename, value.content_type, await value.read()))
                    else:
                        record.form.setdefault(key, []).append(value)
        else:
            raw = await request.body()
            try:
                record.json = orjson.loads(raw) if raw else None
            except orjson.JSONDecodeError:
                record.json = raw
        with self._lock:
            self.requests.append(record)
        return record

    async def handle(self, request: Request, checked: Any) -> Response:
        """Record, fault, authorise, check (``checked(record) -> answer body``), answer."""
        record = await self._record(request)
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        try:
            if fault is not None and (response := await self._fault(fault)) is not None:
                return response
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                raise self.bad_key()
            body = checked(record)
        except Rejected as exc:
            return answer(exc.status, exc.body, exc.media_type)
        with self._lock:
            self.answers.append(body)
        return answer(200, body)

    async def _fault(self, fault: FaultKind) -> Response | None:
        if fault == "hang":
            end = time.monotonic() + 30
            while time.monotonic() < end and not self._closing.is_set():
                await asyncio.sleep(0.05)
            return None
        if fault == "bad_json":
            return answer(200, b'{"created": 1, "data": [{"url": "ht')
        if fault == "refusal":
            raise self.refusal()
        if fault == "bad_key":
            raise self.bad_key()
        if fault == "rate_limit":
            rejected = self.error(429, "Too many requests, slow down.", "rate_limited")
            return answer(429, rejected.body, rejected.media_type, {"Retry-After": self.retry_after})
        raise self.error(500 if fault == "server" else 503, "Internal error, try again later.", "internal")

    def image(self, width: int, height: int, response_format: str, vector: bool = False) -> dict[str, Any]:
        """One result: inline base64, or a link on this fake's origin (served once fetched)."""
        data, b64 = (SVG, "") if vector else encode_image(width, height)
        if response_format == "b64_json":
            return {"b64_json": b64 or pybase64.b64encode(data).decode("ascii")}
        name = f"{secrets.token_hex(8)}.{'svg' if vector else 'png'}"
        self.files[name] = (data, "image/svg+xml" if vector else "image/png")
        return {"url": f"{self.origin}/files/{name}?sig={secrets.token_hex(4)}"}

    async def _file(self, request: Request) -> Response:
        found = self.files.get(request.path_params["name"])
        if found is None:
            return Response(b"not found", 404)
        self.downloads.append(request.path_params["name"])
        return Response(found[0], media_type=found[1])
