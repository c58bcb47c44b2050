"""A streamed answer from a GPT image model: ``*.partial_image`` events are passed on to the client as
they come (through the request's ``partials`` sink), ``*.completed`` events become the call's result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from ...errors import UpstreamError
from ..base import TokenUsage, UpstreamImage, UpstreamResult
from ..http import Reply
from .errors import failure
from .params import META_FIELDS, usage_of


@dataclass(slots=True)
class StreamedImages:
    url: str
    forward: Callable[[str, str], None] | None
    images: list[UpstreamImage] = field(default_factory=list)
    usage: TokenUsage | None = None
    meta: dict[str, str] = field(default_factory=dict)

    async def take(self, event: str, data: str) -> None:
        try:
            body: Any = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise UpstreamError("The upstream sent an event that isn't JSON.", code="upstream_bad_response") from None
        kind = body.get("type", event) if isinstance(body, dict) else event
        if kind == "error" or (isinstance(body, dict) and "error" in body):
            raise failure(Reply(400, {}, orjson.dumps({"error": body.get("error") or body}), self.url))
        if kind.endswith(".partial_image"):
            if self.forward is not None:
                self.forward(kind, data)
        elif kind.endswith(".completed"):
            if not isinstance(body.get("b64_json"), str):
                raise UpstreamError("The upstream's completed event has no image.", code="upstream_bad_response")
            self.images.append(UpstreamImage(b64=body["b64_json"]))
            self.usage = usage_of(body.get("usage")) or self.usage
            self.meta = {k: body[k] for k in META_FIELDS if isinstance(body.get(k), str)}

    def result(self, expected: int) -> UpstreamResult:
        if len(self.images) != expected:
            raise UpstreamError(f"The upstream streamed {len(self.images)} images instead of {expected}.",
                                code="upstream_bad_response")
        return UpstreamResult(self.images, self.usage, self.meta)
