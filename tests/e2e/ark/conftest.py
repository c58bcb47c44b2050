"""Ark fixtures: a fake Ark, a gateway on ``ARK_API_KEY`` alone, and a gateway with two Ark channels (a primary
whose faults are injected and a backup on a second fake) from a TOML file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.e2e.channels import channel, write_config
from tests.fakes.ark_upstream import FakeArk
from tests.harness import FAST_RETRY_ENV, Gateway, fresh_client, running

BACKUP_KEY = "9d8c7b6a-5f4e-4d3c-8b2a-0f1e2d3c4b5a"


@pytest.fixture(scope="session")
def ark() -> Iterator[FakeArk]:
    with FakeArk() as fake:
        yield fake


@pytest.fixture(scope="session")
def backup() -> Iterator[FakeArk]:
    with FakeArk(BACKUP_KEY, name="fake-ark-backup") as fake:
        yield fake


@pytest.fixture(scope="session")
def ark_gateway(ark: FakeArk, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data_dir = Path(tmp_path_factory.mktemp("ark-gateway"))
    env = {"ARK_API_KEY": ark.api_key, "ARK_BASE_URL": ark.base_url, **FAST_RETRY_ENV,
           "IMAGEGATE_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'imagegate.db'}"}
    with running(data_dir, env) as gateway:
        yield gateway


@pytest.fixture(scope="session")
def pair_gateway(ark: FakeArk, backup: FakeArk, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """``ark-main`` (priority 1) on the first fake, ``ark-backup`` on the second, BytePlus-style model ids."""
    data_dir = Path(tmp_path_factory.mktemp("ark-pair"))
    config = write_config(
        data_dir / "imagegate.toml",
        channel("ark-main", ark, {"seedream-4.5": "seedream-4-5-251128"}, provider="ark", priority=1),
        channel("ark-backup", backup, {"seedream-4.5": "doubao-seedream-4-5-251128"}, provider="ark"),
        retry_backoff=0.01)
    with running(data_dir, {"IMAGEGATE_RETRY_AFTER_MAX": "1", "IMAGEGATE_ALLOWED_FAILS": "100"}, config) as gateway:
        yield gateway


@pytest.fixture
def client(ark_gateway: Gateway, ark: FakeArk) -> Iterator[openai.OpenAI]:
    with fresh_client(ark_gateway, ark) as sdk:
        yield sdk


@pytest.fixture
def pair_client(pair_gateway: Gateway, ark: FakeArk, backup: FakeArk) -> Iterator[openai.OpenAI]:
    with fresh_client(pair_gateway, ark, backup) as sdk:
        yield sdk
