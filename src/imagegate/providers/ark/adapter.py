"""Ark: the I/O half. One ``POST {base}/images/generations`` per image with the key as a bearer token; the
answer's link (valid 24 hours) is downloaded at once, so clients only ever see the gateway's own links."""

from __future__ import annotations

import orjson

from ...errors import InvalidRequest
from ...job import ImageJob
from ..base import Call, Upstream, UpstreamImage, UpstreamResult
from ..http import Http
from ..upstream import data_uris, fetch_image, json_body
from .errors import failure
from .params import TABLE, conflict, parse_answer, request_body

PATH = "/images/generations"


class ArkProvider:
    images_per_call = 1  # grouped output only promises "up to" max_images: n is fanned out

    def __init__(self, upstream: Upstream, http: Http) -> None:
        self.base_url = upstream.base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {upstream.api_key}", "Content-Type": "application/json"}
        self.http = http

    async def aclose(self) -> None:
        await self.http.aclose()

    def refusal(self, job: ImageJob, upstream_model: str) -> InvalidRequest | None:
        return TABLE.refusal(job.params()) or conflict(job)

    async def run(self, call: Call) -> UpstreamResult:
        images = await data_uris(call.job)
        body = request_body(call, images)
        response = await self.http.request("POST", self.base_url + PATH, content=orjson.dumps(body),
                                           headers=self.headers)
        if response.status_code != 200:
            raise failure(response)
        links = parse_answer(json_body(response), call.n)
        data = [await fetch_image(self.http, link, self.base_url) for link in links]
        return UpstreamResult([UpstreamImage(data=item) for item in data])
