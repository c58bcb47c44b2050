"""End-to-end fixtures: a fake OpenAI upstream and imagegate itself, each a real HTTP server."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import BACKENDS, SINGLE_CHANNEL_ENV, Gateway, database_url, openai_env, running


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="session")
def gateway(upstream: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {**openai_env(upstream), "IMAGEGATE_UPSTREAM_TIMEOUT": "3", **SINGLE_CHANNEL_ENV}
    with running(tmp_path_factory.mktemp("gateway"), env) as gw:
        yield gw


@pytest.fixture(autouse=True)
def _clean_upstream(request: pytest.FixtureRequest) -> Iterator[None]:
    if "upstream" in request.fixturenames:
        request.getfixturevalue("upstream").reset()
    for name in ("gateway", "ledger"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset_channels()
    yield


@pytest.fixture
def client(gateway: Gateway) -> openai.OpenAI:
    return gateway.client()


@pytest.fixture(scope="session", params=BACKENDS)
def ledger(request: pytest.FixtureRequest, upstream: FakeOpenAI,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway per ledger backend (SQLite, PostgreSQL), each on a fresh database."""
    data_dir = tmp_path_factory.mktemp(f"ledger-{request.param}")
    env = {**openai_env(upstream), "IMAGEGATE_UPSTREAM_TIMEOUT": "5",
           "IMAGEGATE_DATABASE_URL": database_url(request.param, data_dir), **SINGLE_CHANNEL_ENV}
    with running(data_dir, env) as gw:
        yield gw


@pytest.fixture
def slow_upstream(upstream: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """The upstream, answering after a second (requests overlap; clients can leave mid-request)."""
    upstream.delay = 1.0
    yield upstream
    upstream.delay = 0.0
