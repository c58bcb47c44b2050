"""A fake xAI images API (``api.x.ai/v1``) over real HTTP, checking requests as xAI documents.

``POST /v1/images/generations`` and ``/v1/images/edits``, both JSON only (a multipart edit is a 415, as xAI
refuses the OpenAI SDK's multipart edits). Bearer key; a wrong key is xAI's 400 "Incorrect API key provided".
``size``, ``quality`` and ``style`` are 400 "Argument not supported: <field>"; an unknown model, a ratio or
resolution xAI doesn't list, ``n`` outside 1–10, or an edit without (or with more than three) images are 400s.
Errors are xAI's ``{"code", "error"}`` bodies. Results are base64 or links on this fake's origin; an image the
fake's moderation filters comes back with ``respect_moderation: false`` (``filter_next``).
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.images_api_fake import ImagesApiFake, Rejected
from tests.fakes.openai_upstream import Recorded

XAI_KEY = "xai-FakeKey0123456789abcdefghijklmnopqrstuvwxyz"
MODELS = {"grok-imagine-image", "grok-imagine-image-quality"}
RATIOS = {"1:1": (1, 1), "3:4": (3, 4), "4:3": (4, 3), "9:16": (9, 16), "16:9": (16, 9), "2:3": (2, 3), "3:2": (3, 2),
          "9:19.5": (18, 39), "19.5:9": (39, 18), "9:20": (9, 20), "20:9": (20, 9), "1:2": (1, 2), "2:1": (2, 1),
          "auto": (1, 1)}
RESOLUTIONS = {"1k": 1024, "2k": 2048}
FIELDS = {"model", "prompt", "n", "response_format", "aspect_ratio", "resolution", "user", "quality", "size",
          "style"}
EDIT_FIELDS = FIELDS | {"image", "images", "mask"}


class FakeXAI(ImagesApiFake):
    name = "fake-xai"

    def __init__(self, api_key: str = XAI_KEY) -> None:
        super().__init__(api_key)
        self.filter_next = False

    def routes(self) -> list[Route]:
        return [Route("/v1/images/generations", self._generate, methods=["POST"]),
                Route("/v1/images/edits", self._edit, methods=["POST"])]

    def reset(self) -> None:
        super().reset()
        self.filter_next = False

    def error(self, status: int, message: str, code: str = "") -> Rejected:
        return Rejected(status, {"code": code or "Client specified an invalid argument", "error": message})

    def refusal(self) -> Rejected:
        return self.error(400, "Generated image rejected by content moderation.")

    def bad_key(self) -> Rejected:
        return self.error(400, "Incorrect API key provided: xa***90. You can obtain an API key from "
                               "https://console.x.ai.")

    async def _generate(self, request: Request) -> Response:
        return await self.handle(request, lambda record: self._answer(record, FIELDS))

    async def _edit(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("application/json"):
            await self._record(request)
            return Response(b'{"code": "Unsupported Media Type", "error": "Expected application/json"}', 415,
                            media_type="application/json")
        return await self.handle(request, lambda record: self._answer(record, EDIT_FIELDS))

    def _sources(self, body: dict[str, Any]) -> int:
        if "image" in body and "images" in body:
            raise self.error(400, "image and images are mutually exclusive")
        images = [body["image"]] if "image" in body else body.get("images") or []
        if not images or len(images) > 3 or not all(isinstance(i, dict) and str(i.get("url", "")).startswith(
                ("data:image/", "https://")) for i in images):
            raise self.error(400, "an edit takes 1 to 3 images, each with a url")
        return len(images)

    def _answer(self, record: Recorded, allowed: set[str]) -> dict[str, Any]:
        body = record.json
        if not isinstance(body, dict):
            raise self.error(400, "invalid JSON body")
        if unknown := sorted(set(body) - allowed):
            raise self.error(422, f"unknown field `{unknown[0]}`", "Unprocessable Entity")
        for field in ("size", "quality", "style"):
            if field in body:
                raise self.error(400, f"Argument not supported: {field}")
        if body.get("model") not in MODELS:
            raise Rejected(404, {"code": "Some requested entity was not found",
                                 "error": f"The model {body.get('model')} does not exist or your team does not have "
                                          "access to it."})
        if allowed is EDIT_FIELDS:
            self._sources(body)
        ratio, tier, n = body.get("aspect_ratio", "auto"), body.get("resolution", "1k"), body.get("n", 1)
        if ratio not in RATIOS or tier not in RESOLUTIONS or not isinstance(n, int) or not 1 <= n <= 10:
            raise self.error(400, "invalid aspect_ratio, resolution or n")
        if not str(body.get("prompt") or "").strip():
            raise self.error(400, "prompt must not be empty")
        w, h = RATIOS[ratio]
        scale = RESOLUTIONS[tier] // 64 / max(w, h)
        data = [{**self.image(max(1, round(w * scale)), max(1, round(h * scale)), body.get("response_format", "url")),
                 "revised_prompt": f"Revised: {body['prompt']}", "respect_moderation": not self.filter_next}
                for _ in range(n)]
        self.filter_next = False
        return {"created": int(time.time()), "data": data}
