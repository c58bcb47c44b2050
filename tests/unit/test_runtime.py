"""The allocator's thresholds are set on glibc, and left alone when the environment sets them."""

from __future__ import annotations

import platform

import pytest

from imagegate import runtime


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_thresholds_are_set_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in runtime.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    assert runtime.tune_allocator() is True


@pytest.mark.parametrize("name", runtime.ENVIRONMENT)
def test_the_environment_wins(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "131072")
    assert runtime.tune_allocator() is False
