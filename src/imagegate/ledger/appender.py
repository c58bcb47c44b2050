"""Rows appended to a SQLite table with one worker-thread hop per batch.

The usage log takes one insert per request, on the request's path (``IMAGEGATE_USAGE_COMMIT=sync``).
Through SQLAlchemy's asyncio layer and aiosqlite a transaction is half a dozen thread round trips
(``BEGIN``, the insert, ``COMMIT``, the connection checkout and return), each a wake-up of the event
loop; here the whole transaction is one call on a standard-library ``sqlite3`` connection that lives
in its own thread. The statement and each column's conversion come from the SQLAlchemy table, so the
rows are stored exactly as SQLAlchemy would store them (and read back the same way).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

BUSY_TIMEOUT_MS = 10_000
Convert = Callable[[Any], Any] | None


def _columns(table: sa.Table) -> list[sa.Column[Any]]:
    """The columns a row gives values for: all but an autoincrementing key."""
    return [c for c in table.columns if not (c.primary_key and c.autoincrement is not False)]


class SqliteAppender:
    """``append(rows)``: insert ``rows`` (tuples in :attr:`names` order) into ``table`` in one transaction."""

    def __init__(self, path: Path, table: sa.Table) -> None:
        self.path = path
        dialect = sqlite.dialect()
        columns = _columns(table)
        self.names = [c.name for c in columns]
        self.sql = str(sa.insert(table).compile(dialect=dialect, column_keys=self.names))
        self.convert: list[Convert] = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{table.name}")
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._conn = conn
        return self._conn

    def _write(self, rows: Sequence[Sequence[Any]]) -> None:
        values = [tuple(v if f is None else f(v) for f, v in zip(self.convert, row, strict=True)) for row in rows]
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(self.sql, values)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    async def append(self, rows: Sequence[Sequence[Any]]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._write, rows)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._close)
        self._thread.shutdown(wait=True)
