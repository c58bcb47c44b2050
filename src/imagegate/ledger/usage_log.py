"""Usage rows one by one, newest first, for the console's usage log and its CSV export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from .db import Database
from .tables import usage

Outcome = Literal["ok", "failed"]


@dataclass(frozen=True, slots=True)
class LogFilter:
    """What rows to read: a key (``"master"``: the master key's requests), a model, ok/failed, a time span."""

    key_id: int | Literal["master"] | None = None
    model: str | None = None
    outcome: Outcome | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        clauses: list[sa.ColumnElement[bool]] = []
        if self.key_id == "master":
            clauses.append(usage.c.key_id.is_(None))
        elif self.key_id is not None:
            clauses.append(usage.c.key_id == self.key_id)
        if self.model:
            clauses.append(usage.c.model == self.model)
        if self.outcome is not None:
            clauses.append(usage.c.status < 400 if self.outcome == "ok" else usage.c.status >= 400)
        if self.since is not None:
            clauses.append(usage.c.created_at >= self.since)
        if self.until is not None:
            clauses.append(usage.c.created_at < self.until)
        return clauses


COLUMNS = ("created_at", "request_id", "key_name", "endpoint", "model", "channel", "n", "images", "size", "quality",
           "price_micros", "latency_ms", "status", "results")


async def rows(db: Database, where: LogFilter, limit: int) -> list[dict[str, Any]]:
    """At most ``limit`` rows matching ``where``, newest first."""
    stmt = sa.select(*(usage.c[name] for name in COLUMNS)).where(*where.where()) \
        .order_by(usage.c.created_at.desc(), usage.c.id.desc()).limit(limit)
    async with db.connect() as conn:
        return [dict(m) for m in (await conn.execute(stmt)).mappings().all()]
