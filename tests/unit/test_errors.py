"""The error envelope every refusal is answered with: OpenAI's ``{"error": {...}}``."""

from __future__ import annotations

from imagegate.errors import InvalidRequest


def test_invalid_request_envelope() -> None:
    body = InvalidRequest("bad", param="n", code="x").body()
    assert body == {"error": {"message": "bad", "type": "invalid_request_error", "param": "n", "code": "x"}}
