"""/v1/models, configured models on their own upstream, keys from the CLI, the OpenAPI document."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway, running, start_gateway

from .helpers import decode


def test_models_lists_the_served_models(client: openai.OpenAI) -> None:
    ids = sorted(m.id for m in client.models.list())
    assert ids == ["dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-all", "gpt-image-2"]
    model = client.models.retrieve("dall-e-3")
    assert model.id == "dall-e-3" and model.object == "model"


def test_model_capabilities(gateway: Gateway) -> None:
    with gateway.http() as http:
        body = http.get("/v1/models/dall-e-3").json()
    assert body["capabilities"]["sizes"] == ["1024x1024", "1792x1024", "1024x1792"]
    assert body["capabilities"]["endpoints"] == ["generations"]


def test_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        client.models.retrieve("gpt-image-9")
    assert err.value.body["code"] == "model_not_found"  # type: ignore[index]


def test_models_need_a_key(gateway: Gateway) -> None:
    with gateway.http(key=None) as http:
        response = http.get("/v1/models")
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_api_key"


def test_openapi_describes_the_routes(gateway: Gateway) -> None:
    with gateway.http(key=None) as http:
        doc = http.get("/openapi.json").json()
    paths = doc["paths"]
    assert {"/v1/images/generations", "/v1/images/edits", "/v1/images/variations", "/v1/models",
            "/v1/models/{model_id}", "/v1/files/images/{name}", "/healthz"} <= set(paths)
    schemas = doc["components"]["schemas"]

    def body(path: str, media_type: str) -> dict[str, Any]:
        ref: str = paths[path]["post"]["requestBody"]["content"][media_type]["schema"]["$ref"]
        schema: dict[str, Any] = schemas[ref.rsplit("/", 1)[1]]
        return schema

    edit = body("/v1/images/edits", "multipart/form-data")
    assert edit["required"] == ["prompt"] and {"required": ["image"]} in edit["anyOf"]
    gen = body("/v1/images/generations", "application/json")
    assert gen["required"] == ["prompt"] and "aspect_ratio" in gen["properties"]


def test_keys_are_created_used_listed_and_stored_only_as_hashes(gateway: Gateway) -> None:
    created = gateway.cli("keys", "create", "--name", "team-a")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("ig-")
    result = gateway.client(key).images.generate(model="gpt-image-1", prompt="p")
    assert decode(result.data[0].b64_json).size == (1024, 1024)
    listed = gateway.cli("keys", "list")
    assert "team-a" in listed.stdout and key not in listed.stdout
    with sqlite3.connect(gateway.data_dir / "imagegate.db") as db:
        stored = [row[0] for row in db.execute("select key_hash from api_keys")]
    assert key not in stored and all(len(h) == 64 for h in stored)


def test_usage_row_per_successful_request(gateway: Gateway, client: openai.OpenAI) -> None:
    client.images.generate(model="gpt-image-1", prompt="p", n=2, size="1536x1024", quality="low",
                           extra_headers={"x-request-id": "usage-check-1"})
    row = None
    for _ in range(200):  # the writer batches in the background; wait for the row, not for a time
        with sqlite3.connect(gateway.data_dir / "imagegate.db") as db:
            row = db.execute("select model, n, images, size, quality, input_tokens, output_tokens, status "
                             "from usage where request_id = 'usage-check-1'").fetchone()
        if row:
            break
        time.sleep(0.02)
    assert row == ("gpt-image-1", 2, 2, "1536x1024", "low", 50, row[6], 200) and row[6] > 0


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, FakeOpenAI]]:
    other = FakeOpenAI(api_key="sk-other-account").start()
    data_dir = tmp_path_factory.mktemp("configured")
    config = Path(data_dir) / "imagegate.toml"
    config.write_text(f'''
default_model = "house-style"

[[channels]]
name = "other"
provider = "openai"
base_url = "{other.base_url}"
api_key = "env:OTHER_UPSTREAM_KEY"
models = {{ "house-style" = "dall-e-3", "mini" = "gpt-image-1" }}

[models.mini]
like = "gpt-image-1"
prompt_max = 20
sizes = ["1024x1024"]
n_max = 2
''')
    with running(data_dir, {"OTHER_UPSTREAM_KEY": other.api_key}, config) as gw:
        yield gw, other
    other.stop()


def test_configured_model_goes_to_its_upstream_with_its_name_and_key(
        configured: tuple[Gateway, FakeOpenAI]) -> None:
    gateway, other = configured
    result = gateway.client().images.generate(model="house-style", prompt="p", size="1792x1024",
                                              response_format="b64_json")
    assert decode(result.data[0].b64_json).size == (1792, 1024)
    assert other.last.json["model"] == "dall-e-3"
    assert other.last.headers["authorization"] == "Bearer sk-other-account"
    assert sorted(m.id for m in gateway.client().models.list()) == ["house-style", "mini"]


def test_configured_capabilities_are_enforced(configured: tuple[Gateway, FakeOpenAI]) -> None:
    gateway, _ = configured
    client = gateway.client()
    for kwargs, param in (({"prompt": "x" * 21}, "prompt"), ({"prompt": "p", "n": 3}, "n"),
                          ({"prompt": "p", "size": "1536x1024"}, "size")):
        with pytest.raises(openai.BadRequestError) as err:
            client.images.generate(model="mini", **kwargs)  # type: ignore[arg-type]
        assert err.value.body["param"] == param  # type: ignore[index]


def test_configured_default_model(configured: tuple[Gateway, FakeOpenAI]) -> None:
    gateway, other = configured
    with gateway.http() as http:
        assert http.post("/v1/images/generations", json={"prompt": "p"}).status_code == 200
    assert other.last.json["model"] == "dall-e-3"


def test_bad_config_fails_at_start_with_a_clear_message(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[[channels]]\nname = "x"\nprovider = "nope"\nbase_url = "http://127.0.0.1:1"\n'
                      'models = ["gpt-image-1"]\n')
    with pytest.raises(RuntimeError, match="unknown provider 'nope'"):
        start_gateway(tmp_path, {}, config)
