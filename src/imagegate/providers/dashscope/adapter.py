"""DashScope (Alibaba Cloud Model Studio): the I/O half. The key goes as a bearer token.

Every model is served by the synchronous ``multimodal-generation`` endpoint; a channel with ``async_tasks = true``
sends the models the asynchronous ``text2image`` endpoint takes (``qwen-image-plus``, ``qwen-image``) there instead:
submit (429/5xx retried), poll the task with backoff until it ends or the channel's poll deadline passes, and an
async job remembers the task so a restart resumes it instead of paying twice. Result links expire after 24 hours:
they are downloaded at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict

from ...errors import ApiError, InvalidRequest, UpstreamError
from ...job import ImageJob
from ..base import Call, TaskLog, Upstream, UpstreamImage, UpstreamResult
from ..http import Http, Reply
from ..limits import TaskLimiter
from ..tasks import RETRY_STATUSES, poll, submit
from ..upstream import data_uris, fetch_image, json_body
from .errors import failure, reported
from .models import ASYNC_MODELS, NEGATIVE_MAX
from .params import (
    ENDED,
    SUCCEEDED,
    TABLE,
    UNKNOWN,
    answer_failure,
    async_body,
    sync_body,
    sync_links,
    task_id,
    task_state,
)

SYNC_PATH = "/api/v1/services/aigc/multimodal-generation/generation"
ASYNC_PATH = "/api/v1/services/aigc/text2image/image-synthesis"
TASK_PATH = "/api/v1/tasks/"
UNKNOWN_RETRIES = 3


class DashScopeOptions(BaseModel):
    """The ``[[channels]]`` keys only DashScope channels take."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    async_tasks: bool = False  # qwen-image-plus / qwen-image as text2image tasks instead of synchronous calls




def negative_refusal(job: ImageJob) -> InvalidRequest | None:
    negative = job.options.get("negative_prompt")
    if isinstance(negative, str) and len(negative) > NEGATIVE_MAX:
        return InvalidRequest(f"'negative_prompt' is too long for this model's upstream (DashScope): "
                              f"{len(negative)} characters, at most {NEGATIVE_MAX}.", param="negative_prompt",
                              code="string_above_max_length")
    return None


class DashScopeProvider:
    images_per_call = 6  # the most any model makes in one call; each model's upstream_n_max says its own

    def __init__(self, upstream: Upstream, http: Http) -> None:
        self.base_url = upstream.base_url
        self.headers = {"Authorization": f"Bearer {upstream.api_key}"}
        self.plan = upstream.poll
        self.http = http
        options = upstream.options if isinstance(upstream.options, DashScopeOptions) else DashScopeOptions()
        self.async_models = ASYNC_MODELS if options.async_tasks else frozenset()
        self.limiter = TaskLimiter(upstream.max_concurrency, dict(upstream.model_concurrency), upstream.caps)

    async def aclose(self) -> None:
        await self.http.aclose()

    def refusal(self, job: ImageJob, upstream_model: str) -> InvalidRequest | None:
        return TABLE.refusal(job.params()) or negative_refusal(job)

    async def run(self, call: Call) -> UpstreamResult:
        if call.upstream_model in self.async_models and not call.job.images:
            async with self.limiter.slot(call.upstream_model):
                links = await self._task_links(call)
                return await self._download(links, call.n)
        images = await data_uris(call.job)
        content = orjson.dumps(sync_body(call, images))
        response = await self.http.request("POST", self.base_url + SYNC_PATH, content=content,
                                           headers=self.headers)
        body = self._answer(response)
        return await self._download(sync_links(body), call.n)

    def _answer(self, response: Reply) -> Any:
        """The body of a 200 answer that carries no error; else the error it stands for."""
        if response.status_code != 200:
            raise failure(response)
        body = json_body(response)
        if (found := answer_failure(body)) is not None:
            raise reported(found, response)
        return body

    async def _download(self, links: list[str], expected: int) -> UpstreamResult:
        datas = await asyncio.gather(*(fetch_image(self.http, link, self.base_url) for link in links[:expected]))
        return UpstreamResult([UpstreamImage(data=data) for data in datas])

    async def _task_links(self, call: Call) -> list[str]:
        tasks, key = call.tasks, f"{call.channel}:{call.offset}"
        known = tasks.get(key) if tasks is not None else None
        if known is not None:
            task = str(known["id"])
        else:
            task = await self._submit(orjson.dumps(async_body(call)))
            if tasks is not None:
                await tasks.submitted(key, {"id": task})
        try:
            return await poll(self._checker(task, tasks), self.plan)
        except ApiError:
            if tasks is not None:
                await tasks.forget(key)
            raise

    async def _submit(self, content: bytes) -> str:
        headers = {**self.headers, "X-DashScope-Async": "enable"}
        response = await submit(lambda: self.http.request("POST", self.base_url + ASYNC_PATH, content=content,
                                                          headers=headers), self.plan)
        return task_id(self._answer(response))

    def _checker(self, task: str, tasks: TaskLog | None) -> Callable[[], Awaitable[list[str] | None]]:
        """One poll of the task: its result links once it succeeded, ``None`` while it may still finish."""
        unknown = 0

        async def check() -> list[str] | None:
            nonlocal unknown
            response = await self.http.request("GET", self.base_url + TASK_PATH + task, headers=self.headers)
            if response.status_code in RETRY_STATUSES:
                return None
            status, links, found = task_state(self._answer(response))
            if status == UNKNOWN:
                unknown += 1
                if unknown > UNKNOWN_RETRIES:
                    raise UpstreamError("The upstream lost track of the task.", code="upstream_task_lost")
                return None
            if status in ENDED or (status == SUCCEEDED and not links):
                raise reported(found, response) if found is not None else UpstreamError(
                    f"The upstream task ended without an image ({status}).", code="upstream_error")
            if tasks is not None and status == "RUNNING":
                await tasks.progress(0.5)
            return links if status == SUCCEEDED else None

        return check
