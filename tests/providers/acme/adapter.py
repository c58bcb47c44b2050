"""Acme's I/O half: one JSON POST per call; its errors mapped by status, its field names by the table."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pybase64

from imagegate.errors import ApiError, InvalidRequest
from imagegate.job import ImageJob
from imagegate.providers.base import Call, Upstream, UpstreamResult
from imagegate.providers.http import Http, Reply
from imagegate.providers.upstream import json_body, scrub_reply, status_error

from .params import TABLE, parse_answer, request_body


class AcmeProvider:
    images_per_call = 2

    def __init__(self, upstream: Upstream, http: Http) -> None:
        self.url = upstream.base_url + "/render"
        self.headers = {"X-Acme-Key": upstream.api_key}
        self.http = http

    def refusal(self, job: ImageJob, upstream_model: str) -> InvalidRequest | None:
        return TABLE.refusal(job.params())

    async def aclose(self) -> None:
        await self.http.aclose()

    async def run(self, call: Call) -> UpstreamResult:
        images = await asyncio.to_thread(
            lambda: [pybase64.b64encode(i.upload.read()).decode() for i in call.job.images])
        response = await self.http.request("POST", self.url, content=orjson.dumps(request_body(call, images)),
                                           headers=self.headers)
        if response.status_code != 200:
            raise failure(response)
        return parse_answer(json_body(response), call.n)


def failure(response: Reply) -> ApiError:
    try:
        error: Any = orjson.loads(response.content).get("error") or {}
    except (orjson.JSONDecodeError, AttributeError):
        error = {}
    message = scrub_reply(response, str(error.get("reason") or f"status {response.status_code}"))
    if response.status_code == 400:
        return InvalidRequest(f"The upstream refused the request: {message}",
                              param=TABLE.openai_name(error.get("field")), code="invalid_value")
    return status_error(response, message)
