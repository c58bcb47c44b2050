"""The request pipeline after admission, in DESIGN's order: ledger (open: claim and hold) → dispatch
(channels, retries, fan-out) → store (our links, or base64) → ledger (price) → respond (the answer) →
ledger (settle: the usage row, the hold moved to spend, the idempotent answer, in one write).

A request for ``n`` images becomes as many upstream calls as the model and its channels need,
all in flight at once (:mod:`imagegate.dispatch`). If one fails for good, the request fails and
nothing is charged, unless the client sent ``partial_results=true``: then the images that
were made are returned (and charged), with the failed calls' errors in ``errors``. A request that fails
keeps nothing in the result store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson

from . import respond
from .auth import Principal
from .billing import Billing, Charge, Finish, IdempotentRequest, Ticket
from .context import current
from .dispatch import Dispatcher, Hooks
from .errors import ApiError
from .job import ImageJob
from .ledger import UsageRow
from .ledger.idempotency import Replay
from .store import Links, ResultStore
from .store.images import discard, store_images


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer's JSON bytes, what it cost, and whether it is a stored answer replayed."""

    content: bytes
    cost_micros: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Target:
    """Where one request's results go: the result store and its links (an async job has its own) and, for
    async jobs, ``finish``, which records the job's result in the transaction that writes its usage row."""

    store: ResultStore | None = None
    finish: Finish | None = None
    links: Links | None = None


@dataclass(slots=True)
class Pipeline:
    dispatcher: Dispatcher
    store: ResultStore
    links: Links
    billing: Billing

    async def run(self, job: ImageJob, principal: Principal, request_id: str,
                  idem: IdempotentRequest | None = None, hooks: Hooks | None = None,
                  target: Target | None = None) -> Answer:
        """Run and bill ``job`` (see :meth:`Billing.settle` for what ``target.finish`` joins)."""
        target = target or Target()
        opened = await self.billing.open(job, principal, request_id, idem)
        if isinstance(opened, Replay):
            return Answer(opened.body, opened.cost_micros, replayed=True)
        started = time.perf_counter()
        store, stored = target.store or self.store, list[str]()
        try:
            outcome = await self.dispatcher.run(job, hooks)
            data, stored = await store_images(job, outcome.results, store, target.links or self.links)
            charge = self.billing.charge(job, outcome.results, len(data))
            body = respond.build(data, outcome.results, charge.price_micros, outcome.failures,
                                 job.spec.marks)
            content = orjson.dumps(body)
            row = _row(job, opened, outcome.channel, started, body, charge, stored=stored)
            await self.billing.settle(opened, row, content, target.finish)
        except BaseException as exc:
            status = exc.status if isinstance(exc, ApiError) else 500
            try:
                await self.billing.fail(opened, _row(job, opened, current().channel or "-", started, status=status))
            finally:
                await discard(store, stored)  # nothing of a failed request stays stored
            raise
        current().finished(body)
        return Answer(content, charge.price_micros)


def _row(job: ImageJob, ticket: Ticket, channel: str, started: float, body: dict[str, Any] | None = None,
         charge: Charge | None = None, status: int = 200, stored: list[str] | None = None) -> UsageRow:
    """The usage row: tokens and price from a successful answer, zeros for a failure."""
    usage = body["usage"] if body is not None else {}
    details = usage.get("input_tokens_details", {})
    return UsageRow(
        request_id=ticket.request_id, key_id=ticket.principal.key_id, key_name=ticket.principal.name,
        endpoint=job.endpoint, model=job.spec.id, channel=channel[:100], n=job.n,
        images=len(body["data"]) if body is not None else 0, size=job.size,
        quality=(body or {}).get("quality") or job.quality, status=status,
        latency_ms=int((time.perf_counter() - started) * 1000),
        input_tokens=usage.get("input_tokens", 0), output_tokens=usage.get("output_tokens", 0),
        text_tokens=details.get("text_tokens", 0), image_tokens=details.get("image_tokens", 0),
        price_micros=charge.price_micros if charge is not None else 0,
        upstream_cost_micros=charge.upstream_cost_micros if charge is not None else None,
        results=stored or None,
    )
