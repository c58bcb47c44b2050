"""Usage reports: exact sums grouped by model, key and UTC day, narrowed by key and time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from imagegate.ledger import Database, Keys
from imagegate.ledger.reports import report, total
from imagegate.ledger.usage import insert
from tests.factories import make_key

from .test_keys import row


async def test_groups_and_filters(db: Database, keys: Keys) -> None:
    a, b = await make_key(keys, "a"), await make_key(keys, "b")
    day1, day2 = datetime(2025, 3, 1, 23, 59, tzinfo=UTC), datetime(2025, 3, 2, 0, 1, tzinfo=UTC)
    rows = [replace(row(a, 16_000), created_at=day1), replace(row(a, 166_700, model="gpt-image-1"), created_at=day2),
            replace(row(b, 20_000), key_name="b", created_at=day2), replace(row(b, 0, 502), key_name="b",
                                                                             created_at=day2)]
    async with db.begin() as conn:
        await insert(conn, rows)
    by_model = await report(db, "model")
    assert [(g.group, g.requests, g.failed, g.price_micros) for g in by_model] == [
        ("dall-e-2", 3, 1, 36_000), ("gpt-image-1", 1, 0, 166_700)]
    assert total(by_model).price_micros == 202_700
    assert [(g.group, g.price_micros) for g in await report(db, "day")] == [
        ("2025-03-01", 16_000), ("2025-03-02", 186_700)]
    assert [(g.group, g.requests) for g in await report(db, "key")] == [("b", 2), ("k", 2)]
    assert [g.price_micros for g in await report(db, "model", key_id=b)] == [20_000]
    assert [g.group for g in await report(db, "model", since=day2)] == ["dall-e-2", "gpt-image-1"]
    assert await report(db, "model", key_id="master") == []
