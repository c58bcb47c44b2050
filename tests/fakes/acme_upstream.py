"""A fake Acme Render: ``POST /render`` with ``X-Acme-Key``, answering PNGs as base64, or a queued fault."""

from __future__ import annotations

import threading
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.openai_upstream import encode_image
from tests.fakes.server import Served, ThreadedServer


class FakeAcme(Served):
    def __init__(self, api_key: str = "acme_live_0123456789abcdef") -> None:
        self.api_key = api_key
        self.bodies: list[dict[str, Any]] = []
        self.faults: list[tuple[int, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self.server = ThreadedServer(Starlette(routes=[Route("/render", self._render, methods=["POST"])]), "acme")
        self.origin = ""

    def reset(self) -> None:
        with self._lock:
            self.bodies.clear()
            self.faults.clear()

    def fail_next(self, status: int, error: dict[str, Any]) -> None:
        with self._lock:
            self.faults.append((status, {"error": error}))

    async def _render(self, request: Request) -> Response:
        if request.headers.get("x-acme-key") != self.api_key:
            return Response(orjson.dumps({"error": {"reason": "bad key"}}), 401)
        body = orjson.loads(await request.body())
        with self._lock:
            self.bodies.append(body)
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            return Response(orjson.dumps(fault[1]), fault[0], media_type="application/json")
        width, height = body["dimensions"]
        images = [{"png_base64": encode_image(width, height)[1]} for _ in range(body["count"])]
        return Response(orjson.dumps({"images": images}), media_type="application/json")
