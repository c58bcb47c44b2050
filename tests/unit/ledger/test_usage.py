"""The usage writer keeps a batch while the database is away and writes it, once, when it is back."""

from __future__ import annotations

from typing import Any

import pytest

from imagegate.ledger import DatabaseUnavailable, UsageRecorder, UsageRow
from imagegate.ledger.usage import LINGER


class AwayDatabase:
    """Unavailable for the first ``failures`` transactions."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.written: list[dict[str, Any]] = []

    async def append(self, table: object, rows: list[dict[str, Any]]) -> None:
        if self.failures:
            self.failures -= 1
            raise DatabaseUnavailable("away")
        self.written.extend(rows)


def usage_row(request_id: str) -> UsageRow:
    return UsageRow(request_id, 1, "k", "generations", "dall-e-2", "openai", 1, 1, "256x256", None, 200, 10)


async def test_a_batch_waits_for_the_database(waits: list[float], caplog: pytest.LogCaptureFixture) -> None:
    db = AwayDatabase(failures=3)
    recorder = UsageRecorder(db)  # type: ignore[arg-type]
    recorder.start()
    recorder.record(usage_row("a"))
    recorder.record(usage_row("b"))
    await recorder.flush()
    await recorder.close()
    assert [row["request_id"] for row in db.written] == ["a", "b"]
    assert caplog.text.count("usage write failed; retrying 2 rows") == 3
    backoffs = [delay for delay in waits if delay != LINGER]  # the batch's own linger is no backoff
    assert len(backoffs) == 3 and 0.5 <= backoffs[0] <= 1.0 and 1.0 <= backoffs[1] <= 1.5 and 2.0 <= backoffs[2] <= 2.5
