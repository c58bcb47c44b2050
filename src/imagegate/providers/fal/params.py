"""Pure translation between a FLUX call and fal's queue API: endpoints, request bodies, answers.

A channel's upstream model is a fal app id such as ``fal-ai/flux-pro/kontext``; a generation
goes to ``<app>/text-to-image``, an edit of one image to ``<app>`` (``image_url``), an edit of
several to ``<app>/multi`` (``image_urls``). Images go as data URIs. fal makes up to four
images per request (``num_images``), spells ``prompt_upsampling`` as ``enhance_prompt``, takes
``safety_tolerance`` as the strings "1"–"6", and makes only jpeg and png.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..base import Call
from ..flux import CONSUMED, flux_values
from ..spec import Param, ParamTable
from ..upstream import bad_answer

DOMAINS = ("fal.run",)
RUNNING = frozenset({"IN_QUEUE", "IN_PROGRESS"})
COMPLETED = "COMPLETED"
TABLE = ParamTable(
    "fal", Param("prompt"), Param("aspect_ratio"), Param("seed"),
    Param("output_format", allowed=("jpeg", "png"), takes="jpeg or png"),
    Param("safety_tolerance", allowed=range(1, 7), takes="1 to 6", transform=str),
    Param("prompt_upsampling", "enhance_prompt"), *CONSUMED,
    Param("image", ("image_url", "image_urls")), Param("n", "num_images"),
)


@dataclass(frozen=True, slots=True)
class Request:
    status_url: str
    response_url: str


def endpoint(call: Call) -> str:
    if call.job.endpoint == "generations":
        return f"{call.upstream_model}/text-to-image"
    return call.upstream_model if len(call.job.images) == 1 else f"{call.upstream_model}/multi"


def request_body(call: Call) -> dict[str, Any]:
    """The fields besides the input images, by the table."""
    return {**TABLE.body(flux_values(call)), "num_images": call.n}


def image_fields(images: list[str]) -> dict[str, Any]:
    """One image as ``image_url``, several as ``image_urls`` (the ``/multi`` endpoint)."""
    if len(images) == 1:
        return {"image_url": images[0]}
    return {"image_urls": images} if images else {}


def parse_submit(body: Any) -> Request:
    """``{request_id, status_url, response_url, …}`` → the two links to follow."""
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("status_url", "response_url")):
        raise bad_answer("status and response links")
    return Request(body["status_url"], body["response_url"])


def parse_status(body: Any) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("status"), str):
        raise bad_answer("a request status")
    return str(body["status"])


def parse_images(body: Any, expected: int) -> tuple[list[str], bool]:
    """``{images: [{url, …}], has_nsfw_concepts: […]}`` → the image links, and whether any was flagged."""
    images = body.get("images") if isinstance(body, dict) else None
    if not isinstance(images, list) or len(images) != expected:
        raise bad_answer(f"the {expected} image(s) asked for")
    urls = [item.get("url") if isinstance(item, dict) else None for item in images]
    if not all(isinstance(url, str) for url in urls):
        raise bad_answer("image links")
    flags = body.get("has_nsfw_concepts")
    return [str(url) for url in urls], isinstance(flags, list) and any(flag is True for flag in flags)
