"""OpenAI-compatible upstreams (OpenAI itself, or anything speaking its images API): the I/O half."""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from ..base import Call, UpstreamResult
from ..upstream import fetch_image, guarded, json_body, make_client
from .errors import failure
from .params import as_form, image_field, parse_response, request_fields

if TYPE_CHECKING:
    from ...router import Channel

PATHS = {"generations": "/images/generations", "edits": "/images/edits", "variations": "/images/variations"}


class OpenAIProvider:
    images_per_call = 10

    def __init__(self, channel: Channel) -> None:
        self.base_url = channel.base_url
        self.auth = {"Authorization": f"Bearer {channel.api_key}"}
        self.client = make_client(channel.timeout, channel.max_concurrency)

    async def aclose(self) -> None:
        await self.client.aclose()

    def url(self, call: Call) -> str:
        return self.base_url + PATHS[call.job.endpoint]

    def fields(self, call: Call) -> dict[str, Any]:
        return request_fields(call)

    async def run(self, call: Call) -> UpstreamResult:
        url = self.url(call)
        if call.job.endpoint == "generations":
            headers = {**self.auth, "Content-Type": "application/json"}
            response = await guarded(self.client.post(url, content=orjson.dumps(self.fields(call)),
                                                      headers=headers))
        else:
            response = await self._post_form(url, call)
        if response.status_code != 200:
            raise failure(response)
        result = parse_response(json_body(response), call.n)
        for image in result.images:
            if image.b64 is None and image.url is not None:
                image.data = await fetch_image(self.client, image.url, self.base_url)
        return result

    async def _post_form(self, url: str, call: Call) -> httpx.Response:
        """Multipart upload streamed from the temp files the request was parsed into."""
        with ExitStack() as files:
            parts: list[tuple[str, Any]] = []
            field = image_field(call)
            for image in call.job.images:
                handle = files.enter_context(image.upload.path.open("rb"))
                parts.append((field, (image.upload.filename or "image", handle, image.info.mime)))
            if call.job.mask is not None:
                handle = files.enter_context(call.job.mask.upload.path.open("rb"))
                parts.append(("mask", (call.job.mask.upload.filename or "mask.png", handle, "image/png")))
            return await guarded(self.client.post(url, data=as_form(self.fields(call)), files=parts,
                                                  headers=self.auth))
