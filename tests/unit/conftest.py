from __future__ import annotations

import os

import pytest


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No IMAGEGATE_* or OPENAI_* variables from the machine leak into settings under test."""
    for name in list(os.environ):
        if name.startswith(("IMAGEGATE_", "OPENAI_")):
            monkeypatch.delenv(name)
