"""What comes back from upstreams: which result links are trusted, downloads without credentials, refusals
turned into a message and a param, and secrets scrubbed from what a client sees."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pybase64
import pytest

from imagegate.errors import UpstreamError
from imagegate.providers.http import Reply
from imagegate.providers.upstream import data_uris, fetch_image, scrub, trusted_link, validation_detail
from tests.factories import RecordingHttp, input_image, job, reply

BASE = "https://api.bfl.ai"
LOCAL = "http://127.0.0.1:8123"


@pytest.mark.parametrize(("url", "base"), [
    ("https://api.us1.bfl.ai/v1/get_result?id=1", BASE), ("https://bfl.ai/v1/get_result?id=1", BASE),
    ("https://gateway.bfl.ai/v1/get_result?id=1", BASE), ("http://127.0.0.1:8123/v1/get_result?id=1", LOCAL),
    ("https://proxy.example/v1/get_result", "https://proxy.example/bfl"),
])
def test_trusted_links(url: str, base: str) -> None:
    assert trusted_link(url, base, ("bfl.ai",)) == url


@pytest.mark.parametrize("url", [
    "http://api.bfl.ai/v1/get_result", "https://evilbfl.ai/x", "https://bfl.ai.evil.example/x",
    "https://169.254.169.254/latest", "http://127.0.0.1:9999/x", "http://localhost:8123/x", "file:///etc/passwd",
    "", None, 42, "https://[::1/x",
])
def test_untrusted_links_are_refused(url: object) -> None:
    with pytest.raises(UpstreamError) as caught:
        trusted_link(url, LOCAL, ("bfl.ai",))
    assert caught.value.code == "upstream_bad_response"


async def test_fetch_image_sends_no_credentials_and_maps_expiry() -> None:
    http = RecordingHttp(answer=lambda url: Reply(403 if "expired" in url else 200, {}, b"img", url))
    assert await fetch_image(http, "https://delivery.bfl.ai/ok.png", BASE) == b"img"
    with pytest.raises(UpstreamError) as caught:
        await fetch_image(http, "https://delivery.bfl.ai/expired.png", BASE)
    assert caught.value.code == "upstream_download_failed"
    with pytest.raises(UpstreamError):
        await fetch_image(http, "http://10.0.0.1/a.png", BASE)
    assert len(http.sent) == 2 and all(sent.headers == {} for sent in http.sent)


@pytest.mark.parametrize(("body", "expected"), [
    ({"detail": [{"loc": ["body", "seed"], "msg": "not an int"}]}, ("not an int", "seed")),
    ({"detail": [{"loc": ["body", "image_urls", 2], "msg": "bad"}]}, ("bad", "image_urls")),
    ({"detail": "Fetch failed for https://x.bfl.ai/y"}, ("Fetch failed for [link]", None)),
    ({"error": "?"}, ("The upstream refused the request (status 422).", None)),
    ([1, 2], ("The upstream refused the request (status 422).", None)),
    ({"detail": "key k3yMaterial99 is not valid here"}, ("key [upstream] is not valid here", None)),
])
def test_validation_detail(body: object, expected: tuple[str, str | None]) -> None:
    assert validation_detail(reply(422, json=body)) == expected


def test_scrub() -> None:
    text = scrub("Invalid key sk-abc123456789 for https://api.internal.example.com/v1/x at api.openai.com")
    assert "sk-abc" not in text and "https://" not in text and "openai.com" not in text


def test_input_images_become_data_uris_unchanged(tmp_path: Path) -> None:
    image = input_image(tmp_path, 20, 20, "JPEG")
    (uri,) = asyncio.run(data_uris(job("edits", images=[image])))
    assert uri == "data:image/jpeg;base64," + pybase64.b64encode(image.upload.path.read_bytes()).decode("ascii")
    assert asyncio.run(data_uris(job())) == []
