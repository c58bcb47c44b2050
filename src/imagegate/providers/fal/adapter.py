"""fal.ai's queue API: the I/O half. Submit, poll ``status_url``, fetch ``response_url``, download.

fal queues requests on its side, so there is no cap by default; a channel's
``max_concurrency`` / ``model_concurrency`` add one.
"""

from __future__ import annotations

import asyncio

import orjson

from ...errors import ContentPolicy, InvalidRequest
from ...job import ImageJob
from ..base import Call, Upstream, UpstreamImage, UpstreamResult
from ..flux import conflict, inline_inputs
from ..http import Http
from ..limits import TaskLimiter
from ..tasks import RETRY_STATUSES, poll, submit
from ..upstream import fetch_image, json_body, trusted_link
from .errors import FLAGGED, request_failure, status_failure
from .params import (
    COMPLETED,
    DOMAINS,
    RUNNING,
    TABLE,
    endpoint,
    image_fields,
    parse_images,
    parse_status,
    parse_submit,
    request_body,
)


class FalProvider:
    images_per_call = 4

    def __init__(self, upstream: Upstream, http: Http) -> None:
        self.base_url = upstream.base_url
        self.headers = {"Authorization": f"Key {upstream.api_key}"}
        self.plan = upstream.poll
        self.http = http
        self.limiter = TaskLimiter(upstream.max_concurrency, upstream.model_concurrency, upstream.caps)

    async def aclose(self) -> None:
        await self.http.aclose()

    def refusal(self, job: ImageJob, upstream_model: str) -> InvalidRequest | None:
        return TABLE.refusal(job.params()) or conflict(job)

    async def run(self, call: Call) -> UpstreamResult:
        body = request_body(call)
        async with self.limiter.slot(call.upstream_model):
            images, _ = await inline_inputs(call.job, data_uri=True)
            response_url = await self._queue(endpoint(call), orjson.dumps({**body, **image_fields(images)}))
            urls = await self._result(response_url, call.n)
            data = await asyncio.gather(*(fetch_image(self.http, url, self.base_url) for url in urls))
        meta = {"output_format": body["output_format"], "aspect_ratio": body["aspect_ratio"]}
        return UpstreamResult([UpstreamImage(data=blob) for blob in data], meta=meta)

    async def _queue(self, app: str, content: bytes) -> str:
        """Queue the request and wait until fal reports it done; returns its (checked) response link."""
        url = f"{self.base_url}/{app}"
        response = await submit(lambda: self.http.request("POST", url, content=content, headers=self.headers),
                                self.plan)
        if response.status_code != 200:
            raise request_failure(response)
        queued = parse_submit(json_body(response))
        status_url = trusted_link(queued.status_url, self.base_url, DOMAINS)
        response_url = trusted_link(queued.response_url, self.base_url, DOMAINS)
        await poll(lambda: self._done(status_url), self.plan)
        return response_url

    async def _done(self, status_url: str) -> bool | None:
        response = await self.http.request("GET", status_url, headers=self.headers)
        if response.status_code in RETRY_STATUSES:
            return None
        if response.status_code not in (200, 202):
            raise request_failure(response)
        status = parse_status(json_body(response))
        if status == COMPLETED:
            return True
        if status in RUNNING:
            return None
        raise status_failure(status)

    async def _result(self, response_url: str, expected: int) -> list[str]:
        response = await self.http.request("GET", response_url, headers=self.headers)
        if response.status_code != 200:
            raise request_failure(response)
        urls, flagged = parse_images(json_body(response), expected)
        if flagged:
            raise ContentPolicy(FLAGGED)
        return urls
