"""Validate bodies against OpenAI's published schemas (tests/data/openai_schemas.json)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).parent / "data" / "openai_schemas.json"


@cache
def _document() -> dict[str, Any]:
    return dict(json.loads(SCHEMAS.read_text()))


def validate(body: Any, schema: str) -> None:
    """Raise if ``body`` doesn't match ``#/components/schemas/<schema>``."""
    root = {**_document(), "$ref": f"#/components/schemas/{schema}"}
    jsonschema.validate(body, root)
