"""Azure OpenAI: deployment URL, api-version, api-key header, no model in the body (httpx.MockTransport)."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson

from imagegate.api.uploads import Upload
from imagegate.catalog import BUILTIN
from imagegate.fields import coerce
from imagegate.imaging import ImageInfo
from imagegate.inputs import InputImage
from imagegate.normalise import normalise
from imagegate.providers.azure import AzureOpenAIProvider
from imagegate.providers.base import Call
from imagegate.router import Channel

B64 = "aGVsbG8="


def provider(seen: list[httpx.Request], api_version: str | None = None) -> AzureOpenAIProvider:
    channel = Channel("az", "azure-openai", "https://res.openai.azure.com", "azure-key",
                      {"gpt-image-1": "img deploy"}, api_version=api_version)
    azure = AzureOpenAIProvider(channel)

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"created": 1, "data": [{"b64_json": B64}]})

    azure.client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return azure


async def test_generation_goes_to_the_deployment() -> None:
    seen: list[httpx.Request] = []
    azure = provider(seen)
    job = normalise("generations", coerce("generations", {"prompt": "p", "size": "1024x1024"}), BUILTIN["gpt-image-1"])
    result = await azure.run(Call(job, Channel("az", "azure-openai", "", "", {}), "img deploy", 1))
    await azure.aclose()
    (request,) = seen
    assert str(request.url) == ("https://res.openai.azure.com/openai/deployments/img%20deploy/images/generations"
                                "?api-version=2025-04-01-preview")
    assert request.headers["api-key"] == "azure-key" and "authorization" not in request.headers
    assert orjson.loads(request.content) == {"n": 1, "prompt": "p", "size": "1024x1024"}
    assert result.images[0].b64 == B64


async def test_edit_is_multipart_without_model(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    azure = provider(seen, api_version="2024-02-01")
    picture = tmp_path / "part0"
    picture.write_bytes(b"\x89PNG fake")
    job = normalise("edits", coerce("edits", {"prompt": "p"}), BUILTIN["gpt-image-1"])
    job.images = [InputImage(Upload("image", "a.png", "image/png", picture, 9), ImageInfo("png", 8, 8, "RGBA", True))]
    await azure.run(Call(job, Channel("az", "azure-openai", "", "", {}), "img deploy", 1))
    await azure.aclose()
    (request,) = seen
    assert request.url.path.endswith("/images/edits") and request.url.params["api-version"] == "2024-02-01"
    body = request.content
    assert b'name="model"' not in body and b'name="n"' in body and b"\x89PNG fake" in body
