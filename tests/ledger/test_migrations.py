"""The migrations build exactly the schema the code uses, run once however many processes start together."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from imagegate.ledger import Database
from imagegate.ledger.tables import metadata


def _diff(conn: sa.Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(conn), metadata))


async def test_migrated_schema_matches_the_tables(db: Database) -> None:
    async with db.connect() as conn:
        assert await conn.run_sync(_diff) == []
        version = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar_one()
    assert version == "0001"


async def test_upgrade_is_idempotent_and_safe_to_race(db_url: str) -> None:
    databases = [Database(db_url) for _ in range(4)]
    try:
        await asyncio.gather(*(d.migrate() for d in databases))
        await databases[0].migrate()
        async with databases[0].connect() as conn:
            count = (await conn.execute(sa.text("SELECT count(*) FROM alembic_version"))).scalar_one()
        assert count == 1
    finally:
        for d in databases:
            await d.close()
