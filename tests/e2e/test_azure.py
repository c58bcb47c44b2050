"""Azure OpenAI deployments as a channel: on their own, and as the failover target of an OpenAI channel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.factories import png_bytes
from tests.fakes.azure_upstream import FakeAzureOpenAI
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway, running

from .channels import channel, write_config
from .helpers import decode

DEPLOYMENTS = {"img-prod": "gpt-image-1", "dalle3-eu": "dall-e-3"}


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeAzureOpenAI, FakeOpenAI]]:
    with FakeAzureOpenAI(DEPLOYMENTS) as azure, FakeOpenAI("sk-openai") as direct:
        yield azure, direct


@pytest.fixture(scope="module")
def gateway(fakes: tuple[FakeAzureOpenAI, FakeOpenAI], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    azure, direct = fakes
    data_dir = Path(tmp_path_factory.mktemp("azure"))
    config = write_config(
        data_dir / "imagegate.toml",
        channel("openai-direct", direct, ["gpt-image-1"], priority=1),
        channel("azure", azure, {"gpt-image-1": "img-prod", "dall-e-3": "dalle3-eu"}, provider="azure-openai",
                api_key="env:AZURE_TEST_KEY"),
        retry_backoff=0.01,
    )
    with running(data_dir, {"AZURE_TEST_KEY": azure.api_key}, config) as gw:
        yield gw


@pytest.fixture(autouse=True)
def fresh(fakes: tuple[FakeAzureOpenAI, FakeOpenAI]) -> None:
    for fake in fakes:
        fake.reset()


def test_generation_on_an_azure_deployment(gateway: Gateway, fakes: tuple[FakeAzureOpenAI, FakeOpenAI]) -> None:
    azure, _ = fakes
    with gateway.client() as client:
        result = client.images.generate(model="dall-e-3", prompt="a harbour", size="1792x1024",
                                        response_format="b64_json")
    assert decode(result.data[0].b64_json).size == (1792, 1024)
    sent = azure.last
    assert sent.path == "/openai/deployments/dalle3-eu/images/generations"
    assert sent.headers["api-key"] == azure.api_key and "authorization" not in sent.headers
    assert "model" not in sent.json and sent.json["size"] == "1792x1024"


def test_azure_takes_over_when_openai_fails(gateway: Gateway, fakes: tuple[FakeAzureOpenAI, FakeOpenAI]) -> None:
    azure, direct = fakes
    direct.fail_next("status", status=500)
    with gateway.client() as client:
        result = client.images.edit(model="gpt-image-1", prompt="p", image=[("a.png", png_bytes(32, 32))])
    assert len(result.data) == 1
    assert len(direct.image_requests) == 1
    assert azure.last.path == "/openai/deployments/img-prod/images/edits"
    assert azure.last.files[0].data == png_bytes(32, 32) and "model" not in azure.last.form


def test_azure_answers_404_for_a_wrong_deployment(tmp_path: Path, fakes: tuple[FakeAzureOpenAI, FakeOpenAI]) -> None:
    azure, _ = fakes
    config = write_config(tmp_path / "imagegate.toml",
                          channel("azure", azure, {"dall-e-3": "no-such-deployment"}, provider="azure-openai"))
    with running(tmp_path, {}, config) as gw:
        with pytest.raises(openai.APIStatusError) as err, gw.client() as client:
            client.images.generate(model="dall-e-3", prompt="p")
        assert err.value.status_code == 502 and err.value.body["code"] == "upstream_error"  # type: ignore[index]
