"""Pure translation between an image call and DashScope's two Qwen-Image protocols.

Synchronous (``multimodal-generation/generation``): the input images then the prompt are the content of one user
message, ``{image: data URI}``… ``{text: prompt}``; the options go in ``parameters``. The answer's images are links in
``output.choices[].message.content[].image``.

Asynchronous (``text2image/image-synthesis`` with ``X-DashScope-Async: enable``): ``input.prompt`` and the same
``parameters``; the answer is ``output.task_id``, and ``GET /api/v1/tasks/{id}`` reports ``output.task_status``
(``PENDING``, ``RUNNING``, ``SUCCEEDED``, ``FAILED``, ``CANCELED``, ``UNKNOWN``) and, once done, links in
``output.results[].url``.

``size`` is ``W*H`` (an asterisk); ``auto`` sends none (the upstream's default; an edit follows its last input
image). ``watermark`` is sent ``false`` unless the client asks for one. A seed is spread over fanned-out calls
(``seed + i`` for the i-th image).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...fields import FieldSpec
from ..base import Call
from ..spec import Param, ParamTable
from ..upstream import bad_answer
from .models import SEED_LIMIT

PARAMS = "parameters"
FIELDS = (FieldSpec("prompt_extend", "bool", option=True,
                    description="Qwen-Image: let the upstream rewrite the prompt (its default: true)."),)
TABLE = ParamTable(
    "DashScope",
    Param("prompt", None),
    Param("size", f"{PARAMS}.size", transform=lambda size: str(size).replace("x", "*")),
    Param("seed", f"{PARAMS}.seed", allowed=range(SEED_LIMIT), takes="0 to 2147483647"),
    Param("negative_prompt", f"{PARAMS}.negative_prompt"),
    Param("watermark", f"{PARAMS}.watermark"),
    Param("prompt_extend", f"{PARAMS}.prompt_extend"),
    Param("quality", None, allowed=("auto",), takes="auto"),
    Param("user", None),
    Param("image", ("input.messages",)),
)
SUCCEEDED, FAILED, UNKNOWN = "SUCCEEDED", "FAILED", "UNKNOWN"
ENDED = frozenset({FAILED, "CANCELED"})
TASK_ID = re.compile(r"^[A-Za-z0-9-]{1,128}$")


@dataclass(frozen=True, slots=True)
class Failure:
    """An error an answer carries instead of images (DashScope's ``code`` and ``message``)."""

    code: str
    message: str


def values(call: Call) -> dict[str, Any]:
    """The call's values by OpenAI-side name: ``auto`` size dropped, watermark off unless asked, seed spread."""
    found = call.job.params()
    if found.get("size") == "auto":
        found.pop("size")
    found["watermark"] = bool(found.get("watermark", False))
    seed = found.get("seed")
    if isinstance(seed, int) and 0 <= seed < SEED_LIMIT:  # else the table refuses it
        found["seed"] = (seed + call.offset) % SEED_LIMIT
    return found


def parameters(call: Call) -> dict[str, Any]:
    """The ``parameters`` object, with ``n`` (how many images this call makes)."""
    body = TABLE.body(values(call))
    return {**body.get(PARAMS, {}), "n": call.n}


def sync_body(call: Call, images: list[str]) -> dict[str, Any]:
    """The ``multimodal-generation`` body; ``images`` are data URIs of the input images."""
    content: list[dict[str, str]] = [{"image": image} for image in images]
    content.append({"text": call.job.prompt or ""})
    return {"model": call.upstream_model, "input": {"messages": [{"role": "user", "content": content}]},
            PARAMS: parameters(call)}


def async_body(call: Call) -> dict[str, Any]:
    """The ``text2image/image-synthesis`` body."""
    return {"model": call.upstream_model, "input": {"prompt": call.job.prompt or ""}, PARAMS: parameters(call)}


def answer_failure(body: Any) -> Failure | None:
    """The error an HTTP 200 answer carries (``code`` at the top or in ``output``), if any."""
    if not isinstance(body, dict):
        return None
    for holder in (body, body.get("output")):
        if isinstance(holder, dict) and holder.get("code"):
            return Failure(str(holder["code"]), str(holder.get("message") or ""))
    return None


def sync_links(body: Any) -> list[str]:
    """The image links of a ``multimodal-generation`` answer, in order."""
    output = body.get("output") if isinstance(body, dict) else None
    choices = output.get("choices") if isinstance(output, dict) else None
    links: list[str] = []
    for choice in choices if isinstance(choices, list) else ():
        message = choice.get("message") if isinstance(choice, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        for item in content if isinstance(content, list) else ():
            if isinstance(item, dict) and isinstance(item.get("image"), str):
                links.append(item["image"])
    if not links:
        raise bad_answer("an image")
    return links


def task_id(body: Any) -> str:
    """``output.task_id`` of a submit answer (checked: it goes into a URL path)."""
    output = body.get("output") if isinstance(body, dict) else None
    found = output.get("task_id") if isinstance(output, dict) else None
    if not isinstance(found, str) or not TASK_ID.match(found):
        raise bad_answer("a task id")
    return found


def task_state(body: Any) -> tuple[str, list[str], Failure | None]:
    """A task answer's status, its result links, and the failure it reports (a failed task, or failed results)."""
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, dict) or not isinstance(output.get("task_status"), str):
        raise bad_answer("a task status")
    results = [r for r in output.get("results") or () if isinstance(r, dict)]
    links = [str(r["url"]) for r in results if isinstance(r.get("url"), str)]
    failed = next((Failure(str(r["code"]), str(r.get("message") or "")) for r in results if r.get("code")), None)
    return output["task_status"], links, answer_failure(body) or failed
