"""Usage rows: one per request that reached an upstream, with its price (0 when it failed).

Two ways in, chosen per request by :mod:`imagegate.billing`:

- :func:`insert`, inside the transaction that settles a budget hold or stores an idempotent
  answer: the row and the charge are written together, synchronously, so a crash can't lose a
  settled charge;
- :class:`UsageRecorder`, for everything else, in one of two modes (``IMAGEGATE_USAGE_COMMIT``):

  ``sync`` (default)  ``write()`` returns once the row is committed, so the answer is sent after its
                      row is in the database and a process killed outright (SIGKILL, power loss) loses
                      nothing. Group commit keeps the throughput: rows that arrive while a transaction is
                      being committed wait and go together in the next one (:class:`GroupCommit`). A
                      database that is away fails the request with 503, and nothing is charged.
  ``batch``           ``write()`` only queues the row; one background writer batches the inserts (a batch
                      is retried, with ``stamina``, while the database is away). Lower latency, but a
                      process killed outright loses the rows of the last few milliseconds; a normal
                      shutdown writes them all.

A failed request's (zero-price) row goes the same way, except that when the database is away it is
queued for the background writer rather than failing the request a second time.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa
import stamina
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Database, DatabaseUnavailable
from .tables import usage

log = logging.getLogger("imagegate.ledger")
LINGER = 0.02  # seconds a lone row waits for company; the most a crash can lose on top of the queue
BATCH = 256
CommitMode = Literal["sync", "batch"]


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
    results: list[str] | None = None  # the result store's names of a url answer's images


FIELDS = tuple(f.name for f in fields(UsageRow))


def values(row: UsageRow) -> dict[str, Any]:
    """The row as column values (``asdict`` copies deeply, and costs ten times as much)."""
    return {name: getattr(row, name) for name in FIELDS}


async def insert(conn: AsyncConnection, rows: list[UsageRow]) -> None:
    """Inside a transaction of the caller's."""
    await conn.execute(sa.insert(usage), [values(r) for r in rows])


class GroupCommit:
    """Rows committed before their requests answer, many requests' rows per transaction.

    One transaction is in flight at a time; rows that arrive meanwhile wait and go together in the next
    (up to ``BATCH``). A row the database refuses (not an outage) is retried alone, so it fails only its
    own request.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.waiting: list[tuple[UsageRow, asyncio.Future[None]]] = []
        self.task: asyncio.Task[None] | None = None

    async def commit(self, row: UsageRow) -> None:
        """Return once ``row`` is committed; raises :class:`DatabaseUnavailable` if it could not be. Cancelling
        the caller does not take the row back: it is written all the same."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append((row, future))
        if self.task is None:
            self.task = asyncio.create_task(self._run(), name="usage-group-commit")
        await asyncio.shield(future)

    async def _run(self) -> None:
        try:
            while self.waiting:
                group, self.waiting = self.waiting[:BATCH], self.waiting[BATCH:]
                await self._commit(group)
        finally:
            self.task = None

    async def _commit(self, group: list[tuple[UsageRow, asyncio.Future[None]]]) -> None:
        try:
            await self.db.append(usage, [values(row) for row, _ in group])
        except DatabaseUnavailable as exc:
            _settle(group, exc)
        except Exception as exc:
            if len(group) == 1:
                log.exception("the database refused a usage row: %s", asdict(group[0][0]))
                _settle(group, exc)
                return
            for one in group:
                await self._commit([one])
        else:
            _settle(group, None)

    async def close(self) -> None:
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)


def _settle(group: list[tuple[UsageRow, asyncio.Future[None]]], exc: Exception | None) -> None:
    for _, future in group:
        if future.done():
            continue
        if exc is None:
            future.set_result(None)
        else:
            future.set_exception(exc)
            future.add_done_callback(lambda f: f.exception())  # a caller that left: don't warn it went unseen


class UsageRecorder:
    """``write()`` commits a row (``sync``) or queues it (``batch``); ``record()`` always queues it, and
    ``close()`` writes everything still queued."""

    def __init__(self, db: Database, mode: CommitMode = "sync") -> None:
        self.db = db
        self.mode = mode
        self.group = GroupCommit(db)
        self.queue: asyncio.Queue[UsageRow] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.writing = 0  # rows of the batch being written (or waiting for the database to come back)

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="usage-writer")

    def record(self, row: UsageRow) -> None:
        """Queue ``row`` for the background writer; never waits on the database."""
        self.queue.put_nowait(row)

    async def write(self, row: UsageRow) -> None:
        """A served request's row: committed before this returns (``sync``), or queued (``batch``)."""
        if self.mode == "batch":
            self.record(row)
        else:
            await self.group.commit(row)

    async def write_failed(self, row: UsageRow) -> None:
        """A failed request's row: like :meth:`write`, but queued when the database is away (the request has
        failed already; its row must not fail it again)."""
        try:
            await self.write(row)
        except DatabaseUnavailable:
            self.record(row)

    async def _write(self, rows: list[UsageRow]) -> None:
        """Insert one batch; while the database is away, try again (backing off up to 5 s) until it is back."""
        async for attempt in stamina.retry_context(on=DatabaseUnavailable, attempts=None, timeout=None,
                                                   wait_initial=0.5, wait_max=5.0, wait_jitter=0.5):
            with attempt:
                try:
                    await self.db.append(usage, [values(row) for row in rows])
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
        await self.group.close()
        if self.task is None:
            return
        try:
            await asyncio.wait_for(self.flush(), timeout=30)
        except TimeoutError:
            log.error("shutting down with %d usage rows unwritten (database unavailable)",
                      self.queue.qsize() + self.writing)
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
