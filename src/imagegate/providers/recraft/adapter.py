"""Recraft's API: the I/O half. Generations are JSON, edits multipart (image-to-image, or inpainting with a
mask); result links expire (about 24 hours) and are downloaded at once, SVG included."""

from __future__ import annotations

import asyncio

from ...errors import InvalidRequest
from ...imaging import white_on_black_mask
from ...job import ImageJob
from ..base import Call, UpstreamResult
from ..http import FilePart, Reply
from ..openai import OpenAIProvider
from ..upstream import fetch_links, json_body
from .errors import failure
from .params import PATHS, form, operation, parse_answer, refusal, request_fields


def _mask(job: ImageJob) -> bytes:
    """OpenAI's mask as Recraft's (white = edit here)."""
    assert job.mask is not None
    return white_on_black_mask(job.mask.upload.source)


class RecraftProvider(OpenAIProvider):
    """OpenAI's adapter (bearer auth, answer parsing) with Recraft's table, paths, multipart edits and errors."""

    images_per_call = 6

    def refusal(self, job: ImageJob, upstream_model: str) -> InvalidRequest | None:
        return refusal(job)

    def url(self, call: Call) -> str:
        return self.base_url + PATHS[operation(call.job)]

    async def run(self, call: Call) -> UpstreamResult:
        if call.job.endpoint == "generations":
            response = await self.http.request("POST", self.url(call), json=request_fields(call), headers=self.auth)
        else:
            response = await self._edit(call)
        if response.status_code != 200:
            raise failure(response)
        result = parse_answer(json_body(response), call.n)
        await fetch_links(self.http, result.images, self.base_url)
        return result

    async def _edit(self, call: Call) -> Reply:
        image = call.job.images[0]
        files = [FilePart("image", image.upload.filename or "image", image.upload.source, image.info.mime)]
        if call.job.mask is not None:
            files.append(FilePart("mask", "mask.png", await asyncio.to_thread(_mask, call.job), "image/png"))
        return await self.http.request("POST", self.url(call), data=form(call), files=files, headers=self.auth)
