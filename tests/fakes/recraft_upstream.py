"""A fake Recraft API (``external.api.recraft.ai/v1``) over real HTTP, checking requests as Recraft documents.

``POST /v1/images/generations`` (JSON), ``/v1/images/imageToImage`` and ``/v1/images/inpaint`` (multipart).
Bearer key; a wrong key is Recraft's plain-text 401 ``request unauthorized``. Unknown fields, a model Recraft
doesn't have, a size outside the model's list, ``n`` outside 1–6, a style on a V4 model, ``substyle`` without
``style``, a prompt over the model's limit: 400 with a JSON ``{"code", "message"}`` body. Results are links on
this fake's origin (``url``, the default) or base64, SVG for the vector models; ``credits`` is the API units
charged. Faults: see ``images_api_fake``; a content refusal is 400 ``inappropriate_content``.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.images_api_fake import ImagesApiFake, Rejected
from tests.fakes.openai_upstream import Recorded

RECRAFT_KEY = "recraft-fake-token-0123456789"
V4 = ("1024x1024", "1536x768", "768x1536", "1280x832", "832x1280", "1216x896", "896x1216", "1152x896", "896x1152",
      "832x1344", "1280x896", "896x1280", "1344x768", "768x1344")
V4_PRO = tuple(f"{int(w) * 2}x{int(h) * 2}" for w, h in (size.split("x") for size in V4))
V3 = ("1024x1024", "2048x1024", "1024x2048", "1536x1024", "1024x1536", "1365x1024", "1024x1365", "1280x1024",
      "1024x1280", "1707x1024", "1024x1707", "1434x1024", "1024x1434", "1820x1024", "1024x1820")
# model: (sizes, units per image, prompt limit, takes styles)
MODELS: dict[str, tuple[tuple[str, ...], int, int, bool]] = {
    "recraftv4_1": (V4, 35, 10000, False), "recraftv4_1_vector": (V4, 80, 10000, False),
    "recraftv4_1_pro": (V4_PRO, 210, 10000, False), "recraftv4": (V4, 40, 10000, False),
    "recraftv4_vector": (V4, 80, 10000, False), "recraftv4_pro": (V4_PRO, 250, 10000, False),
    "recraftv4_pro_vector": (V4_PRO, 300, 10000, False), "recraftv3": (V3, 40, 1000, True),
    "recraftv3_vector": (V3, 80, 1000, True),
}
SUBSTYLES = {"2d_art_poster", "hdr", "b_and_w", "pixel_art", "engraving", "hard_flash", "motion_blur"}
STYLES = {"any", "realistic_image", "digital_illustration", "vector_illustration", "icon"}
GENERATE = {"prompt", "n", "model", "style", "substyle", "style_id", "size", "negative_prompt", "response_format",
            "text_layout", "controls"}
EDIT = {"prompt", "n", "model", "style", "substyle", "style_id", "negative_prompt", "response_format", "strength",
        "controls"}


class FakeRecraft(ImagesApiFake):
    name = "fake-recraft"

    def __init__(self, api_key: str = RECRAFT_KEY) -> None:
        super().__init__(api_key)

    def routes(self) -> list[Route]:
        return [Route("/v1/images/generations", self._generate, methods=["POST"]),
                Route("/v1/images/imageToImage", self._image_to_image, methods=["POST"]),
                Route("/v1/images/inpaint", self._inpaint, methods=["POST"])]

    def error(self, status: int, message: str, code: str = "") -> Rejected:
        return Rejected(status, {"code": code or "invalid_request", "message": message})

    def refusal(self) -> Rejected:
        return Rejected(400, {"code": "inappropriate_content", "message": "The prompt contains inappropriate content."})

    def bad_key(self) -> Rejected:
        return Rejected(401, b"request unauthorized", "text/plain")

    async def _generate(self, request: Request) -> Response:
        return await self.handle(request, lambda record: self._answer(record.json, GENERATE, record))

    async def _image_to_image(self, request: Request) -> Response:
        return await self.handle(request, lambda record: self._edit(record, mask=False))

    async def _inpaint(self, request: Request) -> Response:
        return await self.handle(request, lambda record: self._edit(record, mask=True))

    def _edit(self, record: Recorded, mask: bool) -> dict[str, Any]:
        if record.json is not None:
            raise self.error(400, "this fake takes edits as multipart/form-data")
        fields = {key: values[-1] for key, values in record.form.items()}
        files = {part.field for part in record.files}
        if files != ({"image", "mask"} if mask else {"image"}):
            raise self.error(400, f"expected the files {'image and mask' if mask else 'image'}, got {sorted(files)}")
        if not mask:
            strength = float(fields.get("strength", "nan"))
            if not 0 <= strength <= 1:
                raise self.error(400, "strength must be between 0 and 1", "invalid_strength")
        return self._answer(fields, EDIT - ({"strength"} if mask else set()), record)

    def _answer(self, body: Any, allowed: set[str], record: Recorded) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise self.error(400, "invalid request body")
        if unknown := sorted(set(body) - allowed):
            raise self.error(400, f"unknown field: {unknown[0]}", "unknown_field")
        model = body.get("model", "recraftv4_1")
        if model not in MODELS:
            raise self.error(400, f"unknown model {model}", "invalid_model")
        sizes, units, prompt_max, styled = MODELS[model]
        prompt, n = str(body.get("prompt") or ""), int(body.get("n", 1))
        if not prompt or len(prompt) > prompt_max:
            raise self.error(400, f"prompt must be 1 to {prompt_max} characters", "invalid_prompt")
        if not 1 <= n <= 6:
            raise self.error(400, "n must be between 1 and 6", "invalid_n")
        size = body.get("size", sizes[0])
        if size not in sizes:
            raise self.error(400, f"size {size} is not supported by {model}", "invalid_size")
        for field in ("style", "negative_prompt"):
            if field in body and not styled:
                raise self.error(400, f"{field} is not supported by {model}", f"unsupported_{field}")
        if "style" in body and body["style"] not in STYLES:
            raise self.error(400, f"unknown style {body['style']}", "invalid_style")
        if "substyle" in body and ("style" not in body or body["substyle"] not in SUBSTYLES):
            raise self.error(400, f"invalid substyle {body['substyle']} for style {body.get('style')}",
                             "invalid_substyle")
        width, height = (int(edge) for edge in size.split("x"))
        return {"created": int(time.time()), "credits": units * n,
                "data": [{"image_id": f"img-{i}", **self.image(width // 16, height // 16,
                                                                 body.get("response_format", "url"),
                                                                 vector=model.endswith("_vector"))}
                         for i in range(n)]}
