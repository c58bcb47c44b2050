"""The Gemini API: the I/O half. One ``generateContent`` call per image, the key in ``x-goog-api-key``
(never in the URL, so it can't reach a log)."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import orjson
import pybase64

from ...errors import InvalidRequest
from ...job import ImageJob
from ..base import Call, Upstream, UpstreamResult
from ..http import Http
from ..spec import ParamTable
from ..upstream import json_body
from .errors import failure
from .params import TABLE, parse_answer, request_body


def _inline(job: ImageJob) -> list[tuple[str, str]]:
    return [(image.info.mime, pybase64.b64encode(image.upload.read()).decode("ascii"))
            for image in job.images]


class GeminiProvider:
    images_per_call = 1  # Gemini has no n: a request for n images is n calls
    table: ParamTable = TABLE

    def __init__(self, upstream: Upstream, http: Http) -> None:
        self.base_url = upstream.base_url
        self.headers = {"x-goog-api-key": upstream.api_key}
        self.http = http

    async def aclose(self) -> None:
        await self.http.aclose()

    def refusal(self, job: ImageJob, upstream_model: str) -> InvalidRequest | None:
        return self.table.refusal(job.params())

    def url(self, upstream_model: str) -> str:
        return f"{self.base_url}/v1beta/models/{quote(upstream_model, safe='')}:generateContent"

    async def auth(self) -> dict[str, str]:
        return self.headers

    def secrets(self) -> tuple[str, ...]:
        return ()

    async def run(self, call: Call) -> UpstreamResult:
        images = await asyncio.to_thread(_inline, call.job) if call.job.images else []
        content = orjson.dumps(request_body(call, self.table, images))
        response = await self.http.request("POST", self.url(call.upstream_model), content=content,
                                           headers=await self.auth())
        if response.status_code != 200:
            raise failure(response, *self.secrets())
        return parse_answer(json_body(response), call.n)
