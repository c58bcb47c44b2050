"""The request pipeline after the API layer: dispatch (channels, retries, fan-out) → store → ledger → response.

A request for ``n`` images becomes as many upstream calls as the model and its channels need,
all in flight at once (:mod:`imagegate.dispatch`). If one fails for good, the request fails and
nothing is charged, unless the client sent ``partial_results=true``: then the images that
were made are returned, with the failed calls' errors in ``errors``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from . import respond
from .auth import Principal
from .context import current
from .dispatch import Dispatcher
from .ledger import UsageRecorder, UsageRow
from .normalise import ImageJob
from .providers.base import UpstreamResult
from .store import ResultStore, Signer


@dataclass(slots=True)
class Pipeline:
    dispatcher: Dispatcher
    store: ResultStore
    signer: Signer
    usage: UsageRecorder

    async def run(self, job: ImageJob, principal: Principal, request_id: str) -> dict[str, Any]:
        started = time.perf_counter()
        outcome = await self.dispatcher.run(job)
        body = await respond.build(job, outcome.results, self.store, self.signer, outcome.failures)
        self.usage.record(self._row(job, principal, request_id, outcome.channel, body, outcome.results, started))
        current().finished(body)
        return body

    @staticmethod
    def _row(job: ImageJob, principal: Principal, request_id: str, channel: str,
             body: dict[str, Any], results: list[UpstreamResult], started: float) -> UsageRow:
        usage = body["usage"]
        costs = [r.cost for r in results if r.cost is not None]
        return UsageRow(
            request_id=request_id, key_id=principal.key_id, key_name=principal.name, endpoint=job.endpoint,
            model=job.spec.id, channel=channel[:100], n=job.n, images=len(body["data"]), size=job.size,
            quality=body.get("quality") or job.quality, status=200,
            latency_ms=int((time.perf_counter() - started) * 1000),
            input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"],
            text_tokens=usage["input_tokens_details"]["text_tokens"],
            image_tokens=usage["input_tokens_details"]["image_tokens"],
            upstream_cost=sum(costs) if costs else None,
        )
