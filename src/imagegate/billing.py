"""The ledger stage of a request: what it may cost, what it did cost, and writing that down exactly once.

    open()    Idempotency-Key claim (→ the stored answer, or 409), then the budget hold
              (→ 429 insufficient_quota), only for keys that have a budget
    charge()  the price from what the upstream returned, and the upstream's own cost
    settle()  keys with a hold or a claim, and async jobs: one transaction moves the hold to spend,
              writes the usage row, stores the answer and the job's result. Everyone else: the usage
              row goes to the batch writer.
    fail()    a zero-price usage row; the hold released and the claim dropped

If the database fails during ``settle()`` the transaction leaves nothing behind: the client gets
503, nothing is charged, and the hold is released (or swept later if the database is still away).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from .auth import Principal
from .errors import ServiceUnavailable
from .job import ImageJob
from .ledger import Database, UsageRecorder, UsageRow
from .ledger import budget as budget_ops
from .ledger import idempotency as idempotency_ops
from .ledger import usage as usage_ops
from .ledger.budget import Budgets, Hold
from .ledger.idempotency import Claim, Idempotency, Replay, scope_of
from .ledger.money import round_micros
from .ledger.prices import PriceTable
from .providers.base import UpstreamResult, total_usage

log = logging.getLogger("imagegate.billing")
Finish = Callable[[AsyncConnection, bytes], Awaitable[None]]  # more writes for the transaction that settles


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    key: str
    digest: str


@dataclass(slots=True)
class Ticket:
    """One request's open account: its hold (budgeted keys) and its claim (with an Idempotency-Key)."""

    principal: Principal
    request_id: str
    hold: Hold | None = None
    claim: Claim | None = None


@dataclass(frozen=True, slots=True)
class Charge:
    price_micros: int
    upstream_cost_micros: int | None


class Billing:
    def __init__(self, db: Database, prices: Callable[[], PriceTable], recorder: UsageRecorder, budgets: Budgets,
                 idempotency: Idempotency) -> None:
        self.db = db
        self.prices = prices
        self.recorder = recorder
        self.budgets = budgets
        self.idempotency = idempotency

    async def open(self, job: ImageJob, principal: Principal, request_id: str,
                   idem: IdempotentRequest | None) -> Ticket | Replay:
        ticket = Ticket(principal, request_id)
        if idem is not None:
            found = await self.idempotency.claim(scope_of(principal.key_id), idem.key, idem.digest, request_id)
            if isinstance(found, Replay):
                return found
            ticket.claim = found
        if principal.budgeted and principal.key_id is not None:
            try:
                ticket.hold = await self.budgets.reserve(principal.key_id, self.prices().hold_for(job),
                                                         request_id)
            except BaseException:
                await self._undo(ticket)
                raise
        return ticket

    def charge(self, job: ImageJob, results: list[UpstreamResult], images: int) -> Charge:
        """What ``images`` images cost by our price, and what the upstreams said they charged (if they say)."""
        costs = [r.cost for r in results if r.cost is not None]
        upstream = sum(round_micros(c) for c in costs) if costs else None
        return Charge(self.prices().charge_for(job, total_usage(results), images), upstream)

    async def settle(self, ticket: Ticket, row: UsageRow, answer: bytes, finish: Finish | None = None) -> None:
        """``finish`` (async jobs) runs in the same transaction: the job's result and its charge are one fact."""
        if ticket.hold is None and ticket.claim is None and finish is None:
            await self.recorder.write(row)
            return
        async with self.db.begin() as conn:
            if finish is not None:
                await finish(conn, answer)
            if ticket.hold is not None:
                await budget_ops.settle(conn, ticket.hold, row.price_micros, row.created_at)
            if ticket.claim is not None:
                await idempotency_ops.complete(conn, ticket.claim, answer, row.price_micros)
            await usage_ops.insert(conn, [row])

    async def fail(self, ticket: Ticket, row: UsageRow) -> None:
        await self.recorder.write_failed(row)
        await self._undo(ticket)

    async def _undo(self, ticket: Ticket) -> None:
        """Release the hold and drop the claim; if the database is away, the sweeper does it later."""
        try:
            if ticket.hold is not None:
                await self.budgets.release(ticket.hold)
            if ticket.claim is not None:
                await self.idempotency.abandon(ticket.claim)
        except ServiceUnavailable:
            log.warning("request %s: hold and claim left for the sweeper", ticket.request_id)
