"""Keys in the ledger: limits stored, updated, recounted; names unique among active keys; spend listed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from imagegate.errors import Conflict
from imagegate.ledger import Database, Keys, UsageRow
from imagegate.ledger.budget import Budgets
from imagegate.ledger.limits import KeyCreate, KeyUpdate
from imagegate.ledger.usage import insert
from tests.factories import make_key


def row(key_id: int, price: int, status: int = 200, model: str = "dall-e-2") -> UsageRow:
    return UsageRow(request_id="r", key_id=key_id, key_name="k", endpoint="generations", model=model,
                    channel="c", n=1, images=1 if status == 200 else 0, size="256x256", quality=None,
                    status=status, latency_ms=5, price_micros=price)


async def test_create_stores_limits_and_lookup_finds_the_key_by_its_secret(keys: Keys) -> None:
    expires = datetime.now(UTC) + timedelta(days=3)
    record, secret = await keys.create(KeyCreate(name="team", budget_usd=Decimal("12.5"), models=["dall-e-2"],
                                                 rpm=30, expires_at=expires))
    found = await keys.lookup(secret)
    assert found == record
    assert (record.budget_micros, record.budget_period, record.models, record.rpm) == \
        (12_500_000, "total", ("dall-e-2",), 30)
    assert record.expires_at is not None and abs(record.expires_at - expires) < timedelta(seconds=1)
    assert await keys.lookup(secret + "x") is None


async def test_active_names_are_unique_but_a_revoked_name_can_be_reused(keys: Keys) -> None:
    await make_key(keys, "team")
    with pytest.raises(Conflict) as err:
        await make_key(keys, "team")
    assert err.value.code == "name_taken" and err.value.param == "name"
    assert await keys.revoke("team") is not None
    assert await keys.revoke("team") is None
    await make_key(keys, "team")


async def test_update_changes_only_what_was_sent_and_null_clears(keys: Keys) -> None:
    key_id = await make_key(keys, "team", rpm=10, models=["dall-e-2"])
    record = await keys.update("team", KeyUpdate.model_validate({"rpm": None, "name": "renamed"}))
    assert record is not None and (record.name, record.rpm, record.models) == ("renamed", None, ("dall-e-2",))
    assert await keys.update(str(key_id + 100), KeyUpdate(rpm=5)) is None


async def test_a_budget_added_later_is_a_total_budget_unless_a_period_is_given(keys: Keys) -> None:
    await make_key(keys, "team")
    record = await keys.update("team", KeyUpdate(budget_usd=Decimal("3")))
    assert record is not None and (record.budget_micros, record.budget_period) == (3_000_000, "total")
    record = await keys.update("team", KeyUpdate(budget_period="day"))
    assert record is not None and record.budget_period == "day"
    record = await keys.update("team", KeyUpdate(budget_usd=Decimal("4")))
    assert record is not None and record.budget_period == "day"


async def test_a_new_budget_counts_what_the_period_already_spent(db: Database, keys: Keys) -> None:
    key_id = await make_key(keys, "team")
    async with db.begin() as conn:
        await insert(conn, [row(key_id, 30_000), row(key_id, 0, status=502)])
    await keys.update("team", KeyUpdate(budget_usd=Decimal("0.05"), budget_period="month"))
    assert await Budgets(db).reserve(key_id, 20_000, "fits") is not None
    view = (await keys.list("team"))[0]
    assert (view.spent_period_micros, view.reserved_micros, view.spent_total_micros, view.requests) == \
        (30_000, 20_000, 30_000, 2)
