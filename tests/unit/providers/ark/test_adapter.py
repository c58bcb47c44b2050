"""The Ark adapter over a recording HTTP client: where it posts, with what key, and that links are fetched."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from imagegate.errors import ContentPolicy, UpstreamError
from imagegate.providers.ark.adapter import ArkProvider
from imagegate.providers.base import Upstream
from imagegate.providers.http import Reply
from tests.factories import RecordingHttp, call, job

BASE = "https://ark.cn-beijing.volces.com/api/v3"
LINK = "https://ark-content.tos-cn-beijing.volces.com/out.jpeg?X-Tos-Expires=86400"


def answers(generate: Reply) -> RecordingHttp:
    return RecordingHttp(answer=lambda url: generate if url.startswith(BASE) else Reply(200, {}, b"JPEG", url))


def provider(http: RecordingHttp) -> ArkProvider:
    return ArkProvider(Upstream("ark", BASE + "/", "k-123"), http)


def test_one_post_then_the_link_is_downloaded_without_the_key() -> None:
    http = answers(Reply(200, {}, orjson.dumps({"data": [{"url": LINK}]}), BASE))
    result = asyncio.run(provider(http).run(call(job(model="seedream-4.0", size="1024x1024"), "up-id")))
    post, get = http.sent
    assert post.method == "POST" and post.url == f"{BASE}/images/generations"
    assert post.headers["Authorization"] == "Bearer k-123"
    assert get.method == "GET" and get.url == LINK and "Authorization" not in get.headers
    assert [image.data for image in result.images] == [b"JPEG"]


def test_errors_are_mapped() -> None:
    refused = {"error": {"code": "OutputImageSensitiveContentDetected", "message": "no", "param": "", "type": "x"}}
    http = answers(Reply(400, {}, orjson.dumps(refused), BASE))
    with pytest.raises(ContentPolicy):
        asyncio.run(provider(http).run(call(job(model="seedream-4.0"), "up-id")))


def test_a_plain_http_link_on_another_host_is_not_followed() -> None:
    http = answers(Reply(200, {}, orjson.dumps({"data": [{"url": "http://elsewhere.example/x.jpeg"}]}), BASE))
    with pytest.raises(UpstreamError) as caught:
        asyncio.run(provider(http).run(call(job(model="seedream-4.0"), "up-id")))
    assert caught.value.code == "upstream_bad_response" and len(http.sent) == 1


def test_refusal_covers_the_table_and_the_size_conflict() -> None:
    ark = provider(RecordingHttp())
    refusal = ark.refusal(job(model="seedream-4.0", size="1024x1024", image_size="4K"), "up")
    assert refusal is not None and refusal.param == "image_size"
    assert ark.refusal(job(model="seedream-4.0", size="1024x1024"), "up") is None
