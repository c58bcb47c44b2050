from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.harness import SETTING_PREFIXES


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting or provider key from the machine (``IMAGEGATE_*``, ``OPENAI_*``, ...) leaks into a test."""
    for name in list(os.environ):
        if name.startswith(SETTING_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture
def cli_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file for CLI commands (data in ``tmp_path``, ``url_ttl = 60``, ``port = 1``), with an OpenAI key."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    path = tmp_path / "imagegate.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\nurl_ttl = 60\nport = 1\n')
    return path
