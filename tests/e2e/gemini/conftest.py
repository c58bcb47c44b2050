"""Gemini fixtures: a fake Gemini API and a fake Vertex AI (with its OAuth token endpoint), and gateways in
front of them: one on the Gemini API key alone, one with a Gemini API channel and a Vertex channel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.fakes.gemini_upstream import FakeGemini, FakeVertex
from tests.harness import FAST_RETRY_ENV, Gateway, fresh_client, running

PROJECT = "imagegate-test-project"


@pytest.fixture(scope="session")
def gemini() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


@pytest.fixture(scope="session")
def vertex() -> Iterator[FakeVertex]:
    with FakeVertex(projects=(PROJECT,), token_expires_in=3600) as fake:
        yield fake


@pytest.fixture(scope="session")
def gemini_gateway(gemini: FakeGemini, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {"GEMINI_API_KEY": gemini.api_key, "GEMINI_BASE_URL": gemini.origin, **FAST_RETRY_ENV}
    with running(tmp_path_factory.mktemp("gemini-gateway"), env) as gateway:
        yield gateway


@pytest.fixture(scope="session")
def vertex_gateway(gemini: FakeGemini, vertex: FakeVertex, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[Gateway]:
    """A Vertex channel (service account) before a Gemini API channel, for the same models."""
    data_dir = Path(tmp_path_factory.mktemp("vertex-gateway"))
    account = vertex.service_account(data_dir)
    config = data_dir / "imagegate.toml"
    config.write_text(f'''retry_backoff = 0.01
[[channels]]
name = "vertex"
provider = "vertex"
base_url = "{vertex.origin}"
project = "{PROJECT}"
location = "global"
credentials_file = "{account.path}"
models = ["gemini-3-pro-image", "gemini-2.5-flash-image"]
priority = 1

[[channels]]
name = "gemini"
provider = "gemini"
base_url = "{gemini.origin}"
api_key = "{gemini.api_key}"
models = ["gemini-3-pro-image", "gemini-2.5-flash-image"]

[[channels]]
name = "vertex-express"
provider = "vertex"
base_url = "{vertex.origin}"
api_key = "{vertex.express_key}"
models = ["gemini-3.1-flash-image"]

[models."imagen-4.0-ultra-generate-001"]
alias_of = "gemini-3-pro-image"
deprecated = 2026-08-17
''')
    with running(data_dir, {"GEMINI_API_KEY": "", "IMAGEGATE_RETRY_AFTER_MAX": "1"}, config) as gateway:
        yield gateway


@pytest.fixture
def client(gemini_gateway: Gateway, gemini: FakeGemini) -> Iterator[openai.OpenAI]:
    with fresh_client(gemini_gateway, gemini) as sdk:
        yield sdk


@pytest.fixture
def vertex_client(vertex_gateway: Gateway, gemini: FakeGemini, vertex: FakeVertex) -> Iterator[openai.OpenAI]:
    with fresh_client(vertex_gateway, gemini, vertex) as sdk:
        yield sdk
