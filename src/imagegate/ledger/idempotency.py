"""``Idempotency-Key``: the same key and the same body within 24 hours get the first answer, charged once.

A claim is a row keyed by (the caller's API key, the Idempotency-Key):

- inserted as ``running`` → this request runs;
- found with a different body fingerprint → 409 ``idempotency_key_reused``;
- found ``done`` → the stored response is returned as it was (same image links), nothing is charged;
- found ``running`` → 409 ``idempotency_key_in_use`` with ``Retry-After``: a concurrent duplicate
  never runs twice; retried after the first finishes, it gets the stored answer;
- older than 24 hours, or ``running`` for longer than ``stale_after`` (its process died) → taken over.

The response is stored by :func:`complete` inside the transaction that settles the charge, so
"charged" and "answer stored" are one fact. A request that fails drops its claim
(:meth:`Idempotency.abandon`): failures are not replayed, and the same key may be retried.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection

from ..errors import Conflict
from .db import Database
from .tables import idempotency

TTL = timedelta(hours=24)
HEADER = "Idempotency-Key"


@dataclass(frozen=True, slots=True)
class Claim:
    scope: str
    key: str
    request_id: str


@dataclass(frozen=True, slots=True)
class Replay:
    body: bytes
    cost_micros: int


def scope_of(key_id: int | None) -> str:
    return f"key:{key_id}" if key_id is not None else "master"


def fingerprint(endpoint: str, values: dict[str, Any], files: Iterable[Path | bytes] = ()) -> str:
    """SHA-256 of the endpoint, the parsed fields (order-free) and every uploaded file's bytes, in order."""
    digest = hashlib.sha256(endpoint.encode() + b"\0" + orjson.dumps(values, option=orjson.OPT_SORT_KEYS))
    for source in files:
        if isinstance(source, bytes):
            digest.update(b"\0" + hashlib.sha256(source).digest())
            continue
        with source.open("rb") as handle:
            digest.update(b"\0" + hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


async def complete(conn: AsyncConnection, claim: Claim, body: bytes, cost_micros: int) -> None:
    """Inside the settling transaction: store the answer to replay."""
    await conn.execute(sa.update(idempotency).where(
        idempotency.c.scope == claim.scope, idempotency.c.key == claim.key,
        idempotency.c.request_id == claim.request_id,
    ).values(state="done", body=body, cost_micros=cost_micros))


class Idempotency:
    def __init__(self, db: Database, stale_after: float) -> None:
        self.db = db
        self.stale_after = timedelta(seconds=stale_after)

    async def claim(self, scope: str, key: str, digest: str, request_id: str) -> Claim | Replay:
        for _ in range(3):
            now = datetime.now(UTC)
            if await self._insert(scope, key, digest, request_id, now):
                return Claim(scope, key, request_id)
            async with self.db.connect() as conn:
                row = (await conn.execute(sa.select(idempotency).where(
                    idempotency.c.scope == scope, idempotency.c.key == key))).mappings().first()
            if row is None:
                continue  # dropped meanwhile: insert again
            dead = row["state"] == "running" and row["created_at"] < now - self.stale_after
            if row["created_at"] < now - TTL or dead:
                if await self._take_over(row, digest, request_id, now):
                    return Claim(scope, key, request_id)
                continue
            if row["fingerprint"] != digest:
                raise Conflict(f"This {HEADER} was already used with a different request body.",
                               param=HEADER, code="idempotency_key_reused")
            if row["state"] == "done":
                return Replay(row["body"], row["cost_micros"] or 0)
            break
        raise Conflict(f"A request with this {HEADER} is still running; retry when it has finished.",
                       param=HEADER, code="idempotency_key_in_use", headers={"Retry-After": "1"})

    async def _insert(self, scope: str, key: str, digest: str, request_id: str, now: datetime) -> bool:
        row = {"scope": scope, "key": key, "fingerprint": digest, "request_id": request_id, "state": "running",
               "created_at": now}
        try:
            async with self.db.begin() as conn:
                await conn.execute(sa.insert(idempotency).values(row))
        except sa_exc.IntegrityError:
            return False
        return True

    async def _take_over(self, row: sa.RowMapping, digest: str, request_id: str, now: datetime) -> bool:
        stmt = sa.update(idempotency).where(
            idempotency.c.scope == row["scope"], idempotency.c.key == row["key"],
            idempotency.c.request_id == row["request_id"], idempotency.c.created_at == row["created_at"],
        ).values(fingerprint=digest, request_id=request_id, state="running", body=None, cost_micros=None,
                 created_at=now)
        async with self.db.begin() as conn:
            return bool((await conn.execute(stmt)).rowcount)

    async def abandon(self, claim: Claim) -> None:
        async with self.db.begin() as conn:
            await conn.execute(sa.delete(idempotency).where(
                idempotency.c.scope == claim.scope, idempotency.c.key == claim.key,
                idempotency.c.request_id == claim.request_id, idempotency.c.state == "running"))

    async def sweep(self) -> int:
        """Forget answers older than 24 hours; returns how many."""
        async with self.db.begin() as conn:
            stmt = sa.delete(idempotency).where(idempotency.c.created_at < datetime.now(UTC) - TTL)
            return int((await conn.execute(stmt)).rowcount)
