"""Budgets: hold the most a request may cost before the upstream runs, settle what it cost, release the rest.

Atomic across concurrent requests and across processes sharing the database, by construction:
a hold is one conditional UPDATE of the key's row,

    SET reserved = reserved + :hold ... WHERE spent + reserved + :hold <= budget

which PostgreSQL runs under the row lock (re-checking the condition against the newest row) and
SQLite runs under its single write lock (``BEGIN IMMEDIATE``). Fifty requests at a key whose
budget fits ten get exactly ten holds. The same transaction writes a ``reservations`` row, so
holds of a process that died are found and released by :meth:`Budgets.sweep`.

``spent`` counts the current period only: every statement computes the key's current period
start (by its ``budget_period``, UTC) in SQL and starts from 0 when the stored one is older.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..errors import InsufficientQuota
from .db import Database
from .money import usd_text
from .tables import api_keys, reservations

EPOCH = date(1970, 1, 1)
PERIOD_WORDS = {"day": "today", "week": "this week", "month": "this month", "total": "in total"}


def period_start(period: str | None, now: datetime) -> date:
    """The first day (UTC) of the budget period that contains ``now``."""
    today = now.astimezone(UTC).date()
    if period == "day":
        return today
    if period == "week":
        return today - timedelta(days=today.weekday())
    if period == "month":
        return today.replace(day=1)
    return EPOCH


def current_period(now: datetime) -> sa.ColumnElement[Any]:
    """SQL: the key's current period start, from its own ``budget_period``."""
    starts = {p: period_start(p, now).isoformat() for p in ("day", "week", "month")}
    return sa.case(starts, value=api_keys.c.budget_period, else_=EPOCH.isoformat())


def spent_now(current: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """SQL: what the key spent in the current period (0 if its counter is from an older one)."""
    return sa.case((api_keys.c.period_start == current, api_keys.c.spent_micros), else_=0)


@dataclass(frozen=True, slots=True)
class Hold:
    id: int
    key_id: int
    amount: int


def _refusal(state: sa.RowMapping, amount: int) -> InsufficientQuota:
    when = PERIOD_WORDS.get(state["budget_period"] or "total", "in total")
    return InsufficientQuota(
        f"This key's budget is used up: ${usd_text(state['spent'])} of ${usd_text(state['budget_micros'])} "
        f"spent {when}, ${usd_text(state['reserved_micros'])} held by requests in flight, and this request "
        f"may cost up to ${usd_text(amount)}.")


async def settle(conn: AsyncConnection, hold: Hold, price: int, now: datetime) -> None:
    """Inside the caller's transaction: the hold becomes the real price (released once, even if swept)."""
    deleted = (await conn.execute(sa.delete(reservations).where(reservations.c.id == hold.id))).rowcount
    current = current_period(now)
    await conn.execute(sa.update(api_keys).where(api_keys.c.id == hold.key_id).values(
        reserved_micros=api_keys.c.reserved_micros - (hold.amount if deleted else 0),
        spent_micros=spent_now(current) + price, period_start=current))


class Budgets:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def reserve(self, key_id: int, amount: int, request_id: str) -> Hold | None:
        """Hold ``amount`` against the key's budget; ``None`` if it has none; 429 if it would pass it."""
        if amount <= 0:
            return None
        now = datetime.now(UTC)
        current = current_period(now)
        spent = spent_now(current)
        stmt = sa.update(api_keys).where(
            api_keys.c.id == key_id, api_keys.c.budget_micros.is_not(None),
            spent + api_keys.c.reserved_micros + amount <= api_keys.c.budget_micros,
        ).values(spent_micros=spent, period_start=current, reserved_micros=api_keys.c.reserved_micros + amount)
        async with self.db.begin() as conn:
            if (await conn.execute(stmt)).rowcount == 1:
                row = {"key_id": key_id, "request_id": request_id, "amount_micros": amount, "created_at": now}
                hold_id = (await conn.execute(sa.insert(reservations).values(row)
                                              .returning(reservations.c.id))).scalar_one()
                return Hold(hold_id, key_id, amount)
            state = (await conn.execute(sa.select(
                api_keys.c.budget_micros, api_keys.c.budget_period, api_keys.c.reserved_micros,
                spent.label("spent")).where(api_keys.c.id == key_id))).mappings().first()
        if state is None or state["budget_micros"] is None:
            return None
        raise _refusal(state, amount)

    async def release(self, hold: Hold) -> None:
        """Give a failed request's hold back (exactly once, whoever gets there first)."""
        async with self.db.begin() as conn:
            deleted = (await conn.execute(sa.delete(reservations).where(reservations.c.id == hold.id))).rowcount
            if deleted:
                await conn.execute(sa.update(api_keys).where(api_keys.c.id == hold.key_id).values(
                    reserved_micros=api_keys.c.reserved_micros - hold.amount))

    async def sweep(self, older_than: float) -> int:
        """Release holds older than ``older_than`` seconds (their process died); returns how many."""
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
        async with self.db.connect() as conn:
            rows = (await conn.execute(sa.select(reservations.c.id, reservations.c.key_id,
                                                 reservations.c.amount_micros)
                                       .where(reservations.c.created_at < cutoff))).all()
        for row in rows:
            await self.release(Hold(row.id, row.key_id, row.amount_micros))
        return len(rows)
