"""Request ids: a client's own id is kept when it is safe to log, else one is made."""

from __future__ import annotations

import pytest

from imagegate.context import begin, valid_id


@pytest.mark.parametrize(("given", "kept"), [
    ("abc-123", True), ("x" * 64, True), ("x" * 65, False), ("a\r\nb", False), ("", False), (None, False),
    ("naïve", False),
])
async def test_client_request_ids(given: str | None, kept: bool) -> None:
    assert valid_id(given) == (given if kept else None)
    ctx = begin(given)
    assert (ctx.request_id == given) is kept and len(ctx.request_id) <= 64
