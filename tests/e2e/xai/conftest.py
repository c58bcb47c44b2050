"""xAI fixtures: a fake xAI and a gateway on its key alone (each fault reaches the client), and a
gateway with two xAI channels (the first one failing over to the second)."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.e2e.images_api_gateways import alone, main_and_backup
from tests.fakes.xai_upstream import FakeXAI
from tests.harness import Gateway, fresh_client


@pytest.fixture(scope="session")
def xai() -> Iterator[FakeXAI]:
    with FakeXAI() as fake:
        yield fake


@pytest.fixture(scope="session")
def backup() -> Iterator[FakeXAI]:
    with FakeXAI("xai-BackupKey9876543210zyxwvutsrqponmlkjih") as fake:
        yield fake


@pytest.fixture(scope="session")
def xai_gateway(xai: FakeXAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with alone("xai", xai, tmp_path_factory) as gateway:
        yield gateway


@pytest.fixture(scope="session")
def failover_gateway(xai: FakeXAI, backup: FakeXAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with main_and_backup("xai", "grok-imagine-image", xai, backup, tmp_path_factory) as gateway:
        yield gateway


@pytest.fixture
def client(xai_gateway: Gateway, xai: FakeXAI) -> Iterator[openai.OpenAI]:
    with fresh_client(xai_gateway, xai) as sdk:
        yield sdk
