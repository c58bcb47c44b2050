"""Job webhooks: when a job ends, its state (as ``GET /v1/images/jobs/{id}`` shows it) is POSTed to the
``webhook_url`` the client gave, signed so the receiver can tell it came from this gateway.

The URL must be ``https`` and must not lead to a private, loopback, link-local or otherwise
internal address (checked when the job is submitted and again before each delivery; redirects are
not followed). Hosts in ``webhook_allow_hosts`` are exempt from both rules (a receiver on the
gateway's own network, or in tests). The body is signed with HMAC-SHA256 under
``webhook_secret``: header ``X-Imagegate-Signature: t=<unix time>,v1=<hex>`` over ``"<t>.<body>"``.
One delivery round tries three times (retries by ``stamina``: 0.5 s, then 2 s apart) over one HTTP
session; rounds are scheduled, with backoff and across restarts, by the outbox (:mod:`.outbox`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
import stamina

from ..errors import InvalidRequest

log = logging.getLogger("imagegate.jobs")
HEADER = "X-Imagegate-Signature"
ATTEMPTS = 3
WAIT, WAIT_FACTOR = 0.5, 4  # seconds before the second attempt; each later wait is this factor longer
PARAM = "webhook_url"


class NotAccepted(Exception):
    """The receiver answered, but not 2xx."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the receiver answered {status}")
        self.status = status


RETRIED = (InvalidRequest, NotAccepted, aiohttp.ClientError, TimeoutError, OSError)


def signature(secret: bytes, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _refuse(message: str) -> InvalidRequest:
    return InvalidRequest(message, param=PARAM, code="invalid_value")


async def _addresses(host: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # UnicodeError: not a host name (an empty or overlong label)
        raise _refuse(f"The webhook host '{host}' can't be resolved.") from None
    return [str(info[4][0]) for info in infos]


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return not ip.is_global or ip.is_multicast


class Notifier:
    def __init__(self, secret: str | None, allow_hosts: list[str], timeout: float) -> None:
        self.secret = secret.encode() if secret else None
        self.allow = {host.lower() for host in allow_hosts}
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def check(self, url: Any) -> str:
        """The URL if a webhook may go there, else a 400 naming ``webhook_url``."""
        if not isinstance(url, str):
            raise InvalidRequest("Invalid type for 'webhook_url': expected a string.", param=PARAM,
                                 code="invalid_type")
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        try:
            _ = parts.port
        except ValueError:
            host = ""
        if not host or parts.scheme not in ("https", "http") or parts.username or parts.password:
            raise _refuse("'webhook_url' must be an https URL without credentials.")
        if host not in self.allow:
            if parts.scheme != "https":
                raise _refuse("'webhook_url' must use https.")
            if any(_internal(address) for address in await _addresses(host)):
                raise _refuse("'webhook_url' leads to a private or internal address.")
        if self.secret is None:
            raise InvalidRequest("Webhooks are not enabled on this gateway (no webhook_secret).", param=PARAM,
                                 code="unsupported_parameter")
        return url

    async def send(self, url: str, payload: dict[str, Any]) -> bool:
        """POST the signed payload, up to three times over one HTTP session; ``True`` once the receiver
        answered 2xx."""
        assert self.secret is not None
        body = orjson.dumps(payload)
        try:
            async with aiohttp.ClientSession(timeout=self.timeout) as session:
                async for attempt in stamina.retry_context(on=RETRIED, attempts=ATTEMPTS, timeout=None,
                                                           wait_initial=WAIT, wait_exp_base=WAIT_FACTOR,
                                                           wait_max=WAIT * WAIT_FACTOR**ATTEMPTS, wait_jitter=0):
                    with attempt:
                        await self._post(session, url, body, self.secret)
        except RETRIED:
            log.warning("webhook not delivered", extra={"job": payload.get("id")})
            return False
        return True

    async def _post(self, session: aiohttp.ClientSession, url: str, body: bytes, secret: bytes) -> None:
        """One attempt: the URL checked again (its address may have changed), then the POST."""
        try:
            await self.check(url)
            headers = {"Content-Type": "application/json", HEADER: signature(secret, body, int(time.time()))}
            async with session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                if not 200 <= response.status < 300:
                    raise NotAccepted(response.status)
        except RETRIED as exc:
            log.warning("webhook delivery failed", extra={"error": type(exc).__name__})
            raise
