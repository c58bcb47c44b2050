"""FLUX end-to-end fixtures: fake BFL and fal servers, a foreign host, and imagegate in front of them."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.fakes.bfl_upstream import FakeBFL
from tests.fakes.fal_upstream import FakeFal
from tests.fakes.server import Sink
from tests.harness import SINGLE_CHANNEL_ENV, Gateway, running

POLL_ENV = {"IMAGEGATE_POLL_INTERVAL": "0.01", "IMAGEGATE_POLL_MAX_INTERVAL": "0.05",
            "IMAGEGATE_POLL_DEADLINE": "2", "IMAGEGATE_UPSTREAM_TIMEOUT": "5", **SINGLE_CHANNEL_ENV}
GATEWAYS = ("bfl_gateway", "fal_gateway", "capped_gateway")


@pytest.fixture(scope="session")
def sink() -> Iterator[Sink]:
    with Sink() as foreign:
        yield foreign


@pytest.fixture(scope="session")
def bfl(sink: Sink) -> Iterator[FakeBFL]:
    with FakeBFL() as fake:
        fake.foreign_origin = sink.origin
        yield fake


@pytest.fixture(scope="session")
def fal(sink: Sink) -> Iterator[FakeFal]:
    with FakeFal() as fake:
        fake.foreign_origin = sink.origin
        yield fake


@pytest.fixture(scope="session")
def bfl_gateway(bfl: FakeBFL, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {"BFL_API_KEY": bfl.api_key, "BFL_BASE_URL": bfl.origin, "FAL_KEY": "", **POLL_ENV}
    with running(tmp_path_factory.mktemp("bfl-gateway"), env) as gw:
        yield gw


@pytest.fixture(scope="session")
def fal_gateway(fal: FakeFal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {"FAL_KEY": fal.api_key, "FAL_BASE_URL": fal.origin, "BFL_API_KEY": "", **POLL_ENV}
    with running(tmp_path_factory.mktemp("fal-gateway"), env) as gw:
        yield gw


@pytest.fixture(scope="session")
def capped_gateway(bfl: FakeBFL, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A configured BFL channel whose account takes 3 tasks at once."""
    data_dir = tmp_path_factory.mktemp("capped-gateway")
    config = data_dir / "imagegate.toml"
    config.write_text(f'''
[[channels]]
name = "bfl-small"
provider = "bfl"
base_url = "{bfl.origin}"
api_key = "{bfl.api_key}"
models = ["flux-kontext-pro"]
max_concurrency = 3
poll = {{ interval = 0.01, max_interval = 0.05, deadline = 5 }}
''')
    with running(data_dir, {"BFL_API_KEY": "", "FAL_KEY": "", **SINGLE_CHANNEL_ENV}, config) as gw:
        yield gw


@pytest.fixture(autouse=True)
def _clean_fakes(request: pytest.FixtureRequest) -> None:
    for name in ("bfl", "fal"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()
    if "sink" in request.fixturenames:
        request.getfixturevalue("sink").hits.clear()
    for name in GATEWAYS:
        if name in request.fixturenames:
            request.getfixturevalue(name).reset_channels()


@pytest.fixture
def bfl_client(bfl_gateway: Gateway) -> Iterator[openai.OpenAI]:
    with bfl_gateway.client() as client:
        yield client


@pytest.fixture
def fal_client(fal_gateway: Gateway) -> Iterator[openai.OpenAI]:
    with fal_gateway.client() as client:
        yield client
