"""The request pipeline after the API layer: route → provider (fanned out) → store → ledger → response."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from . import respond
from .auth import Principal
from .errors import ApiError
from .ledger import UsageRecorder, UsageRow
from .normalise import ImageJob
from .providers.base import Call, UpstreamResult
from .router import Channel, Router
from .store import ResultStore, Signer


def split(n: int, per_call: int) -> list[int]:
    """``n`` images as upstream calls of at most ``per_call`` each: 10 by 4 → [4, 4, 2]."""
    return [min(per_call, n - i) for i in range(0, n, per_call)]


@dataclass(slots=True)
class Pipeline:
    router: Router
    store: ResultStore
    signer: Signer
    usage: UsageRecorder

    async def run(self, job: ImageJob, principal: Principal, request_id: str) -> dict[str, Any]:
        started = time.perf_counter()
        channel = self.router.candidates(job.spec.id)[0]
        results = await self._fan_out(job, channel)
        body = await respond.build(job, results, self.store, self.signer)
        self.usage.record(self._row(job, principal, request_id, channel, body, started))
        return body

    async def _fan_out(self, job: ImageJob, channel: Channel) -> list[UpstreamResult]:
        assert channel.client is not None
        upstream_model = channel.models[job.spec.id]
        calls = [Call(job, channel, upstream_model, k) for k in split(job.n, job.spec.upstream_n_max)]
        if len(calls) == 1:
            return [await channel.client.run(calls[0])]
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(channel.client.run(call)) for call in calls]
        except ExceptionGroup as failures:
            first = next((e for e in failures.exceptions if isinstance(e, ApiError)), failures.exceptions[0])
            raise first from None
        return [task.result() for task in tasks]

    @staticmethod
    def _row(job: ImageJob, principal: Principal, request_id: str, channel: Channel,
             body: dict[str, Any], started: float) -> UsageRow:
        usage = body["usage"]
        return UsageRow(
            request_id=request_id, key_id=principal.key_id, key_name=principal.name, endpoint=job.endpoint,
            model=job.spec.id, channel=channel.name, n=job.n, images=len(body["data"]), size=job.size,
            quality=body.get("quality") or job.quality, status=200,
            latency_ms=int((time.perf_counter() - started) * 1000),
            input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"],
            text_tokens=usage["input_tokens_details"]["text_tokens"],
            image_tokens=usage["input_tokens_details"]["image_tokens"],
        )
