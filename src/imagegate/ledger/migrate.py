"""Alembic, run from code: the migration scripts ship inside the package (``migrations/``).

``imagegate serve``, every worker's startup and every CLI command that opens the ledger call
:func:`upgrade`. It runs inside one write transaction that first takes a lock (an advisory
lock on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite), so processes starting together migrate
once, one after another. New revisions go in ``migrations/versions/``; a test checks that the
migrated schema equals :mod:`.tables`.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncConnection

MIGRATIONS = Path(__file__).parent / "migrations"
LOCK_ID = 0x1A6E6A7E  # pg_advisory_xact_lock key: "imagegate migrations"


def config(connection: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: sa.Connection) -> None:
    command.upgrade(config(connection), "head")


async def upgrade(conn: AsyncConnection) -> None:
    """Upgrade to head inside ``conn``'s transaction (the caller commits)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
    await conn.run_sync(_upgrade)
