"""The request pipeline after the API layer: route → provider (fanned out) → store → ledger → response.

A request for ``n`` images becomes as many upstream calls as the model and the provider need
(``split``), all in flight at once. If one fails, the request fails and nothing is charged,
unless the client sent ``partial_results=true``: then the images that were made are returned,
with the failed calls' errors in ``errors``.
"""

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
class Outcome:
    """What the upstream calls of one request gave: their results, and the calls that failed
    (only ever non-empty when the client opted into ``partial_results``)."""

    results: list[UpstreamResult]
    failures: list[ApiError]


@dataclass(slots=True)
class Pipeline:
    router: Router
    store: ResultStore
    signer: Signer
    usage: UsageRecorder

    async def run(self, job: ImageJob, principal: Principal, request_id: str) -> dict[str, Any]:
        started = time.perf_counter()
        channel = self.router.candidates(job.spec.id)[0]
        outcome = await self._fan_out(job, channel)
        body = await respond.build(job, outcome.results, self.store, self.signer, outcome.failures)
        self.usage.record(self._row(job, principal, request_id, channel, body, outcome.results, started))
        return body

    async def _fan_out(self, job: ImageJob, channel: Channel) -> Outcome:
        """All calls at once; the first failure fails the request unless the client opted into partial results."""
        client = channel.client
        assert client is not None
        per_call = min(job.spec.upstream_n_max, client.images_per_call)
        upstream_model = channel.models[job.spec.id]
        calls = [Call(job, channel, upstream_model, k, i * per_call) for i, k in enumerate(split(job.n, per_call))]
        if len(calls) == 1:
            return Outcome([await client.run(calls[0])], [])
        if job.partial_results:
            return _partial(await asyncio.gather(*(client.run(call) for call in calls), return_exceptions=True))
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(client.run(call)) for call in calls]
        except ExceptionGroup as failures:
            first = next((e for e in failures.exceptions if isinstance(e, ApiError)), failures.exceptions[0])
            raise first from None
        return Outcome([task.result() for task in tasks], [])

    @staticmethod
    def _row(job: ImageJob, principal: Principal, request_id: str, channel: Channel,
             body: dict[str, Any], results: list[UpstreamResult], started: float) -> UsageRow:
        usage = body["usage"]
        costs = [r.cost for r in results if r.cost is not None]
        return UsageRow(
            request_id=request_id, key_id=principal.key_id, key_name=principal.name, endpoint=job.endpoint,
            model=job.spec.id, channel=channel.name, n=job.n, images=len(body["data"]), size=job.size,
            quality=body.get("quality") or job.quality, status=200,
            latency_ms=int((time.perf_counter() - started) * 1000),
            input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"],
            text_tokens=usage["input_tokens_details"]["text_tokens"],
            image_tokens=usage["input_tokens_details"]["image_tokens"],
            upstream_cost=sum(costs) if costs else None,
        )


def _partial(outcomes: list[UpstreamResult | BaseException]) -> Outcome:
    """Keep the calls that succeeded; with none, the first failure is the answer."""
    results = [o for o in outcomes if isinstance(o, UpstreamResult)]
    failures = [o for o in outcomes if isinstance(o, ApiError)]
    unexpected = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, ApiError)]
    if unexpected:
        raise unexpected[0]
    if not results:
        raise failures[0]
    return Outcome(results, failures)
