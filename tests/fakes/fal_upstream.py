"""Fake fal.ai queue API over real HTTP: ``POST /<app>`` → ``{request_id, status_url, response_url}``,
``GET …/requests/<id>/status`` → IN_QUEUE / IN_PROGRESS … COMPLETED, ``GET …/requests/<id>`` → images.

Outcomes (``next_outcomes``): ``ok``, ``nsfw`` (results flagged by the safety checker),
``FAILED`` (a status other than COMPLETED), ``invalid`` (the result fetch answers 422),
``never``, ``foreign`` (a status URL on ``foreign_origin``), ``expired`` (image links that 403).
Bodies are validated strictly per endpoint (text-to-image, edit, multi).
"""

from __future__ import annotations

import uuid
from typing import Any

from PIL import Image
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.task_upstream import RATIO_SIZES, Task, TaskUpstream, decode_image, detail, json_response

APPS = frozenset({"fal-ai/flux-pro/kontext", "fal-ai/flux-pro/kontext/max"})
COMMON = frozenset({"prompt", "seed", "guidance_scale", "num_images", "output_format", "safety_tolerance",
                    "enhance_prompt", "aspect_ratio", "sync_mode"})
KINDS = {"/text-to-image": COMMON, "/multi": COMMON | {"image_urls"}, "": COMMON | {"image_url"}}
APP_ROOT = "fal-ai/flux-pro"


def split_endpoint(path: str) -> tuple[str, str] | None:
    """``fal-ai/flux-pro/kontext/max/multi`` → (app, kind) when the app is one this fake serves."""
    for kind in ("/text-to-image", "/multi"):
        if path.endswith(kind) and path[: -len(kind)] in APPS:
            return path[: -len(kind)], kind
    return (path, "") if path in APPS else None


def decode_data_uri(value: Any) -> Image.Image | None:
    if not isinstance(value, str) or not value.startswith("data:image/") or ";base64," not in value:
        return None
    return decode_image(value.split(",", 1)[1])


def validate(kind: str, body: Any) -> dict[str, Any] | None:
    if not isinstance(body, dict):
        return detail("body", "Input should be a valid dictionary")
    if extra := sorted(set(body) - KINDS[kind]):
        return detail(extra[0], "Extra inputs are not permitted")
    checks = [("prompt", isinstance(body.get("prompt"), str) and bool(body.get("prompt"))),
              ("num_images", body.get("num_images", 1) in (1, 2, 3, 4)),
              ("output_format", body.get("output_format", "jpeg") in ("jpeg", "png")),
              ("safety_tolerance", body.get("safety_tolerance", "2") in ("1", "2", "3", "4", "5", "6")),
              ("aspect_ratio", body.get("aspect_ratio", "1:1") in RATIO_SIZES),
              ("enhance_prompt", isinstance(body.get("enhance_prompt", False), bool)),
              ("image_url", kind != "" or decode_data_uri(body.get("image_url")) is not None),
              ("image_urls", kind != "/multi" or (isinstance(body.get("image_urls"), list)
                                                  and all(decode_data_uri(u) for u in body["image_urls"])))]
    for name, ok in checks:
        if not ok:
            return detail(name, f"Invalid value for {name}")
    return None


class FakeFal(TaskUpstream):
    def __init__(self, api_key: str = "fal_fake_key_123456") -> None:
        super().__init__(api_key, "fake-fal")
        self.foreign_origin = ""

    def routes(self) -> list[Route]:
        base = f"/{APP_ROOT}/requests/{{request_id}}"
        return [Route(f"{base}/status", self._status, methods=["GET"]),
                Route(base, self._response, methods=["GET"]),
                Route("/{endpoint:path}", self._submit, methods=["POST"])]

    def _refused(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Key {self.api_key}":
            return json_response({"detail": "Unauthorized"}, 401)
        return None

    async def _submit(self, request: Request) -> Response:
        record = await self.record(request)
        if (response := self.fault() or self._refused(request)) is not None:
            return response
        found = split_endpoint(request.path_params["endpoint"])
        if found is None:
            return json_response({"detail": "Application not found"}, 404)
        if (error := validate(found[1], record.json)) is not None:
            return json_response(error, 422)
        task = self.open_task(uuid.uuid4().hex, found[0], record.json)
        if task is None:
            return json_response({"detail": "Too many concurrent requests"}, 429)
        origin = self.foreign_origin if task.outcome == "foreign" else self.origin
        url = f"{origin}/{APP_ROOT}/requests/{task.id}"
        return json_response({"request_id": task.id, "status_url": f"{url}/status", "response_url": url,
                              "cancel_url": f"{url}/cancel", "queue_position": 0})

    async def _status(self, request: Request) -> Response:
        await self.record(request)
        if (response := self._refused(request)) is not None:
            return response
        task = self.tasks.get(request.path_params["request_id"])
        if task is None:
            return json_response({"detail": "Request not found"}, 404)
        outcome = self.advance(task)
        if outcome is None:
            return json_response({"status": "IN_QUEUE" if task.polls == 1 else "IN_PROGRESS"}, 202)
        return json_response({"status": "FAILED" if outcome == "FAILED" else "COMPLETED"})

    async def _response(self, request: Request) -> Response:
        await self.record(request)
        if (response := self._refused(request)) is not None:
            return response
        task = self.tasks.get(request.path_params["request_id"])
        if task is None or not task.done:
            return json_response({"detail": "Request is still in progress"}, 400)
        if task.outcome == "invalid":
            return json_response(detail("image_url", "Could not load the image from https://fal.media/x.png"), 422)
        n = int(task.body.get("num_images", 1))
        links = [self.expired_link() if task.outcome == "expired" else self._image(task) for _ in range(n)]
        fmt = task.body.get("output_format", "jpeg")
        images = [{"url": link, "content_type": f"image/{fmt}"} for link in links]
        return json_response({"images": images, "seed": task.body.get("seed", 42), "prompt": task.body["prompt"],
                              "has_nsfw_concepts": [task.outcome == "nsfw"] * n, "timings": {}})

    def _image(self, task: Task) -> str:
        body = task.body
        width, height = RATIO_SIZES[body.get("aspect_ratio", "1:1")]
        return self.image_link(width, height, body.get("output_format", "jpeg"))
