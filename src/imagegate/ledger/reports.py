"""Usage summed from the ledger, grouped by model, key, day (UTC) or status: for the CLI, /v1/usage,
/admin/usage and the console's overview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from .db import Database
from .tables import usage

By = Literal["model", "key", "day", "status"]


@dataclass(frozen=True, slots=True)
class UsageGroup:
    group: str
    requests: int
    failed: int
    images: int
    input_tokens: int
    output_tokens: int
    price_micros: int
    upstream_cost_micros: int


def _group(by: By, dialect: str) -> sa.ColumnElement[Any]:
    if by == "model":
        return usage.c.model
    if by == "key":
        return usage.c.key_name
    if by == "status":
        return usage.c.status
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", usage.c.created_at), "YYYY-MM-DD")
    return sa.func.substr(usage.c.created_at, 1, 10)  # SQLite stores "YYYY-MM-DD HH:MM:SS..." in UTC


def total(groups: list[UsageGroup]) -> UsageGroup:
    return UsageGroup("total", *(sum(getattr(g, f) for g in groups) for f in (
        "requests", "failed", "images", "input_tokens", "output_tokens", "price_micros", "upstream_cost_micros")))


async def report(db: Database, by: By, key_id: int | Literal["master"] | None = None,
                 since: datetime | None = None) -> list[UsageGroup]:
    """One line per group, in group order; ``key_id`` (``"master"``: the master key's) and ``since`` narrow the rows."""
    group = _group(by, db.engine.dialect.name).label("grp")
    stmt = sa.select(
        group, sa.func.count(), sa.func.sum(sa.case((usage.c.status >= 400, 1), else_=0)),
        sa.func.sum(usage.c.images), sa.func.sum(usage.c.input_tokens), sa.func.sum(usage.c.output_tokens),
        sa.func.sum(usage.c.price_micros), sa.func.sum(usage.c.upstream_cost_micros),
    ).group_by(group).order_by(group)
    if key_id == "master":
        stmt = stmt.where(usage.c.key_id.is_(None))
    elif key_id is not None:
        stmt = stmt.where(usage.c.key_id == key_id)
    if since is not None:
        stmt = stmt.where(usage.c.created_at >= since)
    async with db.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    return [UsageGroup(str(row[0]), *(int(v or 0) for v in row[1:])) for row in rows]
