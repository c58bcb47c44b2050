"""Fake Black Forest Labs API over real HTTP: submit → ``{id, polling_url, cost}``, poll
``/v1/get_result`` → Pending … then the task's outcome, images served from ``/files``.

Outcomes (``next_outcomes``): ``ok``, ``Request Moderated``, ``Content Moderated``, ``Error``,
``Failed``, ``never`` (Pending forever), ``lost`` (Task not found forever), ``found_late``
(Task not found twice, then ok), ``expired`` (Ready with a link that answers 403), ``foreign``
(a polling URL on ``foreign_origin``). Bodies are validated like BFL's schemas, strictly: an
unknown field is a 422.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.task_upstream import RATIO_SIZES, Task, TaskUpstream, decode_image, detail, json_response

KONTEXT_FIELDS = frozenset({"prompt", "input_image", "input_image_2", "input_image_3", "input_image_4", "seed",
                            "aspect_ratio", "output_format", "prompt_upsampling", "safety_tolerance",
                            "webhook_url", "webhook_secret"})
FILL_FIELDS = frozenset({"prompt", "image", "mask", "steps", "guidance", "seed", "prompt_upsampling",
                         "safety_tolerance", "output_format", "webhook_url", "webhook_secret"})
SCHEMAS = {"flux-kontext-pro": KONTEXT_FIELDS, "flux-kontext-max": KONTEXT_FIELDS, "flux-pro-1.0-fill": FILL_FIELDS}
COSTS = {"flux-kontext-pro": 4, "flux-kontext-max": 8, "flux-pro-1.0-fill": 5}
FAILURES = frozenset({"Request Moderated", "Content Moderated", "Error", "Failed"})


def _types(body: dict[str, Any]) -> dict[str, Any] | None:
    checks = [("prompt", lambda v: isinstance(v, str)),
              ("seed", lambda v: isinstance(v, int) and not isinstance(v, bool)),
              ("prompt_upsampling", lambda v: isinstance(v, bool)),
              ("safety_tolerance", lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 6),
              ("output_format", lambda v: v in ("jpeg", "png", "webp")),
              ("aspect_ratio", lambda v: v in RATIO_SIZES)]
    for name, ok in checks:
        if name in body and not ok(body[name]):
            return detail(name, f"Invalid value for {name}")
    return None


def validate(model: str, body: Any) -> dict[str, Any] | None:
    """A 422 body for what BFL would refuse, else ``None``."""
    if not isinstance(body, dict):
        return detail("body", "Input should be a valid dictionary")
    if extra := sorted(set(body) - SCHEMAS[model]):
        return detail(extra[0], "Extra inputs are not permitted")
    if (error := _types(body)) is not None:
        return error
    images = [k for k in body if k.startswith("input_image") or k in ("image", "mask")]
    for name in images:
        if decode_image(body[name]) is None:
            return detail(name, "Invalid base64 image")
    if model in ("flux-kontext-pro", "flux-kontext-max") and not body.get("prompt"):
        return detail("prompt", "Field required")
    if model == "flux-pro-1.0-fill" and "image" not in body:
        return detail("image", "Field required")
    return None


class FakeBFL(TaskUpstream):
    def __init__(self, api_key: str = "bfl_fake_key_123456") -> None:
        super().__init__(api_key, "fake-bfl")
        self.foreign_origin = ""

    def routes(self) -> list[Route]:
        return [Route("/v1/get_result", self._result, methods=["GET"]),
                Route("/v1/{model}", self._submit, methods=["POST"])]

    def _refused(self, request: Request) -> Response | None:
        if request.headers.get("x-key") != self.api_key:
            return json_response({"detail": "Not authenticated"}, 403)
        return None

    async def _submit(self, request: Request) -> Response:
        record = await self.record(request)
        if (response := self.fault() or self._refused(request)) is not None:
            return response
        model = request.path_params["model"]
        if model not in SCHEMAS:
            return json_response({"detail": "Not Found"}, 404)
        if (error := validate(model, record.json)) is not None:
            return json_response(error, 422)
        task = self.open_task(uuid.uuid4().hex, model, record.json)
        if task is None:
            return json_response({"detail": "Task limit exceeded. Please wait for a task to finish."}, 429)
        origin = self.foreign_origin if task.outcome == "foreign" else self.origin
        return json_response({"id": task.id, "polling_url": f"{origin}/v1/get_result?id={task.id}",
                              "cost": COSTS[model], "input_mp": 0.0, "output_mp": 1.05})

    async def _result(self, request: Request) -> Response:
        await self.record(request)
        if (response := self._refused(request)) is not None:
            return response
        task_id = request.query_params.get("id", "")
        task = self.tasks.get(task_id)
        not_found = json_response({"id": task_id, "status": "Task not found", "result": None})
        if task is None or task.outcome == "lost":
            return not_found
        if task.outcome == "found_late" and task.polls < 2:
            task.polls += 1
            return not_found
        outcome = self.advance(task)
        if outcome is None:
            return json_response({"id": task.id, "status": "Pending", "result": None, "progress": 0.5})
        if outcome in FAILURES:
            return json_response({"id": task.id, "status": outcome, "result": None, "details": None})
        sample = self.expired_link() if outcome == "expired" else self._image(task)
        result = {"sample": sample, "seed": task.body.get("seed"), "prompt": task.body.get("prompt")}
        return json_response({"id": task.id, "status": "Ready", "result": result})

    def _image(self, task: Task) -> str:
        body = task.body
        width, height = RATIO_SIZES.get(body.get("aspect_ratio") or "", (0, 0))
        source = body.get("input_image") or body.get("image")
        if not width and source:
            img = decode_image(source)
            width, height = img.size if img is not None else (1024, 1024)
        return self.image_link(width or 1024, height or 1024, body.get("output_format") or "png")
