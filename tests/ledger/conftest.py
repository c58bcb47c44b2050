"""A migrated ledger database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from imagegate.ledger import Database, Keys
from imagegate.ledger.limits import KeyCreate


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
def keys(db: Database) -> Keys:
    return Keys(db)


async def make_key(keys: Keys, name: str = "k", **limits: object) -> int:
    record, _ = await keys.create(KeyCreate(name=name, **limits))  # type: ignore[arg-type]
    return record.id
