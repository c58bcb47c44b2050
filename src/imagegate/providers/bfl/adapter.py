"""Black Forest Labs: the I/O half. One task per image: submit, poll its ``polling_url``, download.

The account's concurrency cap (24 tasks, 6 of them kontext-max, unless the channel sets
``max_concurrency`` / ``model_concurrency``) is held from submit to download, so bursts
queue here rather than drawing 429s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from ...errors import ApiError, InvalidRequest, UpstreamError
from ...job import ImageJob
from ..base import Call, TaskLog, Upstream, UpstreamImage, UpstreamResult
from ..flux import conflict, inline_inputs
from ..http import Http
from ..limits import TaskLimiter
from ..tasks import RETRY_STATUSES, poll, submit
from ..upstream import fetch_image, json_body, status_error, trusted_link
from .errors import status_failure, submit_failure
from .params import (
    DOMAINS,
    NOT_FOUND,
    READY,
    TABLE,
    Task,
    image_fields,
    parse_result,
    parse_submit,
    path,
    request_body,
)

ACCOUNT_CAP = 24
MODEL_CAPS = {"flux-kontext-max": 6}
NOT_FOUND_RETRIES = 3


class BFLProvider:
    images_per_call = 1

    def __init__(self, upstream: Upstream, http: Http) -> None:
        self.base_url = upstream.base_url
        self.headers = {"x-key": upstream.api_key}
        self.plan = upstream.poll
        self.http = http
        self.limiter = TaskLimiter(upstream.max_concurrency or ACCOUNT_CAP,
                                   {**MODEL_CAPS, **upstream.model_concurrency}, upstream.caps)

    async def aclose(self) -> None:
        await self.http.aclose()

    def refusal(self, job: ImageJob, upstream_model: str) -> InvalidRequest | None:
        return TABLE.refusal(job.params()) or conflict(job)

    async def run(self, call: Call) -> UpstreamResult:
        body = request_body(call)
        tasks, key = call.tasks, f"{call.channel}:{call.offset}"
        async with self.limiter.slot(call.upstream_model):
            task = await self._task(call, body, tasks, key)
            try:
                sample = await poll(self._checker(trusted_link(task.polling_url, self.base_url, DOMAINS), tasks),
                                    self.plan)
            except ApiError:
                if tasks is not None:
                    await tasks.forget(key)
                raise
            data = await fetch_image(self.http, sample, self.base_url)
        meta = {"output_format": body["output_format"]}
        if body.get("aspect_ratio") is not None:
            meta["aspect_ratio"] = body["aspect_ratio"]
        return UpstreamResult([UpstreamImage(data=data)], meta=meta, cost=task.cost_usd)

    async def _task(self, call: Call, body: dict[str, Any], tasks: TaskLog | None, key: str) -> Task:
        """The call's task: one an async job submitted before a restart (resumed, not paid again), else a new one."""
        if tasks is not None and (known := tasks.get(key)) is not None:
            return Task(known["id"], known["polling_url"], known["cost_usd"])
        images, mask = await inline_inputs(call.job)
        content = orjson.dumps({**body, **image_fields(call.upstream_model, images, mask)})
        task = await self._submit(call.upstream_model, content)
        if tasks is not None:
            await tasks.submitted(key, {"id": task.id, "polling_url": task.polling_url, "cost_usd": task.cost_usd})
        return task

    async def _submit(self, model: str, content: bytes) -> Task:
        url = self.base_url + path(model)
        response = await submit(lambda: self.http.request("POST", url, content=content, headers=self.headers),
                                self.plan)
        if response.status_code != 200:
            raise submit_failure(response)
        return parse_submit(json_body(response))

    def _checker(self, polling_url: str, tasks: TaskLog | None) -> Callable[[], Awaitable[str | None]]:
        """One poll of the task: its sample link once Ready, ``None`` while it may still finish."""
        misses = 0

        async def check() -> str | None:
            nonlocal misses
            response = await self.http.request("GET", polling_url, headers=self.headers)
            if response.status_code in RETRY_STATUSES:
                return None
            if response.status_code not in (200, 404):
                raise status_error(response, "polling failed")
            answer = json_body(response) if response.status_code == 200 else None
            status, sample = parse_result(answer) if answer is not None else (NOT_FOUND, None)
            if tasks is not None and isinstance(answer, dict) and isinstance(answer.get("progress"), int | float):
                await tasks.progress(float(answer["progress"]))
            if status == NOT_FOUND:
                misses += 1
                if misses > NOT_FOUND_RETRIES:
                    raise UpstreamError("The upstream lost track of the task.", code="upstream_task_lost")
                return None
            if (failure := status_failure(status)) is not None:
                raise failure
            if status == READY and sample is None:
                raise UpstreamError("The upstream finished without an image link.", code="upstream_bad_response")
            return sample if status == READY else None

        return check
