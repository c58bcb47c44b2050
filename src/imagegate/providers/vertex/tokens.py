"""OAuth2 access tokens for a Vertex AI channel, from a service-account key file, through ``google-auth``.

One :class:`ServiceAccountTokens` per channel, shared by every call on it: a token is fetched when
there is none or google-auth says it is no longer valid (it counts a token as expired a few minutes
before its end, so it is refreshed before it runs out), one refresh at a time. A 401 answer means
the upstream stopped taking the token: :meth:`refresh_after` fetches a new one, unless another call
already did. google-auth's refresh is synchronous, so it runs in a thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ...extras import require

SCOPE = "https://www.googleapis.com/auth/cloud-platform"


class ServiceAccountTokens:
    def __init__(self, credentials_file: str) -> None:
        service_account = require("google.oauth2.service_account", "a Vertex channel's credentials_file")
        self._credentials: Any = service_account.Credentials.from_service_account_file(credentials_file,
                                                                                        scopes=[SCOPE])
        self._lock = asyncio.Lock()

    @property
    def token(self) -> str | None:
        token: str | None = self._credentials.token
        return token

    async def header(self) -> dict[str, str]:
        if not self._credentials.valid:
            async with self._lock:
                if not self._credentials.valid:
                    await asyncio.to_thread(self._refresh)
        return {"Authorization": f"Bearer {self._credentials.token}"}

    async def refresh_after(self, rejected: str | None) -> None:
        """The upstream refused ``rejected``: fetch a new token unless a newer one is already here."""
        async with self._lock:
            if self._credentials.token == rejected:
                await asyncio.to_thread(self._refresh)

    def _refresh(self) -> None:
        transport = require("google.auth.transport.requests", "a Vertex channel's credentials_file")
        self._credentials.refresh(transport.Request())
