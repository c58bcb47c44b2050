"""Usage rows, written off the request path by one background writer that batches inserts."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from .db import Database
from .tables import usage

log = logging.getLogger("imagegate.ledger")
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
    price_usd: float | None = None
    upstream_cost: float | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class UsageRecorder:
    """``record()`` never waits on the database; ``close()`` writes everything still queued."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.queue: asyncio.Queue[UsageRow] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="usage-writer")

    def record(self, row: UsageRow) -> None:
        self.queue.put_nowait(row)

    async def _write(self, rows: list[UsageRow]) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(sa.insert(usage), [asdict(r) for r in rows])

    async def _run(self) -> None:
        while True:
            rows = [await self.queue.get()]
            while len(rows) < BATCH and not self.queue.empty():
                rows.append(self.queue.get_nowait())
            try:
                await self._write(rows)
            except Exception:
                log.exception("usage write failed; retrying %d rows", len(rows))
                for row in rows:
                    self.queue.put_nowait(row)
                await asyncio.sleep(1.0)
            finally:
                for _ in rows:
                    self.queue.task_done()

    async def flush(self) -> None:
        """Wait until every recorded row is in the database."""
        await self.queue.join()

    async def close(self) -> None:
        if self.task is not None:
            await asyncio.wait_for(self.flush(), timeout=30)
            self.task.cancel()
