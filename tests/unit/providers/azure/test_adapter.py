"""Azure OpenAI: deployment URL, api-version, api-key header, no model in the body (a recording client)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from imagegate.imaging import ImageInfo
from imagegate.job import InputImage, Upload
from imagegate.providers.azure import AzureOpenAIProvider, AzureOptions
from imagegate.providers.base import Call, Upstream
from imagegate.providers.http import Http, Reply
from tests.factories import BUILTIN, coerce, normalise

B64 = "aGVsbG8="


class Sent:
    def __init__(self, url: str, kwargs: dict[str, Any]) -> None:
        self.url, self.headers = url, dict(kwargs.get("headers") or {})
        self.json, self.data, self.files = kwargs.get("json"), kwargs.get("data"), kwargs.get("files") or []


class RecordingHttp(Http):
    def __init__(self, seen: list[Sent]) -> None:
        super().__init__(timeout=1)
        self.seen = seen

    async def request(self, method: str, url: str, **kwargs: Any) -> Reply:
        self.seen.append(Sent(url, kwargs))
        return Reply(200, {}, b'{"created": 1, "data": [{"b64_json": "aGVsbG8="}]}', url)


def provider(seen: list[Sent], api_version: str | None = None) -> AzureOpenAIProvider:
    options = AzureOptions(api_version=api_version) if api_version else None
    upstream = Upstream("az", "https://res.openai.azure.com", "azure-key", options=options)
    return AzureOpenAIProvider(upstream, RecordingHttp(seen))


async def test_generation_goes_to_the_deployment() -> None:
    seen: list[Sent] = []
    azure = provider(seen)
    job = normalise("generations", coerce("generations", {"prompt": "p", "size": "1024x1024"}), BUILTIN["gpt-image-1"])
    result = await azure.run(Call(job, "az", "img deploy", 1))
    await azure.aclose()
    (request,) = seen
    assert request.url == ("https://res.openai.azure.com/openai/deployments/img%20deploy/images/generations"
                                "?api-version=2025-04-01-preview")
    assert request.headers == {"api-key": "azure-key"}
    assert request.json == {"n": 1, "prompt": "p", "size": "1024x1024"}
    assert result.images[0].b64 == B64


async def test_edit_is_multipart_without_model(tmp_path: Path) -> None:
    seen: list[Sent] = []
    azure = provider(seen, api_version="2024-02-01")
    picture = tmp_path / "part0"
    picture.write_bytes(b"\x89PNG fake")
    job = replace(normalise("edits", coerce("edits", {"prompt": "p"}), BUILTIN["gpt-image-1"]), images=(
        InputImage(Upload("image", "a.png", "image/png", picture, 9), ImageInfo("png", 8, 8, "RGBA", True)),))
    await azure.run(Call(job, "az", "img deploy", 1))
    await azure.aclose()
    (request,) = seen
    assert request.url.endswith("/images/edits?api-version=2024-02-01")
    assert "model" not in request.data and request.data["n"] == "1"
    assert [(f.field, f.path) for f in request.files] == [("image[]", picture)]
