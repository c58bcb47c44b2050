from __future__ import annotations

import httpx
import pytest

from imagegate.errors import UpstreamError
from imagegate.providers.upstream import fetch_image, trusted_link, validation_detail

BASE = "https://api.bfl.ai"
LOCAL = "http://127.0.0.1:8123"


def answer(status: int, **kwargs: object) -> httpx.Response:
    """An upstream answer to a request that went out with the channel's host and key."""
    request = httpx.Request("POST", "https://api.bfl.ai/v1/flux-kontext-pro", headers={"x-key": "k3yMaterial99"})
    return httpx.Response(status, request=request, **kwargs)  # type: ignore[arg-type]


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
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(403 if "expired" in request.url.path else 200, content=b"img")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        assert await fetch_image(client, "https://delivery.bfl.ai/ok.png", BASE) == b"img"
        with pytest.raises(UpstreamError) as caught:
            await fetch_image(client, "https://delivery.bfl.ai/expired.png", BASE)
        assert caught.value.code == "upstream_download_failed"
        with pytest.raises(UpstreamError):
            await fetch_image(client, "http://10.0.0.1/a.png", BASE)
    assert len(seen) == 2 and all("x-key" not in r.headers and "authorization" not in r.headers for r in seen)


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
