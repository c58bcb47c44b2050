"""The sweep runs on one node of a fleet at a time: a PostgreSQL advisory lock held while it runs (SQLite serves
one node, so it always may)."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagegate.ledger import Database
from imagegate.maintenance import one_node
from tests.harness import database_url


@pytest.fixture
def postgres_url(tmp_path: Path) -> str:
    return database_url("postgresql", tmp_path)  # a fresh database (skipped when PostgreSQL is unreachable)


async def test_one_node_sweeps_at_a_time_on_postgresql(postgres_url: str) -> None:
    first = Database(postgres_url)
    second = Database(first.url)  # another node on the same database
    try:
        async with one_node(first) as sweeping:
            assert sweeping
            async with one_node(second) as also:
                assert not also
        async with one_node(second) as after:  # released when the first one's sweep ended
            assert after
    finally:
        await first.close()
        await second.close()


async def test_sqlite_always_sweeps(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}")
    try:
        async with one_node(db) as sweeping, one_node(db) as again:
            assert sweeping and again
    finally:
        await db.close()
