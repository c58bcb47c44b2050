from __future__ import annotations

from typing import Any

import orjson
import pytest

from imagegate.errors import UpstreamError
from imagegate.providers.http import Http, Reply
from imagegate.providers.upstream import fetch_image, trusted_link, validation_detail

BASE = "https://api.bfl.ai"
LOCAL = "http://127.0.0.1:8123"


def answer(status: int, *, json: object = None, content: bytes = b"") -> Reply:
    """An upstream answer to a request that carried the channel's key."""
    body = orjson.dumps(json) if json is not None else content
    return Reply(status, {}, body, "https://api.bfl.ai/v1/flux-kontext-pro", credential="k3yMaterial99")


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


class RecordingHttp(Http):
    """Answers from a table instead of the network, and remembers what was asked."""

    def __init__(self) -> None:
        super().__init__(timeout=1)
        self.seen: list[tuple[str, dict[str, str]]] = []

    async def request(self, method: str, url: str, **kwargs: Any) -> Reply:
        self.seen.append((url, dict(kwargs.get("headers") or {})))
        return Reply(403 if "expired" in url else 200, {}, b"img", url)


async def test_fetch_image_sends_no_credentials_and_maps_expiry() -> None:
    http = RecordingHttp()
    assert await fetch_image(http, "https://delivery.bfl.ai/ok.png", BASE) == b"img"
    with pytest.raises(UpstreamError) as caught:
        await fetch_image(http, "https://delivery.bfl.ai/expired.png", BASE)
    assert caught.value.code == "upstream_download_failed"
    with pytest.raises(UpstreamError):
        await fetch_image(http, "http://10.0.0.1/a.png", BASE)
    assert len(http.seen) == 2 and all(headers == {} for _, headers in http.seen)


@pytest.mark.parametrize(("body", "expected"), [
    ({"detail": [{"loc": ["body", "seed"], "msg": "not an int"}]}, ("not an int", "seed")),
    ({"detail": [{"loc": ["body", "image_urls", 2], "msg": "bad"}]}, ("bad", "image_urls")),
    ({"detail": "Fetch failed for https://x.bfl.ai/y"}, ("Fetch failed for [link]", None)),
    ({"error": "?"}, ("The upstream refused the request (status 422).", None)),
    ([1, 2], ("The upstream refused the request (status 422).", None)),
    ({"detail": "key k3yMaterial99 is not valid here"}, ("key [upstream] is not valid here", None)),
])
def test_validation_detail(body: object, expected: tuple[str, str | None]) -> None:
    assert validation_detail(answer(422, json=body)) == expected
