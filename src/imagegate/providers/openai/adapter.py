"""OpenAI-compatible upstreams (OpenAI itself, or anything speaking its images API): the I/O half."""

from __future__ import annotations

from typing import Any

from ...errors import InvalidRequest
from ...job import ImageJob
from ..base import Call, Upstream, UpstreamResult
from ..http import FilePart, Http
from ..upstream import fetch_links, json_body
from .errors import failure
from .params import TABLE, as_form, image_field, parse_response, request_fields
from .stream import StreamedImages

PATHS = {"generations": "/images/generations", "edits": "/images/edits", "variations": "/images/variations"}


class OpenAIProvider:
    images_per_call = 10

    def __init__(self, upstream: Upstream, http: Http) -> None:
        self.base_url = upstream.base_url
        self.auth = {"Authorization": f"Bearer {upstream.api_key}"}
        self.http = http

    async def aclose(self) -> None:
        await self.http.aclose()

    def refusal(self, job: ImageJob, upstream_model: str) -> InvalidRequest | None:
        return TABLE.refusal(job.params())

    def url(self, call: Call) -> str:
        return self.base_url + PATHS[call.job.endpoint]

    def fields(self, call: Call) -> dict[str, Any]:
        return request_fields(call)

    async def run(self, call: Call) -> UpstreamResult:
        url, fields = self.url(call), self.fields(call)
        streamed = None
        if call.job.stream and "stream" in call.job.spec.options:  # the client streams: so does the upstream
            fields["stream"] = True
            streamed = StreamedImages(url, call.on_partial)
        on_event = streamed.take if streamed is not None else None
        if call.job.endpoint == "generations":
            response = await self.http.request("POST", url, json=fields, headers=self.auth, on_event=on_event)
        else:  # multipart, streamed from the temp files the request was parsed into
            response = await self.http.request("POST", url, data=as_form(fields), files=self._files(call),
                                               headers=self.auth, on_event=on_event)
        if response.status_code != 200:
            raise failure(response)
        if streamed is not None and not response.content:
            return streamed.result(call.n)
        result = parse_response(json_body(response), call.n)
        await fetch_links(self.http, result.images, self.base_url)
        return result

    @staticmethod
    def _files(call: Call) -> list[FilePart]:
        field = image_field(call)
        parts = [FilePart(field, image.upload.filename or "image", image.upload.source, image.info.mime)
                 for image in call.job.images]
        if call.job.mask is not None:
            parts.append(FilePart("mask", call.job.mask.upload.filename or "mask.png", call.job.mask.upload.source,
                                  "image/png"))
        return parts
