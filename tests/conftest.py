"""Ledger backends for the tests: SQLite always; PostgreSQL when reachable, each test in a fresh database.

PostgreSQL: ``IMAGEGATE_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/test``) is
used only to create and drop databases named ``imagegate_t_<run>_<n>`` (see ``tests/harness.py``). When it
can't be reached, the PostgreSQL runs are skipped and the end of the test report says so in capitals.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import ADMIN_URL, BACKENDS, POSTGRES, database_url


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


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    yield database_url(backend, tmp_path)
