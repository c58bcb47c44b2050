"""Usage rows: one per request that reached an upstream, with its price (0 when it failed).

Two ways in, chosen per request by :mod:`imagegate.billing`:

- :func:`insert`, inside the transaction that settles a budget hold or stores an idempotent
  answer: the row and the charge are written together, synchronously, so a crash can't lose a
  settled charge;
- :class:`UsageRecorder`, for everything else: ``record()`` never waits on the database, and one
  background writer batches the inserts (a batch is retried, with ``stamina``, while the database
  is away). The trade-off: a process killed outright (SIGKILL, power loss) loses the rows of the
  last few milliseconds; a normal shutdown writes them all.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
import stamina
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Database, DatabaseUnavailable
from .tables import usage

log = logging.getLogger("imagegate.ledger")
LINGER = 0.02  # seconds a lone row waits for company; the most a crash can lose on top of the queue
BATCH = 256


@dataclass(slots=True)
class UsageRow:
    request_id: str
    key_id: int | None
    key_name: str
    endpoint: str
    model: str
    channel: str
    n: int
    images: int
    size: str | None
    quality: str | None
    status: int
    latency_ms: int
    input_tokens: int = 0
    output_tokens: int = 0
    text_tokens: int = 0
    image_tokens: int = 0
    price_micros: int = 0
    upstream_cost_micros: int | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


async def insert(conn: AsyncConnection, rows: list[UsageRow]) -> None:
    await conn.execute(sa.insert(usage), [asdict(r) for r in rows])


class UsageRecorder:
    """``record()`` never waits on the database; ``close()`` writes everything still queued."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.queue: asyncio.Queue[UsageRow] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.writing = 0  # rows of the batch being written (or waiting for the database to come back)

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="usage-writer")

    def record(self, row: UsageRow) -> None:
        self.queue.put_nowait(row)

    async def _write(self, rows: list[UsageRow]) -> None:
        """Insert one batch; while the database is away, try again (backing off up to 5 s) until it is back."""
        async for attempt in stamina.retry_context(on=DatabaseUnavailable, attempts=None, timeout=None,
                                                   wait_initial=0.5, wait_max=5.0, wait_jitter=0.5):
            with attempt:
                try:
                    async with self.db.begin() as conn:
                        await insert(conn, rows)
                except DatabaseUnavailable:
                    log.warning("usage write failed; retrying %d rows", len(rows))
                    raise

    async def _run(self) -> None:
        while True:
            rows = [await self.queue.get()]
            if self.queue.empty():
                await asyncio.sleep(LINGER)  # let a few more rows arrive: one transaction for many requests
            while len(rows) < BATCH and not self.queue.empty():
                rows.append(self.queue.get_nowait())
            self.writing = len(rows)
            try:
                await self._write(rows)
            except Exception:  # rows the database refuses would be refused forever: log them instead
                log.exception("the database refused %d usage rows: %s", len(rows), [asdict(r) for r in rows])
            finally:
                self.writing = 0
                for _ in rows:
                    self.queue.task_done()

    async def flush(self) -> None:
        """Wait until every recorded row is in the database."""
        await self.queue.join()

    async def close(self) -> None:
        if self.task is None:
            return
        try:
            await asyncio.wait_for(self.flush(), timeout=30)
        except TimeoutError:
            log.error("shutting down with %d usage rows unwritten (database unavailable)",
                      self.queue.qsize() + self.writing)
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
