"""Budget holds: atomic under concurrency (one engine or several), settled once, released once, per period."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from imagegate.errors import InsufficientQuota
from imagegate.ledger import Database, Keys
from imagegate.ledger.budget import Budgets, Hold, period_start, settle
from imagegate.ledger.tables import api_keys, reservations
from tests.factories import make_key

PRICE = 16_000  # dall-e-2 256x256, in micro-dollars


async def counters(db: Database, key_id: int) -> tuple[int, int, int]:
    """(spent, reserved, reservation rows) of a key."""
    async with db.connect() as conn:
        spent, reserved = (await conn.execute(sa.select(api_keys.c.spent_micros, api_keys.c.reserved_micros)
                                              .where(api_keys.c.id == key_id))).one()
        rows = (await conn.execute(sa.select(sa.func.count()).select_from(reservations)
                                   .where(reservations.c.key_id == key_id))).scalar_one()
    return spent, reserved, rows


async def _try(budgets: Budgets, key_id: int, i: int) -> Hold | None:
    try:
        return await budgets.reserve(key_id, PRICE, f"r{i}")
    except InsufficientQuota:
        return None


async def test_fifty_concurrent_holds_on_a_budget_for_ten_get_exactly_ten(db: Database, keys: Keys) -> None:
    key_id = await make_key(keys, budget_usd=Decimal("0.16"))
    budgets = Budgets(db)
    holds = await asyncio.gather(*(_try(budgets, key_id, i) for i in range(50)))
    assert sum(h is not None for h in holds) == 10
    assert await counters(db, key_id) == (0, 10 * PRICE, 10)


async def test_separate_engines_share_one_budget(db: Database, keys: Keys, db_url: str) -> None:
    """Two connection pools stand in for two processes: the row lock, not the process, decides."""
    key_id = await make_key(keys, budget_usd=Decimal("0.16"))
    other = Database(db_url)
    try:
        tries = [_try(Budgets(d), key_id, i) for i, d in enumerate([db, other] * 25)]
        holds = await asyncio.gather(*tries)
    finally:
        await other.close()
    assert sum(h is not None for h in holds) == 10


async def test_settle_moves_the_hold_to_spend_and_release_gives_it_back(db: Database, keys: Keys) -> None:
    key_id = await make_key(keys, budget_usd=Decimal("1"))
    budgets = Budgets(db)
    first = await budgets.reserve(key_id, 100_000, "a")
    second = await budgets.reserve(key_id, 50_000, "b")
    assert first is not None and second is not None
    async with db.begin() as conn:
        await settle(conn, first, 80_000, datetime.now(UTC))
    await budgets.release(second)
    await budgets.release(second)  # a second release changes nothing
    assert await counters(db, key_id) == (80_000, 0, 0)


async def test_refusal_is_429_insufficient_quota_with_the_numbers(db: Database, keys: Keys) -> None:
    key_id = await make_key(keys, budget_usd=Decimal("0.05"), budget_period="day")
    budgets = Budgets(db)
    await budgets.reserve(key_id, 40_000, "a")
    with pytest.raises(InsufficientQuota) as err:
        await budgets.reserve(key_id, 20_000, "b")
    assert err.value.status == 429 and err.value.code == "insufficient_quota"
    assert "$0.05" in err.value.message and "today" in err.value.message and "$0.02" in err.value.message


async def test_no_budget_means_no_hold(db: Database, keys: Keys) -> None:
    key_id = await make_key(keys)
    assert await Budgets(db).reserve(key_id, 10**9, "a") is None
    assert await counters(db, key_id) == (0, 0, 0)


async def test_a_new_period_starts_from_zero(db: Database, keys: Keys) -> None:
    key_id = await make_key(keys, budget_usd=Decimal("0.10"), budget_period="month")
    async with db.begin() as conn:
        await conn.execute(sa.update(api_keys).where(api_keys.c.id == key_id)
                           .values(spent_micros=100_000, period_start="2000-01-01"))
    hold = await Budgets(db).reserve(key_id, 60_000, "a")
    assert hold is not None
    assert await counters(db, key_id) == (0, 60_000, 1)


async def test_sweep_releases_holds_of_a_dead_process_once(db: Database, keys: Keys) -> None:
    key_id = await make_key(keys, budget_usd=Decimal("1"))
    budgets = Budgets(db)
    hold = await budgets.reserve(key_id, 300_000, "crashed")
    assert hold is not None
    assert await budgets.sweep(older_than=3600) == 0
    assert await budgets.sweep(older_than=0) == 1
    assert await counters(db, key_id) == (0, 0, 0)
    async with db.begin() as conn:  # the request finished after all: charged, not released twice
        await settle(conn, hold, 250_000, datetime.now(UTC))
    assert await counters(db, key_id) == (250_000, 0, 0)


def test_period_starts() -> None:
    now = datetime(2025, 11, 23, 15, 30, tzinfo=UTC)  # a Sunday
    assert [period_start(p, now).isoformat() for p in ("day", "week", "month", "total")] == [
        "2025-11-23", "2025-11-17", "2025-11-01", "1970-01-01"]
