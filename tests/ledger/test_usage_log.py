"""The usage log's rows: newest first, narrowed by key, model, outcome and time, with their result names;
and reports grouped by status."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from imagegate.ledger import Database, Keys
from imagegate.ledger.reports import report
from imagegate.ledger.usage import insert
from imagegate.ledger.usage_log import LogFilter, rows
from tests.factories import make_key

from .test_keys import row


async def test_rows_and_filters(db: Database, keys: Keys) -> None:
    a, b = await make_key(keys, "a"), await make_key(keys, "b")
    t1, t2, t3 = (datetime(2025, 3, d, 12, tzinfo=UTC) for d in (1, 2, 3))
    async with db.begin() as conn:
        await insert(conn, [
            replace(row(a, 16_000), request_id="r1", created_at=t1, results=["x.png", "y.png"]),
            replace(row(a, 0, 502), request_id="r2", created_at=t2),
            replace(row(b, 20_000, model="gpt-image-1"), request_id="r3", key_name="b", created_at=t3),
            replace(row(a, 5_000), key_id=None, request_id="r4", key_name="master", created_at=t3),
        ])
    every = await rows(db, LogFilter(), 10)
    assert [r["request_id"] for r in every] == ["r4", "r3", "r2", "r1"]  # same time: the later row first
    first = next(r for r in every if r["request_id"] == "r1")
    assert first["results"] == ["x.png", "y.png"] and first["created_at"] == t1
    assert [r["request_id"] for r in await rows(db, LogFilter(key_id=a), 10)] == ["r2", "r1"]
    assert [r["request_id"] for r in await rows(db, LogFilter(key_id="master"), 10)] == ["r4"]
    assert [r["request_id"] for r in await rows(db, LogFilter(model="gpt-image-1"), 10)] == ["r3"]
    assert [r["request_id"] for r in await rows(db, LogFilter(outcome="failed"), 10)] == ["r2"]
    assert [r["request_id"] for r in await rows(db, LogFilter(key_id=a, outcome="ok"), 10)] == ["r1"]
    assert [r["request_id"] for r in await rows(db, LogFilter(since=t2, until=t3), 10)] == ["r2"]
    assert len(await rows(db, LogFilter(), 2)) == 2
    assert [(g.group, g.requests) for g in await report(db, "status")] == [("200", 3), ("502", 1)]
