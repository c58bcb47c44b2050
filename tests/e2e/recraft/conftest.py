"""Recraft fixtures: a fake Recraft and a gateway on its key alone (each fault reaches the client), and a
gateway with two Recraft channels (the first one failing over to the second)."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.e2e.images_api_gateways import alone, main_and_backup
from tests.fakes.recraft_upstream import FakeRecraft
from tests.harness import Gateway, fresh_client


@pytest.fixture(scope="session")
def recraft() -> Iterator[FakeRecraft]:
    with FakeRecraft() as fake:
        yield fake


@pytest.fixture(scope="session")
def backup() -> Iterator[FakeRecraft]:
    with FakeRecraft("recraft-backup-token-987654") as fake:
        yield fake


@pytest.fixture(scope="session")
def recraft_gateway(recraft: FakeRecraft, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with alone("recraft", recraft, tmp_path_factory) as gateway:
        yield gateway


@pytest.fixture(scope="session")
def failover_gateway(recraft: FakeRecraft, backup: FakeRecraft, tmp_path_factory: pytest.TempPathFactory
                     ) -> Iterator[Gateway]:
    with main_and_backup("recraft", "recraftv4_1", recraft, backup, tmp_path_factory) as gateway:
        yield gateway


@pytest.fixture
def client(recraft_gateway: Gateway, recraft: FakeRecraft) -> Iterator[openai.OpenAI]:
    with fresh_client(recraft_gateway, recraft) as sdk:
        yield sdk
