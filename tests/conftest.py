"""Ledger backends for the tests: SQLite always; PostgreSQL when reachable, each test in a fresh database.

PostgreSQL: ``IMAGEGATE_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/test``) is
used only to create and drop databases named ``imagegate_t_<run>_<n>``. When it can't be
reached, the PostgreSQL runs are skipped and the end of the test report says so in capitals.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

# Taken out of the environment: it is no setting, and the CLI run in-process would refuse it as unknown.
ADMIN_URL = os.environ.pop("IMAGEGATE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


class Postgres:
    """Creates and drops the test run's databases through the admin URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.run = uuid.uuid4().hex[:8]
        self.counter = itertools.count(1)
        self.created: list[str] = []
        self.error: str | None = None
        self.skipped = 0

    async def _execute(self, sql: str) -> None:
        conn = await asyncpg.connect(self.admin_url, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def probe(self) -> None:
        try:
            asyncio.run(self._execute("SELECT 1"))
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy async URL."""
        name = f"imagegate_t_{self.run}_{next(self.counter)}"
        asyncio.run(self._execute(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        base = self.admin_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        return f"{base.rsplit('/', 1)[0]}/{name}"

    def drop_all(self) -> None:
        for name in self.created:
            asyncio.run(self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.created.clear()


POSTGRES = Postgres(ADMIN_URL)


def pytest_configure(config: pytest.Config) -> None:
    POSTGRES.probe()


def pytest_unconfigure(config: pytest.Config) -> None:
    if POSTGRES.error is None:
        POSTGRES.drop_all()


def pytest_report_header(config: pytest.Config) -> str:
    if POSTGRES.error is None:
        return f"ledger backends: sqlite, postgresql ({ADMIN_URL}, fresh databases imagegate_t_{POSTGRES.run}_*)"
    return f"ledger backends: sqlite only -- POSTGRESQL UNREACHABLE at {ADMIN_URL}: {POSTGRES.error}"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "POSTGRESQL UNREACHABLE" in str(report.longrepr):
        POSTGRES.skipped += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if POSTGRES.error is not None:
        terminalreporter.section("POSTGRESQL SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.write_line(f"POSTGRESQL WAS UNREACHABLE at {ADMIN_URL} ({POSTGRES.error}).", red=True,
                                    bold=True)
        terminalreporter.write_line(f"{POSTGRES.skipped} tests on PostgreSQL were SKIPPED; only SQLite "
                                    "was tested. Set IMAGEGATE_TEST_POSTGRES to a reachable server.", red=True,
                                    bold=True)


def database_url(backend: str, directory: Path) -> str:
    """A fresh ledger database of ``backend`` (SQLite: a file in ``directory``)."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{directory / 'imagegate.db'}"
    if POSTGRES.error is not None:
        pytest.skip(f"POSTGRESQL UNREACHABLE at {ADMIN_URL}: {POSTGRES.error}")
    return POSTGRES.new_database()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    yield database_url(backend, tmp_path)
