"""Pure translation between a FLUX call and Black Forest Labs' API: request bodies and the answers.

Kontext takes ``input_image`` and ``input_image_2..4`` (base64) and an ``aspect_ratio``; Fill
takes one ``image`` and a white-on-black ``mask`` and follows the image's size. Costs come in
credits (1 credit = $0.01) and are recorded in dollars.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..base import Call
from ..flux import CONSUMED, flux_values
from ..spec import Param, ParamTable
from ..upstream import bad_answer

DOMAINS = ("bfl.ai",)
FILL_MODELS = frozenset({"flux-pro-1.0-fill"})
IMAGE_FIELDS = ("input_image", "input_image_2", "input_image_3", "input_image_4")
CREDIT_USD = 0.01
READY, NOT_FOUND = "Ready", "Task not found"
TABLE = ParamTable(
    "BFL", Param("prompt"), Param("aspect_ratio"), Param("seed"), Param("output_format"), Param("safety_tolerance"),
    Param("prompt_upsampling"), *CONSUMED, Param("image", (*IMAGE_FIELDS, "image")), Param("mask"),
)


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    polling_url: str
    cost_usd: float | None


def path(upstream_model: str) -> str:
    return f"/v1/{upstream_model}"


def request_body(call: Call) -> dict[str, Any]:
    """The fields besides the input images, by the table; Fill follows its image's size, so it takes no ratio."""
    values = flux_values(call)
    if call.upstream_model in FILL_MODELS:
        values.pop("aspect_ratio", None)
    return TABLE.body(values)


def image_fields(upstream_model: str, images: list[str], mask: str | None) -> dict[str, str]:
    """The input images (and Fill's mask) under the upstream model's field names."""
    if upstream_model in FILL_MODELS:
        return {"image": images[0], **({"mask": mask} if mask is not None else {})}
    return dict(zip(IMAGE_FIELDS, images, strict=False))


def parse_submit(body: Any) -> Task:
    """``{id, polling_url, cost}`` → :class:`Task`."""
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("id", "polling_url")):
        raise bad_answer("a task id and polling link")
    cost = body.get("cost")
    cost_usd = round(float(cost) * CREDIT_USD, 6) if isinstance(cost, int | float) else None
    return Task(body["id"], body["polling_url"], cost_usd)


def parse_result(body: Any) -> tuple[str, str | None]:
    """``{status, result: {sample}}`` → the status and, when there is one, the sample link."""
    if not isinstance(body, dict) or not isinstance(body.get("status"), str):
        raise bad_answer("a task status")
    result = body.get("result")
    sample = result.get("sample") if isinstance(result, dict) else None
    return body["status"], sample if isinstance(sample, str) else None
