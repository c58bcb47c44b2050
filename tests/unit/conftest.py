from __future__ import annotations

import os

import pytest

from tests.harness import SETTING_PREFIXES


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting or provider key from the machine (``IMAGEGATE_*``, ``OPENAI_*``, ...) leaks into a test."""
    for name in list(os.environ):
        if name.startswith(SETTING_PREFIXES):
            monkeypatch.delenv(name)
