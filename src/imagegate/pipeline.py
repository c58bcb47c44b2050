"""The request pipeline after the API layer: bill (hold) → dispatch (channels, retries, fan-out) → store →
bill (settle) → response.

A request for ``n`` images becomes as many upstream calls as the model and its channels need,
all in flight at once (:mod:`imagegate.dispatch`). If one fails for good, the request fails and
nothing is charged, unless the client sent ``partial_results=true``: then the images that
were made are returned (and charged), with the failed calls' errors in ``errors``.
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
from .dispatch import Dispatcher
from .errors import ApiError
from .ledger import UsageRow
from .ledger.idempotency import Replay
from .ledger.money import usd_number
from .normalise import ImageJob
from .store import ResultStore, Signer


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer's JSON bytes, what it cost, and whether it is a stored answer replayed."""

    content: bytes
    cost_micros: int
    replayed: bool = False


@dataclass(slots=True)
class Pipeline:
    dispatcher: Dispatcher
    store: ResultStore
    signer: Signer
    billing: Billing

    async def run(self, job: ImageJob, principal: Principal, request_id: str,
                  idem: IdempotentRequest | None = None, *, store: ResultStore | None = None,
                  finish: Finish | None = None) -> Answer:
        """Run and bill ``job``. An async job stores its images in its own ``store`` and passes ``finish``,
        which records its result in the transaction that writes its usage row (see :meth:`Billing.settle`)."""
        opened = await self.billing.open(job, principal, request_id, idem)
        if isinstance(opened, Replay):
            return Answer(opened.body, opened.cost_micros, replayed=True)
        started = time.perf_counter()
        try:
            outcome = await self.dispatcher.run(job)
            body = await respond.build(job, outcome.results, store or self.store, self.signer, outcome.failures)
            charge = self.billing.charge(job, outcome.results, len(body["data"]))
            body["usage"]["cost_usd"] = usd_number(charge.price_micros)
            content = orjson.dumps(body)
            row = self._row(job, opened, outcome.channel, started, body, charge)
            await self.billing.settle(opened, row, content, finish)
        except BaseException as exc:
            status = exc.status if isinstance(exc, ApiError) else 500
            await self.billing.fail(opened, self._row(job, opened, current().channel or "-", started, status=status))
            raise
        current().finished(body)
        return Answer(content, charge.price_micros)

    @staticmethod
    def _row(job: ImageJob, ticket: Ticket, channel: str, started: float, body: dict[str, Any] | None = None,
             charge: Charge | None = None, status: int = 200) -> UsageRow:
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
        )
