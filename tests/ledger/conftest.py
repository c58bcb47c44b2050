"""A migrated ledger database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from imagegate.ledger import Database, Keys


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
def keys(db: Database) -> Keys:
    return Keys(db)
