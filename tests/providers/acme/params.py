"""Acme's wire format: ``text``, ``dimensions`` as ``[w, h]``, ``count``, ``finish``; images as base64."""

from __future__ import annotations

from typing import Any

from imagegate.errors import UpstreamError
from imagegate.providers.base import Call, UpstreamImage, UpstreamResult
from imagegate.providers.spec import Param, ParamTable
from imagegate.sizing import parse_size

TABLE = ParamTable(
    "Acme", Param("prompt", "text"), Param("size", "dimensions", transform=lambda s: list(parse_size(s) or ())),
    Param("finish"), Param("quality", None, allowed=("auto",), takes="auto"), Param("user", "client_ref"),
    Param("image", "sources"),
)


def request_body(call: Call, images: list[str]) -> dict[str, Any]:
    body = {**TABLE.body(call.job.params()), "model": call.upstream_model, "count": call.n}
    if images:
        body["sources"] = images
    return body


def parse_answer(body: Any, expected: int) -> UpstreamResult:
    images = body.get("images") if isinstance(body, dict) else None
    if not isinstance(images, list) or len(images) != expected or \
            not all(isinstance(i, dict) and isinstance(i.get("png_base64"), str) for i in images):
        raise UpstreamError("The upstream answered without the images asked for.", code="upstream_bad_response")
    return UpstreamResult([UpstreamImage(b64=i["png_base64"]) for i in images], meta={"output_format": "png"})
