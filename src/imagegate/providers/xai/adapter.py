"""xAI's images API: the I/O half. Generations and edits are JSON; base64 results are kept as they come, and a
result link (should xAI send one) is downloaded at once, since xAI's links are temporary."""

from __future__ import annotations

from ...errors import InvalidRequest
from ...job import ImageJob
from ..base import Call, UpstreamResult
from ..openai import OpenAIProvider
from ..upstream import data_uris, fetch_links, json_body
from .errors import failure
from .params import TABLE, parse_answer, request_body


class XAIProvider(OpenAIProvider):
    """OpenAI's adapter (its bearer auth, paths and answer parsing) with xAI's table, JSON edits and errors."""

    images_per_call = 10

    def refusal(self, job: ImageJob, upstream_model: str) -> InvalidRequest | None:
        return TABLE.refusal(job.params())

    async def run(self, call: Call) -> UpstreamResult:
        images = await data_uris(call.job)
        response = await self.http.request("POST", self.url(call), json=request_body(call, images), headers=self.auth)
        if response.status_code != 200:
            raise failure(response)
        result = parse_answer(json_body(response), call.n)
        await fetch_links(self.http, result.images, self.base_url)
        return result
