"""The migrations build exactly the schema the code uses, run once however many processes start together."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import imagegate.jobs.tables  # noqa: F401  (registers image_jobs on the metadata)
from imagegate.ledger import Database
from imagegate.ledger import db as db_module
from imagegate.ledger.tables import metadata


def _diff(conn: sa.Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(conn), metadata))


async def test_migrated_schema_matches_the_tables(db: Database) -> None:
    async with db.connect() as conn:
        assert await conn.run_sync(_diff) == []
        version = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar_one()
    assert version == "0004"


async def test_upgrade_is_idempotent_and_safe_to_race(db_url: str) -> None:
    databases = [Database(db_url) for _ in range(8)]
    try:
        await asyncio.gather(*(d.migrate() for d in databases))
        await databases[0].migrate()
        async with databases[0].connect() as conn:
            count = (await conn.execute(sa.text("SELECT count(*) FROM alembic_version"))).scalar_one()
        assert count == 1
    finally:
        for d in databases:
            await d.close()



class LockedCursor:
    """Answers "database is locked" ``times`` times, as SQLite does when several connections switch a new
    file to WAL at once and waiting could deadlock."""

    def __init__(self, times: int, message: str = "database is locked") -> None:
        self.times, self.message, self.calls = times, message, 0

    def execute(self, sql: str) -> None:
        self.calls += 1
        if self.calls <= self.times:
            raise sqlite3.OperationalError(self.message)


def test_switching_to_wal_retries_while_the_file_is_locked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_module.time, "sleep", lambda _: None)
    cursor = LockedCursor(times=3)
    db_module._wal(cursor)
    assert cursor.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        db_module._wal(LockedCursor(times=1, message="disk I/O error"))
