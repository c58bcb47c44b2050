"""Azure OpenAI: deployment URL, api-version, api-key header, no model in the body (a recording client)."""

from __future__ import annotations

from pathlib import Path

from imagegate.imaging import ImageInfo
from imagegate.job import InputImage, Upload
from imagegate.providers.azure import AzureOpenAIProvider, AzureOptions
from imagegate.providers.base import Call, Upstream
from tests import factories
from tests.factories import RecordingHttp

B64 = "aGVsbG8="
ANSWER = b'{"created": 1, "data": [{"b64_json": "aGVsbG8="}]}'


def provider(http: RecordingHttp, api_version: str | None = None) -> AzureOpenAIProvider:
    options = AzureOptions(api_version=api_version) if api_version else None
    upstream = Upstream("az", "https://res.openai.azure.com", "azure-key", options=options)
    return AzureOpenAIProvider(upstream, http)


async def test_generation_goes_to_the_deployment() -> None:
    http = RecordingHttp(ANSWER)
    azure = provider(http)
    job = factories.job(size="1024x1024")
    result = await azure.run(Call(job, "az", "img deploy", 1))
    await azure.aclose()
    (request,) = http.sent
    assert request.url == ("https://res.openai.azure.com/openai/deployments/img%20deploy/images/generations"
                                "?api-version=2025-04-01-preview")
    assert request.headers == {"api-key": "azure-key"}
    assert request.json == {"n": 1, "prompt": "p", "size": "1024x1024"}
    assert result.images[0].b64 == B64


async def test_edit_is_multipart_without_model(tmp_path: Path) -> None:
    http = RecordingHttp(ANSWER)
    azure = provider(http, api_version="2024-02-01")
    picture = tmp_path / "part0"
    picture.write_bytes(b"\x89PNG fake")
    job = factories.job("edits", images=[
        InputImage(Upload("image", "a.png", "image/png", picture, 9), ImageInfo("png", 8, 8, "RGBA", True))])
    await azure.run(Call(job, "az", "img deploy", 1))
    await azure.aclose()
    (request,) = http.sent
    assert request.url.endswith("/images/edits?api-version=2024-02-01")
    assert "model" not in request.data and request.data["n"] == "1"
    assert [(f.field, f.source) for f in request.files] == [("image[]", picture)]
