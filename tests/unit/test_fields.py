"""The request fields: multipart text coerced to each field's type."""

from __future__ import annotations

from tests.factories import coerce


def test_multipart_text_is_coerced() -> None:
    values = coerce("edits", {"seed": "12", "safety_tolerance": "6", "prompt_upsampling": "true",
                              "partial_results": "1"})
    assert values == {"seed": 12, "safety_tolerance": 6, "prompt_upsampling": True, "partial_results": True}
