"""The database behind the ledger: SQLite (WAL) by default, PostgreSQL by URL (``imagegate[postgres]``).

Writes go through :meth:`Database.begin`, reads through :meth:`Database.connect`. On SQLite,
imagegate emits the BEGIN itself: ``BEGIN IMMEDIATE`` for writes (the write lock is taken up
front, so concurrent writers queue on ``busy_timeout`` instead of failing on a lock upgrade,
and DDL is transactional), a plain ``BEGIN`` for reads (one consistent snapshot).

A database that can't be reached, or stops answering, surfaces as :class:`DatabaseUnavailable`
(503 ``database_unavailable``) with the URL's password hidden; the transaction that failed
leaves nothing behind.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ..errors import ServiceUnavailable
from ..extras import database_driver
from .appender import SqliteAppender
from .migrate import upgrade

log = logging.getLogger("imagegate.ledger")
UNREACHABLE = (OSError, sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"


def default_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'imagegate.db'}"


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable database URL>"


def _wal(cursor: Any) -> None:
    """Switch to WAL. Connections opening a new file together can get "locked" at once, without
    SQLite's busy wait (it refuses to wait where waiting could deadlock): retry for up to ten seconds."""
    for attempt in range(100):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.1)


def _sqlite_connect(dbapi_connection: Any, _: Any) -> None:
    dbapi_connection.isolation_level = None  # imagegate emits BEGIN itself (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    _wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("imagegate_write") else "BEGIN")


class Database:
    def __init__(self, url: str) -> None:
        database_driver(url)  # a missing asyncpg is named here, with its extra, not deep in SQLAlchemy
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.file: Path | None = None  # the SQLite database's file
        self._appenders: dict[str, SqliteAppender] = {}
        if self.is_sqlite:
            path = make_url(url).database
            if path and path != ":memory:":
                self.file = Path(path)
                self.file.parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self._writer = self.engine.execution_options(imagegate_write=True)

    def unavailable(self, exc: BaseException) -> DatabaseUnavailable:
        log.warning("database %s unavailable: %s: %s", safe_url(self.url), type(exc).__name__, exc)
        return DatabaseUnavailable("The ledger database is unavailable; nothing was charged. Try again shortly.")

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed when the block ends, rolled back on any error."""
        try:
            async with self._writer.begin() as conn:
                yield conn
        except UNREACHABLE as exc:
            raise self.unavailable(exc) from exc

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A read-only connection (one snapshot on SQLite)."""
        try:
            async with self.engine.connect() as conn:
                yield conn
        except UNREACHABLE as exc:
            raise self.unavailable(exc) from exc

    async def append(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` in one transaction: on a SQLite file in one worker-thread hop (:mod:`.appender`)."""
        if self.file is None:
            async with self.begin() as conn:
                await conn.execute(sa.insert(table), rows)
            return
        appender = self._appenders.get(table.name)
        if appender is None:
            appender = self._appenders[table.name] = SqliteAppender(self.file, table)
        try:
            await appender.append([tuple(row[name] for name in appender.names) for row in rows])
        except sqlite3.OperationalError as exc:
            raise self.unavailable(exc) from exc

    async def ping(self) -> None:
        """Raise :class:`DatabaseUnavailable` unless the database answers ``SELECT 1``."""
        async with self.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def migrate(self) -> None:
        """Bring the schema to the newest migration (safe to run from many processes at once)."""
        async with self.begin() as conn:
            await upgrade(conn)

    async def close(self) -> None:
        for appender in self._appenders.values():
            await appender.close()
        self._appenders.clear()
        await self.engine.dispose()
