"""The background usage writer: batches, retries while the database is away, never stalls on a bad row."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from imagegate.ledger import Database, DatabaseUnavailable, Keys, UsageRecorder
from imagegate.ledger.tables import usage
from tests.factories import break_database, make_key

from .test_keys import row


async def count(db: Database) -> int:
    async with db.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(usage))).scalar_one())


async def test_rows_are_written_in_batches(db: Database, keys: Keys) -> None:
    key_id = await make_key(keys)
    recorder = UsageRecorder(db)
    recorder.start()
    for _ in range(600):
        recorder.record(row(key_id, 16_000))
    await recorder.close()
    assert await count(db) == 600


async def test_rows_wait_for_the_database_to_come_back(db: Database, keys: Keys,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    key_id = await make_key(keys)
    restore = break_database(db)
    recorder = UsageRecorder(db)
    recorder.start()
    recorder.record(row(key_id, 16_000))
    async with asyncio.timeout(30):  # until the first attempt has failed (a guard, not a timing assert)
        while "retrying 1 rows" not in caplog.text:
            await asyncio.sleep(0.01)
    restore()
    await recorder.close()
    assert await count(db) == 1


async def test_a_row_the_database_refuses_is_logged_not_retried_forever(
        db: Database, keys: Keys, caplog: pytest.LogCaptureFixture) -> None:
    key_id = await make_key(keys)
    recorder = UsageRecorder(db)
    recorder.start()
    recorder.record(row(key_id + 1000, 16_000))  # no such key: a foreign-key violation
    await recorder.flush()
    recorder.record(row(key_id, 16_000))
    await recorder.close()
    assert await count(db) == 1
    assert "refused 1 usage rows" in caplog.text


class CountingAppend:
    """Counts the transactions that append usage rows."""

    def __init__(self, db: Database) -> None:
        self.append, self.count = db.append, 0

    async def __call__(self, table: sa.Table, rows: list[dict[str, object]]) -> None:
        self.count += 1
        await self.append(table, rows)


async def test_sync_rows_are_committed_when_write_returns_and_grouped(db: Database, keys: Keys,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    key_id = await make_key(keys)
    recorder = UsageRecorder(db, "sync")
    counter = CountingAppend(db)
    monkeypatch.setattr(db, "append", counter)
    await recorder.write(row(key_id, 16_000))
    assert await count(db) == 1  # in the database before write() returned: no flush, no close
    await asyncio.gather(*(recorder.write(row(key_id, 16_000)) for _ in range(50)))
    assert await count(db) == 51
    assert counter.count < 1 + 50  # concurrent rows share transactions (group commit)
    assert recorder.queue.empty()
    await recorder.close()


async def test_batch_rows_are_queued_until_the_writer_runs(db: Database, keys: Keys) -> None:
    key_id = await make_key(keys)
    recorder = UsageRecorder(db, "batch")
    await recorder.write(row(key_id, 16_000))
    assert await count(db) == 0 and recorder.queue.qsize() == 1  # answered before its row is written
    recorder.start()
    await recorder.close()
    assert await count(db) == 1


async def test_a_refused_row_fails_only_its_own_write(db: Database, keys: Keys) -> None:
    key_id = await make_key(keys)
    recorder = UsageRecorder(db, "sync")
    results = await asyncio.gather(recorder.write(row(key_id, 16_000)), recorder.write(row(key_id + 1000, 1)),
                                   recorder.write(row(key_id, 16_000)), return_exceptions=True)
    assert [isinstance(result, Exception) for result in results] == [False, True, False]
    assert await count(db) == 2
    await recorder.close()


async def test_sync_write_raises_when_the_database_is_away_and_a_failed_row_is_queued(
        db: Database, keys: Keys) -> None:
    key_id = await make_key(keys)
    restore = break_database(db)
    recorder = UsageRecorder(db, "sync")
    with pytest.raises(DatabaseUnavailable):
        await recorder.write(row(key_id, 16_000))
    await recorder.write_failed(row(key_id, 0, status=502))
    assert recorder.queue.qsize() == 1
    restore()
    recorder.start()
    await recorder.close()
    assert await count(db) == 1
