"""What every HTTP provider shares: one pooled client, transport-failure mapping, message scrubbing,
the host check on links an upstream hands back, the download of result images, and input images as data
URIs."""

from __future__ import annotations

import asyncio
import re
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, urlsplit

import orjson
import pybase64

from ..errors import ApiError, RateLimited, UpstreamError
from ..job import ImageJob
from .base import UpstreamImage
from .http import Http, Reply

_URL = re.compile(r"\b(?:https?|wss?)://[^\s'\"<>)]+", re.I)
_HOST = re.compile(r"\b(?:[a-z0-9-]+\.)+(?!(?:png|jpe?g|webp|gif)\b)[a-z]{2,24}(?::\d+)?\b", re.I)
_ADDRESS = re.compile(
    r"\[[0-9a-f:.]+\](?::\d+)?"  # [v6]:port
    r"|\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"  # v4[:port]
    r"|(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])"  # bare v6
    r"|\blocalhost(?::\d+)?\b",
    re.I,
)


GENERIC_PREFIXES = ("sk", "pk", "key", "api")  # the shapes most vendors' keys take, scrubbed always


@lru_cache(maxsize=32)
def _secret(prefixes: tuple[str, ...], patterns: tuple[str, ...] = ()) -> re.Pattern[str]:
    """Key-shaped text: a key prefix (the vendors' own and the generic ones), a dash or underscore, six or more
    key characters; or one of the vendors' own key ``patterns``."""
    alternatives = "|".join(re.escape(prefix) for prefix in sorted({*prefixes, *GENERIC_PREFIXES}))
    shapes = [rf"\b(?:{alternatives})[-_][A-Za-z0-9_\-*]{{6,}}\b", *(rf"\b{pattern}" for pattern in patterns)]
    return re.compile("|".join(shapes), re.I)


def scrub(message: str, *literals: str, prefixes: tuple[str, ...] = (), patterns: tuple[str, ...] = ()) -> str:
    """Drop URLs, hosts, addresses, key-shaped text (``prefixes`` and ``patterns``: the vendors' key shapes) and
    the given literals (the channel's own host and key)."""
    for literal in literals:
        if literal:
            message = message.replace(literal, "[upstream]")
    message = _URL.sub("[link]", message)
    message = _secret(prefixes, patterns).sub("[redacted]", message)
    message = _ADDRESS.sub("[upstream]", message)
    return _HOST.sub("[upstream]", message)[:1000]


def scrub_reply(response: Reply, message: str) -> str:
    """``message`` from an answer to ``response``'s request, without the address and credential it went out
    with or anything key-shaped."""
    return scrub(message, response.netloc, response.host, response.credential, prefixes=response.key_prefixes,
                 patterns=response.key_patterns)


def bad_answer(missing: str) -> UpstreamError:
    """The 502 for an upstream answer that lacks what the protocol promises."""
    return UpstreamError(f"The upstream answered without {missing}.", code="upstream_bad_response")


def error_object(response: Reply) -> dict[str, Any]:
    """The ``error`` object of a JSON error answer (``{"error": {...}}``), or ``{}`` when there isn't one."""
    try:
        error = orjson.loads(response.content).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def json_body(response: Reply) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise UpstreamError("The upstream answered with invalid JSON.", code="upstream_bad_response") from None


def retry_after(response: Reply, default: str = "1") -> str:
    value = response.headers.get("retry-after", "")
    return value if value.replace(".", "", 1).isdigit() else default


def status_error(response: Reply, message: str) -> ApiError:
    """The error for an upstream status that isn't a validation or policy answer."""
    status = response.status_code
    if status in (401, 403):
        return UpstreamError("The upstream rejected the gateway's credentials for this model.",
                             code="upstream_auth_error")
    if status == 402:
        return UpstreamError("The upstream account has run out of credit.", code="upstream_insufficient_credit")
    if status == 429:
        return RateLimited(f"The upstream is rate limiting requests: {scrub_reply(response, message)}",
                           headers={"Retry-After": retry_after(response)})
    return UpstreamError(f"The upstream failed with status {status}.", code="upstream_error")


def _split(url: str) -> SplitResult | None:
    try:
        split = urlsplit(url)
        _ = split.port  # raises ValueError for a bad port
    except ValueError:
        return None
    return split if split.scheme in ("http", "https") and split.hostname else None


def same_origin(a: SplitResult, b: SplitResult) -> bool:
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def trusted_link(url: object, base_url: str, domains: tuple[str, ...]) -> str:
    """``url`` if it is https on one of ``domains`` (or a subdomain) or on the channel's own origin.

    Upstreams hand back links to poll with the account's key; anything else is refused before
    a request, let alone the key, goes there.
    """
    link = _split(url) if isinstance(url, str) else None
    base = _split(base_url)
    if link is not None and link.hostname and base is not None and (same_origin(link, base) or (
            link.scheme == "https" and any(link.hostname == d or link.hostname.endswith("." + d) for d in domains))):
        return link.geturl()
    raise UpstreamError("The upstream returned a link on an unexpected host; it was not followed.",
                        code="upstream_bad_response")


async def fetch_image(http: Http, url: str, base_url: str) -> bytes:
    """Fetch a result link at once (it expires): https, or the channel's own origin; no credentials go with it."""
    link, base = _split(url), _split(base_url)
    if link is None or base is None or (link.scheme != "https" and not same_origin(link, base)):
        raise UpstreamError("The upstream returned an unusable image link.", code="upstream_bad_response")
    response = await http.request("GET", link.geturl())
    if response.status_code != 200:
        raise UpstreamError("The upstream image could not be downloaded (its link may have expired).",
                            code="upstream_download_failed")
    return response.content


async def fetch_links(http: Http, images: list[UpstreamImage], base_url: str) -> None:
    """Download, all at once, every result that came as a link rather than base64 (:func:`fetch_image`)."""
    linked = [image for image in images if image.b64 is None and image.url is not None]
    datas = await asyncio.gather(*(fetch_image(http, str(image.url), base_url) for image in linked))
    for image, data in zip(linked, datas, strict=True):
        image.data = data


def validation_detail(response: Reply) -> tuple[str, str | None]:
    """A FastAPI-style error body (``{"detail": "…"}`` or ``{"detail": [{"loc", "msg"}, …]}``) as the
    first message, scrubbed, and the name of the field it blames (``None`` when there isn't one)."""
    try:
        detail = orjson.loads(response.content).get("detail")
    except (orjson.JSONDecodeError, AttributeError):
        detail = None
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        loc = detail[0].get("loc")
        names = [part for part in loc if isinstance(part, str)] if isinstance(loc, list) else []
        return scrub_reply(response, str(detail[0].get("msg") or "invalid request")), \
            names[-1] if names else None
    if isinstance(detail, str):
        return scrub_reply(response, detail), None
    return f"The upstream refused the request (status {response.status_code}).", None


def _encoded(job: ImageJob) -> list[str]:
    return [f"data:{image.info.mime};base64,{pybase64.b64encode(image.upload.read()).decode('ascii')}"
            for image in job.images]


async def data_uris(job: ImageJob) -> list[str]:
    """The job's input images as ``data:`` URIs, unchanged, read off the event loop (none: an empty list)."""
    return await asyncio.to_thread(_encoded, job) if job.images else []
