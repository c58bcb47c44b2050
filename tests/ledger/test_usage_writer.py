"""The background usage writer: batches, retries while the database is away, never stalls on a bad row."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from imagegate.ledger import Database, Keys, UsageRecorder
from imagegate.ledger.tables import usage
from tests.factories import make_key

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
    saved = db.engine, db._writer
    db.engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    db._writer = db.engine.execution_options(imagegate_write=True)
    recorder = UsageRecorder(db)
    recorder.start()
    recorder.record(row(key_id, 16_000))
    async with asyncio.timeout(30):  # until the first attempt has failed (a guard, not a timing assert)
        while "retrying 1 rows" not in caplog.text:
            await asyncio.sleep(0.01)
    db.engine, db._writer = saved
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
