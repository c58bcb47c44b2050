from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.factories import write
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
    return write(tmp_path, f'data_dir = "{tmp_path / "data"}"\nurl_ttl = 60\nport = 1\n')


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every ``asyncio.sleep`` of the test's own thread returns at once; the delays it asked for are kept here (0s
    left out). Servers in other threads sleep for real."""
    slept: list[float] = []
    real_sleep, here = asyncio.sleep, threading.get_ident()

    async def fake_sleep(delay: float, result: Any = None) -> Any:
        if threading.get_ident() != here:
            return await real_sleep(delay, result)
        if delay > 0:
            slept.append(delay)
        return await real_sleep(0, result)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    return slept
